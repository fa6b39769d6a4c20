import { useEffect, useRef, useState } from "react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import ExpandableSection from "@cloudscape-design/components/expandable-section";
import Header from "@cloudscape-design/components/header";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import Pagination from "@cloudscape-design/components/pagination";
import ProgressBar from "@cloudscape-design/components/progress-bar";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import Table from "@cloudscape-design/components/table";
import Alert from "@cloudscape-design/components/alert";
import { unwrap } from "../api/client";
import type { ExecutionDetails, ServerView, WaveDetails } from "../api/types";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { JobLogs } from "../components/JobLogs";
import { ACTIVE, PAGING_LABELS, Status, Time, describeServer, duration, jobLabel } from "../components/Status";
import { Timeline, type TimelineBar } from "../components/Timeline";
import { useApi } from "../context";
import { useCan } from "../permissions";

export const POLL_MS = 2000;

function secondsFrom(origin: number, iso?: string | null): number | null {
  return iso ? Math.max(0, (Date.parse(iso) - origin) / 1000) : null;
}

export function timelineOf(ex: ExecutionDetails, now: number): { bars: TimelineBar[]; span: number } {
  const origin = Date.parse(ex.startTime);
  const end = ex.endTime ? Date.parse(ex.endTime) : now;
  const bars = ex.waves.map((w: WaveDetails) => ({
    key: String(w.waveNumber),
    label: `Wave ${w.waveNumber} ${w.waveName}`,
    status: w.status,
    start: secondsFrom(origin, w.startedAt),
    end: secondsFrom(origin, w.endedAt),
    pausedBefore: w.pauseBeforeWave,
    waitingForResume: ex.status === "PAUSED" && ex.pausedBeforeWaves.includes(w.waveNumber),
    marks: (w.servers as ServerView[])
      .map((s) => ({ at: secondsFrom(origin, s.statusHistory?.["LAUNCHED"] as string | undefined), label: `${s.hostname ?? s.sourceServerId} launched` }))
      .filter((m): m is { at: number; label: string } => m.at !== null),
  }));
  return { bars, span: Math.max(1, (end - origin) / 1000) };
}

const ENDED_WAVES = new Set(["COMPLETED", "PARTIAL", "FAILED", "TIMEOUT", "CANCELLED", "SKIPPED"]);

/** A server's status as shown: one still PENDING in a wave that has ended (cancelled, skipped, or
 * stopped by a failure before its job started) will not launch in this run: NOT_LAUNCHED, not a
 * PENDING that reads as "about to launch". */
export function serverStatus(status: string, waveEnded: boolean): string {
  return waveEnded && status === "PENDING" ? "NOT_LAUNCHED" : status;
}

export const SERVER_PAGE = 50;

const NOT_STARTED = new Set(["QUEUED", "NOT_STARTED"]);

/** A job in its wave's header: its DRS job id and state; one not started yet says where it will run
 * ("not started" already says QUEUED or NOT_STARTED), or why it waits (DRS capacity; the reason
 * names the account and region). */
export function jobLine(j: WaveDetails["jobs"][number]): string {
  if (!j.jobId && j.waitingFor) return `not started: ${[j.waitingFor, j.lastError].filter(Boolean).join("; ")}`;
  const state = j.jobId || !NOT_STARTED.has(j.status) ? j.status : null;
  const detail = [state, j.lastError].filter(Boolean).join(": ");
  return detail ? `${jobLabel(j)} (${detail})` : jobLabel(j);
}

/** A wave's servers. The failure reason comes right after the status and wraps, so it is in view
 * at 1280 px with the navigation open (the server and instance columns keep a host name and an
 * instance id on one line); a server's job id is a column only when the wave has more than
 * one job (the header above the table names a wave's one job). When the
 * execution's details held only some of the wave's servers (a large execution), the wave's own
 * servers are read a page at a time from `/executions/{id}/servers?wave=N`. While the wave is under
 * way its page is read again each time the execution has been (`refreshedAt`), right after it, so
 * the rows follow the counts above by one request instead of running up to a poll ahead of them; a
 * wave whose status changes is read again once more (the page stays on screen meanwhile). */
function ServersTable({ executionId, wave, active, refreshedAt }: {
  executionId: string; wave: WaveDetails; active: boolean; refreshedAt: number;
}) {
  const api = useApi();
  const paged = !!wave.serversTruncated;
  const [tokens, setTokens] = useState<(string | null)[]>([null]); // the token of each page read so far
  const [pageIndex, setPageIndex] = useState(1);
  const token = tokens[pageIndex - 1];
  const q = useQuery({
    queryKey: ["execution-servers", executionId, wave.waveNumber, wave.status, token],
    enabled: paged,
    placeholderData: keepPreviousData,
    queryFn: async () => unwrap(await api.GET("/executions/{executionId}/servers", {
      params: { path: { executionId }, query: { wave: wave.waveNumber, limit: SERVER_PAGE, ...(token ? { nextToken: token } : {}) } },
    })),
  });
  // only a wave under way changes: 40 waves of a large run are not all read again every poll
  const underWay = paged && active && ["QUEUED", "LAUNCHING"].includes(wave.status);
  const { refetch } = q;
  const seen = useRef(refreshedAt);
  useEffect(() => {
    if (refreshedAt === seen.current) return; // the first read is the query's own
    seen.current = refreshedAt;
    if (underWay) void refetch();
  }, [underWay, refreshedAt, refetch]);
  const next = q.data?.nextToken ?? null;
  const servers = (paged ? q.data?.servers ?? [] : wave.servers) as ServerView[];
  const ended = ENDED_WAVES.has(wave.status);
  return (
    <SpaceBetween size="xs">
      {paged && <ApiErrorAlert error={q.error} header={`Could not read the servers of wave ${wave.waveNumber}`} />}
      <Table
        variant="embedded"
        wrapLines
        items={servers}
        loading={paged && q.isPending}
        loadingText="Loading servers"
        trackBy="sourceServerId"
        empty="No servers"
        ariaLabels={{ tableLabel: `Servers of wave ${wave.waveNumber}` }}
        header={paged ? <Box fontSize="body-s" color="text-body-secondary">{`${wave.serverCount} servers, ${SERVER_PAGE} a page`}</Box> : undefined}
        pagination={paged ? <Pagination ariaLabels={PAGING_LABELS} currentPageIndex={pageIndex} pagesCount={tokens.length}
          openEnd={!!next && pageIndex === tokens.length}
          onChange={(e) => {
            const wanted = e.detail.currentPageIndex;
            if (wanted > tokens.length) {
              if (!next) return;
              setTokens([...tokens, next]);
            }
            setPageIndex(wanted);
          }} /> : undefined}
        columnDefinitions={[
          { id: "server", header: "Server", minWidth: 190, cell: (s) => <>{s.hostname ?? s.name ?? s.sourceServerId}<Box fontSize="body-s" color="text-body-secondary">{s.sourceServerId}</Box></> },
          { id: "status", header: "Status", cell: (s) => <Status value={serverStatus(s.status, ended)} /> },
          { id: "failure", header: "Failure reason", minWidth: 220, cell: (s) => s.failureReason ? <Box color="text-status-error" data-testid="failure-reason">{s.failureReason}</Box> : "-" },
          { id: "instance", header: "Recovery instance", minWidth: 210, cell: (s) => <>{s.ec2InstanceId ?? s.recoveryInstanceId ?? "-"}{s.instanceType && <Box fontSize="body-s" color="text-body-secondary">{s.instanceType}{s.ec2State ? `, ${s.ec2State}` : ""}</Box>}</> },
          { id: "ip", header: "Private IP", cell: (s) => s.privateIp ?? "-" },
          ...(wave.jobs.length > 1 ? [{ id: "job", header: "Job", cell: (s: ServerView) => s.jobId ?? "-" }] : []),
        ]}
      />
    </SpaceBetween>
  );
}

export function ExecutionDetail({ executionId }: { executionId: string }) {
  const api = useApi();
  const qc = useQueryClient();
  const key = ["execution", executionId];
  const q = useQuery({
    queryKey: key,
    queryFn: async () => unwrap(await api.GET("/executions/{executionId}", { params: { path: { executionId } } })),
    refetchInterval: (query) => {
      const d = query.state.data;
      if (!d) return POLL_MS;
      const terminating = d.termination && !["COMPLETED", "VERIFIED", "FAILED"].includes(d.termination.status);
      return ACTIVE.has(d.status) || terminating ? POLL_MS : false;
    },
  });
  const path = { params: { path: { executionId } } };
  const act = useMutation({
    mutationFn: async (what: "pause" | "resume" | "cancel" | "terminate") => {
      switch (what) {
        case "pause": return unwrap(await api.POST("/executions/{executionId}/pause", path));
        case "resume": return unwrap(await api.POST("/executions/{executionId}/resume", path));
        case "cancel": return unwrap(await api.POST("/executions/{executionId}/cancel", path));
        case "terminate": return unwrap(await api.POST("/executions/{executionId}/terminate-instances", path));
      }
    },
    onSettled: () => qc.invalidateQueries({ queryKey: key }),
  });
  const canPause = useCan("pause_execution");
  const canResume = useCan("resume_execution");
  const canCancel = useCan("cancel_execution");
  const canTerminate = useCan("terminate_instances");

  if (q.isPending) return <Spinner size="large" />;
  if (q.isError) return <ApiErrorAlert error={q.error} header="Could not load the execution" />;
  const ex = q.data;
  const active = ACTIVE.has(ex.status);
  const sc = ex.serverCounts;
  const c = { pending: sc.pending ?? 0, launching: sc.launching ?? 0, launched: sc.launched ?? 0, failed: sc.failed ?? 0, terminated: sc.terminated ?? 0 };
  const done = c.launched + c.failed + c.terminated;
  const tl = timelineOf(ex, Date.now());
  return (
    <SpaceBetween size="l">
      <Header
        variant="h1"
        description={<>{ex.executionType} of <a href={`#/plans/${ex.planId}`}>{ex.planName ?? ex.planId}</a></>}
        actions={
          <SpaceBetween direction="horizontal" size="xs">
            {!active && <Button href={`#/executions/${ex.executionId}/report`}>Run report</Button>}
            {canPause && <Button disabled={!active || ex.isPaused || ex.pauseRequested} onClick={() => act.mutate("pause")}>Pause</Button>}
            {canResume && <Button disabled={!ex.isPaused} onClick={() => act.mutate("resume")}>Resume</Button>}
            {canCancel && <Button disabled={!active || ex.cancelRequested} onClick={() => act.mutate("cancel")}>Cancel</Button>}
            {canTerminate && <Button disabled={!ex.canTerminate} onClick={() => act.mutate("terminate")}>Terminate instances</Button>}
          </SpaceBetween>
        }
      >
        Execution <span data-testid="execution-status"><Status value={ex.status} /></span>
      </Header>
      <ApiErrorAlert error={act.error} header="The action was refused" />
      {ex.errorMessage && <Alert type="error" header={ex.errorCode ?? "Execution failed"}>{ex.errorMessage}</Alert>}
      {(ex.warnings ?? []).map((w, i) => (
        <Alert key={i} type="warning" header={w.code}>{[w.message, (w.servers ?? []).map(describeServer).join("; ")].filter(Boolean).join(" ")}</Alert>
      ))}
      <Container header={<Header variant="h2">Overview</Header>}>
        <SpaceBetween size="l">
          <KeyValuePairs columns={4} items={[
            { label: "Execution id", value: ex.executionId },
            { label: "Started", value: <Time iso={ex.startTime} /> },
            { label: "Ended", value: <Time iso={ex.endTime} /> },
            { label: "Elapsed", value: duration(ex.timings.elapsedSeconds) },
            { label: "Paused for", value: duration(ex.timings.pausedSeconds) },
            { label: "Account / region", value: `${ex.accountId} / ${ex.region}` },
          ]} />
          <ProgressBar value={ex.serverCount ? (done / ex.serverCount) * 100 : 0} label="Servers"
            description={`${c.launched} launched, ${c.launching} launching, ${c.pending} ${active ? "pending" : "not launched"}, ${c.failed} failed, ${c.terminated} terminated`}
            status={active ? "in-progress" : ex.status === "COMPLETED" ? "success" : "error"}
            resultText={ex.status} />
        </SpaceBetween>
      </Container>
      {ex.termination && (
        <Container header={<Header variant="h2">Clean-up</Header>}>
          <KeyValuePairs columns={3} items={[
            { label: "Termination", value: <span data-testid="termination-status"><Status value={ex.termination.status} /></span> },
            { label: "Requested", value: <Time iso={ex.termination.requestedAt} /> },
            { label: "Verified", value: <Time iso={ex.termination.verifiedAt} /> },
            { label: "Terminated", value: `${ex.termination.terminatedCount ?? 0} of ${ex.termination.requestedCount}` },
            { label: "Still running", value: (ex.termination.stillRunning ?? []).join(", ") || "none" },
            { label: "Errors", value: ex.termination.errors.length ? JSON.stringify(ex.termination.errors) : "none" },
          ]} />
        </Container>
      )}
      <Container header={<Header variant="h2">Timeline</Header>}>
        <Timeline bars={tl.bars} span={tl.span} />
      </Container>
      {ex.waves.map((w) => (
        <Container key={w.waveNumber}
          header={<Header variant="h2" description={`${w.serverCount} servers, on server failure: ${w.onServerFailure}${w.pauseBeforeWave ? ", pauses before" : ""}${w.dependsOnWaves.length ? `, after wave ${w.dependsOnWaves.join(", ")}` : ""}`}>
            Wave {w.waveNumber}: {w.waveName} <Status value={w.status} />
          </Header>}>
          <SpaceBetween size="s">
            <Box>Jobs: {w.jobs.length ? w.jobs.map(jobLine).join(", ") : "none yet"}</Box>
            <ServersTable executionId={ex.executionId} wave={w} active={ACTIVE.has(ex.status)} refreshedAt={q.dataUpdatedAt} />
          </SpaceBetween>
        </Container>
      ))}
      <JobLogs executionId={ex.executionId} version={`${ex.status}:${ex.lastDecisionAt ?? ""}`} />
      <ExpandableSection headerText="Status history">
        <ul>{(ex.statusHistory ?? []).map((h, i) => <li key={i}><Time iso={h.at} /> {h.status} {h.reason ?? ""}</li>)}</ul>
      </ExpandableSection>
    </SpaceBetween>
  );
}
