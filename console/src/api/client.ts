import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema";

export type Api = ReturnType<typeof createClient<paths>>;

/** An API error as the API reports it: `{"error": CODE, "message": ...}` with the HTTP status. */
export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string, public details?: unknown) {
    super(message);
  }
}

export function makeApi(baseUrl: string, token: () => string | null, onUnauthorized: () => void): Api {
  const api = createClient<paths>({ baseUrl });
  const auth: Middleware = {
    onRequest({ request }) {
      const t = token();
      if (t) request.headers.set("Authorization", `Bearer ${t}`);
      return request;
    },
    onResponse({ response }) {
      if (response.status === 401) onUnauthorized();
      return response;
    },
  };
  api.use(auth);
  return api;
}

/** The data of an openapi-fetch answer, or an ApiError carrying the API's code and message. */
export function unwrap<T>(out: { data?: T; error?: unknown; response: Response }): T {
  if (out.error !== undefined || out.data === undefined) {
    const e = (out.error ?? {}) as { error?: string; message?: string; details?: unknown };
    throw new ApiError(out.response.status, e.error ?? `HTTP_${out.response.status}`,
      e.message ?? out.response.statusText, e.details);
  }
  return out.data;
}
