import { Suspense, lazy, useEffect, useMemo, useState } from "react";
import { QueryClient, QueryClientProvider, useQuery } from "@tanstack/react-query";
import AppLayout from "@cloudscape-design/components/app-layout";
import SideNavigation from "@cloudscape-design/components/side-navigation";
import Spinner from "@cloudscape-design/components/spinner";
import TopNavigation from "@cloudscape-design/components/top-navigation";
import { makeApi, unwrap, type Api } from "./api/client";
import { currentSession, signOut, type Session } from "./auth";
import type { ConsoleConfig } from "./config";
import { ApiErrorAlert } from "./components/ApiErrorAlert";
import { ApiContext, navigate } from "./context";
import { GrantsProvider } from "./permissions";
import { Dashboard } from "./pages/Dashboard";
import { SignIn } from "./pages/SignIn";

// pages past the dashboard load on first visit (their own chunks)
const Accounts = lazy(async () => ({ default: (await import("./pages/Accounts")).Accounts }));
const ExecutionDetail = lazy(async () => ({ default: (await import("./pages/ExecutionDetail")).ExecutionDetail }));
const ExecutionsList = lazy(async () => ({ default: (await import("./pages/Executions")).ExecutionsList }));
const GroupDetail = lazy(async () => ({ default: (await import("./pages/GroupDetail")).GroupDetail }));
const GroupsList = lazy(async () => ({ default: (await import("./pages/Groups")).GroupsList }));
const PlanDetail = lazy(async () => ({ default: (await import("./pages/Plans")).PlanDetail }));
const PlansList = lazy(async () => ({ default: (await import("./pages/Plans")).PlansList }));
const WavesEditing = lazy(async () => ({ default: (await import("./pages/Plans")).WavesEditing }));
const RunReport = lazy(async () => ({ default: (await import("./pages/RunReport")).RunReport }));
const Settings = lazy(async () => ({ default: (await import("./pages/Settings")).Settings }));

function useHash(): string[] {
  const read = () => window.location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  const [parts, setParts] = useState(read);
  useEffect(() => {
    const on = () => setParts(read());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return parts;
}

function Page({ parts }: { parts: string[] }) {
  return <Suspense fallback={<Spinner size="large" />}><Route parts={parts} /></Suspense>;
}

function Route({ parts }: { parts: string[] }) {
  const [area, id] = parts;
  switch (area) {
    case "plans": return id === "new" ? <WavesEditing onDone={() => navigate("/plans")} /> : id ? <PlanDetail planId={id} /> : <PlansList />;
    case "groups": return id ? <GroupDetail groupId={id} /> : <GroupsList />;
    case "accounts": return <Accounts />;
    case "settings": return <Settings />;
    case "executions": return id ? <ExecutionDetail executionId={id} /> : <ExecutionsList />;
    default: return <Dashboard />;
  }
}

function Shell({ api, session, onSignOut }: { api: Api; session: Session; onSignOut: () => void }) {
  const parts = useHash();
  const me = useQuery({ queryKey: ["me"], queryFn: async () => unwrap(await api.GET("/user/permissions")) });
  const grants = useMemo(() => ({ roles: me.data?.roles ?? [], permissions: new Set(me.data?.permissions ?? []) }), [me.data]);
  const active = `#/${parts[0] ?? ""}`;
  // open unless the window is narrow; kept in state so the layout does not guess it again
  const [navOpen, setNavOpen] = useState(() => window.matchMedia("(min-width: 688px)").matches);
  if (parts[0] === "executions" && parts[1] && parts[2] === "report") return <Suspense fallback={<Spinner size="large" />}><RunReport executionId={parts[1]} /></Suspense>;
  return (
    <>
      <TopNavigation
        identity={{ href: "#/", title: "DRS Orchestration" }}
        i18nStrings={{ overflowMenuTriggerText: "More", overflowMenuTitleText: "All" }}
        utilities={[{
          type: "menu-dropdown", text: session.username, description: grants.roles.join(", "), iconName: "user-profile",
          items: [{ id: "signout", text: "Sign out" }], onItemClick: () => onSignOut(),
        }]}
      />
      <AppLayout
        toolsHide
        navigationOpen={navOpen}
        onNavigationChange={(e) => setNavOpen(e.detail.open)}
        ariaLabels={{ navigation: "Navigation", navigationToggle: "Open navigation", navigationClose: "Close navigation", notifications: "Notifications" }}
        navigation={<SideNavigation activeHref={active} header={{ href: "#/", text: "DR console" }} items={[
          { type: "link", text: "Dashboard", href: "#/" },
          { type: "link", text: "Recovery plans", href: "#/plans" },
          { type: "link", text: "Protection groups", href: "#/groups" },
          { type: "link", text: "History", href: "#/executions" },
          { type: "link", text: "Accounts", href: "#/accounts" },
          { type: "link", text: "Settings", href: "#/settings" },
        ]} />}
        content={me.isPending ? <Spinner size="large" /> : me.isError ? <ApiErrorAlert error={me.error} header="Could not read your permissions" /> : (
          <GrantsProvider grants={grants}><Page parts={parts} /></GrantsProvider>
        )}
      />
    </>
  );
}

export function App({ config }: { config: ConsoleConfig }) {
  const [session, setSession] = useState<Session | null>(currentSession);
  const client = useMemo(() => new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } } }), []);
  const api = useMemo(() => makeApi(config.apiUrl, () => currentSession()?.idToken ?? null, () => { signOut(); setSession(null); }), [config]);
  if (!session) return <SignIn config={config} onSignedIn={setSession} />;
  return (
    <QueryClientProvider client={client}>
      <ApiContext.Provider value={api}>
        <Shell api={api} session={session} onSignOut={() => { signOut(); client.clear(); setSession(null); }} />
      </ApiContext.Provider>
    </QueryClientProvider>
  );
}
