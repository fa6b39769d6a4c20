// Plan readiness against its recovery objectives (issue 21): the badge of the plans list and the
// panel of a plan's page (findings, re-test required, history, measured RTO of its executions).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Alert from "@cloudscape-design/components/alert";
import Badge from "@cloudscape-design/components/badge";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import ExpandableSection from "@cloudscape-design/components/expandable-section";
import Header from "@cloudscape-design/components/header";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import Link from "@cloudscape-design/components/link";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import StatusIndicator, { type StatusIndicatorProps } from "@cloudscape-design/components/status-indicator";
import Table from "@cloudscape-design/components/table";
import { unwrap } from "../api/client";
import type { components } from "../api/schema";
import { useApi } from "../context";
import { useCan } from "../permissions";
import { ApiErrorAlert } from "./ApiErrorAlert";
import { Time, duration } from "./Status";

type S = components["schemas"];
export type ReadinessSummary = S["PlanReadinessSummary"];
type Finding = S["ReadinessFinding"];

const TYPES: Record<string, StatusIndicatorProps.Type> = { READY: "success", AT_RISK: "warning", NOT_READY: "error" };
const SEVERITY: Record<string, StatusIndicatorProps.Type> = { HIGH: "error", MEDIUM: "warning", LOW: "info" };
const LABELS: Record<string, string> = { READY: "Ready", AT_RISK: "At risk", NOT_READY: "Not ready" };

export function ReadinessStatus({ value }: { value?: string | null }) {
  if (!value) return <>-</>;
  return <StatusIndicator type={TYPES[value] ?? "info"}>{LABELS[value] ?? value}</StatusIndicator>;
}

/** The plans list's cell: status, and "re-test" when the plan changed since its last good drill. */
export function ReadinessBadge({ summary }: { summary?: ReadinessSummary | null }) {
  if (!summary) return <span title="not evaluated yet">-</span>;
  return (
    <span data-testid="readiness-cell" title={`evaluated ${summary.evaluatedAt}, ${summary.findingCount} finding(s)`}>
      <ReadinessStatus value={summary.status} />
      {summary.retestRequired ? <> <Badge color="blue">re-test</Badge></> : null}
    </span>
  );
}

function where(f: Finding): string {
  return [f.serverId, f.waveNumber !== undefined && f.waveNumber !== null ? `wave ${f.waveNumber}` : null,
    f.accountId && f.region ? `${f.accountId} / ${f.region}` : f.accountId].filter(Boolean).join(", ") || "plan";
}

function minutes(value?: number | null): string {
  return value === undefined || value === null ? "not set" : `${value} min`;
}

export function ReadinessPanel({ planId }: { planId: string }) {
  const api = useApi();
  const client = useQueryClient();
  const canEvaluate = useCan("evaluate_recovery_plan");
  const q = useQuery({
    queryKey: ["readiness", planId],
    queryFn: async () => unwrap(await api.GET("/recovery-plans/{planId}/readiness", { params: { path: { planId } } })),
  });
  const evaluate = useMutation({
    mutationFn: async () => unwrap(await api.POST("/recovery-plans/{planId}/evaluate", { params: { path: { planId } } })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ["readiness", planId] });
      void client.invalidateQueries({ queryKey: ["plans"] });
    },
  });
  if (q.isPending) return <Spinner />;
  if (q.isError) return <ApiErrorAlert error={q.error} header="Could not load the plan's readiness" />;
  const { current, history, executions } = q.data;
  return (
    <Container
      data-testid="readiness-panel"
      header={
        <Header variant="h2" description="Would this plan meet its objectives if the region failed now? Evaluated on every change and every 30 minutes."
          actions={canEvaluate && <Button loading={evaluate.isPending} onClick={() => evaluate.mutate()}>Evaluate now</Button>}>
          Readiness
        </Header>
      }>
      <SpaceBetween size="m">
        <ApiErrorAlert error={evaluate.error} header="The plan could not be evaluated" />
        <KeyValuePairs columns={4} items={[
          { label: "Status", value: current ? <span data-testid="readiness-status"><ReadinessStatus value={current.status} /></span> : "not evaluated yet" },
          { label: "Evaluated", value: current ? <><Time iso={current.evaluatedAt} /> ({current.trigger.toLowerCase().replace("_", " ")})</> : "-" },
          { label: "RTO / RPO", value: `${minutes(q.data.rtoMinutes)} / ${minutes(q.data.rpoMinutes)}` },
          { label: "Predicted duration", value: duration(current?.summary.predictedDurationSeconds) },
        ]} />
        {current?.retest.required && (
          <Alert type="info" header={current.retest.reason === "NEVER_DRILLED" ? "Never drilled" : "Re-test required"} data-testid="readiness-retest">
            {current.retest.reason === "NEVER_DRILLED"
              ? "No drill of this plan has completed: its first real recovery would be its first test."
              : <>The plan changed since its last completed drill
                  {current.retest.baselineExecutionId && <> (<Link href={`#/executions/${current.retest.baselineExecutionId}`}>the drill</Link>)</>}:
                <ul>{current.retest.differences.map((d) => <li key={d.kind}>{d.message}{d.items.length ? `: ${d.items.slice(0, 10).join(", ")}${d.items.length > 10 ? ", ..." : ""}` : ""}</li>)}</ul>
                Run a drill to test it again.</>}
          </Alert>
        )}
        {current && (
          <Table
            variant="embedded"
            header={<Header variant="h3" counter={`(${current.findingCount})`}>Findings</Header>}
            ariaLabels={{ tableLabel: "Readiness findings" }}
            wrapLines /* what is wrong and what to do are sentences: wrapped, not cut off at the page's edge */
            items={current.findings}
            empty="No findings"
            columnDefinitions={[
              { id: "severity", header: "Severity", minWidth: 120, cell: (f) => <StatusIndicator type={SEVERITY[f.severity] ?? "info"}>{f.severity}</StatusIndicator> },
              { id: "code", header: "Finding", cell: (f) => f.code },
              { id: "where", header: "Where", maxWidth: 260, cell: (f) => where(f) },
              { id: "message", header: "What", minWidth: 180, cell: (f) => f.message },
              { id: "action", header: "What to do", minWidth: 180, cell: (f) => f.action },
            ]}
          />
        )}
        <ExpandableSection headerText={`History (${history.length})`}>
          <Table
            variant="embedded"
            ariaLabels={{ tableLabel: "Readiness history" }}
            items={history}
            empty="No changes recorded"
            columnDefinitions={[
              { id: "at", header: "When", cell: (h) => <Time iso={h.evaluatedAt} /> },
              { id: "status", header: "Status", cell: (h) => <ReadinessStatus value={h.status} /> },
              { id: "from", header: "Was", cell: (h) => <ReadinessStatus value={h.previousStatus} /> },
              { id: "trigger", header: "Trigger", cell: (h) => h.trigger },
              { id: "findings", header: "Findings", cell: (h) => Object.keys(h.counts).join(", ") || "-" },
              { id: "retest", header: "Re-test", cell: (h) => (h.retestRequired ? "required" : "-") },
            ]}
          />
        </ExpandableSection>
        <ExpandableSection headerText={`Measured recovery time (${executions.length})`}>
          <Table
            variant="embedded"
            ariaLabels={{ tableLabel: "Measured recovery time" }}
            items={executions}
            empty="No ended executions"
            columnDefinitions={[
              { id: "id", header: "Execution", cell: (e) => <Link href={`#/executions/${e.executionId}`}>{e.executionType} {e.status}</Link> },
              { id: "start", header: "Started", cell: (e) => <Time iso={e.startTime} /> },
              { id: "rto", header: "Measured RTO", cell: (e) => duration(e.measuredRtoSeconds) },
              { id: "paused", header: "Paused", cell: (e) => duration(e.pausedSeconds) },
              { id: "objective", header: "Objective", cell: (e) => minutes(e.rtoMinutes) },
              { id: "met", header: "Met", cell: (e) => (e.rtoMet === null || e.rtoMet === undefined ? "-" : e.rtoMet ? <StatusIndicator type="success">yes</StatusIndicator> : <StatusIndicator type="error">no</StatusIndicator>) },
            ]}
          />
        </ExpandableSection>
      </SpaceBetween>
    </Container>
  );
}
