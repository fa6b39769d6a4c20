/** One changed value between two JSON documents, at a dotted path (`waves[1].pauseBeforeWave`). */
export interface Change {
  path: string;
  before: unknown;
  after: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Every leaf that differs; a key missing on one side is `undefined` there. */
export function diffValues(before: unknown, after: unknown, path = ""): Change[] {
  if (Array.isArray(before) && Array.isArray(after)) {
    const out: Change[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) out.push(...diffValues(before[i], after[i], `${path}[${i}]`));
    return out;
  }
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diffValues(before[k], after[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path, before, after }];
}

type Doc = { protectionGroups?: Record<string, unknown>[]; recoveryPlans?: Record<string, unknown>[]; targetAccounts?: Record<string, unknown>[] };
const LISTS: Record<string, { list: keyof Doc; name: string[] }> = {
  protectionGroup: { list: "protectionGroups", name: ["groupName"] },
  recoveryPlan: { list: "recoveryPlans", name: ["planName"] },
  targetAccount: { list: "targetAccounts", name: ["accountId", "accountName"] },
};

/** The entity of `type` named `name` in an export document. */
export function entityOf(doc: Doc | undefined, type: string, name: string): Record<string, unknown> | undefined {
  const spec = LISTS[type];
  if (!spec || !doc) return undefined;
  return (doc[spec.list] ?? []).find((e) => spec.name.some((k) => e[k] === name));
}

/** What importing `incoming` would change in the entity `type`/`name` of the current configuration. */
export function entityChanges(current: Doc | undefined, incoming: Doc, type: string, name: string): Change[] {
  const now = entityOf(current, type, name);
  const next = entityOf(incoming, type, name);
  if (!next) return [];
  return diffValues(now ?? {}, next);
}
