import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { at, execution } from "../test/fixtures";
import { renderWithApi } from "../test/render";
import { notStarted } from "../components/Timeline";
import { ExecutionDetail, jobLine, serverStatus, timelineOf } from "./ExecutionDetail";

describe("ExecutionDetail", () => {
  it("shows waves, servers, job ids, instances, IPs and failure reasons; an operator gets the run controls", async () => {
    const { calls } = renderWithApi(<ExecutionDetail executionId="ex-1" />,
      () => ({ status: 200, body: execution("RUNNING") }), ["view_executions", "start_recovery", "stop_recovery"]);
    expect(await screen.findByText("i-0123456789abcdef0")).toBeInTheDocument();
    expect(screen.getByText("172.31.2.21")).toBeInTheDocument();
    expect(screen.getByText("replication is STALLED")).toBeInTheDocument();
    expect(screen.getByText(/drsjob-bbbbbbbbbbbbbbbbb \(POLLING\)/)).toBeInTheDocument();
    expect(screen.getAllByTestId("timeline-bar")).toHaveLength(2);
    expect(screen.getByRole("button", { name: "Pause" })).toBeEnabled();
    expect(screen.getByRole("button", { name: "Cancel" })).toBeEnabled();
    expect(screen.getByRole("button", { name: "Resume" })).toBeDisabled();
    expect(screen.queryByRole("button", { name: "Terminate instances" })).not.toBeInTheDocument();
    expect(calls[0]).toMatchObject({ method: "GET", path: "/executions/ex-1" });
  });

  it("a read-only user sees the execution and no action buttons", async () => {
    renderWithApi(<ExecutionDetail executionId="ex-1" />, () => ({ status: 200, body: execution("RUNNING") }), ["view_executions"]);
    expect(await screen.findByText("db-01.example.internal")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Pause|Resume|Cancel|Terminate/ })).not.toBeInTheDocument();
  });

  it("shows a refused action with the API's error code and message", async () => {
    const { calls } = renderWithApi(<ExecutionDetail executionId="ex-1" />, (method, path) =>
      method === "POST" && path.endsWith("/pause")
        ? { status: 409, body: { error: "INVALID_STATE", message: "execution ex-1 is not running" } }
        : { status: 200, body: execution("RUNNING") },
      ["view_executions", "stop_recovery", "start_recovery"]);
    fireEvent.click(await screen.findByRole("button", { name: "Pause" }));
    expect(await screen.findByText("INVALID_STATE")).toBeInTheDocument();
    expect(screen.getByText(/execution ex-1 is not running/)).toBeInTheDocument();
    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.path === "/executions/ex-1/pause")).toBe(true));
  });

  it("shows a load failure instead of a blank page", async () => {
    renderWithApi(<ExecutionDetail executionId="nope" />,
      () => ({ status: 404, body: { error: "NOT_FOUND", message: "execution nope not found" } }), ["view_executions"]);
    expect(await screen.findByText("NOT_FOUND")).toBeInTheDocument();
  });

  it("a server still PENDING in a wave that ended reads NOT_LAUNCHED, not PENDING", async () => {
    const ex = execution("CANCELLED");
    ex.waves[1] = { ...ex.waves[1], status: "CANCELLED", servers: [{ ...ex.waves[1].servers[0], status: "PENDING", statusHistory: {} }] };
    ex.waves[0] = { ...ex.waves[0], status: "LAUNCHING", servers: [{ ...ex.waves[0].servers[0], status: "PENDING", statusHistory: {} }] };
    renderWithApi(<ExecutionDetail executionId="ex-1" />, () => ({ status: 200, body: ex }), ["view_executions"]);
    const cancelled = await screen.findByRole("table", { name: "Servers of wave 2" });
    expect(within(cancelled).getByText("NOT_LAUNCHED")).toBeInTheDocument();
    expect(within(cancelled).queryByText("PENDING")).not.toBeInTheDocument();
    expect(within(screen.getByRole("table", { name: "Servers of wave 1" })).getByText("PENDING")).toBeInTheDocument();
    expect(serverStatus("FAILED", true)).toBe("FAILED");
    // the counts above say the same of an execution that ended: nothing is pending any more
    expect(screen.getByText(/0 not launched, 1 failed/)).toBeInTheDocument();
    expect(screen.queryByText(/pending,/)).not.toBeInTheDocument();
  });

  it("reads a wave's servers a page at a time when the details held only some of them", async () => {
    const server = (n: number) => ({ sourceServerId: `s-${String(n).padStart(17, "0")}`, hostname: `app-${n}.example.internal`,
      status: "LAUNCHED", accountId: "123456789012", region: "us-east-1", statusHistory: {}, waveNumber: 2 });
    const ex = execution("RUNNING");
    ex.waves[1] = { ...ex.waves[1], serverCount: 120, servers: [], serversTruncated: true };
    const { calls } = renderWithApi(<ExecutionDetail executionId="ex-1" />, (_m, path, _b, query) => {
      if (path !== "/executions/ex-1/servers") return { status: 200, body: ex };
      const start = query.get("nextToken") === "page-2" ? 50 : 0;
      return { status: 200, body: { executionId: "ex-1", total: 120, count: 50,
        servers: Array.from({ length: 50 }, (_, i) => server(start + i + 1)),
        nextToken: start === 0 ? "page-2" : "page-3" } };
    }, ["view_executions"]);
    const table = await screen.findByRole("table", { name: "Servers of wave 2" });
    expect(await within(table).findByText("app-1.example.internal")).toBeInTheDocument();
    expect(within(table).getByText("app-50.example.internal")).toBeInTheDocument();
    const first = calls.find((c) => c.path === "/executions/ex-1/servers");
    expect(first?.query).toContain("wave=2");
    expect(first?.query).toContain("limit=50");
    fireEvent.click(screen.getAllByRole("button", { name: "Next page" }).at(-1)!);
    expect(await within(table).findByText("app-51.example.internal")).toBeInTheDocument();
    expect(calls.some((c) => c.path === "/executions/ex-1/servers" && c.query.includes("nextToken=page-2"))).toBe(true);
    // wave 1 was whole in the details: not read again
    expect(calls.some((c) => c.query.includes("wave=1"))).toBe(false);
  });

  it("reads a wave's page again right after each refresh of the execution while the wave is under way", async () => {
    const ex = execution("RUNNING");
    ex.waves[1] = { ...ex.waves[1], status: "LAUNCHING", serverCount: 120, servers: [], serversTruncated: true };
    let answered = 0; // execution reads answered so far
    const seen: number[] = []; // ... when each read of the wave's page was asked
    renderWithApi(<ExecutionDetail executionId="ex-1" />, async (_m, path) => {
      if (path === "/executions/ex-1/servers") {
        seen.push(answered);
        return { status: 200, body: { executionId: "ex-1", total: 120, count: 0, servers: [], nextToken: null } };
      }
      if (answered > 0) await new Promise((resolve) => setTimeout(resolve, 1500)); // a slow refresh
      answered += 1;
      return { status: 200, body: ex };
    }, ["view_executions"]);
    await waitFor(() => expect(seen).toHaveLength(2), { timeout: 8000 });
    // the page waited for the execution's refresh: its rows never run ahead of the counts above them
    expect(seen).toEqual([1, 2]);
  }, 12000);

  it("names a wave's jobs once: a job not started says where it will run, without QUEUED", () => {
    expect(jobLine({ jobKey: "k", jobId: null, status: "QUEUED", accountId: "123456789012", region: "us-east-1", serverCount: 3 }))
      .toBe("not started (123456789012 / us-east-1)");
    expect(jobLine({ jobKey: "k", jobId: null, status: "NOT_STARTED", accountId: "1", region: "r", serverCount: 3 }))
      .toBe("not started (1 / r)");
    expect(jobLine({ jobKey: "k", jobId: null, status: "ABANDONED", lastError: "StartRecovery refused", accountId: "1", region: "r", serverCount: 3 }))
      .toBe("not started (1 / r) (ABANDONED: StartRecovery refused)");
    expect(jobLine({ jobKey: "k", jobId: "drsjob-1", status: "POLLING", accountId: "1", region: "r", serverCount: 3 })).toBe("drsjob-1 (POLLING)");
    const waiting = "waiting for DRS capacity in 1 / r: 500 of 500 servers are in active jobs; this job needs 100";
    expect(jobLine({ jobKey: "k", jobId: null, status: "QUEUED", waitingFor: waiting, accountId: "1", region: "r", serverCount: 100 }))
      .toBe(`not started: ${waiting}`);
  });

  it("places waves and server launches on the time axis", () => {
    const ex = execution("COMPLETED", { endTime: at(100) });
    const { bars, span } = timelineOf(ex, Date.parse(at(500)));
    expect(span).toBe(100);
    expect(bars.map((b) => [b.start, b.end])).toEqual([[0, 40], [50, null]]);
    expect(bars[0].marks).toEqual([{ at: 30, label: "db-01.example.internal launched" }]);
    expect(bars[1].pausedBefore).toBe(true);
  });

  it("says a wave waits for a resume only while the execution is paused before it", () => {
    const waves = execution("RUNNING").waves.map((w) => ({ ...w, startedAt: null, endedAt: null }));
    const paused = timelineOf(execution("PAUSED", { waves, pausedBeforeWaves: [2] }), Date.parse(at(60))).bars;
    expect(paused.map(notStarted)).toEqual(["not started", "waits for a resume (pause before this wave)"]);
    const failed = timelineOf(execution("FAILED", { endTime: at(60), waves: waves.map((w) => ({ ...w, status: "CANCELLED" })),
      pausedBeforeWaves: [2] }), Date.parse(at(60))).bars;
    expect(failed.map(notStarted)).toEqual(["cancelled: not started", "cancelled: not started"]);
    const unprepared = timelineOf(execution("FAILED", { endTime: at(60), waves: waves.map((w) => ({ ...w, status: "FAILED" })) }),
      Date.parse(at(60))).bars;
    expect(unprepared.map(notStarted)).toEqual(["failed: not started", "failed: not started"]);
    const running = timelineOf(execution("RUNNING", { waves: waves.map((w) => ({ ...w, status: "PENDING" })) }), Date.parse(at(60))).bars;
    expect(running.map(notStarted)).toEqual(["not started", "not started (the plan pauses before this wave)"]);
  });
});
