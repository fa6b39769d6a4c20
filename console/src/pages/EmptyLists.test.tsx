import { fireEvent, screen, within } from "@testing-library/react";
import { renderWithApi } from "../test/render";
import { GroupsList } from "./Groups";
import { PlansList } from "./Plans";

const plan = (id: string, name: string) => ({ planId: id, planName: name, waveCount: 1, totalServers: 2, hasServerConflict: false });

describe("long lists", () => {
  it("the plan list reads every page: 250 plans are counted, paged and found by the filter", async () => {
    const all = Array.from({ length: 250 }, (_, i) => plan(`p${i}`, `Plan ${String(i).padStart(3, "0")}`));
    const { calls } = renderWithApi(<PlansList />, (_m, _path) => {
      const seen = calls.filter((c) => c.path === "/recovery-plans").length - 1;
      const items = all.slice(seen * 100, seen * 100 + 100);
      return { status: 200, body: { recoveryPlans: items, count: items.length, nextToken: seen < 2 ? `t${seen + 1}` : null } };
    }, ["view_recovery_plans"]);
    expect(await screen.findByRole("heading", { name: /Recovery plans \(250\)/ })).toBeInTheDocument();
    fireEvent.change(screen.getByPlaceholderText("Find plans"), { target: { value: "Plan 249" } });
    expect(await screen.findByText("Plan 249")).toBeInTheDocument();
    expect(calls.filter((c) => c.path === "/recovery-plans")).toHaveLength(3);
  });
});

describe("empty lists", () => {
  it("an empty plan list says what to do next and offers Create plan to those who may", async () => {
    renderWithApi(<PlansList />, () => ({ status: 200, body: { recoveryPlans: [], count: 0 } }), ["view_recovery_plans", "create_recovery_plans"]);
    const empty = await screen.findByTestId("empty-state");
    expect(empty).toHaveTextContent("No recovery plans");
    expect(empty).toHaveTextContent("Create one from your protection groups.");
    expect(within(empty).getByRole("link", { name: "Create plan" })).toHaveAttribute("href", "#/plans/new");
  });

  it("a read-only user is told who creates plans, with no create action", async () => {
    renderWithApi(<PlansList />, () => ({ status: 200, body: { recoveryPlans: [], count: 0 } }), ["view_recovery_plans"]);
    const empty = await screen.findByTestId("empty-state");
    expect(empty).toHaveTextContent("A plan manager creates them.");
    expect(within(empty).queryByRole("link")).not.toBeInTheDocument();
  });

  it("a filter that keeps no plan says so and clears", async () => {
    renderWithApi(<PlansList />, () => ({ status: 200, body: { recoveryPlans: [plan("p1", "Order system")], count: 1 } }), ["view_recovery_plans"]);
    await screen.findByText("Order system");
    fireEvent.change(screen.getByPlaceholderText("Find plans"), { target: { value: "payroll" } });
    expect(await screen.findByText("No plans match the filter")).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "Clear filter" }));
    expect(await screen.findByText("Order system")).toBeInTheDocument();
  });

  it("an empty group list offers Create group", async () => {
    renderWithApi(<GroupsList />, () => ({ status: 200, body: { groups: [], count: 0 } }), ["view_protection_groups", "create_protection_groups"]);
    const empty = await screen.findByTestId("empty-state");
    expect(empty).toHaveTextContent("No protection groups");
    expect(within(empty).getByRole("button", { name: "Create group" })).toBeInTheDocument();
  });
});
