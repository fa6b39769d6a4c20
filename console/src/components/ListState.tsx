import type { ReactNode } from "react";
import Box from "@cloudscape-design/components/box";
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
