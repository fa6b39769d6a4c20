import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import Box from "@cloudscape-design/components/box";
import Header from "@cloudscape-design/components/header";
import Pagination from "@cloudscape-design/components/pagination";
import Table from "@cloudscape-design/components/table";
import TextFilter from "@cloudscape-design/components/text-filter";
import { unwrap } from "../api/client";
import type { components } from "../api/schema";
import { useApi } from "../context";
import { ApiErrorAlert } from "./ApiErrorAlert";
import { emptyOrFailed } from "./ListState";
import { PAGING_LABELS, Status } from "./Status";

export type SourceServer = components["schemas"]["SourceServer"];

const PAGE = 10;

/** Servers whose name, id, IP, state or tags contain the text (case-insensitive). */
export function matches(s: SourceServer, text: string): boolean {
  const t = text.trim().toLowerCase();
  if (!t) return true;
  const hay = [s.hostname, s.nameTag, s.sourceServerID, s.sourceIp, s.replicationState, s.protectionGroup?.groupName,
    ...Object.entries(s.tags ?? {}).map(([k, v]) => `${k}=${v}`)];
  return hay.some((v) => (v ?? "").toLowerCase().includes(t));
}

const label = (s: SourceServer) => s.hostname ?? s.nameTag ?? s.sourceServerID;

/** Picks source servers of a region from /drs/source-servers: filterable, showing replication
 * state and the group that owns a server (a server another group owns cannot be picked). */
export function ServerPicker({ region, groupId, selected, onChange }: {
  region: string; groupId?: string; selected: string[]; onChange: (ids: string[]) => void;
}) {
  const api = useApi();
  const [filter, setFilter] = useState("");
  const [page, setPage] = useState(1);
  const q = useQuery({
    queryKey: ["source-servers", region, groupId ?? null],
    enabled: /^[a-z]{2}(-[a-z]+)+-\d$/.test(region),
    queryFn: async () => unwrap(await api.GET("/drs/source-servers", {
      params: { query: { region, limit: 1000, currentProtectionGroupId: groupId ?? undefined } },
    })),
  });
  // by name, so a long list pages in an order a person can follow
  const all = [...(q.data?.servers ?? [])].sort((a, b) => label(a).localeCompare(label(b), undefined, { numeric: true }));
  const items = all.filter((s) => matches(s, filter));
  const chosen = new Set(selected);
  return (
    <>
      <ApiErrorAlert error={q.error} header="Could not list the source servers" />
      <Table
        variant="embedded"
        header={<Header variant="h3" counter={q.data ? `(${selected.length} selected of ${all.length})` : undefined}>Source servers in {region}</Header>}
        ariaLabels={{
          tableLabel: "Source servers",
          selectionGroupLabel: "Server selection",
          allItemsSelectionLabel: () => "select all servers on this page",
          itemSelectionLabel: (_, s) => `select ${s.hostname ?? s.sourceServerID}`,
        }}
        loading={q.isFetching && !q.data}
        loadingText="Loading source servers"
        selectionType="multi"
        trackBy="sourceServerID"
        selectedItems={all.filter((s) => chosen.has(s.sourceServerID))}
        isItemDisabled={(s) => !s.selectable}
        onSelectionChange={(e) => {
          const onPage = new Set(items.map((s) => s.sourceServerID));
          const keep = selected.filter((id) => !onPage.has(id) || e.detail.selectedItems.some((s) => s.sourceServerID === id));
          const added = e.detail.selectedItems.map((s) => s.sourceServerID).filter((id) => !keep.includes(id));
          onChange([...keep, ...added]);
        }}
        items={items.slice((page - 1) * PAGE, page * PAGE)}
        empty={emptyOrFailed(q.data ? null : q.error, "the source servers", <Box>No source servers{filter ? " match the filter" : ` in ${region}`}</Box>)}
        filter={<TextFilter filteringText={filter} filteringPlaceholder="Find servers by name, id, IP, state or tag"
          filteringAriaLabel="Find servers" filteringClearAriaLabel="Clear the filter" countText={`${items.length} ${items.length === 1 ? "match" : "matches"}`}
          onChange={(e) => { setFilter(e.detail.filteringText); setPage(1); }} />}
        pagination={<Pagination ariaLabels={PAGING_LABELS} currentPageIndex={page} pagesCount={Math.max(1, Math.ceil(items.length / PAGE))}
          onChange={(e) => setPage(e.detail.currentPageIndex)} />}
        columnDefinitions={[
          { id: "host", header: "Server", cell: (s) => <>{s.hostname ?? s.nameTag ?? s.sourceServerID}<Box fontSize="body-s" color="text-body-secondary">{s.sourceServerID}</Box></> },
          { id: "repl", header: "Replication", cell: (s) => <><Status value={s.replicationState} />{s.lagDuration ? <Box fontSize="body-s">lag {s.lagDuration}</Box> : null}</> },
          { id: "owner", header: "Protection group", cell: (s) => s.protectionGroup ? (s.protectionGroup.groupName ?? s.protectionGroup.groupId) : "-" },
          { id: "tags", header: "Tags", cell: (s) => Object.entries(s.tags ?? {}).map(([k, v]) => `${k}=${v}`).join(", ") || "-" },
        ]}
      />
    </>
  );
}
