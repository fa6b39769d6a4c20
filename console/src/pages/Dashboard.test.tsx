import { screen, within } from "@testing-library/react";
import type { ExecutionSummary } from "../api/types";
import { execution } from "../test/fixtures";
import { renderWithApi } from "../test/render";
import { Capacity, Dashboard } from "./Dashboard";

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

describe("the DRS capacity", () => {
  it("keeps an account that did not answer, with the reason, instead of leaving it out", async () => {
    renderWithApi(<Capacity />, () => ({ status: 200, body: { regions: ["us-east-1"], targets: [], unreachableAccounts: ["111111111111"], status: "OK",
      accounts: [{ accountId: "111111111111", accountName: "Inventory", accountType: "TARGET", hasExternalId: false, status: "ERROR", regions: [],
        error: { code: "ASSUME_ROLE_DENIED", message: "the role is missing" } }] } }), ["get_accounts_capacity"]);
    const table = await screen.findByRole("table", { name: "DRS capacity" });
    expect(await within(table).findByText("Inventory (TARGET)")).toBeInTheDocument();
    expect(within(table).getByText("UNREACHABLE")).toBeInTheDocument();
    expect(screen.getByTestId("capacity-unanswered")).toHaveTextContent("Inventory (111111111111): Cannot be reached: ASSUME_ROLE_DENIED: the role is missing");

    // the API's status is of the accounts that answered: the badge never says OK over one that did not
    expect(screen.getAllByText("UNREACHABLE")).toHaveLength(2); // the account's row and the badge
    expect(screen.queryByText("OK")).not.toBeInTheDocument();
  });
});
