import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
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
import { ApiError, unwrap } from "../api/client";
import type { DryRun, Plan, PlanLint, Started } from "../api/types";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { EmptyState, NoMatch, counter, emptyOrFailed } from "../components/ListState";
import { useGroups, usePlans } from "../api/lists";
import { ReadinessBadge, ReadinessPanel } from "../components/Readiness";
import { PAGING_LABELS, Status, Time, describeServer, duration } from "../components/Status";
import { Timeline } from "../components/Timeline";
import { WaveEditor } from "../components/WaveEditor";
import { WaveGraph } from "../components/WaveGraph";
import { addWave, draftsOf, localProblems, placeProblems, toInput, type WaveDraft } from "../components/waves";
import { navigate, useApi } from "../context";
import { useCan } from "../permissions";

const PAGE = 20;

export function PlansList() {
  const [filter, setFilter] = useState("");
  const [page, setPage] = useState(1);
  const canCreate = useCan("create_recovery_plan");
  const q = usePlans();
  const items = (q.data?.recoveryPlans ?? []).filter((p) => p.planName.toLowerCase().includes(filter.toLowerCase()));
  return (
    <SpaceBetween size="m">
      <ApiErrorAlert error={q.error} header="Could not list the recovery plans" />
      <Table
        header={<Header variant="h1" counter={counter(q.data?.count, q.data?.more)}
          actions={canCreate && <Button variant="primary" href="#/plans/new">Create plan</Button>}>Recovery plans</Header>}
        loading={q.isPending}
        loadingText="Loading plans"
        items={items.slice((page - 1) * PAGE, page * PAGE)}
        trackBy="planId"
        wrapLines
        empty={emptyOrFailed(q.data ? null : q.error, "the recovery plans", filter
          ? <NoMatch what="plans" onClear={() => { setFilter(""); setPage(1); }} />
          : <EmptyState title="No recovery plans" action={canCreate && <Button href="#/plans/new">Create plan</Button>}>
            A recovery plan launches protection groups in waves, for a drill or a recovery.{" "}
            {canCreate ? "Create one from your protection groups." : "A plan manager creates them."}
          </EmptyState>)}
        filter={<TextFilter filteringText={filter} filteringPlaceholder="Find plans" filteringAriaLabel="Find plans" filteringClearAriaLabel="Clear the filter" onChange={(e) => { setFilter(e.detail.filteringText); setPage(1); }} />}
        pagination={<Pagination ariaLabels={PAGING_LABELS} currentPageIndex={page} pagesCount={Math.max(1, Math.ceil(items.length / PAGE))} onChange={(e) => setPage(e.detail.currentPageIndex)} />}
        columnDefinitions={[
          { id: "name", header: "Name", minWidth: 160, cell: (p) => <Link href={`#/plans/${p.planId}`}>{p.planName}</Link> },
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
            {w.message ?? ""} {(w.servers ?? []).map(describeServer).join("; ")}
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

type Finding = { code: string; message: string; wave?: number | null; serverIds?: string[] | null; severity: "error" | "warning" };

function PlanWaves({ plan, findings }: { plan: Plan; findings: Finding[] }) {
  const groups = useGroups();
  const names = new Map((groups.data?.groups ?? []).map((g) => [g.groupId, g.groupName]));
  const at = (n: number) => findings.filter((f) => f.wave === n);
  return (
    <SpaceBetween size="l">
      <Container header={<Header variant="h2" description="The order the engine runs the waves in, from the API">Effective order</Header>}>
        <SpaceBetween size="s">
          <WaveGraph order={plan.effectiveOrder} waves={plan.waves} />
          <ol data-testid="effective-order">
            {plan.effectiveOrder.map((s) => (
              <li key={s.step}>
                Step {s.step}: wave{s.waves.length > 1 ? "s" : ""} {s.waves.join(", ")}
                {s.runTogether ? " (together)" : ""}
                {Object.entries(s.waitsFor).filter(([, deps]) => (deps as number[]).length).map(([w, deps]) => ` - wave ${w} waits for ${(deps as number[]).join(", ")}`)}
              </li>
            ))}
          </ol>
        </SpaceBetween>
      </Container>
      <Table
        header={<Header variant="h2">Waves</Header>}
        wrapLines
        items={plan.waves}
        trackBy="waveNumber"
        empty="No waves: edit the waves to add one"
        columnDefinitions={[
          { id: "n", header: "#", cell: (w) => w.waveNumber },
          { id: "name", header: "Name", cell: (w) => w.waveName },
          { id: "groups", header: "Protection groups", cell: (w) => w.protectionGroupIds.map((id) => <div key={id}><Link href={`#/groups/${id}`}>{names.get(id) ?? id}</Link></div>) },
          { id: "servers", header: "Servers", cell: (w) => w.serverCount },
          { id: "deps", header: "Depends on", cell: (w) => (w.independent ? "independent" : w.dependsOnWaves.join(", ") || "-") },
          { id: "pause", header: "Pause before", cell: (w) => (w.pauseBeforeWave ? "yes" : "no") },
          { id: "fail", header: "On server failure", cell: (w) => w.onServerFailure },
          { id: "problems", header: "Problems", cell: (w) => at(w.waveNumber).map((f, i) => (
            <Box key={i} color={f.severity === "warning" ? "text-status-warning" : "text-status-error"} fontSize="body-s"><span data-testid="wave-finding">{f.code}: {f.message}</span></Box>
          )) },
        ]}
      />
    </SpaceBetween>
  );
}

/** The wave editor over a plan's waves; without a plan, a new plan's name, description and waves. */
export function WavesEditing({ plan, onDone }: { plan?: Plan; onDone: () => void }) {
  const api = useApi();
  const qc = useQueryClient();
  const [drafts, setDrafts] = useState<WaveDraft[]>(() => (plan ? draftsOf(plan.waves) : addWave([])));
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const groups = useGroups();
  const save = useMutation({
    mutationFn: async () => (plan
      ? unwrap(await api.PUT("/recovery-plans/{planId}", { params: { path: { planId: plan.planId } }, body: { waves: toInput(drafts), version: plan.version } }))
      : unwrap(await api.POST("/recovery-plans", { body: { planName: name.trim(), description, waves: toInput(drafts) } }))),
    onSuccess: (saved) => {
      qc.setQueryData(["plan", saved.planId], saved);
      void qc.invalidateQueries({ queryKey: ["plans"] });
      if (plan) onDone(); else navigate(`/plans/${saved.planId}`);
    },
  });
  const local = localProblems(drafts);
  const err = save.error instanceof ApiError ? save.error : null;
  const fromApi = err ? placeProblems(err.details, err.code) : [];
  const nameError = fromApi.filter((p) => p.wave === null && p.field === "planName").map((p) => p.message).join("; ");
  return (
    <Container header={<Header variant={plan ? "h2" : "h1"} description="Saving checks every problem at once and shows each at its wave"
      actions={<SpaceBetween direction="horizontal" size="xs">
        <Button variant="link" onClick={onDone}>Cancel</Button>
        <Button variant="primary" loading={save.isPending} disabled={local.length > 0 || (!plan && !name.trim())} onClick={() => save.mutate()}>
          {plan ? "Save waves" : "Create plan"}</Button>
      </SpaceBetween>}>{plan ? "Edit waves" : "Create a recovery plan"}</Header>}>
      <SpaceBetween size="m">
        {!plan && <>
          <FormField label="Name" errorText={nameError || undefined}><Input value={name} ariaLabel="Plan name" onChange={(e) => setName(e.detail.value)} /></FormField>
          <FormField label="Description" constraintText="optional"><Input value={description} ariaLabel="Plan description" onChange={(e) => setDescription(e.detail.value)} /></FormField>
        </>}
        <ApiErrorAlert error={groups.error} header="Could not list the protection groups" />
        <ApiErrorAlert error={save.error} header={plan ? "The waves were not saved" : "The plan was not created"} />
        <WaveEditor waves={drafts} onChange={setDrafts} problems={[...local, ...fromApi.filter((p) => p.field !== "planName")]}
          groups={(groups.data?.groups ?? []).map((g) => ({ groupId: g.groupId, groupName: g.groupName, serverCount: g.serverCount }))} />
      </SpaceBetween>
    </Container>
  );
}

function LintResult({ lint }: { lint: PlanLint }) {
  const planWide = [...lint.errors.map((f) => ({ ...f, type: "error" as const })), ...lint.warnings.map((f) => ({ ...f, type: "warning" as const }))]
    .filter((f) => f.wave === null || f.wave === undefined);
  return (
    <Container header={<Header variant="h2" description="Every problem at once; a wave's problems are shown at that wave"
      actions={<span data-testid="lint-valid"><Status value={lint.valid ? "OK" : "FAILED"} /></span>}>Validation</Header>}>
      <SpaceBetween size="s">
        <Box>{lint.errors.length} errors, {lint.warnings.length} warnings; {lint.summary.waves} waves, {lint.summary.groups} groups, {lint.summary.servers} servers
          {lint.capacity ? <> · capacity after the plan: <Status value={lint.capacity.status} /></> : null}</Box>
        {planWide.map((f, i) => <Alert key={i} type={f.type} header={f.code}>{f.message}{f.serverIds?.length ? ` (${f.serverIds.join(", ")})` : ""}</Alert>)}
      </SpaceBetween>
    </Container>
  );
}

export function PlanDetail({ planId }: { planId: string }) {
  const api = useApi();
  const canStart = useCan("execute_plan");
  const canEdit = useCan("update_recovery_plan");
  const [editing, setEditing] = useState(false);
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
  const validate = useMutation({
    mutationFn: async () => unwrap(await api.POST("/recovery-plans/{planId}/validate", { params: { path: { planId } } })),
  });
  const runs = useQuery({
    queryKey: ["executions", { planId }],
    queryFn: async () => unwrap(await api.GET("/executions", { params: { query: { planId, limit: 5 } } })),
  });
  if (q.isPending) return <Spinner size="large" />;
  if (q.isError) return <ApiErrorAlert error={q.error} header="Could not load the plan" />;
  const plan = q.data;
  const last = runs.data?.items[0];
  const findings: Finding[] = validate.data ? [
    ...validate.data.errors.map((f) => ({ ...f, severity: "error" as const })),
    ...validate.data.warnings.map((f) => ({ ...f, severity: "warning" as const })),
  ] : [];
  const dry = run.data && "dryRun" in run.data && run.data.dryRun ? (run.data as DryRun) : null;
  return (
    <SpaceBetween size="l">
      <Header variant="h1" description={plan.description || undefined}
        actions={(
          <SpaceBetween direction="horizontal" size="xs">
            {canEdit && !editing && <Button onClick={() => setEditing(true)}>Edit waves</Button>}
            <Button loading={validate.isPending} onClick={() => validate.mutate()}>Validate</Button>
            {canStart && <>
            <Button loading={run.isPending && run.variables?.dryRun} onClick={() => run.mutate({ executionType: "DRILL", dryRun: true })}>Dry run</Button>
            <Button variant="primary" onClick={() => run.mutate({ executionType: "DRILL", dryRun: false })}>Start drill</Button>
            <Button onClick={() => { setTyped(""); setConfirming(true); }}>Start recovery</Button>
            </>}
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
      <ApiErrorAlert error={validate.error} header="The plan could not be validated" />
      {validate.data && <LintResult lint={validate.data} />}
      {dry && <DryRunResult run={dry} />}
      <ReadinessPanel planId={planId} />
      {editing ? <WavesEditing plan={plan} onDone={() => { setEditing(false); validate.reset(); }} /> : <PlanWaves plan={plan} findings={findings} />}
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
