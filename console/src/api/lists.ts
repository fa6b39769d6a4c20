import { useQuery } from "@tanstack/react-query";
import { useApi } from "../context";
import { unwrap } from "./client";

/** Pages read at most for one list; past that the list says "N+". */
const MAX_PAGES = 50;

/** The items of every page of a listing, following its `nextToken` (at most `MAX_PAGES`; `more`:
 * pages were left). */
export async function everyPage<T>(read: (token: string | undefined) => Promise<{ items: T[]; nextToken?: string | null }>) {
  const items: T[] = [];
  let token: string | undefined;
  for (let n = 0; n < MAX_PAGES; n += 1) {
    const page = await read(token);
    items.push(...page.items);
    token = page.nextToken ?? undefined;
    if (!token) break;
  }
  return { items, more: !!token };
}

/** Every recovery plan (all pages), shared by the pages that list or choose plans. */
export function usePlans() {
  const api = useApi();
  return useQuery({
    queryKey: ["plans"],
    queryFn: async () => {
      const { items, more } = await everyPage(async (nextToken) => {
        const p = unwrap(await api.GET("/recovery-plans", { params: { query: { limit: 100, nextToken } } }));
        return { items: p.recoveryPlans, nextToken: p.nextToken };
      });
      return { recoveryPlans: items, count: items.length, more };
    },
  });
}

/** Every protection group (all pages), shared by the pages that list or choose groups. */
export function useGroups() {
  const api = useApi();
  return useQuery({
    queryKey: ["groups"],
    queryFn: async () => {
      const { items, more } = await everyPage(async (nextToken) => {
        const p = unwrap(await api.GET("/protection-groups", { params: { query: { limit: 100, nextToken } } }));
        return { items: p.groups, nextToken: p.nextToken };
      });
      return { groups: items, count: items.length, more };
    },
  });
}
