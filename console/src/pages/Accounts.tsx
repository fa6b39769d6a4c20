import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { unwrap } from "../api/client";
import type { components } from "../api/schema";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { emptyOrFailed } from "../components/ListState";
import { Status, Time } from "../components/Status";
import { useApi } from "../context";
import { useCan } from "../permissions";
import { capacityStatus, usageRows } from "../components/capacityRows";
import { Capacity } from "./Dashboard";

type Account = components["schemas"]["TargetAccountView"];

/** When an account was last validated and how it went; "Never" when it has not been. */
export function LastValidation({ a }: { a: Account }) {
  if (!a.lastValidated && !a.lastValidationStatus) return <Box color="text-body-secondary">Never</Box>;
  return <>{a.lastValidationStatus && <Status value={a.lastValidationStatus.toUpperCase()} />} <Time iso={a.lastValidated} /></>;
}

function Validation({ v }: { v: components["schemas"]["AccountValidation"] }) {
  const rows = Object.entries(v.regions).flatMap(([region, checks]) => checks.map((c, i) => ({ key: `${region}#${i}`, region, ...c })));
  return (
    <Table variant="embedded" wrapLines items={rows} trackBy="key" ariaLabels={{ tableLabel: `Checks of ${v.accountId}` }}
      header={<Box variant="h3">Validation of {v.accountId}: <Status value={v.valid ? "OK" : "FAILED"} /> at <Time iso={v.checkedAt} /></Box>}
      columnDefinitions={[
        { id: "region", header: "Region", minWidth: 110, cell: (r) => r.region },
        { id: "check", header: "Check", cell: (r) => r.check },
        { id: "status", header: "Status", cell: (r) => <Status value={r.status.toUpperCase()} /> },
        { id: "message", header: "Message", cell: (r) => r.message },
      ]} />
  );
}

function TargetCapacity({ c }: { c: components["schemas"]["OneTargetCapacity"] }) {
  return (
    <SpaceBetween size="s">
      <Box variant="h3">Capacity of {c.targetAccountId} and its staging accounts{" "}
        <Status value={capacityStatus(c.status, c.unreachableAccounts.length)} /></Box>
      <KeyValuePairs columns={4} items={[
        { label: "Replicating servers (combined)", value: c.combined.maxReplicatingServers
          ? `${c.combined.replicatingServers} / ${c.combined.maxReplicatingServers}${c.combined.percentUsed !== null && c.combined.percentUsed !== undefined ? ` (${c.combined.percentUsed}%)` : ""}`
          : "Unknown: no account answered" },
        { label: "Recovery instances", value: c.recoveryCapacity ? `${c.recoveryCapacity.used} / ${c.recoveryCapacity.limit}` : `Unknown: ${c.targetAccountId} did not answer` },
        { label: "Regions", value: c.regions.join(", ") },
        { label: "Unreachable", value: c.unreachableAccounts.join(", ") || "none" },
      ]} />
      {/* the API's warnings are the rows below that did not answer or near a quota, each said there once */}
      <Table variant="embedded" wrapLines items={usageRows(c.accounts)} trackBy="key"
        ariaLabels={{ tableLabel: `Capacity by account of ${c.targetAccountId}` }}
        empty={`No accounts were read for ${c.targetAccountId}`}
        columnDefinitions={[
          { id: "acc", header: "Account", cell: (x) => `${x.account.accountName ?? x.account.accountId} (${x.account.accountType})` },
          { id: "region", header: "Region", minWidth: 110, cell: (x) => x.region },
          { id: "status", header: "Status", cell: (x) => <Status value={x.status} /> },
          { id: "usage", header: "Usage", cell: (x) => x.problem ? <Box color="text-status-error">{x.usage}</Box> : x.usage },
        ]} />
    </SpaceBetween>
  );
}

/** Target accounts with their staging accounts: validate an account, read its capacity. */
export function Accounts() {
  const api = useApi();
  const canValidate = useCan("validate_target_account");
  const qc = useQueryClient();
  const [selected, setSelected] = useState<Account[]>([]);
  const q = useQuery({
    queryKey: ["target-accounts"],
    queryFn: async () => unwrap(await api.GET("/accounts/targets")),
  });
  const account = selected[0];
  const path = account ? { params: { path: { accountId: account.accountId } } } : null;
  const validate = useMutation({
    mutationFn: async (accountId: string) => unwrap(await api.POST("/accounts/targets/{accountId}/validate", { params: { path: { accountId } }, body: {} })),
    onSettled: () => qc.invalidateQueries({ queryKey: ["target-accounts"] }),  // its last validation
  });
  const capacity = useQuery({
    queryKey: ["target-capacity", account?.accountId],
    enabled: !!path,
    queryFn: async () => unwrap(await api.GET("/accounts/targets/{accountId}/capacity", path!)),
  });
  return (
    <SpaceBetween size="l">
      <ApiErrorAlert error={q.error} header="Could not list the target accounts" />
      <Table
        header={<Header variant="h1" counter={q.data ? `(${q.data.count})` : undefined} description="Accounts recovery instances launch in, and the staging accounts that replicate into them"
          actions={canValidate && <Button disabled={!account} loading={validate.isPending} onClick={() => account && validate.mutate(account.accountId)}>Validate</Button>}>
          Accounts</Header>}
        loading={q.isPending}
        loadingText="Loading accounts"
        items={q.data?.accounts ?? []}
        trackBy="accountId"
        wrapLines
        selectionType="single"
        selectedItems={selected}
        onSelectionChange={(e) => { setSelected(e.detail.selectedItems); validate.reset(); }}
        ariaLabels={{ tableLabel: "Target accounts", selectionGroupLabel: "Account selection", itemSelectionLabel: (_, a) => `select ${a.accountName ?? a.accountId}` }}
        empty={emptyOrFailed(q.data ? null : q.error, "the target accounts", "No target accounts")}
        columnDefinitions={[
          { id: "name", header: "Target account", cell: (a) => <>{a.accountName ?? a.accountId}<Box fontSize="body-s" color="text-body-secondary">{a.accountId}{a.isHub ? " (hub)" : ""}</Box></> },
          { id: "role", header: "Role", cell: (a) => a.roleArn ?? "-" },
          { id: "staging", header: "Staging accounts", cell: (a) => a.stagingAccounts.map((s) => s.accountName ? `${s.accountName} (${s.accountId})` : s.accountId).join(", ") || "-" },
          { id: "validated", header: "Last validation", cell: (a) => <LastValidation a={a} /> },
        ]}
      />
      <ApiErrorAlert error={validate.error} header="The account could not be validated" />
      {account && (
        <Container header={<Header variant="h2">{account.accountName ?? account.accountId}</Header>}>
          <SpaceBetween size="l">
            {validate.data && <Validation v={validate.data} />}
            <ApiErrorAlert error={capacity.error} header="Could not read the account's capacity" />
            {capacity.data && <TargetCapacity c={capacity.data} />}
            {capacity.isFetching && !capacity.data && <Box>Reading capacity...</Box>}
          </SpaceBetween>
        </Container>
      )}
      <Capacity reasonsShownFor={capacity.data ? capacity.data.unreachableAccounts : []} />
    </SpaceBetween>
  );
}
