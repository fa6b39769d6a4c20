import { addWave, draftsOf, localProblems, moveWave, placeProblems, removeWave, toInput, updateWave } from "./waves";

const view = (n: number, deps: number[], extra: Record<string, unknown> = {}) => ({
  waveNumber: n, waveName: `w${n}`, protectionGroupIds: [`g${n}`], dependsOnWaves: deps, independent: false,
  pauseBeforeWave: false, onServerFailure: "STOP", serverCount: 1, serverIds: [], ...extra,
});

describe("wave drafts", () => {
  it("reads 'after the previous wave' back as the default and keeps other dependencies", () => {
    const d = draftsOf([view(2, [1]), view(1, []), view(3, [1])]);
    expect(d.map((w) => w.waveName)).toEqual(["w1", "w2", "w3"]);
    expect(d[1].dependsOn).toEqual([]);
    expect(d[2].dependsOn).toEqual([d[0].key]);
    expect(toInput(d).map((w) => w.dependsOnWaves)).toEqual([[], [], [1]]);
  });

  it("numbers waves by position and keeps what each waits for when they move", () => {
    const d = draftsOf([view(1, []), view(2, [1]), view(3, [1])]);
    const moved = moveWave(d, d[0].key, 1);
    expect(moved.map((w) => w.waveName)).toEqual(["w2", "w1", "w3"]);
    const input = toInput(moved);
    expect(input.map((w) => w.waveNumber)).toEqual([1, 2, 3]);
    expect(input[2].dependsOnWaves).toEqual([2]); // w3 still waits for w1, now wave 2
    expect(moveWave(d, d[0].key, -1)).toBe(d);
    expect(moveWave(d, d[2].key, 1)).toBe(d);
  });

  it("drops the dependencies on a removed wave; an independent wave waits for none", () => {
    const d = draftsOf([view(1, []), view(2, [1]), view(3, [1])]);
    const left = removeWave(d, d[0].key);
    expect(left.map((w) => w.dependsOn)).toEqual([[], []]);
    const ind = updateWave(d, d[2].key, { independent: true });
    expect(ind[2].dependsOn).toEqual([]);
    expect(toInput(ind)[2]).toMatchObject({ independent: true, dependsOnWaves: [] });
  });

  it("adds a named empty wave that the editor flags until it has groups", () => {
    const d = addWave(addWave([]));
    expect(d.map((w) => w.waveName)).toEqual(["Wave 1", "Wave 2"]);
    expect(new Set(d.map((w) => w.key)).size).toBe(2);
    expect(localProblems(d).map((p) => [p.wave, p.field])).toEqual([[1, "protectionGroupIds"], [2, "protectionGroupIds"]]);
    expect(localProblems(updateWave(d, d[0].key, { waveName: " " }))[0]).toMatchObject({ wave: 1, field: "waveName" });
  });

  it("places the API's problems at their wave and field", () => {
    expect(placeProblems([
      { field: "waves[1].protectionGroupIds", message: "required" },
      { code: "DEPENDENCY_CYCLE", message: "cycle 1 -> 2 -> 1", wave: 1 },
      { code: "MIXED_REGIONS", message: "regions differ" },
      { field: "planName", message: "too long" },
    ], "VALIDATION_ERROR")).toEqual([
      { wave: 2, field: "protectionGroupIds", code: "VALIDATION_ERROR", message: "required" },
      { wave: 1, field: undefined, code: "DEPENDENCY_CYCLE", message: "cycle 1 -> 2 -> 1" },
      { wave: null, field: undefined, code: "MIXED_REGIONS", message: "regions differ" },
      { wave: null, field: "planName", code: "VALIDATION_ERROR", message: "too long" },
    ]);
    expect(placeProblems({ groupCount: 60 })).toEqual([]);
  });
});
