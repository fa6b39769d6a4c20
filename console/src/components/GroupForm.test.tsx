import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ApiError } from "../api/client";
import type { Group } from "../api/types";
import { GroupDetail } from "../pages/GroupDetail";
import { renderWithApi } from "../test/render";
import { GroupForm, fieldErrors } from "./GroupForm";
import { serverState } from "./LaunchSettings";

const server = (id: string, host: string, extra: Record<string, unknown> = {}) => ({
  arn: `arn:${id}`, sourceServerID: id, hostname: host, replicationState: "CONTINUOUS", selectable: true, tags: { Tier: "app" }, ...extra,
});
const SERVERS = {
  accountId: "123456789012", region: "us-east-1", serverCount: 3, totalCount: 3, regionStatus: { status: "OK" },
  servers: [
    server("s-1", "app-01"),
    server("s-2", "app-02", { replicationState: "STALLED" }),
    server("s-3", "db-01", { selectable: false, protectionGroup: { groupId: "g9", groupName: "Order db" } }),
  ],
};
const WRITER = ["view_protection_groups", "create_protection_groups", "modify_protection_groups"];

describe("the protection group form", () => {
  it("creates a group of servers picked in the server picker, which shows state and owner", async () => {
    const { calls } = renderWithApi(<GroupForm onClose={() => undefined} />, (method, path) =>
      path === "/drs/source-servers" ? { status: 200, body: SERVERS }
        : method === "POST" && path === "/protection-groups" ? { status: 201, body: { groupId: "g1" } }
          : { status: 404, body: { error: "NOT_FOUND", message: path } }, WRITER);
    fireEvent.change(screen.getByLabelText("Group name"), { target: { value: "Order app" } });
    await userEvent.click(screen.getByText("By explicit servers"));
    const table = await screen.findByRole("table", { name: "Source servers" });
    expect(await within(table).findByText("STALLED")).toBeInTheDocument();
    expect(within(table).getByText("Order db")).toBeInTheDocument();
    expect(screen.getByRole("checkbox", { name: "select db-01" })).toBeDisabled(); // owned by another group
    fireEvent.click(screen.getByRole("checkbox", { name: "select app-01" }));
    fireEvent.change(screen.getByLabelText("Find servers"), { target: { value: "stalled" } });
    await waitFor(() => expect(screen.queryByRole("checkbox", { name: "select app-01" })).not.toBeInTheDocument());
    fireEvent.click(screen.getByRole("checkbox", { name: "select app-02" }));
    fireEvent.click(screen.getByRole("button", { name: "Create" }));
    await waitFor(() => expect(calls.some((c) => c.method === "POST")).toBe(true));
    expect(calls.find((c) => c.method === "POST")!.body).toEqual({
      groupName: "Order app", description: "", region: "us-east-1", sourceServerIds: ["s-1", "s-2"],
    });
  });

  it("previews the servers the tags match while typing, and shows a refused save by its field", async () => {
    const { calls } = renderWithApi(<GroupForm onClose={() => undefined} />, (method, path) =>
      path === "/protection-groups/resolve" ? { status: 200, body: { serverCount: 1, servers: [server("s-7", "web-07")] } }
        : method === "POST" ? { status: 400, body: { error: "VALIDATION_ERROR", message: "invalid", details: [{ field: "groupName", message: "name already used" }] } }
          : { status: 404, body: { error: "NOT_FOUND", message: path } }, WRITER);
    fireEvent.change(screen.getByLabelText("Group name"), { target: { value: "Web" } });
    fireEvent.change(screen.getByLabelText("Tags"), { target: { value: "Tier=web" } });
    expect(await screen.findByText("1 servers match")).toBeInTheDocument();
    expect(screen.getByText("web-07")).toBeInTheDocument();
    expect(calls.find((c) => c.path === "/protection-groups/resolve")!.body).toEqual({ region: "us-east-1", serverSelectionTags: { Tier: "web" } });
    fireEvent.click(screen.getByRole("button", { name: "Create" }));
    expect(await screen.findByText("name already used")).toBeInTheDocument();
    expect(screen.getByText("VALIDATION_ERROR")).toBeInTheDocument();
  });

  it("reads field problems by the last part of their name", () => {
    expect(fieldErrors(new ApiError(400, "INVALID_LAUNCH_CONFIG", "x", [
      { field: "launchConfig.subnetId", message: "subnet subnet-1 does not exist" },
      { field: "servers.s-1.staticPrivateIp", message: "outside the subnet" },
      { field: "launchConfig.securityGroupIds[0]", message: "bad" },
    ]))).toEqual({ subnetId: "subnet subnet-1 does not exist", staticPrivateIp: "outside the subnet", securityGroupIds: "bad" });
    expect(fieldErrors(new Error("x"))).toEqual({});
  });
});

const GROUP = {
  groupId: "g1", groupName: "Order app", accountId: "123456789012", region: "us-east-1", selectionMode: "TAGS",
  serverSelectionTags: { Tier: "app" }, sourceServerIds: ["s-1", "s-2", "s-3"], serverCount: 3, version: 2,
  createdDate: "2026-11-29T01:00:00Z", lastModifiedDate: "2026-11-29T01:00:00Z", launchConfig: { instanceType: "m5.large" },
} as Group;
const STATUS = {
  groupId: "g1", status: "partial", lastApplied: "2026-11-29T01:05:00Z",
  serverConfigs: {
    "s-1": { status: "ready", configHash: "abcdef0123456789", lastApplied: "2026-11-29T01:05:00Z" },
    "s-2": { status: "failed", errors: ["subnet subnet-9 does not exist"] },
    "s-3": { status: "ready", configHash: "0123" },
  },
  driftedServers: { "s-3": ["instanceType"] },
};

describe("launch settings of a group", () => {
  it("shows each server's state, hash and problems, and re-applies on request", async () => {
    const { calls } = renderWithApi(<GroupDetail groupId="g1" />, (method, path) =>
      path === "/protection-groups/g1" ? { status: 200, body: GROUP }
        : path.endsWith("/launch-config-status") ? { status: 200, body: STATUS }
          : path.endsWith("/apply-launch-configs") ? { status: 200, body: { status: "ready", appliedServers: 3, failedServers: 0 } }
            : { status: 404, body: { error: "NOT_FOUND", message: path } }, WRITER);
    const table = await screen.findByRole("table", { name: "Launch-settings status by server" });
    expect(await within(table).findByText("DRIFTED")).toBeInTheDocument();
    expect(within(table).getByText("abcdef012345")).toBeInTheDocument();
    expect(within(table).getByText(/subnet subnet-9 does not exist/)).toBeInTheDocument();
    expect(screen.getByText("m5.large")).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "Re-apply launch settings" }));
    expect(await screen.findByTestId("apply-result")).toHaveTextContent("3 applied, 0 failed");
    expect(calls.find((c) => c.path.endsWith("/apply-launch-configs"))!.body).toEqual({ force: true });
  });

  it("a read-only user sees the status without edit, override or re-apply", async () => {
    renderWithApi(<GroupDetail groupId="g1" />, (_m, path) =>
      path === "/protection-groups/g1" ? { status: 200, body: GROUP } : { status: 200, body: STATUS }, ["view_protection_groups"]);
    await screen.findByRole("table", { name: "Launch-settings status by server" });
    expect(screen.queryByRole("button", { name: /Re-apply|Edit|Override|Resolve again/ })).not.toBeInTheDocument();
  });

  it("names a drifted server's state before its last apply's", () => {
    expect(serverState("s-3", STATUS)).toBe("DRIFTED");
    expect(serverState("s-2", STATUS)).toBe("FAILED");
    expect(serverState("s-4", STATUS)).toBe("NOT_CONFIGURED");
  });
});
