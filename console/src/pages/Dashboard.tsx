import { useQuery } from "@tanstack/react-query";
import Header from "@cloudscape-design/components/header";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { unwrap } from "../api/client";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { emptyOrFailed, loadErrorHeader } from "../components/ListState";
import { METRICS, capacityStatus, usageRows } from "../components/capacityRows";
import Alert from "@cloudscape-design/components/alert";
import { ACTIVE, Status } from "../components/Status";
import { useApi } from "../context";
import { useCan } from "../permissions";
import { ExecutionsTable, useExecutions } from "./Executions";

/** The DRS capacity of every account against its quotas. ``reasonsShownFor``: accounts whose reason
 * for not answering the page already shows (the selected account's capacity on the accounts page),
 * named here without saying it again. */
export function Capacity({ reasonsShownFor = [] }: { reasonsShownFor?: string[] }) {
  const api = useApi();
  const q = useQuery({
    queryKey: ["capacity"],
    queryFn: async () => unwrap(await api.GET("/accounts/capacity")),
    refetchInterval: 30000,
  });
  // an account or region that did not answer keeps its row, with the reason under its status
  const rows = usageRows(q.data?.accounts ?? []);
  const unanswered = rows.filter((r) => r.problem);
  return (
    <SpaceBetween size="s">
      {unanswered.length > 0 && (
        <Alert type="warning" header="Not every account answered: their capacity is unknown">
          <ul data-testid="capacity-unanswered">{unanswered.map((r) => (
            <li key={r.key}>{r.account.accountName ?? r.account.accountId} ({r.account.accountId}){r.region === "all" ? "" : ` in ${r.region}`}: {
              r.region === "all" && reasonsShownFor.includes(r.account.accountId) ? "cannot be reached (why is shown above, under its capacity)" : r.usage}</li>
          ))}</ul>
        </Alert>
      )}
      <ApiErrorAlert error={q.error} header={q.data ? `Could not refresh the DRS capacity; showing what was read at ${new Date(q.dataUpdatedAt).toLocaleTimeString()}` : "Could not read the DRS capacity"} />
      <Table
        header={<Header variant="h2" description={`Against the DRS quotas${unanswered.length ? `; ${unanswered.length} account(s) did not answer, listed above` : ""}`} actions={q.data && <Status value={capacityStatus(q.data.status, unanswered.length)} />}>DRS capacity</Header>}
        loading={q.isPending}
        loadingText="Loading the DRS capacity"
        items={rows}
        trackBy="key"
        wrapLines
        ariaLabels={{ tableLabel: "DRS capacity" }}
        empty={emptyOrFailed(q.data ? null : q.error, "the DRS capacity", "No accounts")}
        columnDefinitions={[
          { id: "account", header: "Account", cell: (r) => `${r.account.accountName ?? r.account.accountId} (${r.account.accountType})` },
          { id: "region", header: "Region", minWidth: 110, cell: (r) => r.region },
          { id: "status", header: "Status", cell: (r) => <Status value={r.status} /> },
          ...METRICS.map(([m, label]) => ({
            id: m, header: label,
            cell: (r: (typeof rows)[number]) => {
              const x = r.metrics.find((v) => v.metric === m);
              return x ? `${x.used} / ${x.limit} (${x.percentUsed}%)` : "-";
            },
          })),
        ]}
      />
    </SpaceBetween>
  );
}

export function Dashboard() {
  const q = useExecutions();
  const canViewAccounts = useCan("get_accounts_capacity");
  const items = q.data?.items;
  // the newest 100 are read: say so when there are older ones (History pages through them)
  const of = q.data?.nextToken ? `Among the newest ${q.data.count} executions; History lists older ones` : undefined;
  return (
    <SpaceBetween size="l">
      <Header variant="h1">Dashboard</Header>
      <ApiErrorAlert error={q.error} header={loadErrorHeader("the executions", q.dataUpdatedAt)} />
      <ExecutionsTable items={items?.filter((e) => ACTIVE.has(e.status))} title="Active executions" loading={q.isPending} error={q.error} description={of} />
      {canViewAccounts && <Capacity />}
      <ExecutionsTable items={items?.filter((e) => !ACTIVE.has(e.status)).slice(0, 10)} title="Recent executions" loading={q.isPending} error={q.error} />
    </SpaceBetween>
  );
}
