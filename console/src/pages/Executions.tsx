import { useState } from "react";
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import DateInput from "@cloudscape-design/components/date-input";
import Modal from "@cloudscape-design/components/modal";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Select from "@cloudscape-design/components/select";
import Link from "@cloudscape-design/components/link";
import Pagination from "@cloudscape-design/components/pagination";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { unwrap } from "../api/client";
import type { ExecutionSummary } from "../api/types";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { counter, emptyOrFailed, loadErrorHeader } from "../components/ListState";
import { usePlans } from "../api/lists";
import { ACTIVE, PAGING_LABELS, Status, Time, duration, launchedEver } from "../components/Status";
import { useApi } from "../context";
import { useCan } from "../permissions";

const PAGE = 20;

export function useExecutions() {
  const api = useApi();
  return useQuery({
    queryKey: ["executions"],
    queryFn: async () => unwrap(await api.GET("/executions", { params: { query: { limit: 100 } } })),
    refetchInterval: (query) => (query.state.data?.items.some((e) => ACTIVE.has(e.status)) ? 3000 : 15000),
  });
}

/** Executions in a table; `items` undefined while (or because) the list is not read: no count then,
 * the loading state or the error in place of the rows. */
export function ExecutionsTable({ items, title, loading, error, description }: {
  items: ExecutionSummary[] | undefined; title: string; loading: boolean; error: unknown; description?: string;
}) {
  const [page, setPage] = useState(1);
  const rows = items ?? [];
  return (
    <Table
      header={<Header variant="h2" counter={counter(items?.length)} description={description}>{title}</Header>}
      loading={loading}
      loadingText="Loading executions"
      items={rows.slice((page - 1) * PAGE, page * PAGE)}
      trackBy="executionId"
      ariaLabels={{ tableLabel: title }}
      empty={emptyOrFailed(items ? null : error, "the executions", "No executions")}
      pagination={<Pagination ariaLabels={PAGING_LABELS} currentPageIndex={page} pagesCount={Math.max(1, Math.ceil(rows.length / PAGE))} onChange={(e) => setPage(e.detail.currentPageIndex)} />}
      columnDefinitions={[
        { id: "plan", header: "Plan", cell: (e) => <Link href={`#/executions/${e.executionId}`}>{e.planName ?? e.planId}</Link> },
        { id: "type", header: "Type", cell: (e) => e.executionType },
        { id: "status", header: "Status", cell: (e) => <Status value={e.status} /> },
        { id: "progress", header: "Servers", cell: (e) => `${e.serverCounts.launched ?? 0}/${e.serverCount} launched${e.serverCounts.failed ? `, ${e.serverCounts.failed} failed` : ""}${e.serverCounts.terminated ? `, ${e.serverCounts.terminated} terminated` : ""}` },
        { id: "start", header: "Started", cell: (e) => <Time iso={e.startTime} /> },
        { id: "duration", header: "Duration", cell: (e) => duration(e.durationSeconds) },
      ]}
    />
  );
}

const STATUSES = ["", "PENDING", "RUNNING", "PAUSED", "CANCELLING", "COMPLETED", "PARTIAL", "FAILED", "CANCELLED"];
const TYPES = ["", "DRILL", "RECOVERY"];
const RANGES: { value: string; label: string; hours: number | null }[] = [
  { value: "", label: "Any time", hours: null },
  { value: "1h", label: "Last hour", hours: 1 },
  { value: "24h", label: "Last 24 hours", hours: 24 },
  { value: "7d", label: "Last 7 days", hours: 24 * 7 },
  { value: "30d", label: "Last 30 days", hours: 24 * 30 },
  { value: "custom", label: "Between dates", hours: null },
];

export interface HistoryFilter {
  type: string;
  range: string;
  from: string;
  to: string;
}

/** The executions a filter keeps: type, and start time within the range (dates are the user's
 * local days, `to` inclusive). Plan and status are filtered by the API. */
export function keep(e: ExecutionSummary, f: HistoryFilter, now: number): boolean {
  if (f.type && e.executionType !== f.type) return false;
  const start = Date.parse(e.startTime);
  const preset = RANGES.find((r) => r.value === f.range);
  if (preset?.hours) return start >= now - preset.hours * 3600_000;
  if (f.range === "custom") {
    if (f.from && start < new Date(`${f.from}T00:00:00`).getTime()) return false;
    if (f.to && start >= new Date(`${f.to}T00:00:00`).getTime() + 86400_000) return false;
  }
  return true;
}

export function ExecutionsList() {
  const api = useApi();
  const qc = useQueryClient();
  const canDelete = useCan("delete_executions");
  const [status, setStatus] = useState("");
  const [planId, setPlanId] = useState("");
  const [filter, setFilter] = useState<HistoryFilter>({ type: "", range: "", from: "", to: "" });
  const [selected, setSelected] = useState<ExecutionSummary[]>([]);
  const [confirming, setConfirming] = useState(false);
  const [page, setPage] = useState(1);
  const plans = usePlans();
  const q = useInfiniteQuery({
    queryKey: ["executions", { status, planId }],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) => unwrap(await api.GET("/executions", {
      params: { query: { limit: 100, status: status || undefined, planId: planId || undefined, nextToken: pageParam } },
    })),
    getNextPageParam: (last) => last.nextToken ?? undefined,
    refetchInterval: 5000,
  });
  const del = useMutation({
    mutationFn: async (ids: string[]) => unwrap(await api.DELETE("/executions", { body: { ids } })),
    onSuccess: () => { setSelected([]); void qc.invalidateQueries({ queryKey: ["executions"] }); },
    onSettled: () => setConfirming(false),
  });
  const now = Date.now();
  const loaded = q.data ? q.data.pages.flatMap((p) => p.items).filter((e) => keep(e, filter, now)) : undefined;
  const items = loaded ?? [];
  const option = (v: string) => ({ value: v, label: v || "Any" });
  const planOptions = [{ value: "", label: "Any plan" }, ...(plans.data?.recoveryPlans ?? []).map((p) => ({ value: p.planId, label: p.planName }))];
  const setF = (change: Partial<HistoryFilter>) => { setFilter({ ...filter, ...change }); setPage(1); };
  const done = selected.filter((e) => !ACTIVE.has(e.status));
  return (
    <SpaceBetween size="m">
      <ApiErrorAlert error={q.error} header={loadErrorHeader("the executions", q.dataUpdatedAt)} />
      <ApiErrorAlert error={del.error} header="The executions were not deleted" />
      {del.data && (
        <Box data-testid="delete-result">Deleted {del.data.deletedCount}{del.data.refusedCount ? `; refused ${del.data.refusedCount}: ${del.data.refused.map((r) => `${r.executionId} (${r.reason ?? r.status ?? ""})`).join(", ")}` : ""}</Box>
      )}
      <Table
        header={<Header variant="h1" counter={counter(loaded?.length, q.hasNextPage)} description={canDelete ? "Past and running executions; finished ones can be deleted" : "Past and running executions"}
          actions={canDelete && <Button disabled={!done.length} onClick={() => setConfirming(true)}>Delete{done.length ? ` ${done.length}` : ""}</Button>}>
          History</Header>}
        loading={q.isPending}
        loadingText="Loading executions"
        items={items.slice((page - 1) * PAGE, page * PAGE)}
        trackBy="executionId"
        wrapLines
        empty={emptyOrFailed(q.data ? null : q.error, "the executions", "No executions match")}
        selectionType={canDelete ? "multi" : undefined}
        selectedItems={selected}
        onSelectionChange={(e) => setSelected(e.detail.selectedItems)}
        isItemDisabled={(e) => ACTIVE.has(e.status)}
        ariaLabels={{
          tableLabel: "Executions",
          selectionGroupLabel: "Execution selection",
          allItemsSelectionLabel: () => "select all finished executions on this page",
          itemSelectionLabel: (_, e) => `select ${e.planName ?? e.planId} ${e.executionType} ${e.startTime}`,
        }}
        filter={
          <SpaceBetween direction="horizontal" size="m">
            <FormField label="Plan"><Select ariaLabel="Plan" selectedOption={planOptions.find((o) => o.value === planId) ?? planOptions[0]} options={planOptions}
              onChange={(e) => { setPlanId(e.detail.selectedOption.value ?? ""); setPage(1); }} /></FormField>
            <FormField label="Status"><Select ariaLabel="Status" selectedOption={option(status)} options={STATUSES.map(option)}
              onChange={(e) => { setStatus(e.detail.selectedOption.value ?? ""); setPage(1); }} /></FormField>
            <FormField label="Type"><Select ariaLabel="Type" selectedOption={option(filter.type)} options={TYPES.map(option)}
              onChange={(e) => setF({ type: e.detail.selectedOption.value ?? "" })} /></FormField>
            <FormField label="Started"><Select ariaLabel="Started" selectedOption={RANGES.find((r) => r.value === filter.range) ?? RANGES[0]} options={RANGES}
              onChange={(e) => setF({ range: e.detail.selectedOption.value ?? "" })} /></FormField>
            {filter.range === "custom" && <>
              <FormField label="From" constraintText="YYYY/MM/DD"><DateInput ariaLabel="From" placeholder="YYYY/MM/DD" value={filter.from} onChange={(e) => setF({ from: e.detail.value })} /></FormField>
              <FormField label="To" constraintText="YYYY/MM/DD"><DateInput ariaLabel="To" placeholder="YYYY/MM/DD" value={filter.to} onChange={(e) => setF({ to: e.detail.value })} /></FormField>
            </>}
          </SpaceBetween>
        }
        pagination={<Pagination ariaLabels={PAGING_LABELS} currentPageIndex={page} pagesCount={Math.max(1, Math.ceil(items.length / PAGE))} onChange={(e) => setPage(e.detail.currentPageIndex)} />}
        footer={q.hasNextPage ? <Box textAlign="center"><Button loading={q.isFetchingNextPage} onClick={() => void q.fetchNextPage()}>Load older executions</Button></Box> : undefined}
        columnDefinitions={[
          { id: "plan", header: "Plan", cell: (e) => <Link href={`#/executions/${e.executionId}`}>{e.planName ?? e.planId}</Link> },
          { id: "type", header: "Type", cell: (e) => e.executionType },
          { id: "status", header: "Status", cell: (e) => <Status value={e.status} /> },
          { id: "progress", header: "Servers", cell: (e) => `${launchedEver(e.serverCounts)}/${e.serverCount} launched${e.serverCounts.failed ? `, ${e.serverCounts.failed} failed` : ""}${e.serverCounts.terminated ? `, ${e.serverCounts.terminated} terminated` : ""}` },
          { id: "start", header: "Started", cell: (e) => <Time iso={e.startTime} /> },
          { id: "duration", header: "Duration", cell: (e) => duration(e.durationSeconds) },
          { id: "report", header: "Report", cell: (e) => ACTIVE.has(e.status) ? "-" : <Link href={`#/executions/${e.executionId}/report`} ariaLabel={`Run report of ${e.planName ?? e.planId} ${e.startTime}`}>Run report</Link> },
        ]}
      />
      {confirming && <Modal visible closeAriaLabel="Close" onDismiss={() => setConfirming(false)} header="Delete executions"
        footer={<Box float="right"><SpaceBetween direction="horizontal" size="xs">
          <Button variant="link" onClick={() => setConfirming(false)}>Cancel</Button>
          <Button variant="primary" loading={del.isPending} onClick={() => del.mutate(done.map((e) => e.executionId))}>Delete</Button>
        </SpaceBetween></Box>}>
        Delete the records of {done.length} finished execution{done.length === 1 ? "" : "s"}? Running executions are kept.
      </Modal>}
    </SpaceBetween>
  );
}
