import { createContext, useContext } from "react";
import type { Api } from "./api/client";

export const ApiContext = createContext<Api | null>(null);

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error("no API client in context");
  return api;
}

/** Hash routes: #/plans/ID -> ["plans", "ID"]. */
export function navigate(path: string): void {
  window.location.hash = path;
}
