import type { components } from "../api/schema";

type AccountCapacity = components["schemas"]["AccountCapacity"];
type RegionCapacity = components["schemas"]["RegionCapacity"];
type CapacityMetric = components["schemas"]["CapacityMetric"];

/** The DRS quotas a region's usage is measured against, in words. */
export const METRICS = [["replicatingServers", "Replicating servers"], ["activeJobs", "Active jobs"],
  ["serversInActiveJobs", "Servers in active jobs"], ["recoveryInstances", "Recovery instances"]] as const;

/** One row per account-region that answered, and one per account or region that did not, saying why. */
export interface UsageRow {
  key: string; account: AccountCapacity; region: string; status: string | null; usage: string; problem: boolean;
  metrics: CapacityMetric[];
}

export function usageRows(accounts: AccountCapacity[]): UsageRow[] {
  return accounts.flatMap((a): UsageRow[] => {
    if (a.error || !a.regions.length) {
      const why = a.error ? `${a.error.code}: ${a.error.message}` : "no region was read";
      return [{ key: a.accountId, account: a, region: "all", status: "UNREACHABLE", usage: `Cannot be reached: ${why}`, problem: true, metrics: [] }];
    }
    return a.regions.map((r: RegionCapacity) => {
      const key = `${a.accountId}#${r.region}`;
      if (r.regionStatus.status !== "OK" || !r.metrics?.length) {
        return { key, account: a, region: r.region, status: r.regionStatus.status, usage: `Not read: ${r.regionStatus.message ?? r.regionStatus.status}`, problem: true, metrics: [] };
      }
      const used = METRICS.map(([m, label]) => {
        const x = r.metrics?.find((v) => v.metric === m);
        return x ? `${label} ${x.used} / ${x.limit}${x.status && x.status !== "OK" ? ` (${x.status})` : ""}` : null;
      }).filter(Boolean).join(", ");
      const none = r.currentUsage && r.currentUsage.sourceServers === 0 ? "No servers. " : "";
      return { key, account: a, region: r.region, status: r.status ?? r.regionStatus.status, usage: `${none}${used}`, problem: false, metrics: r.metrics ?? [] };
    });
  });
}

/** A capacity badge: an account that did not answer makes the whole unknown, never OK over it. */
export function capacityStatus(status: string | null | undefined, unanswered: number): string | null {
  return unanswered > 0 ? "UNREACHABLE" : status ?? null;
}
