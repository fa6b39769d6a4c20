import { screen, within } from "@testing-library/react";
import type { ExecutionSummary } from "../api/types";
import { execution } from "../test/fixtures";
import { renderWithApi } from "../test/render";
import { Dashboard } from "./Dashboard";

const running = { ...execution("RUNNING"), executionId: "ex-run" } as unknown as ExecutionSummary;
const heading = (name: string) => screen.getByRole("heading", { name: new RegExp(`^${name}`) });

describe("the dashboard's counts", () => {
  it("shows no count while the executions are loading, then the count of the list read", async () => {
    renderWithApi(<Dashboard />, () => ({ status: 200, body: { items: [running], count: 1 } }), ["view_executions"]);
    expect(heading("Active executions")).toHaveTextContent(/^Active executions$/);
    expect(heading("Recent executions")).toHaveTextContent(/^Recent executions$/);
    expect(screen.getAllByText("Loading executions").length).toBeGreaterThan(0);
    expect(screen.queryByText(/\(0\)/)).not.toBeInTheDocument();
    await screen.findByText("Order system");
    expect(heading("Active executions")).toHaveTextContent("Active executions (1)");
    expect(heading("Recent executions")).toHaveTextContent("Recent executions (0)");
  });

  it("a failed load says so in each list and shows no count, never 0", async () => {
    renderWithApi(<Dashboard />, (_m, path) => path === "/executions"
      ? { status: 503, body: { error: "SERVICE_UNAVAILABLE", message: "the table is not reachable" } }
      : { status: 200, body: {} }, ["view_executions"]);
    expect(await screen.findByText("SERVICE_UNAVAILABLE")).toBeInTheDocument();
    expect(screen.getByText("Could not list the executions")).toBeInTheDocument();
    const active = screen.getByRole("table", { name: "Active executions" });
    expect(within(active).getByText("Could not load the executions")).toBeInTheDocument();
    expect(screen.queryByText("No executions")).not.toBeInTheDocument();
    expect(heading("Active executions")).toHaveTextContent(/^Active executions$/);
    expect(screen.queryByText(/\(0\)/)).not.toBeInTheDocument();
  });

  it("says when older executions were not read", async () => {
    renderWithApi(<Dashboard />, () => ({ status: 200, body: { items: [running], count: 1, nextToken: "t" } }), ["view_executions"]);
    expect(await screen.findByText(/Among the newest 1 executions/)).toBeInTheDocument();
  });
});
