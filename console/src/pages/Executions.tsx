import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
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
import { ACTIVE, PAGING_LABELS, Status, Time, duration } from "../components/Status";
import { useApi } from "../context";

const PAGE = 20;

export function useExecutions() {
  const api = useApi();
  return useQuery({
    queryKey: ["executions"],
    queryFn: async () => unwrap(await api.GET("/executions", { params: { query: { limit: 100 } } })),
    refetchInterval: (query) => (query.state.data?.items.some((e) => ACTIVE.has(e.status)) ? 3000 : 15000),
  });
}

export function ExecutionsTable({ items, title, loading }: { items: ExecutionSummary[]; title: string; loading: boolean }) {
  const [page, setPage] = useState(1);
  return (
    <Table
      header={<Header variant="h2" counter={`(${items.length})`}>{title}</Header>}
      loading={loading}
      loadingText="Loading executions"
      items={items.slice((page - 1) * PAGE, page * PAGE)}
      trackBy="executionId"
      empty="No executions"
      pagination={<Pagination ariaLabels={PAGING_LABELS} currentPageIndex={page} pagesCount={Math.max(1, Math.ceil(items.length / PAGE))} onChange={(e) => setPage(e.detail.currentPageIndex)} />}
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

export function ExecutionsList() {
  const api = useApi();
  const [status, setStatus] = useState("");
  const [type, setType] = useState("");
  const q = useQuery({
    queryKey: ["executions", { status }],
    queryFn: async () => unwrap(await api.GET("/executions", { params: { query: { limit: 100, status: status || undefined } } })),
    refetchInterval: 5000,
  });
  const items = (q.data?.items ?? []).filter((e) => !type || e.executionType === type);
  const option = (v: string) => ({ value: v, label: v || "Any" });
  return (
    <SpaceBetween size="m">
      <Header variant="h1">Executions</Header>
      <SpaceBetween direction="horizontal" size="m">
        <FormField label="Status"><Select selectedOption={option(status)} options={STATUSES.map(option)} onChange={(e) => setStatus(e.detail.selectedOption.value ?? "")} /></FormField>
        <FormField label="Type"><Select selectedOption={option(type)} options={TYPES.map(option)} onChange={(e) => setType(e.detail.selectedOption.value ?? "")} /></FormField>
      </SpaceBetween>
      <ApiErrorAlert error={q.error} header="Could not list the executions" />
      <ExecutionsTable items={items} title="History" loading={q.isPending} />
    </SpaceBetween>
  );
}
