import { fireEvent, screen, within } from "@testing-library/react";
import { renderWithApi } from "../test/render";
import { GroupsList } from "./Groups";
import { PlansList } from "./Plans";

const plan = (id: string, name: string) => ({ planId: id, planName: name, waveCount: 1, totalServers: 2, hasServerConflict: false });

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
