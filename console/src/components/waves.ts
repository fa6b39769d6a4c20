import type { components } from "../api/schema";

type WaveInput = components["schemas"]["WaveInput"];
type WaveView = components["schemas"]["WaveView"];
export type OnServerFailure = components["schemas"]["OnServerFailure"];

/** A wave being edited. Dependencies name other waves by their stable `key`, so adding, removing
 * and moving waves keeps what each wave waits for; wave numbers are the position (1-based). */
export interface WaveDraft {
  key: string;
  waveName: string;
  protectionGroupIds: string[];
  pauseBeforeWave: boolean;
  onServerFailure: OnServerFailure;
  independent: boolean;
  /** keys of the waves this one waits for; empty and not independent: after the previous wave */
  dependsOn: string[];
}

/** A problem the API reported, placed at the wave it is about (null: about the whole plan). */
export interface PlacedProblem {
  wave: number | null;
  field?: string;
  code: string;
  message: string;
}

let counter = 0;
export function newKey(): string {
  counter += 1;
  return `w${counter}`;
}

export function draftsOf(waves: WaveView[]): WaveDraft[] {
  const sorted = [...waves].sort((a, b) => a.waveNumber - b.waveNumber);
  const keyOf = new Map(sorted.map((w) => [w.waveNumber, newKey()]));
  return sorted.map((w, i) => {
    const previous = i ? sorted[i - 1].waveNumber : null;
    // the API fills "after the previous wave" in; shown as the default again
    const isDefault = !w.independent && w.dependsOnWaves.length === 1 && w.dependsOnWaves[0] === previous;
    return {
      key: keyOf.get(w.waveNumber)!,
      waveName: w.waveName,
      protectionGroupIds: [...w.protectionGroupIds],
      pauseBeforeWave: w.pauseBeforeWave,
      onServerFailure: w.onServerFailure === "CONTINUE" ? "CONTINUE" : "STOP",
      independent: w.independent,
      dependsOn: isDefault ? [] : w.dependsOnWaves.map((n) => keyOf.get(n)).filter((k): k is string => !!k),
    };
  });
}

export function addWave(waves: WaveDraft[]): WaveDraft[] {
  return [...waves, {
    key: newKey(), waveName: `Wave ${waves.length + 1}`, protectionGroupIds: [], pauseBeforeWave: false,
    onServerFailure: "STOP", independent: false, dependsOn: [],
  }];
}

/** Removes a wave and every dependency on it. */
export function removeWave(waves: WaveDraft[], key: string): WaveDraft[] {
  return waves.filter((w) => w.key !== key).map((w) => ({ ...w, dependsOn: w.dependsOn.filter((d) => d !== key) }));
}

/** Moves a wave one place up (-1) or down (+1); unchanged at either end. */
export function moveWave(waves: WaveDraft[], key: string, by: -1 | 1): WaveDraft[] {
  const i = waves.findIndex((w) => w.key === key);
  const j = i + by;
  if (i < 0 || j < 0 || j >= waves.length) return waves;
  const out = [...waves];
  [out[i], out[j]] = [out[j], out[i]];
  return out;
}

export function updateWave(waves: WaveDraft[], key: string, change: Partial<WaveDraft>): WaveDraft[] {
  return waves.map((w) => {
    if (w.key !== key) return w;
    const next = { ...w, ...change };
    if (change.independent) next.dependsOn = [];
    return next;
  });
}

/** The waves as the API takes them: numbered by position, dependencies by number. */
export function toInput(waves: WaveDraft[]): WaveInput[] {
  const number = new Map(waves.map((w, i) => [w.key, i + 1]));
  return waves.map((w, i) => ({
    waveNumber: i + 1,
    waveName: w.waveName,
    protectionGroupIds: w.protectionGroupIds,
    pauseBeforeWave: w.pauseBeforeWave,
    onServerFailure: w.onServerFailure,
    independent: w.independent,
    dependsOnWaves: w.independent ? [] : w.dependsOn.map((k) => number.get(k)!).filter((n) => n !== undefined),
  }));
}

/** What the editor can tell before asking the API: a wave without a name or without groups. */
export function localProblems(waves: WaveDraft[]): PlacedProblem[] {
  const out: PlacedProblem[] = [];
  waves.forEach((w, i) => {
    if (!w.waveName.trim()) out.push({ wave: i + 1, field: "waveName", code: "REQUIRED", message: "a wave needs a name" });
    if (!w.protectionGroupIds.length) out.push({ wave: i + 1, field: "protectionGroupIds", code: "REQUIRED", message: "choose at least one protection group" });
  });
  return out;
}

const WAVE_FIELD = /^waves\[(\d+)\](?:\.(\w+))?/;

/** The problems of an API answer placed where they are: a save's `details` (`{field, message}`
 * with `waves[i].field`, or `{code, message, wave}`) or a validation's findings (`{code, message, wave}`). */
export function placeProblems(items: unknown, fallbackCode = "INVALID"): PlacedProblem[] {
  if (!Array.isArray(items)) return [];
  return items.map((raw) => {
    const d = (raw ?? {}) as { field?: string; message?: string; code?: string; wave?: number | null };
    const m = d.field ? WAVE_FIELD.exec(d.field) : null;
    return {
      wave: m ? Number(m[1]) + 1 : (d.wave ?? null),
      field: m?.[2] ?? (m ? undefined : d.field),
      code: d.code ?? fallbackCode,
      message: d.message ?? String(raw),
    };
  });
}
