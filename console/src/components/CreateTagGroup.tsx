import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import FormField from "@cloudscape-design/components/form-field";
import Input from "@cloudscape-design/components/input";
import Modal from "@cloudscape-design/components/modal";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { unwrap } from "../api/client";
import { useApi } from "../context";
import { ApiErrorAlert } from "./ApiErrorAlert";
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

/** Create a protection group selecting servers by tags, with a preview of the servers matched now. */
export function CreateTagGroup({ visible, onClose }: { visible: boolean; onClose: () => void }) {
  const api = useApi();
  const qc = useQueryClient();
  const [name, setName] = useState("");
  const [region, setRegion] = useState("us-east-1");
  const [tagText, setTagText] = useState("");
  const tags = parseTags(tagText);
  const preview = useMutation({
    mutationFn: async () => unwrap(await api.POST("/protection-groups/resolve", { body: { region, serverSelectionTags: tags } })),
  });
  const create = useMutation({
    mutationFn: async () => unwrap(await api.POST("/protection-groups", { body: { groupName: name, region, serverSelectionTags: tags } })),
    onSuccess: () => { void qc.invalidateQueries({ queryKey: ["groups"] }); onClose(); },
  });
  return (
    <Modal closeAriaLabel="Close" visible={visible} onDismiss={onClose} header="Create a protection group by tags" size="large"
      footer={<Box float="right"><SpaceBetween direction="horizontal" size="xs">
        <Button variant="link" onClick={onClose}>Cancel</Button>
        <Button disabled={!tags} loading={preview.isPending} onClick={() => preview.mutate()}>Preview servers</Button>
        <Button variant="primary" disabled={!tags || !name.trim()} loading={create.isPending} onClick={() => create.mutate()}>Create</Button>
      </SpaceBetween></Box>}>
      <SpaceBetween size="m">
        <FormField label="Name"><Input value={name} onChange={(e) => setName(e.detail.value)} ariaLabel="Group name" /></FormField>
        <FormField label="Region"><Input value={region} onChange={(e) => setRegion(e.detail.value)} ariaLabel="Region" /></FormField>
        <FormField label="Tags" description="Servers carrying all of these tags, e.g. Tier=web, Environment=production"
          errorText={tagText && !tags ? "write the tags as Key=Value, separated by commas" : undefined}>
          <Input value={tagText} onChange={(e) => setTagText(e.detail.value)} ariaLabel="Tags" />
        </FormField>
        <ApiErrorAlert error={preview.error} header="The preview failed" />
        <ApiErrorAlert error={create.error} header="The group was not created" />
        {preview.data && (
          <Table
            variant="embedded"
            header={<Box variant="h3">{preview.data.serverCount} servers match</Box>}
            ariaLabels={{ tableLabel: "Matched servers" }}
            items={preview.data.servers}
            trackBy="sourceServerID"
            empty="No server matches these tags"
            columnDefinitions={[
              { id: "host", header: "Server", cell: (s) => s.hostname ?? s.sourceServerID },
              { id: "id", header: "Source server", cell: (s) => s.sourceServerID },
              { id: "repl", header: "Replication", cell: (s) => <Status value={s.replicationState} /> },
              { id: "life", header: "Lifecycle", cell: (s) => s.lifecycleState ?? "-" },
            ]}
          />
        )}
      </SpaceBetween>
    </Modal>
  );
}
