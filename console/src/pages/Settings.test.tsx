import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { renderWithApi } from "../test/render";
import { Accounts } from "./Accounts";
import { Settings } from "./Settings";

const counts = { created: 0, updated: 1, skipped: 0, failed: 0 };
const CURRENT = { schemaVersion: "1", exportedAt: "2026-11-29T01:00:00Z", source: {}, targetAccounts: [], protectionGroups: [],
  recoveryPlans: [{ planName: "Order", waves: [{ waveNumber: 1, waveName: "db", pauseBeforeWave: false }] }] };
const INCOMING = { ...CURRENT, recoveryPlans: [{ planName: "Order", waves: [{ waveNumber: 1, waveName: "db", pauseBeforeWave: true }] }] };
const ADMIN = ["view_protection_groups", "modify_protection_groups", "export_configuration", "import_configuration"];

function handler(method: string, path: string, body: unknown) {
  if (path === "/config/tag-sync") return { status: 200, body: { enabled: true, intervalHours: 4, regions: ["us-east-1"], ruleName: "tag-sync", scheduleExpression: "rate(4 hours)" } };
  if (path === "/drs/tag-sync" && method === "GET") return { status: 200, body: { status: "never" } };
  if (path === "/drs/tag-sync") return { status: 200, body: { status: "completed", totals: { servers: 9, updated: 3, tagsSet: 5, tagsRemoved: 0, failed: 0, withInstance: 9, instanceNotFound: 0, noInstanceHint: 0 } } };
  if (path === "/config/export") return { status: 200, body: CURRENT };
  if (path === "/config/import") {
    const dry = (body as { dryRun: boolean }).dryRun;
    return { status: 200, body: { dryRun: dry, mode: "overwrite", schemaVersion: "1", success: true, created: [], failed: [], skipped: [],
      updated: [{ type: "recoveryPlan", name: "Order" }], items: [{ type: "recoveryPlan", name: "Order", action: "updated" }],
      summary: { protectionGroups: { ...counts, updated: 0 }, recoveryPlans: counts, targetAccounts: { ...counts, updated: 0 } } } };
  }
  return { status: 404, body: { error: "NOT_FOUND", message: path } };
}

describe("settings", () => {
  it("runs the tag sync now and shows its counts", async () => {
    renderWithApi(<Settings />, handler, ADMIN);
    expect(await screen.findByTestId("tag-sync-schedule")).toHaveTextContent("every 4 h");
    fireEvent.click(screen.getByRole("button", { name: "Run tag sync now" }));
    await waitFor(() => expect(screen.getByTestId("tag-sync-last")).toHaveTextContent("9 servers, 3 updated, 5 tags set"));
    expect(screen.queryByTestId("tag-sync-errors")).not.toBeInTheDocument();
  });

  it("says which account-regions a partial tag sync did not reach, and why", async () => {
    const partial = { status: "PARTIAL", finishedAt: "2026-11-29T01:00:00Z",
      totals: { servers: 8, updated: 0, tagsSet: 0, tagsRemoved: 0, failed: 0, withInstance: 8, instanceNotFound: 0, noInstanceHint: 0 },
      results: [{ accountId: "123456789012", region: "us-east-1", servers: 8 },
        { accountId: "111111111111", region: "us-east-1", error: { code: "ASSUME_ROLE_DENIED", message: "STS refused" } }] };
    renderWithApi(<Settings />, (method, path, body) =>
      path === "/drs/tag-sync" && method === "GET" ? { status: 200, body: partial } : handler(method, path, body), ADMIN);
    const errors = await screen.findByTestId("tag-sync-errors");
    expect(errors).toHaveTextContent("111111111111 / us-east-1: ASSUME_ROLE_DENIED: STS refused");
    expect(errors).not.toHaveTextContent("123456789012");
  });

  it("dry-runs an import, shows what would change field by field, then imports", async () => {
    const { calls } = renderWithApi(<Settings />, handler, ADMIN);
    const file = new File([JSON.stringify(INCOMING)], "config.json", { type: "application/json" });
    const input = document.querySelector("input[type=file]") as HTMLInputElement;
    fireEvent.change(input, { target: { files: [file] } });
    fireEvent.click(await screen.findByText("Overwrite"));
    await waitFor(() => expect(screen.getByRole("button", { name: "Dry run" })).toBeEnabled());
    expect(screen.getByRole("button", { name: "Import" })).toBeDisabled();
    fireEvent.click(screen.getByRole("button", { name: "Dry run" }));
    const table = await screen.findByRole("table", { name: "Import changes" });
    expect(await within(table).findByText("waves[0].pauseBeforeWave")).toBeInTheDocument();
    expect(within(table).getByText(/false → true/)).toBeInTheDocument();
    expect(calls.find((c) => c.path === "/config/import")!.body).toMatchObject({ dryRun: true, mode: "overwrite" });
    fireEvent.click(screen.getByRole("button", { name: "Import" }));
    await waitFor(() => expect(calls.filter((c) => c.path === "/config/import").map((c) => (c.body as { dryRun: boolean }).dryRun)).toEqual([true, false]));
    expect(await screen.findByText(/Imported/)).toBeInTheDocument();
  });

  it("a read-only user sees the schedule and no write action", async () => {
    renderWithApi(<Settings />, handler, ["view_protection_groups"]);
    await screen.findByTestId("tag-sync-schedule");
    expect(screen.queryByRole("button", { name: /Run tag sync|Edit schedule|Export|Dry run|Import/ })).not.toBeInTheDocument();
  });
});

describe("accounts", () => {
  it("validates the chosen target account and shows its checks and capacity", async () => {
    const { calls } = renderWithApi(<Accounts />, (method, path) =>
      path === "/accounts/targets" ? { status: 200, body: { count: 1, accounts: [{ accountId: "111122223333", accountName: "DR", isHub: false, hasExternalId: false, version: 1,
        stagingAccounts: [{ accountId: "444455556666", accountName: "staging", hasExternalId: false }] }] } }
        : path.endsWith("/validate") ? { status: 200, body: { accountId: "111122223333", checkedAt: "2026-11-29T01:00:00Z", status: "VALID", valid: true,
          regions: { "us-east-1": [{ check: "assumeRole", status: "ok", message: "role assumed" }] } } }
          : path.endsWith("/capacity") && method === "GET" && path.startsWith("/accounts/targets/") ? { status: 200, body: { targetAccountId: "111122223333", accounts: [], regions: ["us-east-1"],
            stagingAccountIds: ["444455556666"], unreachableAccounts: [], warnings: [], status: "OK",
            combined: { replicatingServers: 12, maxReplicatingServers: 600, percentUsed: 2 } } }
            : { status: 200, body: { accounts: [], status: "OK" } },
      ["view_accounts", "modify_accounts"]);
    expect(await screen.findByText("staging (444455556666)")).toBeInTheDocument();
    fireEvent.click(screen.getByRole("radio", { name: "select DR" }));
    fireEvent.click(screen.getByRole("button", { name: "Validate" }));
    expect(await screen.findByText("role assumed")).toBeInTheDocument();
    expect(await screen.findByText("12 / 600 (2%)")).toBeInTheDocument();
    expect(calls.some((c) => c.method === "POST" && c.path === "/accounts/targets/111122223333/validate")).toBe(true);
  });
});
