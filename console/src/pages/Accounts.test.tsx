import { fireEvent, screen, within } from "@testing-library/react";
import { renderWithApi } from "../test/render";
import { usageRows } from "../components/capacityRows";
import { Accounts } from "./Accounts";

const TARGET = { accountId: "111122223333", accountName: "DR", isHub: false, hasExternalId: false, version: 1, stagingAccounts: [] };
const region = (r: string, sourceServers: number) => ({
  region: r, regionStatus: { status: "OK" }, status: "OK",
  currentUsage: { sourceServers, replicatingServers: sourceServers, activeJobs: 0, serversInActiveJobs: 0, recoveryInstances: 0 },
  metrics: [{ metric: "replicatingServers", used: sourceServers, limit: 300, available: 300 - sourceServers, percentUsed: 0, status: "OK" }],
});
const unreachable = { accountId: "111122223333", accountType: "TARGET", hasExternalId: false, status: "ERROR", regions: [],
  error: { code: "ASSUME_ROLE_FAILED", message: "STS refused to let the hub assume the role" } };

describe("the accounts page", () => {
  it("says Never for an account never validated, and why its capacity is unknown when it cannot be reached", async () => {
    renderWithApi(<Accounts />, (_m, path) =>
      path === "/accounts/targets" ? { status: 200, body: { count: 1, accounts: [TARGET] } }
        : path === "/accounts/targets/111122223333/capacity" ? { status: 200, body: {
          targetAccountId: "111122223333", accounts: [unreachable], regions: ["us-east-1"], stagingAccountIds: [],
          unreachableAccounts: ["111122223333"], warnings: [], status: null, recoveryCapacity: null,
          combined: { replicatingServers: 0, maxReplicatingServers: 0, percentUsed: null, status: null } } }
          : { status: 200, body: { accounts: [], regions: [], targets: [], unreachableAccounts: [], status: "OK" } },
      ["view_accounts"]);
    const targets = await screen.findByRole("table", { name: "Target accounts" });
    expect(await within(targets).findByText("Never")).toBeInTheDocument();
    expect(targets).not.toHaveTextContent("- -");
    fireEvent.click(screen.getByRole("radio", { name: "select DR" }));
    const heading = await screen.findByText(/^Capacity of 111122223333 and its staging accounts/);
    expect(heading).toHaveTextContent(/staging accounts UNREACHABLE$/);
    expect(screen.getByText("Unknown: no account answered")).toBeInTheDocument();
    const usage = screen.getByRole("table", { name: "Capacity by account of 111122223333" });
    expect(within(usage).getByText("Cannot be reached: ASSUME_ROLE_FAILED: STS refused to let the hub assume the role")).toBeInTheDocument();
  });

  it("says why an account cannot be reached once: its capacity row, not again in a warning or in the all-accounts list", async () => {
    const why = "STS refused to let the hub assume the role";
    renderWithApi(<Accounts />, (_m, path) =>
      path === "/accounts/targets" ? { status: 200, body: { count: 1, accounts: [TARGET] } }
        : path === "/accounts/targets/111122223333/capacity" ? { status: 200, body: {
          targetAccountId: "111122223333", accounts: [unreachable], regions: ["us-east-1"], stagingAccountIds: [],
          unreachableAccounts: ["111122223333"], warnings: [`account 111122223333 cannot be reached: ${why}`], status: null,
          recoveryCapacity: null, combined: { replicatingServers: 0, maxReplicatingServers: 0, percentUsed: null, status: null } } }
          : { status: 200, body: { accounts: [{ ...unreachable, accountName: "DR" }], regions: [], targets: [],
              unreachableAccounts: ["111122223333"], status: null } },
      ["view_accounts"]);
    fireEvent.click(await screen.findByRole("radio", { name: "select DR" }));
    await screen.findByRole("table", { name: "Capacity by account of 111122223333" });
    expect(screen.getAllByText(new RegExp(why))).toHaveLength(1);
    expect(await screen.findByTestId("capacity-unanswered")).toHaveTextContent(
      "DR (111122223333): cannot be reached (why is shown above, under its capacity)");
  });

  it("names a quota a region is near in its usage", () => {
    const near = { ...region("us-east-1", 290), metrics: [{ metric: "replicatingServers", used: 290, limit: 300, available: 10, percentUsed: 97, status: "CRITICAL" }] };
    const rows = usageRows([{ accountId: "1", accountType: "TARGET", hasExternalId: false, status: "OK", regions: [near] }]);
    expect(rows[0].usage).toBe("Replicating servers 290 / 300 (CRITICAL)");
  });

  it("never shows OK for a target whose staging account did not answer", async () => {
    const staging = { ...unreachable, accountId: "444455556666", accountType: "STAGING" };
    renderWithApi(<Accounts />, (_m, path) =>
      path === "/accounts/targets" ? { status: 200, body: { count: 1, accounts: [TARGET] } }
        : { status: 200, body: {
          targetAccountId: "111122223333", regions: ["us-east-1"], stagingAccountIds: ["444455556666"],
          accounts: [{ accountId: "111122223333", accountType: "TARGET", hasExternalId: false, status: "OK", regions: [region("us-east-1", 4)] }, staging],
          unreachableAccounts: ["444455556666"], warnings: [], status: "OK", recoveryCapacity: { used: 0, limit: 4000 },
          combined: { replicatingServers: 4, maxReplicatingServers: 300, percentUsed: 1, status: "OK" } } },
      ["view_accounts"]);
    fireEvent.click(await screen.findByRole("radio", { name: "select DR" }));
    const heading = await screen.findByText(/^Capacity of 111122223333 and its staging accounts/);
    expect(heading).toHaveTextContent(/staging accounts UNREACHABLE$/);
    expect(heading).not.toHaveTextContent("OK");
  });

  it("says No servers for an account-region that has none, and why a region was not read", () => {
    const rows = usageRows([{ accountId: "1", accountType: "TARGET", hasExternalId: false, status: "OK",
      regions: [region("us-east-1", 0), region("us-west-2", 4), { region: "eu-west-1", regionStatus: { status: "DRS_NOT_INITIALIZED", message: "DRS is not initialized" }, status: null }] }]);
    expect(rows.map((r) => [r.region, r.status, r.usage])).toEqual([
      ["us-east-1", "OK", "No servers. Replicating servers 0 / 300"],
      ["us-west-2", "OK", "Replicating servers 4 / 300"],
      ["eu-west-1", "DRS_NOT_INITIALIZED", "Not read: DRS is not initialized"],
    ]);
  });
});
