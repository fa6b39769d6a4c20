import { useEffect, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import FormField from "@cloudscape-design/components/form-field";
import Input from "@cloudscape-design/components/input";
import Modal from "@cloudscape-design/components/modal";
import SegmentedControl from "@cloudscape-design/components/segmented-control";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { ApiError, unwrap } from "../api/client";
import type { Group } from "../api/types";
import { useApi } from "../context";
import { ApiErrorAlert } from "./ApiErrorAlert";
import { ServerPicker } from "./ServerPicker";
import { Status } from "./Status";

/** "Tier=web, Environment=production" -> {Tier: "web", Environment: "production"}; null when malformed. */
export function parseTags(text: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const i = part.indexOf("=");
    if (i <= 0) return null;
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return Object.keys(out).length ? out : null;
}

export function formatTags(tags?: Record<string, string> | null): string {
  return Object.entries(tags ?? {}).map(([k, v]) => `${k}=${v}`).join(", ");
}

/** The API's field problems (`details: [{field, message}]`) by the last part of the field name. */
export function fieldErrors(error: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(error instanceof ApiError) || !Array.isArray(error.details)) return out;
  for (const d of error.details as { field?: string; message?: string }[]) {
    if (!d?.field) continue;
    const key = d.field.split(".").pop()!.replace(/\[\d+\]$/, "");
    out[key] = out[key] ? `${out[key]}; ${d.message}` : String(d.message);
  }
  return out;
}

/** A value that settles `ms` after its last change (the live preview asks once typing stops). */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

function TagPreview({ region, tags, groupId }: { region: string; tags: Record<string, string>; groupId?: string }) {
  const api = useApi();
  const key = JSON.stringify(tags);
  const settled = useSettled(key, 400);
  const q = useQuery({
    queryKey: ["resolve", region, settled, groupId ?? null],
    enabled: settled === key,
    queryFn: async () => unwrap(await api.POST("/protection-groups/resolve", {
      body: { region, serverSelectionTags: JSON.parse(settled) as Record<string, string>, ...(groupId ? { groupId } : {}) },
    })),
  });
  return (
    <>
      <ApiErrorAlert error={q.error} header="The preview failed" />
      <Table
        variant="embedded"
        loading={q.isFetching && !q.data}
        loadingText="Matching servers"
        header={<Box variant="h3">{q.data ? `${q.data.serverCount} servers match` : "Matching servers"}</Box>}
        ariaLabels={{ tableLabel: "Matched servers" }}
        items={q.data?.servers ?? []}
        trackBy="sourceServerID"
        empty="No server matches these tags"
        columnDefinitions={[
          { id: "host", header: "Server", cell: (s) => s.hostname ?? s.sourceServerID },
          { id: "id", header: "Source server", cell: (s) => s.sourceServerID },
          { id: "repl", header: "Replication", cell: (s) => <Status value={s.replicationState} /> },
          { id: "life", header: "Lifecycle", cell: (s) => s.lifecycleState ?? "-" },
        ]}
      />
    </>
  );
}

/** Create a protection group, or edit one: servers chosen by tags (with a live preview of the
 * servers matched now) or picked one by one from the region's source servers. */
export function GroupForm({ group, onClose }: { group?: Group; onClose: () => void }) {
  const api = useApi();
  const qc = useQueryClient();
  const [name, setName] = useState(group?.groupName ?? "");
  const [description, setDescription] = useState(group?.description ?? "");
  const [region, setRegion] = useState(group?.region ?? "us-east-1");
  const [mode, setMode] = useState<"tags" | "servers">(group && !group.serverSelectionTags ? "servers" : "tags");
  const [tagText, setTagText] = useState(formatTags(group?.serverSelectionTags));
  const [servers, setServers] = useState<string[]>(group?.serverSelectionTags ? [] : (group?.sourceServerIds ?? []));
  const tags = parseTags(tagText);
  const selection = mode === "tags"
    ? { serverSelectionTags: tags, sourceServerIds: null }
    : { sourceServerIds: servers, serverSelectionTags: null };
  const save = useMutation({
    mutationFn: async () => {
      const body = { groupName: name.trim(), description, region, ...selection };
      return group
        ? unwrap(await api.PUT("/protection-groups/{groupId}", { params: { path: { groupId: group.groupId } }, body: { ...body, version: group.version } }))
        : unwrap(await api.POST("/protection-groups", { body: { ...body, serverSelectionTags: body.serverSelectionTags ?? undefined, sourceServerIds: body.sourceServerIds ?? undefined } }));
    },
    onSuccess: (saved) => {
      void qc.invalidateQueries({ queryKey: ["groups"] });
      qc.setQueryData(["group", saved.groupId], saved);
      onClose();
    },
  });
  const errors = fieldErrors(save.error);
  const ready = !!name.trim() && (mode === "tags" ? !!tags : servers.length > 0);
  return (
    <Modal closeAriaLabel="Close" visible onDismiss={onClose} size="max"
      header={group ? `Edit ${group.groupName}` : "Create a protection group"}
      footer={<Box float="right"><SpaceBetween direction="horizontal" size="xs">
        <Button variant="link" onClick={onClose}>Cancel</Button>
        <Button variant="primary" disabled={!ready} loading={save.isPending} onClick={() => save.mutate()}>{group ? "Save" : "Create"}</Button>
      </SpaceBetween></Box>}>
      <SpaceBetween size="m">
        <FormField label="Name" errorText={errors.groupName}>
          <Input value={name} onChange={(e) => setName(e.detail.value)} ariaLabel="Group name" />
        </FormField>
        <FormField label="Description" constraintText="optional" errorText={errors.description}>
          <Input value={description} onChange={(e) => setDescription(e.detail.value)} ariaLabel="Group description" />
        </FormField>
        <FormField label="Region" errorText={errors.region}>
          <Input value={region} onChange={(e) => setRegion(e.detail.value.trim())} ariaLabel="Region" />
        </FormField>
        <FormField label="Select servers">
          <SegmentedControl selectedId={mode} label="Select servers" onChange={(e) => setMode(e.detail.selectedId as "tags" | "servers")}
            options={[{ id: "tags", text: "By tags" }, { id: "servers", text: "By explicit servers" }]} />
        </FormField>
        {mode === "tags" ? (
          <>
            <FormField label="Tags" description="Servers carrying all of these tags, e.g. Tier=web, Environment=production"
              errorText={tagText && !tags ? "write the tags as Key=Value, separated by commas" : errors.serverSelectionTags}>
              <Input value={tagText} onChange={(e) => setTagText(e.detail.value)} ariaLabel="Tags" />
            </FormField>
            {tags && <TagPreview region={region} tags={tags} groupId={group?.groupId} />}
          </>
        ) : (
          <SpaceBetween size="xs">
            {errors.sourceServerIds && <Box color="text-status-error">Servers: {errors.sourceServerIds}</Box>}
            <ServerPicker region={region} groupId={group?.groupId} selected={servers} onChange={setServers} />
          </SpaceBetween>
        )}
        <ApiErrorAlert error={save.error} header={group ? "The group was not saved" : "The group was not created"} />
      </SpaceBetween>
    </Modal>
  );
}
