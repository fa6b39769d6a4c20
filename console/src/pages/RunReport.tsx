import { useQuery } from "@tanstack/react-query";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Header from "@cloudscape-design/components/header";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import Link from "@cloudscape-design/components/link";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import { unwrap } from "../api/client";
import { everyPage } from "../api/lists";
import type { ExecutionDetails, PagedServer, ServerView } from "../api/types";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { Status, Time, duration, jobLabel, launchedEver } from "../components/Status";
import { Timeline } from "../components/Timeline";
import { useApi } from "../context";
import { timelineOf } from "./ExecutionDetail";

const PRINT_CSS = `@media print { .no-print { display: none !important; } body { background: #fff; } .report table { page-break-inside: auto; } }
.report table { border-collapse: collapse; width: 100%; margin: 4px 0 12px; }
.report th, .report td { border: 1px solid #d1d5db; padding: 4px 8px; text-align: left; font-size: 13px; vertical-align: top; }
.report th { background: #f4f4f4; }`;

export interface Failure { wave: number; server: string; reason: string }

function failure(wave: number, s: ServerView | PagedServer): Failure {
  return { wave, server: `${s.hostname ?? s.sourceServerId} (${s.sourceServerId})`, reason: s.failureReason ?? s.status };
}

/** Every failed server of an execution with the reason the job log gave: those of `listed` (the
 * FAILED ones of the paged listing, when the details hold only some of the servers of a large run),
 * and those of its details. */
export function failuresOf(ex: ExecutionDetails, listed: PagedServer[] = []): Failure[] {
  const listedIds = new Set(listed.map((s) => s.sourceServerId));
  const shown = ex.waves.flatMap((w) => (w.servers as ServerView[])
    .filter((s) => (s.status === "FAILED" || s.failureReason) && !listedIds.has(s.sourceServerId))
    .map((s) => failure(w.waveNumber, s)));
  return [...listed.map((s) => failure(s.waveNumber, s)), ...shown]
    .sort((a, b) => a.wave - b.wave || a.server.localeCompare(b.server));
}

/** A large run's details hold only some of its servers: its failed ones are read from the listing,
 * page after page. */
export function needsFailureListing(ex: ExecutionDetails | undefined): boolean {
  return !!ex && ex.serversIncluded < ex.serversTotal && (ex.serverCounts.failed ?? 0) > 0;
}

export function waveSeconds(startedAt?: string | null, endedAt?: string | null): number | null {
  return startedAt && endedAt ? Math.max(0, (Date.parse(endedAt) - Date.parse(startedAt)) / 1000) : null;
}

/** What an auditor asks for after a drill: the run on one printable page. */
export function RunReport({ executionId }: { executionId: string }) {
  const api = useApi();
  const q = useQuery({
    queryKey: ["execution", executionId],
    queryFn: async () => unwrap(await api.GET("/executions/{executionId}", { params: { path: { executionId } } })),
  });
  const failed = useQuery({
    queryKey: ["execution-failed", executionId],
    enabled: needsFailureListing(q.data),
    queryFn: async () => (await everyPage(async (nextToken) => {
      const page = unwrap(await api.GET("/executions/{executionId}/servers", {
        params: { path: { executionId }, query: { status: "FAILED", limit: 1000, nextToken } } }));
      return { items: page.servers, nextToken: page.nextToken };
    })).items,
  });
  if (q.isPending) return <Spinner size="large" />;
  if (q.isError) return <ApiErrorAlert error={q.error} header="Could not load the execution" />;
  const ex = q.data;
  const tl = timelineOf(ex, Date.now());
  const listing = needsFailureListing(ex);
  const failures = failuresOf(ex, failed.data ?? []);
  const t = ex.termination;
  return (
    <main className="report" style={{ maxWidth: 1100, margin: "0 auto", padding: 24 }}>
      <style>{PRINT_CSS}</style>
      <SpaceBetween size="l">
        <div className="no-print">
          <SpaceBetween direction="horizontal" size="xs">
            <Link href={`#/executions/${ex.executionId}`}>Back to the execution</Link>
            <Button iconName="file" onClick={() => window.print()}>Print</Button>
          </SpaceBetween>
        </div>
        <Header variant="h1" description={`Generated ${new Date().toISOString()} (UTC)`}>
          Run report: {ex.executionType} of {ex.planName ?? ex.planId}
        </Header>
        <KeyValuePairs columns={4} items={[
          { label: "Outcome", value: <span data-testid="report-status"><Status value={ex.status} /></span> },
          { label: "Execution id", value: ex.executionId },
          { label: "Plan (version)", value: `${ex.planName ?? ex.planId} (${ex.planVersion ?? "-"})` },
          { label: "Started by", value: ex.startedBy ?? ex.initiatedBy ?? "-" },
          { label: "Started", value: <Time iso={ex.startTime} /> },
          { label: "Ended", value: <Time iso={ex.endTime} /> },
          { label: "Duration", value: duration(ex.timings.elapsedSeconds) },
          { label: "Paused for", value: duration(ex.timings.pausedSeconds) },
          { label: "Account / region", value: `${ex.accountId} / ${ex.region}` },
          { label: "Servers", value: `${launchedEver(ex.serverCounts)} launched, ${ex.serverCounts.failed ?? 0} failed of ${ex.serverCount}${ex.serverCounts.terminated ? ` (${ex.serverCounts.terminated} terminated since)` : ""}` },
        ]} />
        <section aria-label="Timeline">
          <Box variant="h2">Timeline</Box>
          <Timeline bars={tl.bars} span={tl.span} />
        </section>
        <section aria-label="Waves">
          <Box variant="h2">Waves</Box>
          <table data-testid="report-waves">
            <thead><tr><th>Wave</th><th>Status</th><th>Started</th><th>Ended</th><th>Duration</th><th>Servers launched / failed</th><th>Jobs</th></tr></thead>
            <tbody>{ex.waves.map((w) => (
              <tr key={w.waveNumber}>
                <td>{w.waveNumber} {w.waveName}{w.pauseBeforeWave ? " (paused before)" : ""}</td>
                <td>{w.status}</td>
                <td><Time iso={w.startedAt} /></td>
                <td><Time iso={w.endedAt} /></td>
                <td>{duration(waveSeconds(w.startedAt, w.endedAt))}</td>
                <td>{launchedEver(w.serverCounts)} / {w.serverCounts.failed ?? 0} of {w.serverCount}</td>
                <td>{w.jobs.map(jobLabel).join(", ") || "-"}</td>
              </tr>
            ))}</tbody>
          </table>
        </section>
        <section aria-label="Failures">
          <Box variant="h2">Failures</Box>
          {listing && <ApiErrorAlert error={failed.error} header="Could not read the failed servers" />}
          {listing && failed.isPending ? <Spinner /> : failures.length ? (
            <table><thead><tr><th>Wave</th><th>Server</th><th>Reason</th></tr></thead>
              <tbody>{failures.map((f, i) => <tr key={i}><td>{f.wave}</td><td>{f.server}</td><td>{f.reason}</td></tr>)}</tbody></table>
          ) : <Box data-testid="report-no-failures">No server failed.</Box>}
          {ex.errorMessage && <Box color="text-status-error">{ex.errorCode}: {ex.errorMessage}</Box>}
        </section>
        <section aria-label="Clean-up">
          <Box variant="h2">Clean-up</Box>
          {t ? (
            <KeyValuePairs columns={4} items={[
              { label: "Termination", value: <span data-testid="report-cleanup"><Status value={t.status} /></span> },
              { label: "Verified", value: t.verifiedAt ? <Time iso={t.verifiedAt} /> : "not verified" },
              { label: "Terminated", value: `${t.terminatedCount ?? 0} of ${t.requestedCount}` },
              { label: "Still running", value: (t.stillRunning ?? []).join(", ") || "none" },
            ]} />
          ) : <Box data-testid="report-cleanup">{ex.executionType === "DRILL" ? "The drill instances were not terminated." : "No clean-up requested."}</Box>}
        </section>
        <section aria-label="Status history">
          <Box variant="h2">Status history</Box>
          <table><thead><tr><th>Time</th><th>Status</th><th>Reason</th></tr></thead>
            <tbody>{(ex.statusHistory ?? []).map((h, i) => <tr key={i}><td><Time iso={h.at} /></td><td>{h.status}</td><td>{h.reason ?? ""}</td></tr>)}</tbody></table>
        </section>
      </SpaceBetween>
    </main>
  );
}
