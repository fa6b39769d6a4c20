import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import ExpandableSection from "@cloudscape-design/components/expandable-section";
import Pagination from "@cloudscape-design/components/pagination";
import Spinner from "@cloudscape-design/components/spinner";
import Table from "@cloudscape-design/components/table";
import { unwrap } from "../api/client";
import { useApi } from "../context";
import { ApiErrorAlert } from "./ApiErrorAlert";
import { PAGING_LABELS, Time } from "./Status";

const PAGE = 25;

/** The DRS job logs of an execution's jobs, read when the section is opened. */
export function JobLogs({ executionId, version }: { executionId: string; version: string }) {
  const api = useApi();
  const [open, setOpen] = useState(false);
  const [page, setPage] = useState(1);
  const q = useQuery({
    queryKey: ["job-logs", executionId, version],
    enabled: open,
    queryFn: async () => unwrap(await api.GET("/executions/{executionId}/job-logs", { params: { path: { executionId } } })),
  });
  const rows = (q.data?.jobs ?? []).flatMap((j) => j.events.map((e, i) => ({ key: `${j.jobId}#${i}`, wave: j.waveNumber, jobId: j.jobId, ...e })));
  return (
    <ExpandableSection headerText="Job logs" expanded={open} onChange={(e) => setOpen(e.detail.expanded)}>
      {q.isFetching && !q.data ? <Spinner /> : null}
      <ApiErrorAlert error={q.error} header="Could not read the job logs" />
      {q.data && (
        <Table
          variant="embedded"
          ariaLabels={{ tableLabel: "Job log events" }}
          items={rows.slice((page - 1) * PAGE, page * PAGE)}
          pagination={<Pagination ariaLabels={PAGING_LABELS} currentPageIndex={page} pagesCount={Math.max(1, Math.ceil(rows.length / PAGE))} onChange={(e) => setPage(e.detail.currentPageIndex)} />}
          trackBy="key"
          empty="No job log events"
          columnDefinitions={[
            { id: "at", header: "Time", cell: (e) => <Time iso={e.logDateTime} /> },
            { id: "wave", header: "Wave", cell: (e) => e.wave },
            { id: "job", header: "Job", cell: (e) => e.jobId },
            { id: "event", header: "Event", cell: (e) => e.event },
            { id: "server", header: "Source server", cell: (e) => e.sourceServerId ?? "-" },
            { id: "target", header: "Target instance", cell: (e) => e.targetInstanceId ?? "-" },
          ]}
        />
      )}
    </ExpandableSection>
  );
}
