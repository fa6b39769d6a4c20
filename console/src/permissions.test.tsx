import { render, screen } from "@testing-library/react";
import { operations } from "./api/operations";
import { allowed, Can, GrantsProvider } from "./permissions";

const READ_ONLY = ["view_accounts", "view_executions", "view_protection_groups", "view_recovery_plans"];
const OPERATOR = [...READ_ONLY, "start_recovery", "stop_recovery", "modify_protection_groups", "modify_recovery_plans"];

describe("permission gating", () => {
  it("maps an operation to the permission the API document names", () => {
    expect(operations.execute_plan.permission).toBe("start_recovery");
    expect(operations.terminate_instances.permission).toBe("terminate_instances");
    expect(operations.get_user_permissions.permission).toBe("AUTHENTICATED");
  });

  it("allows read operations to a read-only user and refuses the write ones", () => {
    const g = { roles: ["DRSReadOnly"], permissions: new Set(READ_ONLY) };
    expect(allowed(g, "get_execution_details")).toBe(true);
    expect(allowed(g, "list_recovery_plans")).toBe(true);
    expect(allowed(g, "execute_plan")).toBe(false);
    expect(allowed(g, "pause_execution")).toBe(false);
    expect(allowed(g, "create_recovery_plan")).toBe(false);
  });

  it("shows an operator's start button and hides the terminate button it may not use", () => {
    render(
      <GrantsProvider grants={{ roles: ["DRSOperator"], permissions: new Set(OPERATOR) }}>
        <Can op="execute_plan"><button>Start drill</button></Can>
        <Can op="terminate_instances"><button>Terminate instances</button></Can>
      </GrantsProvider>,
    );
    expect(screen.getByRole("button", { name: "Start drill" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Terminate instances" })).not.toBeInTheDocument();
  });
});
