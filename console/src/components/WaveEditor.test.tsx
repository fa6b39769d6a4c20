import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { render } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Plan } from "../api/types";
import { PlanDetail, WavesEditing } from "../pages/Plans";
import { renderWithApi } from "../test/render";
import { WaveGraph, edges } from "./WaveGraph";

const wave = (n: number, deps: number[], extra: Partial<Plan["waves"][number]> = {}) => ({
  waveNumber: n, waveName: ["db", "app", "web"][n - 1], protectionGroupIds: [`g${n}`], dependsOnWaves: deps, independent: false,
  pauseBeforeWave: n === 3, onServerFailure: "STOP", serverCount: 2, serverIds: [], ...extra,
});

const PLAN: Plan = {
  planId: "p1", planName: "Order system", createdDate: "2026-11-29T01:00:00Z", lastModifiedDate: "2026-11-29T01:00:00Z",
  schemaVersion: 1, totalServers: 6, version: 4, waveCount: 3,
  waves: [wave(1, []), wave(2, [1]), wave(3, [1])],
  effectiveOrder: [
    { step: 1, waves: [1], runTogether: false, waitsFor: { 1: [] } },
    { step: 2, waves: [2, 3], runTogether: true, waitsFor: { 2: [1], 3: [1] } },
  ],
};
const GROUPS = { count: 3, groups: ["db", "app", "web"].map((name, i) => ({ groupId: `g${i + 1}`, groupName: `Order ${name}`, serverCount: 2 })) };
const OPERATOR = ["view_recovery_plans", "view_executions", "view_protection_groups", "modify_recovery_plans", "start_recovery"];

function api(extra: (method: string, path: string, body: unknown) => { status: number; body: unknown } | null = () => null) {
  return (method: string, path: string, body: unknown) => extra(method, path, body) ?? (
    path === "/recovery-plans/p1" ? { status: 200, body: PLAN }
      : path === "/protection-groups" ? { status: 200, body: GROUPS }
        : path === "/executions" ? { status: 200, body: { items: [], count: 0 } }
          : { status: 404, body: { error: "NOT_FOUND", message: path } });
}

describe("the wave graph", () => {
  it("draws a node per wave, an edge per dependency of the effective order and the pauses", () => {
    render(<WaveGraph order={PLAN.effectiveOrder} waves={PLAN.waves} />);
    expect(screen.getAllByTestId("wave-node")).toHaveLength(3);
    expect(screen.getAllByTestId("wave-edge")).toHaveLength(2);
    expect(screen.getAllByTestId("wave-pause")).toHaveLength(1);
    expect(screen.getByRole("img")).toHaveAccessibleName("Wave order: step 1: wave 1; step 2: wave 2, 3");
    expect(edges(PLAN.effectiveOrder)).toEqual([{ from: 1, to: 2 }, { from: 1, to: 3 }]);
  });
});

describe("the wave editor", () => {
  it("adds a wave, sets its groups, pause, failure policy and dependencies, and saves them numbered", async () => {
    const { calls } = renderWithApi(<PlanDetail planId="p1" />, api((method) =>
      method === "PUT" ? { status: 200, body: PLAN } : null), OPERATOR);
    fireEvent.click(await screen.findByRole("button", { name: "Edit waves" }));
    fireEvent.click(screen.getByRole("button", { name: "Add wave" }));
    const w4 = await screen.findByTestId("wave-editor-4");
    expect(screen.getByRole("button", { name: "Save waves" })).toBeDisabled(); // the new wave has no group yet
    expect(within(w4).getByText("choose at least one protection group")).toBeInTheDocument();
    fireEvent.change(within(w4).getByLabelText("Wave 4 name"), { target: { value: "batch" } });
    await userEvent.click(within(w4).getByRole("button", { name: /Wave 4 protection groups/ }));
    await userEvent.click(await within(w4).findByRole("option", { name: /Order web/ }));
    await userEvent.keyboard("{Escape}");
    fireEvent.click(within(w4).getByLabelText("Pause before wave 4"));
    fireEvent.click(within(w4).getByLabelText("Independent (waits for no wave)"));
    fireEvent.click(screen.getByRole("button", { name: "Move wave 4 up" }));
    fireEvent.click(screen.getByRole("button", { name: "Save waves" }));
    await waitFor(() => expect(calls.some((c) => c.method === "PUT")).toBe(true));
    const put = calls.find((c) => c.method === "PUT")!;
    expect(put.path).toBe("/recovery-plans/p1");
    const body = put.body as { version: number; waves: Record<string, unknown>[] };
    expect(body.version).toBe(4);
    expect(body.waves.map((w) => [w.waveNumber, w.waveName, w.dependsOnWaves])).toEqual([
      [1, "db", []], [2, "app", []], [3, "batch", []], [4, "web", [1]],
    ]);
    expect(body.waves[2]).toMatchObject({ protectionGroupIds: ["g3"], pauseBeforeWave: true, independent: true, onServerFailure: "STOP" });
    expect(body.waves[3]).toMatchObject({ pauseBeforeWave: true });
  }, 30_000);

  it("shows every problem of a refused save at the wave it is about", async () => {
    renderWithApi(<PlanDetail planId="p1" />, api((method) => method === "PUT" ? {
      status: 400, body: { error: "INVALID_PLAN", message: "the recovery plan has 3 problem(s)", details: [
        { code: "DEPENDENCY_CYCLE", message: "waves depend on each other in a cycle: 2 -> 3 -> 2", wave: 2 },
        { code: "EMPTY_WAVE", message: "wave 3 has no servers", wave: 3 },
        { code: "MIXED_REGIONS", message: "protection groups of different regions", wave: null },
      ] },
    } : null), OPERATOR);
    fireEvent.click(await screen.findByRole("button", { name: "Edit waves" }));
    fireEvent.click(screen.getByRole("button", { name: "Save waves" }));
    const w2 = screen.getByTestId("wave-editor-2");
    expect(await within(w2).findByText(/cycle: 2 -> 3 -> 2/)).toBeInTheDocument();
    expect(within(screen.getByTestId("wave-editor-3")).getByText("wave 3 has no servers")).toBeInTheDocument();
    expect(within(w2).queryByText("wave 3 has no servers")).not.toBeInTheDocument();
    expect(screen.getByText("protection groups of different regions")).toBeInTheDocument();
    expect(screen.getAllByText("INVALID_PLAN").length).toBeGreaterThan(0);
  });

  it("validate lists every finding and puts a wave's at its row", async () => {
    renderWithApi(<PlanDetail planId="p1" />, api((_method, path) => path.endsWith("/validate") ? {
      status: 200, body: { planId: "p1", planName: "Order system", valid: false, effectiveOrder: PLAN.effectiveOrder,
        summary: { waves: 3, groups: 3, servers: 6 },
        errors: [{ code: "SERVER_NOT_REPLICATING", message: "s-1 is STALLED", wave: 2 }],
        warnings: [{ code: "NO_LAUNCH_SETTINGS", message: "no launch settings applied" }] },
    } : null), ["view_recovery_plans", "view_executions"]);
    fireEvent.click(await screen.findByRole("button", { name: "Validate" }));
    expect(await screen.findByText("SERVER_NOT_REPLICATING: s-1 is STALLED")).toBeInTheDocument();
    const row = screen.getByText("SERVER_NOT_REPLICATING: s-1 is STALLED").closest("tr")!;
    expect(within(row).getByText("app")).toBeInTheDocument();
    expect(screen.getByText("no launch settings applied")).toBeInTheDocument();
    expect(screen.getByText(/1 errors, 1 warnings/)).toBeInTheDocument();
    // a read-only user validates but neither edits nor starts
    expect(screen.queryByRole("button", { name: "Edit waves" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Start drill" })).not.toBeInTheDocument();
  });

  it("a recovery starts only after the plan name is typed", async () => {
    const { calls } = renderWithApi(<PlanDetail planId="p1" />, api((_method, path) => path.endsWith("/execute")
      ? { status: 202, body: { executionId: "ex-9", status: "PENDING", planId: "p1", executionType: "RECOVERY" } } : null), OPERATOR);
    fireEvent.click((await screen.findAllByRole("button", { name: "Start recovery" }))[0]);
    const dialog = screen.getByRole("dialog");
    const go = within(dialog).getByRole("button", { name: "Start recovery" });
    expect(go).toBeDisabled();
    fireEvent.change(within(dialog).getByLabelText("Plan name"), { target: { value: "Order syste" } });
    expect(go).toBeDisabled();
    fireEvent.change(within(dialog).getByLabelText("Plan name"), { target: { value: "Order system" } });
    fireEvent.click(go);
    await waitFor(() => expect(calls.find((c) => c.path === "/recovery-plans/p1/execute")?.body).toEqual({ executionType: "RECOVERY", dryRun: false }));
  });

  it("creates a plan with its waves in one request, the name required", async () => {
    const { calls } = renderWithApi(<WavesEditing onDone={() => undefined} />, api((method, path) =>
      method === "POST" && path === "/recovery-plans" ? { status: 201, body: { ...PLAN, planId: "p2" } } : null), OPERATOR);
    const w1 = await screen.findByTestId("wave-editor-1");
    fireEvent.change(within(w1).getByLabelText("Wave 1 name"), { target: { value: "db" } });
    await userEvent.click(within(w1).getByRole("button", { name: /Wave 1 protection groups/ }));
    await userEvent.click(await within(w1).findByRole("option", { name: /Order db/ }));
    await userEvent.keyboard("{Escape}");
    const create = screen.getByRole("button", { name: "Create plan" });
    expect(create).toBeDisabled(); // no name yet
    fireEvent.change(screen.getByLabelText("Plan name"), { target: { value: "Order system" } });
    await waitFor(() => expect(create).toBeEnabled());
    fireEvent.click(create);
    await waitFor(() => expect(calls.some((c) => c.method === "POST")).toBe(true));
    expect(calls.find((c) => c.method === "POST")!.body).toEqual({
      planName: "Order system", description: "",
      waves: [{ waveNumber: 1, waveName: "db", protectionGroupIds: ["g1"], pauseBeforeWave: false, onServerFailure: "STOP", independent: false, dependsOnWaves: [] }],
    });
    expect(window.location.hash).toBe("#/plans/p2");
  });
});
