import { useState } from "react";
import Header from "@cloudscape-design/components/header";
import Pagination from "@cloudscape-design/components/pagination";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import TextFilter from "@cloudscape-design/components/text-filter";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { EmptyState, NoMatch, counter, emptyOrFailed } from "../components/ListState";
import { useGroups } from "../api/lists";
import { PAGING_LABELS, Status, Time } from "../components/Status";
import { useCan } from "../permissions";
import { GroupForm } from "../components/GroupForm";
import Link from "@cloudscape-design/components/link";
import Button from "@cloudscape-design/components/button";

const PAGE = 20;

export function GroupsList() {
  const [filter, setFilter] = useState("");
  const [page, setPage] = useState(1);
  const [creating, setCreating] = useState(false);
  const canCreate = useCan("create_protection_group");
  const q = useGroups();
  const items = (q.data?.groups ?? []).filter((g) => g.groupName.toLowerCase().includes(filter.toLowerCase()));
  return (
    <SpaceBetween size="m">
      <ApiErrorAlert error={q.error} header="Could not list the protection groups" />
      <Table
        header={<Header variant="h1" counter={counter(q.data?.count, q.data?.more)}
          actions={canCreate && <Button variant="primary" onClick={() => setCreating(true)}>Create group</Button>}>Protection groups</Header>}
        loading={q.isPending}
        loadingText="Loading protection groups"
        items={items.slice((page - 1) * PAGE, page * PAGE)}
        trackBy="groupId"
        wrapLines
        empty={emptyOrFailed(q.data ? null : q.error, "the protection groups", filter
          ? <NoMatch what="groups" onClear={() => { setFilter(""); setPage(1); }} />
          : <EmptyState title="No protection groups" action={canCreate && <Button onClick={() => setCreating(true)}>Create group</Button>}>
            A protection group chooses source servers, by tags or one by one; recovery plans launch groups in waves.{" "}
            {canCreate ? "Create one first." : "A plan manager creates them."}
          </EmptyState>)}
        filter={<TextFilter filteringText={filter} filteringPlaceholder="Find groups" filteringAriaLabel="Find groups" filteringClearAriaLabel="Clear the filter" onChange={(e) => { setFilter(e.detail.filteringText); setPage(1); }} />}
        pagination={<Pagination ariaLabels={PAGING_LABELS} currentPageIndex={page} pagesCount={Math.max(1, Math.ceil(items.length / PAGE))} onChange={(e) => setPage(e.detail.currentPageIndex)} />}
        columnDefinitions={[
          { id: "name", header: "Name", minWidth: 160, cell: (g) => <Link href={`#/groups/${g.groupId}`}>{g.groupName}</Link> },
          { id: "mode", header: "Selection", cell: (g) => g.selectionMode },
          { id: "tags", header: "Tags", cell: (g) => Object.entries(g.serverSelectionTags ?? {}).map(([k, v]) => `${k}=${v}`).join(", ") || "-" },
          { id: "servers", header: "Servers", cell: (g) => g.serverCount },
          { id: "where", header: "Account / region", cell: (g) => `${g.accountId} / ${g.region}` },
          { id: "launch", header: "Launch settings", cell: (g) => <Status value={g.launchConfigStatus?.status?.toUpperCase() ?? null} /> },
          { id: "plans", header: "Plans", cell: (g) => (g.recoveryPlans ?? []).map((p) => p.planName ?? p.planId).join(", ") || "-" },
          { id: "resolved", header: "Resolved", cell: (g) => <Time iso={g.resolvedAt} /> },
        ]}
      />
      {creating && <GroupForm onClose={() => setCreating(false)} />}
    </SpaceBetween>
  );
}
