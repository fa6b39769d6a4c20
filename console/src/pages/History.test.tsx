import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import type { ExecutionSummary } from "../api/types";
import { renderWithApi } from "../test/render";
import { ExecutionsList, keep } from "./Executions";
import { RunReport, failuresOf, waveSeconds } from "./RunReport";
import { execution } from "../test/fixtures";

const NOW = Date.parse("2026-11-29T12:00:00Z");
const summary = (id: string, status: string, type: string, startTime: string): ExecutionSummary => ({
  ...execution(status), executionId: id, executionType: type, startTime, planName: `Plan ${id}`,
} as unknown as ExecutionSummary);

describe("history filters", () => {
  const none = { type: "", range: "", from: "", to: "" };
  it("keeps by type and by start time within a preset or between local dates", () => {
    const drill = summary("a", "COMPLETED", "DRILL", "2026-11-29T11:30:00Z");
    const old = summary("b", "FAILED", "RECOVERY", "2026-11-20T08:00:00Z");
    expect(keep(drill, none, NOW) && keep(old, none, NOW)).toBe(true);
    expect(keep(old, { ...none, type: "DRILL" }, NOW)).toBe(false);
    expect(keep(drill, { ...none, range: "1h" }, NOW)).toBe(true);
    expect(keep(old, { ...none, range: "7d" }, NOW)).toBe(false);
    expect(keep(old, { ...none, range: "30d" }, NOW)).toBe(true);
    const day = new Date(Date.parse(old.startTime)).toLocaleDateString("en-CA"); // YYYY-MM-DD, local
    expect(keep(old, { ...none, range: "custom", from: day, to: day }, NOW)).toBe(true);
    expect(keep(drill, { ...none, range: "custom", from: "", to: day }, NOW)).toBe(false);
  });
});

describe("history", () => {
  it("deletes the selected finished executions; a running one cannot be selected", async () => {
    const items = [summary("a", "COMPLETED", "DRILL", "2026-11-29T11:30:00Z"), summary("b", "RUNNING", "DRILL", "2026-11-29T11:40:00Z"),
      summary("c", "FAILED", "RECOVERY", "2026-11-29T10:00:00Z")];
    const { calls } = renderWithApi(<ExecutionsList />, (method, path) =>
      method === "DELETE" ? { status: 200, body: { deleted: ["a", "c"], deletedCount: 2, notFound: [], refused: [], refusedCount: 0 } }
        : path === "/executions" ? { status: 200, body: { items, count: 3 } }
          : { status: 200, body: { recoveryPlans: [], count: 0 } }, ["view_executions", "stop_recovery", "view_recovery_plans"]);
    const table = await screen.findByRole("table", { name: "Executions" });
    await within(table).findByText("Plan a");
    expect(within(table).getByRole("checkbox", { name: /select Plan b/ })).toBeDisabled();
    fireEvent.click(within(table).getByRole("checkbox", { name: /select Plan a/ }));
    fireEvent.click(within(table).getByRole("checkbox", { name: /select Plan c/ }));
    fireEvent.click(screen.getByRole("button", { name: "Delete 2" }));
    fireEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Delete" }));
    expect(await screen.findByTestId("delete-result")).toHaveTextContent("Deleted 2");
    await waitFor(() => expect(calls.find((c) => c.method === "DELETE")?.body).toEqual({ ids: ["a", "c"] }));
  });

  it("a read-only user sees no selection and no delete", async () => {
    renderWithApi(<ExecutionsList />, (_m, path) => path === "/executions"
      ? { status: 200, body: { items: [summary("a", "COMPLETED", "DRILL", "2026-11-29T11:30:00Z")], count: 1 } }
      : { status: 200, body: { recoveryPlans: [], count: 0 } }, ["view_executions", "view_recovery_plans"]);
    await screen.findByText("Plan a");
    expect(screen.queryByRole("checkbox")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Delete/ })).not.toBeInTheDocument();
  });
});

describe("the run report", () => {
  it("lists per-wave durations, the failures with their reasons and the clean-up", async () => {
    const ex = execution("PARTIAL", {
      endTime: "2026-11-29T01:02:00.000Z",
      termination: { attempt: 1, errors: [], jobs: [], requestedAt: "2026-11-29T01:03:00Z", requestedBy: "ops", requestedCount: 2,
        status: "COMPLETED", terminatedCount: 2, verifiedAt: "2026-11-29T01:04:00Z" },
    });
    expect(failuresOf(ex)).toEqual([{ wave: 2, server: "app-03.example.internal (s-efeeb0283ea79c809)", reason: "replication is STALLED" }]);
    expect(waveSeconds(ex.waves[0].startedAt, ex.waves[0].endedAt)).toBe(40);
    renderWithApi(<RunReport executionId="ex-1" />, () => ({ status: 200, body: ex }), ["view_executions"]);
    const waves = await screen.findByTestId("report-waves");
    expect(within(waves).getByText("40s")).toBeInTheDocument();
    expect(screen.getByText("replication is STALLED")).toBeInTheDocument();
    expect(screen.getByTestId("report-cleanup")).toHaveTextContent("COMPLETED");
    expect(screen.getByText("2 of 2")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Print" })).toBeInTheDocument();
  });

  it("of a large run lists every failed server, also those its details leave out, page after page", async () => {
    const base = execution("PARTIAL", { endTime: "2026-11-29T01:02:00.000Z" });
    const ex = { ...base, serversIncluded: 2, serversTotal: 600, serverCounts: { ...base.serverCounts, failed: 3 } };
    const row = (n: number) => ({ sourceServerId: `s-${String(n).padStart(17, "0")}`, hostname: `big-${n}.example.internal`,
      status: "FAILED", failureReason: `reason ${n}`, accountId: "123456789012", region: "us-east-1", statusHistory: {}, waveNumber: 2 });
    const { calls } = renderWithApi(<RunReport executionId="ex-1" />, (_m, path, _b, query) => {
      if (path !== "/executions/ex-1/servers") return { status: 200, body: ex };
      const second = query.get("nextToken") === "t2";
      return { status: 200, body: { executionId: "ex-1", total: 3, count: second ? 1 : 2,
        servers: second ? [row(3)] : [row(1), row(2)], nextToken: second ? null : "t2" } };
    }, ["view_executions"]);
    for (const n of [1, 2, 3]) expect(await screen.findByText(`reason ${n}`)).toBeInTheDocument();
    expect(screen.getByText("replication is STALLED")).toBeInTheDocument(); // the one the details held
    const listed = calls.filter((c) => c.path === "/executions/ex-1/servers");
    expect(listed.map((c) => c.query.includes("status=FAILED"))).toEqual([true, true]);
    expect(screen.queryByTestId("report-no-failures")).not.toBeInTheDocument();
  });
});

describe("warnings about servers", () => {
  it("name the server, what is wrong and where it would launch from", async () => {
    const { describeServer } = await import("../components/Status");
    expect(describeServer({ serverId: "s-1", waveNumber: 2, dataSource: "LAST_SNAPSHOT", dataAgeSeconds: 125 }))
      .toBe("s-1 (wave 2): launches from LAST_SNAPSHOT, data 2m 5s old");
    expect(describeServer({ serverId: "s-2", problem: "replication is STALLED" })).toBe("s-2: replication is STALLED");
    expect(describeServer("s-3")).toBe("s-3");
  });
});
