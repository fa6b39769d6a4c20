import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import Link from "@cloudscape-design/components/link";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import { ApiError, unwrap } from "../api/client";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { GroupForm, formatTags } from "../components/GroupForm";
import { GroupLaunchDefaults, LaunchStatus } from "../components/LaunchSettings";
import { Time } from "../components/Status";
import { useApi } from "../context";
import { useCan } from "../permissions";

export function GroupDetail({ groupId }: { groupId: string }) {
  const api = useApi();
  const qc = useQueryClient();
  const canEdit = useCan("update_protection_group");
  const canResolve = useCan("refresh_protection_group");
  const [editing, setEditing] = useState(false);
  const q = useQuery({
    queryKey: ["group", groupId],
    queryFn: async () => unwrap(await api.GET("/protection-groups/{groupId}", { params: { path: { groupId } } })),
  });
  const resolve = useMutation({
    mutationFn: async () => unwrap(await api.POST("/protection-groups/{groupId}/resolve", { params: { path: { groupId } } })),
    onSuccess: (out) => { qc.setQueryData(["group", groupId], out); void qc.invalidateQueries({ queryKey: ["launch-status", groupId] }); },
  });
  if (q.isPending) return <Spinner size="large" />;
  if (q.isError) return <ApiErrorAlert error={q.error} header="Could not load the protection group" />;
  const g = q.data;
  const byTags = !!g.serverSelectionTags;
  const changes = resolve.data?.changes;
  return (
    <SpaceBetween size="l">
      <Header variant="h1" description={g.description || undefined}
        actions={<SpaceBetween direction="horizontal" size="xs">
          {canResolve && byTags && <Button loading={resolve.isPending} onClick={() => resolve.mutate()}>Resolve again</Button>}
          {canEdit && <Button onClick={() => setEditing(true)}>Edit</Button>}
        </SpaceBetween>}>
        {g.groupName}
      </Header>
      <ApiErrorAlert error={resolve.error} header="The group was not resolved again" />
      {changes && <Box data-testid="resolve-changes">Resolved again: {changes.added.length} added{changes.added.length ? ` (${changes.added.join(", ")})` : ""}, {changes.removed.length} removed{changes.removed.length ? ` (${changes.removed.join(", ")})` : ""}</Box>}
      <Container header={<Header variant="h2">Overview</Header>}>
        <KeyValuePairs columns={4} items={[
          { label: "Selection", value: byTags ? `by tags: ${formatTags(g.serverSelectionTags)}` : "explicit servers" },
          { label: "Servers", value: g.serverCount },
          { label: "Account / region", value: `${g.accountId} / ${g.region}` },
          { label: "Resolved", value: <Time iso={g.resolvedAt} /> },
          { label: "Plans", value: (g.recoveryPlans ?? []).length ? <SpaceBetween direction="horizontal" size="xs">{(g.recoveryPlans ?? []).map((p) => <Link key={p.planId} href={`#/plans/${p.planId}`}>{p.planName ?? p.planId}</Link>)}</SpaceBetween> : "-" },
          { label: "Version", value: g.version },
          { label: "Modified", value: <Time iso={g.lastModifiedDate} /> },
        ]} />
      </Container>
      {g.launchConfigError && <ApiErrorAlert error={new ApiError(0, String(g.launchConfigError.error ?? "LAUNCH_CONFIG_ERROR"), String(g.launchConfigError.message ?? ""))} header="The launch settings were saved but not applied" />}
      <GroupLaunchDefaults group={g} />
      <LaunchStatus group={g} />
      {editing && <GroupForm group={g} onClose={() => setEditing(false)} />}
    </SpaceBetween>
  );
}
