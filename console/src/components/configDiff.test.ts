import { diffValues, entityChanges } from "./configDiff";

describe("configuration diff", () => {
  it("lists every changed leaf by its path, added and removed ones too", () => {
    expect(diffValues({ a: 1, b: { c: [1, 2] }, d: "x" }, { a: 1, b: { c: [1, 3, 4] }, e: true })).toEqual([
      { path: "b.c[1]", before: 2, after: 3 },
      { path: "b.c[2]", before: undefined, after: 4 },
      { path: "d", before: "x", after: undefined },
      { path: "e", before: undefined, after: true },
    ]);
    expect(diffValues({ a: [1] }, { a: [1] })).toEqual([]);
  });

  it("compares an imported entity with the current one of the same name", () => {
    const current = { recoveryPlans: [{ planName: "Order", waves: [{ waveNumber: 1, pauseBeforeWave: false }] }] };
    const incoming = { recoveryPlans: [{ planName: "Order", waves: [{ waveNumber: 1, pauseBeforeWave: true }] }] };
    expect(entityChanges(current, incoming, "recoveryPlan", "Order")).toEqual([{ path: "waves[0].pauseBeforeWave", before: false, after: true }]);
    expect(entityChanges(current, incoming, "recoveryPlan", "Missing")).toEqual([]);
    expect(entityChanges(undefined, { protectionGroups: [{ groupName: "g", region: "us-east-1" }] }, "protectionGroup", "g"))
      .toEqual([{ path: "groupName", before: undefined, after: "g" }, { path: "region", before: undefined, after: "us-east-1" }]);
  });
});
