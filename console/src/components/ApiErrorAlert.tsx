import Alert from "@cloudscape-design/components/alert";
import { ApiError } from "../api/client";

/** An API error with its code and message, where the action that caused it is. */
export function ApiErrorAlert({ error, header }: { error: unknown; header?: string }) {
  if (!error) return null;
  const code = error instanceof ApiError ? error.code : "ERROR";
  const message = error instanceof Error ? error.message : String(error);
  return (
    <Alert type="error" header={header ?? "The request failed"}>
      <span data-testid="api-error-code"><b>{code}</b></span>: {message}
    </Alert>
  );
}
