import { screen } from "@testing-library/react";
import type { components } from "../api/schema";
import { renderWithApi } from "../test/render";
import { LaunchStatus } from "./LaunchSettings";

type S = components["schemas"];
const AT = "2026-11-29T01:00:00.000Z";

const group = {
  groupId: "pg-1", groupName: "Orders", region: "us-east-1", accountId: "123456789012", sourceServerIds: ["s-1", "s-2", "s-3"],
  version: 1, createdDate: AT, lastModifiedDate: AT, selectionMode: "EXPLICIT", serverCount: 3, description: "",
} as S["Group"];

function status(extra: Partial<S["LaunchStatusView"]>): S["LaunchStatusView"] {
  return {
    groupId: "pg-1", status: "applying", lastApplied: AT, errors: [], outdatedServers: {},
    serverConfigs: { "s-1": { status: "ready", errors: [] }, "s-2": { status: "pending", errors: [] }, "s-3": { status: "pending", errors: [] } },
    ...extra,
  } as S["LaunchStatusView"];
}

describe("LaunchStatus", () => {
  it("says the apply continues in the background, with its counts and what it waits for", async () => {
    const body = status({ background: { applyId: "ab", settingsHash: "cd", runs: 1, queuedAt: AT, readyServers: 1,
      pendingServers: 2, failedServers: 0, waitingFor: "background run 2 (queued at now) to apply 2 pending server(s)" } });
    renderWithApi(<LaunchStatus group={group} />, () => ({ status: 200, body }), ["view_protection_groups"]);
    expect(await screen.findByTestId("background-apply")).toHaveTextContent(
      "Applying in the background: 1 ready, 2 pending, 0 failed; waiting for background run 2 (queued at now) to apply 2 pending server(s)");
  });

  it("says why an apply is left pending (its background run could not be queued)", async () => {
    const body = status({ status: "pending", errors: ["2 server(s) still pending: the background apply could not be queued (denied); apply again"] });
    renderWithApi(<LaunchStatus group={group} />, () => ({ status: 200, body }), ["view_protection_groups"]);
    expect(await screen.findByTestId("apply-pending")).toHaveTextContent("could not be queued (denied); apply again");
  });
});
