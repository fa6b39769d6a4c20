import { useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import Link from "@cloudscape-design/components/link";
import Modal from "@cloudscape-design/components/modal";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import Table from "@cloudscape-design/components/table";
import TextFilter from "@cloudscape-design/components/text-filter";
import Pagination from "@cloudscape-design/components/pagination";
import { unwrap } from "../api/client";
import type { DryRun, Plan, Started } from "../api/types";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { ReadinessBadge, ReadinessPanel } from "../components/Readiness";
import { PAGING_LABELS, Status, Time, duration } from "../components/Status";
import { Timeline } from "../components/Timeline";
import { navigate, useApi } from "../context";
import { useCan } from "../permissions";

const PAGE = 20;

export function PlansList() {
  const api = useApi();
  const [filter, setFilter] = useState("");
  const [page, setPage] = useState(1);
  const q = useQuery({
    queryKey: ["plans"],
    queryFn: async () => unwrap(await api.GET("/recovery-plans", { params: { query: { limit: 100 } } })),
  });
  const items = (q.data?.recoveryPlans ?? []).filter((p) => p.planName.toLowerCase().includes(filter.toLowerCase()));
  return (
    <SpaceBetween size="m">
      <ApiErrorAlert error={q.error} header="Could not list the recovery plans" />
      <Table
        header={<Header variant="h1" counter={q.data ? `(${q.data.count})` : undefined}>Recovery plans</Header>}
        loading={q.isPending}
        loadingText="Loading plans"
        items={items.slice((page - 1) * PAGE, page * PAGE)}
        trackBy="planId"
        empty="No recovery plans"
        filter={<TextFilter filteringText={filter} filteringPlaceholder="Find plans" onChange={(e) => { setFilter(e.detail.filteringText); setPage(1); }} />}
        pagination={<Pagination ariaLabels={PAGING_LABELS} currentPageIndex={page} pagesCount={Math.max(1, Math.ceil(items.length / PAGE))} onChange={(e) => setPage(e.detail.currentPageIndex)} />}
        columnDefinitions={[
          { id: "name", header: "Name", cell: (p) => <Link href={`#/plans/${p.planId}`}>{p.planName}</Link> },
          { id: "waves", header: "Waves", cell: (p) => p.waveCount },
          { id: "servers", header: "Servers", cell: (p) => p.totalServers },
          { id: "readiness", header: "Readiness", cell: (p) => <ReadinessBadge summary={p.readiness} /> },
          { id: "last", header: "Last execution", cell: (p) => p.lastExecutionId ? <Link href={`#/executions/${p.lastExecutionId}`}><Status value={p.lastExecutionStatus} /></Link> : "-" },
          { id: "lastStart", header: "Last started", cell: (p) => <Time iso={p.lastStartTime} /> },
          { id: "conflict", header: "Conflict", cell: (p) => (p.hasServerConflict ? <Status value="WARNING" /> : "-") },
          { id: "modified", header: "Modified", cell: (p) => <Time iso={p.lastModifiedDate} /> },
        ]}
      />
    </SpaceBetween>
  );
}

function DryRunResult({ run }: { run: DryRun }) {
  const bars = run.waves.map((w) => ({
    key: String(w.waveNumber), label: `Wave ${w.waveNumber} ${w.waveName}`, status: w.queued ? "QUEUED" : "PENDING",
    start: w.predictedStartSeconds ?? null, end: w.predictedEndSeconds ?? null, pausedBefore: w.pauseBeforeWave,
  }));
  return (
    <Container header={<Header variant="h2" description={run.wouldStart ? "Nothing was started." : "This run would be refused."}>Dry run: {run.executionType}</Header>}>
      <SpaceBetween size="m">
        <KeyValuePairs columns={4} items={[
          { label: "Would start", value: <span data-testid="dry-run-would-start">{run.wouldStart ? "yes" : "no"}</span> },
          { label: "Waves / servers", value: `${run.waveCount} / ${run.serverCount}` },
          { label: "Predicted duration", value: <span data-testid="dry-run-duration">{duration(run.predictedDurationSeconds)}</span> },
          { label: "Pauses (not timed)", value: run.pausesNotTimed.length ? `before wave ${run.pausesNotTimed.join(", ")}` : "none" },
        ]} />
        {run.errors.map((e, i) => <Alert key={`e${i}`} type="error" header={e.code}>{e.message}{e.wave ? ` (wave ${e.wave})` : ""}</Alert>)}
        {run.warnings.map((w, i) => (
          <Alert key={`w${i}`} type="warning" header={w.code}>
            {w.message ?? ""} {(w.servers ?? []).map((s) => (typeof s === "object" && s ? Object.values(s as Record<string, unknown>).join(" ") : String(s))).join("; ")}
          </Alert>
        ))}
        <Timeline bars={bars} span={run.predictedDurationSeconds} />
        <Table
          variant="embedded"
          ariaLabels={{ tableLabel: "Predicted jobs" }}
          items={run.waves.flatMap((w) => w.jobs.map((j) => ({ ...j, wave: w.waveNumber })))}
          trackBy="jobKey"
          columnDefinitions={[
            { id: "wave", header: "Wave", cell: (j) => j.wave },
            { id: "job", header: "Job", cell: (j) => j.jobKey },
            { id: "where", header: "Account / region", cell: (j) => `${j.accountId} / ${j.region}` },
            { id: "servers", header: "Servers", cell: (j) => j.serverCount },
            { id: "start", header: "Predicted start", cell: (j) => duration(j.predictedStartSeconds) },
            { id: "end", header: "Predicted end", cell: (j) => duration(j.predictedEndSeconds) },
            { id: "queued", header: "Queued", cell: (j) => duration(j.queuedSeconds) },
          ]}
        />
      </SpaceBetween>
    </Container>
  );
}

function PlanWaves({ plan }: { plan: Plan }) {
  return (
    <SpaceBetween size="l">
      <Container header={<Header variant="h2" description="The order the engine runs the waves in">Effective order</Header>}>
        <ol data-testid="effective-order">
          {plan.effectiveOrder.map((s) => (
            <li key={s.step}>
              Step {s.step}: wave{s.waves.length > 1 ? "s" : ""} {s.waves.join(", ")}
              {s.runTogether ? " (together)" : ""}
              {Object.entries(s.waitsFor).filter(([, deps]) => (deps as number[]).length).map(([w, deps]) => ` - wave ${w} waits for ${(deps as number[]).join(", ")}`)}
            </li>
          ))}
        </ol>
      </Container>
      <Table
        header={<Header variant="h2">Waves</Header>}
        items={plan.waves}
        trackBy="waveNumber"
        columnDefinitions={[
          { id: "n", header: "#", cell: (w) => w.waveNumber },
          { id: "name", header: "Name", cell: (w) => w.waveName },
          { id: "groups", header: "Protection groups", cell: (w) => w.protectionGroupIds.join(", ") },
          { id: "servers", header: "Servers", cell: (w) => w.serverCount },
          { id: "deps", header: "Depends on", cell: (w) => w.dependsOnWaves.join(", ") || "-" },
          { id: "pause", header: "Pause before", cell: (w) => (w.pauseBeforeWave ? "yes" : "no") },
          { id: "fail", header: "On server failure", cell: (w) => w.onServerFailure },
        ]}
      />
    </SpaceBetween>
  );
}

export function PlanDetail({ planId }: { planId: string }) {
  const api = useApi();
  const canStart = useCan("execute_plan");
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState("");
  const q = useQuery({
    queryKey: ["plan", planId],
    queryFn: async () => unwrap(await api.GET("/recovery-plans/{planId}", { params: { path: { planId } } })),
  });
  const run = useMutation({
    mutationFn: async (v: { executionType: "DRILL" | "RECOVERY"; dryRun: boolean }) =>
      unwrap(await api.POST("/recovery-plans/{planId}/execute", { params: { path: { planId } }, body: v })),
    onSuccess: (out) => {
      if (!("dryRun" in out && out.dryRun)) navigate(`/executions/${(out as Started).executionId}`);
    },
  });
  const runs = useQuery({
    queryKey: ["executions", { planId }],
    queryFn: async () => unwrap(await api.GET("/executions", { params: { query: { planId, limit: 5 } } })),
  });
  if (q.isPending) return <Spinner size="large" />;
  if (q.isError) return <ApiErrorAlert error={q.error} header="Could not load the plan" />;
  const plan = q.data;
  const last = runs.data?.items[0];
  const dry = run.data && "dryRun" in run.data && run.data.dryRun ? (run.data as DryRun) : null;
  return (
    <SpaceBetween size="l">
      <Header variant="h1" description={plan.description || undefined}
        actions={canStart && (
          <SpaceBetween direction="horizontal" size="xs">
            <Button loading={run.isPending && run.variables?.dryRun} onClick={() => run.mutate({ executionType: "DRILL", dryRun: true })}>Dry run</Button>
            <Button variant="primary" onClick={() => run.mutate({ executionType: "DRILL", dryRun: false })}>Start drill</Button>
            <Button onClick={() => { setTyped(""); setConfirming(true); }}>Start recovery</Button>
          </SpaceBetween>
        )}>
        {plan.planName}
      </Header>
      <ApiErrorAlert error={run.error} header="The plan could not be run" />
      <Container header={<Header variant="h2">Overview</Header>}>
        <KeyValuePairs columns={4} items={[
          { label: "Waves / servers", value: `${plan.waveCount} / ${plan.totalServers}` },
          { label: "Version", value: plan.version },
          { label: "Last execution", value: last ? <Link href={`#/executions/${last.executionId}`}>{last.executionType} <Status value={last.status} /></Link> : runs.isPending ? <Spinner /> : "never run" },
          { label: "Modified", value: <Time iso={plan.lastModifiedDate} /> },
        ]} />
      </Container>
      {dry && <DryRunResult run={dry} />}
      <ReadinessPanel planId={planId} />
      <PlanWaves plan={plan} />
      <Modal closeAriaLabel="Close" visible={confirming} onDismiss={() => setConfirming(false)} header="Start a recovery"
        footer={<Box float="right"><SpaceBetween direction="horizontal" size="xs">
          <Button variant="link" onClick={() => setConfirming(false)}>Cancel</Button>
          <Button variant="primary" disabled={typed !== plan.planName}
            onClick={() => { setConfirming(false); run.mutate({ executionType: "RECOVERY", dryRun: false }); }}>Start recovery</Button>
        </SpaceBetween></Box>}>
        <SpaceBetween size="m">
          <Alert type="warning">A recovery launches the production recovery instances of every server of this plan.</Alert>
          <FormField label={<>Type the plan name <b>{plan.planName}</b> to confirm</>}>
            <Input value={typed} onChange={(e) => setTyped(e.detail.value)} ariaLabel="Plan name" />
          </FormField>
        </SpaceBetween>
      </Modal>
    </SpaceBetween>
  );
}
