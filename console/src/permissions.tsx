import { createContext, useContext, type ReactNode } from "react";
import { operations, type OperationId } from "./api/operations";

/** What the signed-in user may do, from GET /user/permissions. The API enforces it; the console
 * only hides what would be refused. */
export interface Grants {
  roles: string[];
  permissions: ReadonlySet<string>;
}

const GrantsContext = createContext<Grants>({ roles: [], permissions: new Set() });

export function GrantsProvider({ grants, children }: { grants: Grants; children: ReactNode }) {
  return <GrantsContext.Provider value={grants}>{children}</GrantsContext.Provider>;
}

export function allowed(grants: Grants, op: OperationId): boolean {
  const needed = operations[op].permission;
  return needed === "PUBLIC" || needed === "AUTHENTICATED" || grants.permissions.has(needed);
}

export function useCan(op: OperationId): boolean {
  return allowed(useContext(GrantsContext), op);
}

export function useGrants(): Grants {
  return useContext(GrantsContext);
}

/** Renders its children only when the user may call the operation. */
export function Can({ op, children }: { op: OperationId; children: ReactNode }) {
  return useCan(op) ? <>{children}</> : null;
}
