import StatusIndicator, { type StatusIndicatorProps } from "@cloudscape-design/components/status-indicator";

const TYPES: Record<string, StatusIndicatorProps.Type> = {
  COMPLETED: "success", LAUNCHED: "success", OK: "success", SUCCEEDED: "success", VERIFIED: "success",
  TERMINATED: "stopped", CANCELLED: "stopped", NOT_LAUNCHED: "stopped", SKIPPED: "stopped",
  FAILED: "error", CRITICAL: "error", TIMED_OUT: "error", ERROR: "error", UNREACHABLE: "error",
  CONTINUOUS: "success", STALLED: "error", DISCONNECTED: "warning", LAGGING: "warning", INITIAL_SYNC: "in-progress", RESCAN: "in-progress",
  PARTIAL: "warning", WARNING: "warning", DRIFTED: "warning", READY: "success", NOT_CONFIGURED: "stopped", APPLYING: "in-progress",
  PAUSED: "pending", PENDING: "pending", QUEUED: "pending",
  RUNNING: "in-progress", LAUNCHING: "in-progress", POLLING: "in-progress", CANCELLING: "in-progress",
  IN_PROGRESS: "in-progress", STARTED: "in-progress", TERMINATING: "in-progress",
};

export const ACTIVE = new Set(["PENDING", "RUNNING", "PAUSED", "CANCELLING", "POLLING", "LAUNCHING", "QUEUED"]);

export function Status({ value }: { value?: string | null }) {
  if (!value) return <>-</>;
  // a status is one word: never broken across lines in a narrow column
  return <StatusIndicator type={TYPES[value] ?? "info"} wrapText={false}>{value}</StatusIndicator>;
}

/** A time in the user's zone, the UTC value on hover. */
export function Time({ iso }: { iso?: string | null }) {
  if (!iso) return <>-</>;
  const d = new Date(iso);
  return <time dateTime={iso} title={d.toISOString()}>{d.toLocaleString()}</time>;
}

export function duration(seconds?: number | null): string {
  if (seconds === undefined || seconds === null) return "-";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h}h ${m}m ${r}s` : m ? `${m}m ${r}s` : `${r}s`;
}

/** Labels of the paging buttons (screen readers). */
export const PAGING_LABELS = { nextPageLabel: "Next page", previousPageLabel: "Previous page", pageLabel: (n: number) => `Page ${n}` };

/** Servers that launched, including those whose recovery instances were terminated since. */
export function launchedEver(c: { launched?: number | null; terminated?: number | null }): number {
  return (c.launched ?? 0) + (c.terminated ?? 0);
}

/** A server named in a warning: its id, what is wrong, where it would launch from and how old that is. */
export function describeServer(s: unknown): string {
  if (typeof s !== "object" || !s) return String(s);
  const o = s as { serverId?: string; sourceServerId?: string; problem?: string; dataSource?: string; dataAgeSeconds?: number; waveNumber?: number };
  return `${o.serverId ?? o.sourceServerId ?? "?"}${o.waveNumber ? ` (wave ${o.waveNumber})` : ""}${o.problem ? `: ${o.problem}` : ""}`
    + `${o.dataSource ? `: launches from ${o.dataSource}` : ""}${o.dataAgeSeconds ? `, data ${duration(o.dataAgeSeconds)} old` : ""}`;
}

/** A wave's DRS job as people read it: its DRS job id once started, else where it will run (the
 * job key is internal). */
export function jobLabel(j: { jobId?: string | null; accountId?: string | null; region?: string | null }): string {
  if (j.jobId) return j.jobId;
  const where = [j.accountId, j.region].filter(Boolean).join(" / ");
  return where ? `not started (${where})` : "not started";
}
