import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Checkbox from "@cloudscape-design/components/checkbox";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import Modal from "@cloudscape-design/components/modal";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import Table from "@cloudscape-design/components/table";
import { unwrap } from "../api/client";
import type { components } from "../api/schema";
import type { Group } from "../api/types";
import { useApi } from "../context";
import { useCan } from "../permissions";
import { ApiErrorAlert } from "./ApiErrorAlert";
import { fieldErrors } from "./GroupForm";
import { Status, Time } from "./Status";

type S = components["schemas"];
/** The fields a group default and a server override share, plus the override's own. */
export type LaunchFields = S["LaunchConfig"] & { staticPrivateIp?: string | null; useGroupDefaults?: boolean };

const DISPOSITION = ["", "STARTED", "STOPPED"];
const RIGHT_SIZING = ["", "NONE", "BASIC", "IN_AWS"];

/** Blank fields dropped: the API keeps what is not sent (group defaults) or inherits it (override). */
export function cleanLaunch(v: LaunchFields): LaunchFields {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === "" || x === null || x === undefined) continue;
    if (Array.isArray(x) && !x.length) continue;
    out[k] = x;
  }
  return out as LaunchFields;
}

function pick(options: string[], value: string | null | undefined) {
  const o = (v: string) => ({ value: v, label: v || "not set" });
  return { selectedOption: o(value ?? ""), options: options.map(o) };
}

/** The launch settings form; each API problem shown under its field. */
export function LaunchFieldsForm({ value, onChange, errors, server }: {
  value: LaunchFields; onChange: (v: LaunchFields) => void; errors: Record<string, string>; server?: boolean;
}) {
  const set = (change: Partial<LaunchFields>) => onChange({ ...value, ...change });
  const text = (k: "instanceType" | "subnetId" | "instanceProfileName" | "staticPrivateIp", label: string, hint?: string) => (
    <FormField label={label} errorText={errors[k]} description={hint}>
      <Input ariaLabel={label} value={(value[k] as string | null | undefined) ?? ""} onChange={(e) => set({ [k]: e.detail.value.trim() || null })} />
    </FormField>
  );
  return (
    <SpaceBetween size="m">
      {server && (
        <Checkbox checked={value.useGroupDefaults ?? true} onChange={(e) => set({ useGroupDefaults: e.detail.checked })}
          description="fields left empty take the group's value">Use the group defaults</Checkbox>
      )}
      <ColumnLayout columns={2}>
        {text("instanceType", "Instance type", "e.g. m5.large")}
        {text("subnetId", "Subnet", "subnet-...")}
        <FormField label="Security groups" errorText={errors.securityGroupIds} description="sg-... separated by commas">
          <Input ariaLabel="Security groups" value={(value.securityGroupIds ?? []).join(", ")}
            onChange={(e) => set({ securityGroupIds: e.detail.value.split(",").map((s) => s.trim()).filter(Boolean) })} />
        </FormField>
        {text("instanceProfileName", "Instance profile")}
        {server && text("staticPrivateIp", "Static private IP", "within the subnet's range")}
        <FormField label="Launch disposition" errorText={errors.launchDisposition}>
          <Select ariaLabel="Launch disposition" {...pick(DISPOSITION, value.launchDisposition)}
            onChange={(e) => set({ launchDisposition: (e.detail.selectedOption.value || null) as LaunchFields["launchDisposition"] })} />
        </FormField>
        <FormField label="Right-sizing" errorText={errors.targetInstanceTypeRightSizingMethod}>
          <Select ariaLabel="Right-sizing" {...pick(RIGHT_SIZING, value.targetInstanceTypeRightSizingMethod)}
            onChange={(e) => set({ targetInstanceTypeRightSizingMethod: (e.detail.selectedOption.value || null) as LaunchFields["targetInstanceTypeRightSizingMethod"] })} />
        </FormField>
      </ColumnLayout>
      <SpaceBetween direction="horizontal" size="l">
        <Checkbox checked={!!value.copyPrivateIp} onChange={(e) => set({ copyPrivateIp: e.detail.checked })}>Copy private IP</Checkbox>
        <Checkbox checked={!!value.copyTags} onChange={(e) => set({ copyTags: e.detail.checked })}>Copy tags</Checkbox>
        <Checkbox checked={!!value.postLaunchEnabled} onChange={(e) => set({ postLaunchEnabled: e.detail.checked })}>Post-launch actions</Checkbox>
      </SpaceBetween>
      {Object.entries(errors).filter(([k]) => !["instanceType", "subnetId", "securityGroupIds", "instanceProfileName", "staticPrivateIp",
        "launchDisposition", "targetInstanceTypeRightSizingMethod", "launchConfig"].includes(k)).map(([k, m]) => (
        <Box key={k} color="text-status-error">{k}: {m}</Box>
      ))}
      {errors.launchConfig && <Box color="text-status-error">{errors.launchConfig}</Box>}
    </SpaceBetween>
  );
}

function describe(c?: S["LaunchConfig"] | S["ServerLaunchOverride"] | null) {
  const v = c ?? {};
  return [
    { label: "Instance type", value: v.instanceType ?? "-" },
    { label: "Subnet", value: v.subnetId ?? "-" },
    { label: "Security groups", value: (v.securityGroupIds ?? []).join(", ") || "-" },
    { label: "Instance profile", value: v.instanceProfileName ?? "-" },
    { label: "Disposition / right-sizing", value: `${v.launchDisposition ?? "-"} / ${v.targetInstanceTypeRightSizingMethod ?? "-"}` },
    { label: "Copy IP / tags", value: `${v.copyPrivateIp ? "yes" : "no"} / ${v.copyTags ? "yes" : "no"}` },
  ];
}

/** The group's default launch settings, editable by who may modify the group. */
export function GroupLaunchDefaults({ group }: { group: Group }) {
  const api = useApi();
  const qc = useQueryClient();
  const canEdit = useCan("update_protection_group");
  const [draft, setDraft] = useState<LaunchFields | null>(null);
  const save = useMutation({
    mutationFn: async () => unwrap(await api.PUT("/protection-groups/{groupId}", {
      params: { path: { groupId: group.groupId } }, body: { launchConfig: cleanLaunch(draft ?? {}), version: group.version },
    })),
    onSuccess: (saved) => {
      qc.setQueryData(["group", group.groupId], saved);
      void qc.invalidateQueries({ queryKey: ["launch-status", group.groupId] });
      setDraft(null);
    },
  });
  return (
    <Container header={<Header variant="h2" description="Applied to every server of the group unless a server overrides them"
      actions={canEdit && <Button onClick={() => { save.reset(); setDraft({ ...(group.launchConfig ?? {}) }); }}>Edit launch settings</Button>}>
      Launch settings (group defaults)</Header>}>
      <KeyValuePairs columns={3} items={describe(group.launchConfig)} />
      {draft && (
        <Modal visible closeAriaLabel="Close" size="large" onDismiss={() => setDraft(null)} header="Group launch settings"
          footer={<Box float="right"><SpaceBetween direction="horizontal" size="xs">
            <Button variant="link" onClick={() => setDraft(null)}>Cancel</Button>
            <Button variant="primary" loading={save.isPending} onClick={() => save.mutate()}>Save and apply</Button>
          </SpaceBetween></Box>}>
          <SpaceBetween size="m">
            <LaunchFieldsForm value={draft} onChange={setDraft} errors={fieldErrors(save.error)} />
            <ApiErrorAlert error={save.error} header="The launch settings were not saved" />
          </SpaceBetween>
        </Modal>
      )}
    </Container>
  );
}

function ServerOverride({ groupId, serverId, onClose }: { groupId: string; serverId: string; onClose: () => void }) {
  const api = useApi();
  const qc = useQueryClient();
  const path = { params: { path: { groupId, serverId } } };
  const q = useQuery({
    queryKey: ["server-launch", groupId, serverId],
    queryFn: async () => unwrap(await api.GET("/protection-groups/{groupId}/servers/{serverId}/launch-config", path)),
  });
  const [draft, setDraft] = useState<LaunchFields | null>(null);
  const value: LaunchFields = draft ?? { ...(q.data?.override ?? {}), useGroupDefaults: q.data?.useGroupDefaults ?? true };
  const done = () => { void qc.invalidateQueries({ queryKey: ["launch-status", groupId] }); void qc.invalidateQueries({ queryKey: ["group", groupId] }); onClose(); };
  const save = useMutation({
    mutationFn: async () => unwrap(await api.PUT("/protection-groups/{groupId}/servers/{serverId}/launch-config", {
      ...path, body: { ...cleanLaunch(value), useGroupDefaults: value.useGroupDefaults ?? true, version: q.data?.version },
    })),
    onSuccess: done,
  });
  const remove = useMutation({
    mutationFn: async () => unwrap(await api.DELETE("/protection-groups/{groupId}/servers/{serverId}/launch-config", {
      params: { path: { groupId, serverId }, query: { version: q.data?.version } },
    })),
    onSuccess: done,
  });
  return (
    <Modal visible closeAriaLabel="Close" size="large" onDismiss={onClose} header={`Launch settings of ${serverId}`}
      footer={<Box float="right"><SpaceBetween direction="horizontal" size="xs">
        <Button variant="link" onClick={onClose}>Cancel</Button>
        {q.data?.override && <Button loading={remove.isPending} onClick={() => remove.mutate()}>Remove override</Button>}
        <Button variant="primary" disabled={!q.data} loading={save.isPending} onClick={() => save.mutate()}>Save override</Button>
      </SpaceBetween></Box>}>
      {q.isPending ? <Spinner /> : (
        <SpaceBetween size="m">
          <ApiErrorAlert error={q.error} header="Could not read the server's launch settings" />
          {q.data && <Box fontSize="body-s" color="text-body-secondary">Effective now (hash {q.data.configHash}): {JSON.stringify(q.data.effectiveConfig)}</Box>}
          <LaunchFieldsForm server value={value} onChange={setDraft} errors={fieldErrors(save.error)} />
          <ApiErrorAlert error={save.error ?? remove.error} header="The override was not saved" />
        </SpaceBetween>
      )}
    </Modal>
  );
}

export function serverState(id: string, v?: S["LaunchStatusView"]): string {
  if (v?.driftedServers && id in v.driftedServers) return "DRIFTED";
  return (v?.serverConfigs?.[id]?.status ?? "not_configured").toUpperCase();
}

/** Each server's launch-settings state (ready / pending / failed / drifted, hash, last applied),
 * re-apply, and a server's own override. */
export function LaunchStatus({ group }: { group: Group }) {
  const api = useApi();
  const qc = useQueryClient();
  const canModify = useCan("apply_launch_configs");
  const [editing, setEditing] = useState<string | null>(null);
  const path = { params: { path: { groupId: group.groupId } } };
  const q = useQuery({
    queryKey: ["launch-status", group.groupId],
    queryFn: async () => unwrap(await api.GET("/protection-groups/{groupId}/launch-config-status", path)),
    // an apply continuing in background runs takes minutes for a large group: read less often
    refetchInterval: (query) => (query.state.data?.status !== "applying" ? false : query.state.data.background ? 10000 : 2000),
  });
  const apply = useMutation({
    mutationFn: async () => unwrap(await api.POST("/protection-groups/{groupId}/apply-launch-configs", { ...path, body: { force: true } })),
    onSettled: () => qc.invalidateQueries({ queryKey: ["launch-status", group.groupId] }),
  });
  const rows = group.sourceServerIds.map((id) => ({ id, state: serverState(id, q.data), cfg: q.data?.serverConfigs?.[id], drift: q.data?.driftedServers?.[id] }));
  return (
    <SpaceBetween size="s">
      <ApiErrorAlert error={q.error} header="Could not read the launch-settings status" />
      <ApiErrorAlert error={apply.error} header="The launch settings were not re-applied" />
      {q.data?.background && <Box data-testid="background-apply">Applying in the background: {q.data.background.readyServers} ready, {q.data.background.pendingServers} pending, {q.data.background.failedServers} failed; waiting for {q.data.background.waitingFor}</Box>}
      {q.data?.status === "pending" && !!q.data.errors?.length && <Box data-testid="apply-pending" color="text-status-warning">{q.data.errors.join("; ")}</Box>}
      {apply.data && <Box data-testid="apply-result">Re-applied: <Status value={apply.data.status.toUpperCase()} /> {apply.data.appliedServers ?? 0} applied, {apply.data.failedServers ?? 0} failed{apply.data.errors?.length ? `: ${apply.data.errors.join("; ")}` : ""}</Box>}
      <Table
        header={<Header variant="h2" counter={`(${rows.length})`} description={q.data ? <>Group status <Status value={q.data.status.toUpperCase()} />, last applied <Time iso={q.data.lastApplied} /></> : undefined}
          actions={canModify && <Button loading={apply.isPending} onClick={() => apply.mutate()}>Re-apply launch settings</Button>}>
          Launch-settings status</Header>}
        loading={q.isPending}
        loadingText="Reading the launch-settings status"
        items={rows}
        trackBy="id"
        wrapLines
        empty="No servers"
        ariaLabels={{ tableLabel: "Launch-settings status by server" }}
        columnDefinitions={[
          { id: "server", header: "Source server", cell: (r) => r.id },
          { id: "state", header: "State", cell: (r) => <Status value={r.state} /> },
          { id: "hash", header: "Config hash", cell: (r) => r.cfg?.configHash ? <code>{r.cfg.configHash.slice(0, 12)}</code> : "-" },
          { id: "applied", header: "Last applied", cell: (r) => <Time iso={r.cfg?.lastApplied} /> },
          { id: "why", header: "Problems", cell: (r) => [...(r.cfg?.errors ?? []), ...(r.drift ? [`drifted: ${r.drift.join(", ")}`] : []), q.data?.outdatedServers?.[r.id] ?? ""].filter(Boolean).join("; ") || "-" },
          ...(canModify ? [{ id: "edit", header: "Override", cell: (r: (typeof rows)[number]) => (
            <Button variant="inline-link" ariaLabel={`${group.servers?.[r.id] ? "Edit override" : "Override"} of ${r.id}`} onClick={() => setEditing(r.id)}>
              {group.servers?.[r.id] ? "Edit override" : "Override"}
            </Button>) }] : []),
        ]}
      />
      {editing && <ServerOverride groupId={group.groupId} serverId={editing} onClose={() => setEditing(null)} />}
    </SpaceBetween>
  );
}
