import type { ReactNode } from "react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import { vi } from "vitest";
import { makeApi } from "../api/client";
import { ApiContext } from "../context";
import { GrantsProvider } from "../permissions";

type Answer = { status: number; body: unknown };
type Handler = (method: string, path: string, body: unknown, query: URLSearchParams) => Answer | Promise<Answer>;

/** Renders under the real API client, whose fetch answers from `handler` (at once, or when its promise
 * settles); records the calls. */
export function renderWithApi(ui: ReactNode, handler: Handler, permissions: string[]) {
  const calls: { method: string; path: string; body: unknown; query: string }[] = [];
  const fetchMock = vi.fn(async (input: Request) => {
    const url = new URL(input.url);
    const text = await input.text();
    const body = text ? JSON.parse(text) : undefined;
    calls.push({ method: input.method, path: url.pathname, body, query: url.search });
    const out = await handler(input.method, url.pathname, body, url.searchParams);
    return new Response(JSON.stringify(out.body), { status: out.status, headers: { "Content-Type": "application/json" } });
  });
  vi.stubGlobal("fetch", fetchMock);
  const api = makeApi("http://api.test", () => "token", () => undefined);
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const view = render(
    <QueryClientProvider client={client}>
      <ApiContext.Provider value={api}>
        <GrantsProvider grants={{ roles: [], permissions: new Set(permissions) }}>{ui}</GrantsProvider>
      </ApiContext.Provider>
    </QueryClientProvider>,
  );
  return { ...view, calls };
}
