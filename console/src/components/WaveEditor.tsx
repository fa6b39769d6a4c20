import Alert from "@cloudscape-design/components/alert";
import Button from "@cloudscape-design/components/button";
import Checkbox from "@cloudscape-design/components/checkbox";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Multiselect from "@cloudscape-design/components/multiselect";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { addWave, moveWave, removeWave, updateWave, type OnServerFailure, type PlacedProblem, type WaveDraft } from "./waves";

export interface GroupChoice {
  groupId: string;
  groupName: string;
  serverCount: number;
}

const FAILURE = [
  { value: "STOP", label: "STOP", description: "stop the plan when a server fails" },
  { value: "CONTINUE", label: "CONTINUE", description: "go on with the servers that launched" },
];

function fieldError(problems: PlacedProblem[], field: string): string | undefined {
  const mine = problems.filter((p) => p.field === field);
  return mine.length ? mine.map((p) => p.message).join("; ") : undefined;
}

function WaveCard({ wave, index, waves, groups, problems, onChange }: {
  wave: WaveDraft; index: number; waves: WaveDraft[]; groups: GroupChoice[]; problems: PlacedProblem[];
  onChange: (waves: WaveDraft[]) => void;
}) {
  const n = index + 1;
  const set = (change: Partial<WaveDraft>) => onChange(updateWave(waves, wave.key, change));
  const groupOption = (id: string) => {
    const g = groups.find((x) => x.groupId === id);
    return { value: id, label: g?.groupName ?? id, description: g ? `${g.serverCount} servers` : "unknown group" };
  };
  const others = waves.map((w, i) => ({ w, i })).filter(({ w }) => w.key !== wave.key);
  const depOption = ({ w, i }: { w: WaveDraft; i: number }) => ({ value: w.key, label: `Wave ${i + 1} ${w.waveName}` });
  const unplaced = problems.filter((p) => !p.field || !["waveName", "protectionGroupIds", "dependsOnWaves", "onServerFailure"].includes(p.field));
  return (
    <Container
      data-testid={`wave-editor-${n}`}
      header={<Header variant="h3"
        actions={<SpaceBetween direction="horizontal" size="xs">
          <Button iconName="angle-up" variant="icon" ariaLabel={`Move wave ${n} up`} disabled={index === 0} onClick={() => onChange(moveWave(waves, wave.key, -1))} />
          <Button iconName="angle-down" variant="icon" ariaLabel={`Move wave ${n} down`} disabled={index === waves.length - 1} onClick={() => onChange(moveWave(waves, wave.key, 1))} />
          <Button iconName="remove" variant="icon" ariaLabel={`Remove wave ${n}`} onClick={() => onChange(removeWave(waves, wave.key))} />
        </SpaceBetween>}>
        Wave {n}
      </Header>}>
      <SpaceBetween size="s">
        {unplaced.map((p, i) => (
          <Alert key={i} type="error" header={p.code}>{p.message}</Alert>
        ))}
        <ColumnLayout columns={2}>
          <FormField label="Name" errorText={fieldError(problems, "waveName")}>
            <Input value={wave.waveName} ariaLabel={`Wave ${n} name`} onChange={(e) => set({ waveName: e.detail.value })} />
          </FormField>
          <FormField label="Protection groups" errorText={fieldError(problems, "protectionGroupIds")}>
            <Multiselect
              ariaLabel={`Wave ${n} protection groups`}
              placeholder="Choose protection groups"
              filteringType="auto"
              selectedOptions={wave.protectionGroupIds.map(groupOption)}
              options={groups.map((g) => groupOption(g.groupId))}
              onChange={(e) => set({ protectionGroupIds: e.detail.selectedOptions.map((o) => o.value!) })}
              deselectAriaLabel={(o) => `Remove ${o.label}`}
            />
          </FormField>
          <FormField label="Depends on" description={wave.independent ? "independent: starts with the plan" : wave.dependsOn.length ? undefined : "none chosen: after the previous wave"}
            errorText={fieldError(problems, "dependsOnWaves")}>
            <Multiselect
              ariaLabel={`Wave ${n} depends on`}
              placeholder={index === 0 ? "starts first" : "after the previous wave"}
              disabled={wave.independent}
              selectedOptions={others.filter(({ w }) => wave.dependsOn.includes(w.key)).map(depOption)}
              options={others.map(depOption)}
              onChange={(e) => set({ dependsOn: e.detail.selectedOptions.map((o) => o.value!) })}
              deselectAriaLabel={(o) => `Remove ${o.label}`}
            />
          </FormField>
          <FormField label="On server failure" errorText={fieldError(problems, "onServerFailure")}>
            <Select
              ariaLabel={`Wave ${n} on server failure`}
              selectedOption={FAILURE.find((f) => f.value === wave.onServerFailure) ?? FAILURE[0]}
              options={FAILURE}
              onChange={(e) => set({ onServerFailure: e.detail.selectedOption.value as OnServerFailure })}
            />
          </FormField>
        </ColumnLayout>
        <SpaceBetween direction="horizontal" size="l">
          <Checkbox checked={wave.pauseBeforeWave} onChange={(e) => set({ pauseBeforeWave: e.detail.checked })}>
            Pause before wave {n}
          </Checkbox>
          <Checkbox checked={wave.independent} onChange={(e) => set({ independent: e.detail.checked })}>
            Independent (waits for no wave)
          </Checkbox>
        </SpaceBetween>
      </SpaceBetween>
    </Container>
  );
}

/** Edits a plan's waves: add, remove, order, groups per wave, pause before, failure policy and
 * dependencies; every problem shown at the wave and field it is about. */
export function WaveEditor({ waves, groups, problems, onChange }: {
  waves: WaveDraft[]; groups: GroupChoice[]; problems: PlacedProblem[]; onChange: (waves: WaveDraft[]) => void;
}) {
  const planWide = problems.filter((p) => p.wave === null || p.wave > waves.length);
  return (
    <SpaceBetween size="m">
      {planWide.map((p, i) => <Alert key={i} type="error" header={p.code}>{p.message}</Alert>)}
      {waves.map((w, i) => (
        <WaveCard key={w.key} wave={w} index={i} waves={waves} groups={groups}
          problems={problems.filter((p) => p.wave === i + 1)} onChange={onChange} />
      ))}
      <Button iconName="add-plus" onClick={() => onChange(addWave(waves))}>Add wave</Button>
    </SpaceBetween>
  );
}
