import type { ReactNode } from "react";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";

/** A list's count for its table header: nothing until the list has loaded (the table shows its
 * loading state then), so a list not read yet never reads as "0"; "N+" when older pages exist. */
export function counter(count: number | null | undefined, more = false): string | undefined {
  return count === null || count === undefined ? undefined : `(${count}${more ? "+" : ""})`;
}

/** What a table shows in place of its rows: that the list could not be read (never an empty list),
 * else `empty`. */
export function emptyOrFailed(error: unknown, what: string, empty: ReactNode): ReactNode {
  if (!error) return empty;
  return <Box textAlign="center" color="text-status-error"><StatusIndicator type="error">Could not load {what}</StatusIndicator></Box>;
}

/** The header of a list's load error: a list shown from an earlier read says when that was. */
export function loadErrorHeader(what: string, shownSince?: number): string {
  return shownSince ? `Could not refresh ${what}; showing those read at ${new Date(shownSince).toLocaleTimeString()}` : `Could not list ${what}`;
}

/** A table with nothing in it: what is missing, what to do next, and the action that does it. */
export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <Box textAlign="center" color="inherit" data-testid="empty-state">
      <SpaceBetween size="xs">
        <Box variant="strong" color="inherit">{title}</Box>
        {children && <Box variant="p" color="inherit">{children}</Box>}
        {action}
      </SpaceBetween>
    </Box>
  );
}

/** A filter that kept nothing: say so and offer to clear it. */
export function NoMatch({ what, onClear }: { what: string; onClear: () => void }) {
  return <EmptyState title={`No ${what} match the filter`} action={<Button onClick={onClear}>Clear filter</Button>} />;
}
