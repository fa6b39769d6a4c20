import { fireEvent, screen, waitFor } from "@testing-library/react";
import type { ExecutionDetails } from "../api/types";
import { renderWithApi } from "../test/render";
import { ExecutionDetail, timelineOf } from "./ExecutionDetail";

const T0 = "2026-11-29T01:00:00.000Z";
const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();
const counts = (total: number, launched: number, failed = 0) => ({ total, pending: total - launched - failed, launching: 0, launched, failed, terminated: 0 });

function execution(status: string, extra: Partial<ExecutionDetails> = {}): ExecutionDetails {
  return {
    executionId: "ex-1", planId: "plan-1", planName: "Order system", executionType: "DRILL", status,
    startTime: T0, accountId: "123456789012", region: "us-east-1", scopes: [], protectionGroupIds: ["g1", "g2"],
    pollIntervalSeconds: 30, waveCount: 2, serverCount: 3, serverCounts: counts(3, 2, 1), pauseRequested: false,
    cancelRequested: false, approvedWaves: [], pausedBeforeWaves: [], isPaused: false, canTerminate: false,
    waveCounts: {}, terminationMetadata: {} as ExecutionDetails["terminationMetadata"], serversTotal: 3, serversIncluded: 3,
    timings: { startTime: T0, elapsedSeconds: 90, pausedSeconds: 0 },
    waves: [
      {
        waveNumber: 1, waveName: "db", status: "COMPLETED", protectionGroupIds: ["g1"], dependsOnWaves: [],
        pauseBeforeWave: false, onServerFailure: "STOP", statusHistory: {}, serverCount: 1, serverCounts: counts(1, 1),
        startedAt: at(0), endedAt: at(40), jobIds: ["drsjob-aaaaaaaaaaaaaaaaa"],
        jobs: [{ jobKey: "0001#000", jobId: "drsjob-aaaaaaaaaaaaaaaaa", status: "COMPLETED", accountId: "123456789012", region: "us-east-1", serverCount: 1 }],
        servers: [{ sourceServerId: "s-1fe8390a9f687e6fa", hostname: "db-01.example.internal", status: "LAUNCHED", accountId: "123456789012", region: "us-east-1",
          statusHistory: { LAUNCHED: at(30) }, jobId: "drsjob-aaaaaaaaaaaaaaaaa", ec2InstanceId: "i-0123456789abcdef0", privateIp: "172.31.1.11" }],
      },
      {
        waveNumber: 2, waveName: "app", status: "LAUNCHING", protectionGroupIds: ["g2"], dependsOnWaves: [1],
        pauseBeforeWave: true, onServerFailure: "CONTINUE", statusHistory: {}, serverCount: 2, serverCounts: counts(2, 1, 1),
        startedAt: at(50), jobIds: ["drsjob-bbbbbbbbbbbbbbbbb"],
        jobs: [{ jobKey: "0002#000", jobId: "drsjob-bbbbbbbbbbbbbbbbb", status: "POLLING", accountId: "123456789012", region: "us-east-1", serverCount: 2 }],
        servers: [
          { sourceServerId: "s-55120d343418d3a0a", hostname: "app-01.example.internal", status: "LAUNCHED", accountId: "123456789012", region: "us-east-1",
            statusHistory: { LAUNCHED: at(70) }, ec2InstanceId: "i-0fedcba9876543210", privateIp: "172.31.2.21" },
          { sourceServerId: "s-efeeb0283ea79c809", hostname: "app-03.example.internal", status: "FAILED", accountId: "123456789012", region: "us-east-1",
            statusHistory: {}, failureReason: "replication is STALLED" },
        ],
      },
    ],
    ...extra,
  };
}

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

  it("places waves and server launches on the time axis", () => {
    const ex = execution("COMPLETED", { endTime: at(100) });
    const { bars, span } = timelineOf(ex, Date.parse(at(500)));
    expect(span).toBe(100);
    expect(bars.map((b) => [b.start, b.end])).toEqual([[0, 40], [50, null]]);
    expect(bars[0].marks).toEqual([{ at: 30, label: "db-01.example.internal launched" }]);
    expect(bars[1].pausedBefore).toBe(true);
  });
});
