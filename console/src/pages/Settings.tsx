import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import FileUpload from "@cloudscape-design/components/file-upload";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import SegmentedControl from "@cloudscape-design/components/segmented-control";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import Toggle from "@cloudscape-design/components/toggle";
import { unwrap } from "../api/client";
import type { components } from "../api/schema";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { entityChanges } from "../components/configDiff";
import { Status, Time } from "../components/Status";
import { useApi } from "../context";
import { useCan } from "../permissions";

type Report = components["schemas"]["ImportReport"];

function TagSync() {
  const api = useApi();
  const qc = useQueryClient();
  const canChange = useCan("update_tag_sync_settings");
  const canRun = useCan("run_tag_sync");
  const settings = useQuery({ queryKey: ["tag-sync-settings"], queryFn: async () => unwrap(await api.GET("/config/tag-sync")) });
  const last = useQuery({ queryKey: ["tag-sync-run"], queryFn: async () => unwrap(await api.GET("/drs/tag-sync")) });
  const [draft, setDraft] = useState<{ enabled: boolean; intervalHours: string; regions: string } | null>(null);
  const save = useMutation({
    mutationFn: async () => unwrap(await api.PUT("/config/tag-sync", { body: {
      enabled: draft!.enabled, intervalHours: Number(draft!.intervalHours),
      regions: draft!.regions.split(",").map((r) => r.trim()).filter(Boolean),
    } })),
    onSuccess: (out) => { qc.setQueryData(["tag-sync-settings"], out); setDraft(null); },
  });
  const run = useMutation({
    mutationFn: async () => unwrap(await api.POST("/drs/tag-sync", { body: {} })),
    onSuccess: (out) => qc.setQueryData(["tag-sync-run"], out),
  });
  const s = settings.data;
  const r = run.data ?? last.data;
  const unreached = (r?.results ?? []).filter((x) => x.error); // account-regions a run did not sync
  const errors: Record<string, string> = {};
  const details = (save.error as { details?: { field?: string; message?: string }[] } | null)?.details;
  if (Array.isArray(details)) for (const d of details) if (d.field) errors[d.field.split(".")[0]] = String(d.message);
  return (
    <Container header={<Header variant="h2" description="Copies the EC2 instance tags of the source machines onto their DRS source servers, so tag groups see them"
      actions={<SpaceBetween direction="horizontal" size="xs">
        {canChange && s && !draft && <Button onClick={() => setDraft({ enabled: s.enabled, intervalHours: String(s.intervalHours), regions: (s.regions ?? []).join(", ") })}>Edit schedule</Button>}
        {canRun && <Button loading={run.isPending} onClick={() => run.mutate()}>Run tag sync now</Button>}
      </SpaceBetween>}>Tag sync</Header>}>
      <SpaceBetween size="m">
        <ApiErrorAlert error={settings.error ?? last.error} header="Could not read the tag sync" />
        <ApiErrorAlert error={run.error} header="The tag sync did not run" />
        {s && !draft && (
          <KeyValuePairs columns={4} items={[
            { label: "Schedule", value: <span data-testid="tag-sync-schedule">{s.enabled ? `every ${s.intervalHours} h` : "off"}</span> },
            { label: "Rule", value: `${s.ruleName} (${s.scheduleExpression})` },
            { label: "Regions", value: (s.regions ?? []).join(", ") || "all" },
            { label: "Changed", value: s.lastModified ? <>{s.lastModifiedBy ?? "-"} <Time iso={s.lastModified} /></> : "never" },
          ]} />
        )}
        {draft && (
          <SpaceBetween size="s">
            <Toggle checked={draft.enabled} onChange={(e) => setDraft({ ...draft, enabled: e.detail.checked })}>Run on a schedule</Toggle>
            <FormField label="Every (hours)" errorText={errors.intervalHours}>
              <Input type="number" ariaLabel="Every (hours)" value={draft.intervalHours} onChange={(e) => setDraft({ ...draft, intervalHours: e.detail.value })} />
            </FormField>
            <FormField label="Regions" description="separated by commas; empty: every region" errorText={errors.regions}>
              <Input ariaLabel="Regions" value={draft.regions} onChange={(e) => setDraft({ ...draft, regions: e.detail.value })} />
            </FormField>
            <ApiErrorAlert error={save.error} header="The schedule was not saved" />
            <SpaceBetween direction="horizontal" size="xs">
              <Button variant="link" onClick={() => { setDraft(null); save.reset(); }}>Cancel</Button>
              <Button variant="primary" loading={save.isPending} onClick={() => save.mutate()}>Save schedule</Button>
            </SpaceBetween>
          </SpaceBetween>
        )}
        {r && (
          <Box data-testid="tag-sync-last">Last run: <Status value={r.status.toUpperCase()} /> <Time iso={r.finishedAt ?? r.startedAt ?? r.lastSync} />
            {r.totals ? ` — ${r.totals.servers} servers, ${r.totals.updated} updated, ${r.totals.tagsSet} tags set, ${r.totals.tagsRemoved} removed, ${r.totals.failed} failed` : ""}</Box>
        )}
        {/* a PARTIAL or FAILED run says which account-regions were not synced, and why */}
        {unreached.length > 0 && (
          <ul data-testid="tag-sync-errors">{unreached.map((x) => (
            <li key={`${x.accountId}/${x.region}`}><Box color="text-status-error" variant="span">
              {x.accountId} / {x.region}: {x.error?.code}: {x.error?.message}</Box></li>
          ))}</ul>
        )}
      </SpaceBetween>
    </Container>
  );
}

/** A file's text (FileReader: every browser has it, and so does the test DOM). */
function readText(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error ?? new Error("the file could not be read"));
    r.readAsText(file);
  });
}

function show(v: unknown): string {
  return v === undefined ? "(none)" : JSON.stringify(v);
}

function ExportImport() {
  const api = useApi();
  const qc = useQueryClient();
  const canExport = useCan("export_configuration");
  const canImport = useCan("import_configuration");
  const [files, setFiles] = useState<File[]>([]);
  const [doc, setDoc] = useState<Record<string, unknown> | null>(null);
  const [parseError, setParseError] = useState<string | null>(null);
  const [mode, setMode] = useState<"skip" | "overwrite">("skip");
  const exported = useMutation({
    mutationFn: async () => unwrap(await api.GET("/config/export")),
    onSuccess: (out) => {
      const url = URL.createObjectURL(new Blob([JSON.stringify(out, null, 2)], { type: "application/json" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = `drs-orch-config-${out.exportedAt.replace(/[:.]/g, "-")}.json`;
      a.click();
      URL.revokeObjectURL(url);
    },
  });
  const current = useQuery({ queryKey: ["config-export"], enabled: !!doc && canExport, queryFn: async () => unwrap(await api.GET("/config/export")) });
  const dry = useMutation({
    mutationFn: async () => unwrap(await api.POST("/config/import", { body: { config: doc!, dryRun: true, mode } })),
  });
  const apply = useMutation({
    mutationFn: async () => unwrap(await api.POST("/config/import", { body: { config: doc!, dryRun: false, mode } })),
    onSuccess: () => { void qc.invalidateQueries(); },
  });
  const pick = async (chosen: File[]) => {
    setFiles(chosen); setDoc(null); setParseError(null); dry.reset(); apply.reset();
    if (!chosen[0]) return;
    try {
      const parsed = JSON.parse(await readText(chosen[0])) as unknown;
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("the file is not a JSON object");
      setDoc(parsed as Record<string, unknown>);
    } catch (e) {
      setParseError(e instanceof Error ? e.message : String(e));
    }
  };
  const report: Report | undefined = apply.data ?? dry.data;
  return (
    <Container header={<Header variant="h2" description="Protection groups, recovery plans and target accounts as one JSON document; an import is dry-run first"
      actions={canExport && <Button iconName="download" loading={exported.isPending} onClick={() => exported.mutate()}>Export configuration</Button>}>
      Export and import</Header>}>
      <SpaceBetween size="m">
        <ApiErrorAlert error={exported.error} header="The configuration was not exported" />
        {canImport && (
          <>
            <FormField label="Import a configuration" errorText={parseError ?? undefined}>
              <FileUpload value={files} accept="application/json,.json" onChange={(e) => void pick(e.detail.value)}
                i18nStrings={{ uploadButtonText: () => "Choose file", dropzoneText: () => "Drop the file to import", removeFileAriaLabel: () => "Remove file",
                  limitShowFewer: "Show fewer files", limitShowMore: "Show more files", errorIconAriaLabel: "Error" }} />
            </FormField>
            <FormField label="Existing entities">
              <SegmentedControl label="Existing entities" selectedId={mode} onChange={(e) => { setMode(e.detail.selectedId as "skip" | "overwrite"); dry.reset(); }}
                options={[{ id: "skip", text: "Skip" }, { id: "overwrite", text: "Overwrite" }]} />
            </FormField>
            <SpaceBetween direction="horizontal" size="xs">
              <Button disabled={!doc} loading={dry.isPending} onClick={() => { apply.reset(); dry.mutate(); }}>Dry run</Button>
              <Button variant="primary" disabled={!dry.data || !!apply.data} loading={apply.isPending} onClick={() => apply.mutate()}>Import</Button>
            </SpaceBetween>
            <ApiErrorAlert error={dry.error ?? apply.error} header="The import was refused" />
          </>
        )}
        {report && doc && (
          <Table
            variant="embedded"
            header={<Header variant="h3" description={report.dryRun ? "Nothing was written: this is what an import would do" : "Written"}>
              {report.dryRun ? "Dry run" : "Imported"}: <span data-testid="import-summary">{(["protectionGroups", "recoveryPlans", "targetAccounts"] as const)
                .map((k) => `${k} ${report.summary[k].created} created, ${report.summary[k].updated} updated, ${report.summary[k].skipped} skipped, ${report.summary[k].failed} failed`).join("; ")}</span>
            </Header>}
            ariaLabels={{ tableLabel: "Import changes" }}
            items={report.items.map((i, n) => ({ ...i, key: `${i.type}#${i.name}#${n}` }))}
            trackBy="key"
            columnDefinitions={[
              { id: "type", header: "Type", cell: (i) => i.type },
              { id: "name", header: "Name", cell: (i) => i.name },
              { id: "action", header: "Action", cell: (i) => i.action ?? "-" },
              { id: "diff", header: "Changes", cell: (i) => {
                if (i.action === "failed") return <Box color="text-status-error">{i.reason}{i.details ? ` ${JSON.stringify(i.details)}` : ""}</Box>;
                if (i.action === "skipped") return i.reason ?? "exists; kept";
                const changes = entityChanges(current.data as never, doc as never, i.type, i.name);
                return changes.length ? <ul style={{ margin: 0, paddingLeft: 16 }}>{changes.slice(0, 12).map((c) => <li key={c.path}><code>{c.path}</code>: {show(c.before)} → {show(c.after)}</li>)}
                  {changes.length > 12 ? <li>and {changes.length - 12} more</li> : null}</ul> : "no change";
              } },
              { id: "warnings", header: "Warnings", cell: (i) => (i.warnings ?? []).join("; ") || "-" },
            ]}
          />
        )}
      </SpaceBetween>
    </Container>
  );
}

export function Settings() {
  return (
    <SpaceBetween size="l">
      <Header variant="h1">Settings</Header>
      <TagSync />
      <ExportImport />
    </SpaceBetween>
  );
}
