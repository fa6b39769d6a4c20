import { fireEvent, screen, waitFor } from "@testing-library/react";
import type { components } from "../api/schema";
import { renderWithApi } from "../test/render";
import { ReadinessBadge, ReadinessPanel } from "./Readiness";

type S = components["schemas"];
const AT = "2026-11-29T01:00:00.000Z";

function evaluation(status: string, extra: Partial<S["ReadinessEvaluation"]> = {}): S["ReadinessEvaluation"] {
  return {
    planId: "plan-1", planName: "Orders", status, previousStatus: "READY", evaluatedAt: AT, trigger: "SCHEDULE",
    findings: [{ code: "RPO_EXCEEDED", severity: "MEDIUM", message: "s-1: data would be 60.0 min old, the RPO is 15 min",
      action: "Check the replication lag of the server", serverId: "s-1", waveNumber: 1 }],
    findingCount: 1, counts: { RPO_EXCEEDED: 1 },
    summary: { waveCount: 1, serverCount: 2, accountRegions: ["123456789012#us-east-1"], predictedDurationSeconds: 1200 },
    retest: { required: true, reason: "CHANGED_SINCE_DRILL", baselineExecutionId: "ex-9",
      differences: [{ kind: "SERVERS_ADDED", items: ["123456789012#us-east-1#s-2"], message: "1 server(s) added since the last completed drill" }] },
    ...extra,
  };
}

function readiness(current: S["ReadinessEvaluation"] | null): S["PlanReadiness"] {
  return {
    planId: "plan-1", rtoMinutes: 60, rpoMinutes: 15, current,
    history: [{ evaluatedAt: AT, status: "AT_RISK", previousStatus: "READY", trigger: "SCHEDULE", findingCount: 1,
      counts: { RPO_EXCEEDED: 1 }, retestRequired: true }],
    executions: [{ executionId: "ex-9", executionType: "DRILL", status: "COMPLETED", startTime: AT, endTime: AT,
      rtoMinutes: 60, measuredRtoSeconds: 1500, pausedSeconds: 120, rtoMet: true }],
  };
}

describe("Readiness", () => {
  it("shows the status, findings with what to do, re-test required and measured RTO; evaluates on demand", async () => {
    let current = evaluation("AT_RISK");
    const { calls } = renderWithApi(<ReadinessPanel planId="plan-1" />, (method, path) => {
      if (method === "POST" && path === "/recovery-plans/plan-1/evaluate") {
        current = evaluation("READY", { findings: [], findingCount: 0, counts: {} });
        return { status: 200, body: current };
      }
      return { status: 200, body: readiness(current) };
    }, ["view_recovery_plans"]);
    expect(await screen.findByTestId("readiness-status")).toHaveTextContent("At risk");
    expect(screen.getByText("Check the replication lag of the server")).toBeInTheDocument();
    expect(screen.getByText("Re-test required")).toBeInTheDocument();
    expect(screen.getByText(/1 server\(s\) added since the last completed drill/)).toBeInTheDocument();
    expect(screen.getByText("60 min / 15 min")).toBeInTheDocument();
    fireEvent.click(screen.getByText("Evaluate now"));
    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.path === "/recovery-plans/plan-1/evaluate")).toBe(true));
    await waitFor(() => expect(screen.getByTestId("readiness-status")).toHaveTextContent("Ready"));
  });

  it("hides the evaluate button from users who may not evaluate, and says when never evaluated", async () => {
    renderWithApi(<ReadinessPanel planId="plan-1" />, () => ({ status: 200, body: readiness(null) }), []);
    expect(await screen.findByText("not evaluated yet")).toBeInTheDocument();
    expect(screen.queryByText("Evaluate now")).toBeNull();
  });

  it("the list cell shows the status and a re-test badge", () => {
    renderWithApi(<ReadinessBadge summary={{ status: "NOT_READY", evaluatedAt: AT, findingCount: 3, retestRequired: true }} />,
      () => ({ status: 200, body: {} }), []);
    expect(screen.getByText("Not ready")).toBeInTheDocument();
    expect(screen.getByText("re-test")).toBeInTheDocument();
  });
});
