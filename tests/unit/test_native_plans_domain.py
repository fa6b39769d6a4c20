"""The mapping between our plans and DRS native recovery plans (pure domain), with Hypothesis."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.models import ProtectionGroup, RecoveryPlan
from drs_orch.domain.native_plans import (
    MAX_SERVERS_PER_STEP,
    MAX_STEPS,
    export_plan,
    import_plan,
    native_name,
    wave_order,
)

HUB = "123456789012"
REGION = "eu-west-1"
CREATED = "2026-01-01T00:00:00.000Z"


def records(plan: dict[str, Any], groups: dict[str, Any]) -> tuple[RecoveryPlan, dict[str, ProtectionGroup]]:
    """The stored items of a plan and its groups as the records the export reads."""
    dates = {"createdDate": CREATED, "lastModifiedDate": CREATED}
    return (RecoveryPlan.from_item({**dates, **plan}),
            {g: ProtectionGroup.from_item({"accountId": HUB, **dates, **item}) for g, item in groups.items()})
NATIVE_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9 _-]*")


@st.composite
def plans(draw: Any, max_servers: int = 150) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    count = draw(st.integers(1, 8))
    numbers = sorted(draw(st.sets(st.integers(0, 30), min_size=count, max_size=count)))
    waves, groups, serial = [], {}, 0
    for i, number in enumerate(numbers):
        group_ids = []
        for _ in range(draw(st.integers(0, 2))):
            size = draw(st.integers(0, max_servers))
            gid = f"g{len(groups)}"
            groups[gid] = {"groupId": gid, "groupName": gid, "region": REGION,
                           "sourceServerIds": [f"s-{serial + n:017x}" for n in range(size)]}  # fmt: skip
            serial += size
            group_ids.append(gid)
        deps = draw(st.lists(st.sampled_from(numbers[:i]), unique=True)) if i else []
        waves.append({
            "waveNumber": number, "waveName": draw(st.text(min_size=1, max_size=64)), "protectionGroupIds": group_ids,
            "dependsOnWaves": deps, "pauseBeforeWave": draw(st.booleans()),
            "onServerFailure": draw(st.sampled_from(["STOP", "CONTINUE"])),
        })  # fmt: skip
    return {"planId": "p-1", "planName": draw(st.text(min_size=1, max_size=64)), "waves": waves}, groups


def _export(plan: dict[str, Any], groups: dict[str, Any], **kw: Any) -> Any:
    try:
        return export_plan(*records(plan, groups), hub_account_id=HUB, **kw)
    except ValidationFailed as exc:
        assert exc.code in ("NATIVE_PLAN_TOO_LARGE", "NATIVE_PLAN_EMPTY")
        servers = [s for g in groups.values() for s in g["sourceServerIds"]]
        if exc.code == "NATIVE_PLAN_EMPTY":
            assert servers == []
        return None


@given(plans(), st.one_of(st.none(), st.integers(1, 120)))
def test_export_keeps_every_server_once_within_native_limits(case: Any, wait: int | None) -> None:
    plan, groups = case
    native = _export(plan, groups, pause_as_wait_minutes=wait)
    if native is None:
        return
    assert len(native.steps) <= MAX_STEPS
    names = [s.name for s in native.steps]
    assert all(NATIVE_NAME.fullmatch(n) and len(n) <= 256 for n in names)
    assert len({n.lower() for n in names}) == len(names)
    exported = [sid for s in native.steps for sid, _ in s.servers]
    assert len(exported) == len(set(exported))
    by_number = {w["waveNumber"]: w for w in plan["waves"]}
    for wave in plan["waves"]:
        servers = [s for g in wave["protectionGroupIds"] for s in groups[g]["sourceServerIds"]]
        impact = "OPTIONAL" if wave["onServerFailure"] == "CONTINUE" else "CRITICAL"
        steps = [s for s in native.steps if s.wave_number == wave["waveNumber"] and s.wait_minutes is None]
        assert [sid for s in steps for sid, _ in s.servers] == servers
        assert all(0 < len(s.servers) <= MAX_SERVERS_PER_STEP for s in steps)
        assert all(level == impact for s in steps for _, level in s.servers)
        kinds = {f.kind for f in native.not_exported if f.wave_number == wave["waveNumber"]}
        assert ("EMPTY_WAVE" in kinds) == (not servers)
        assert ("PAUSE" in kinds) == bool(servers and wave["pauseBeforeWave"])
        waits = [s for s in native.steps if s.wave_number == wave["waveNumber"] and s.wait_minutes is not None]
        assert len(waits) == (1 if servers and wave["pauseBeforeWave"] and wait else 0)
    # steps follow the dependencies: a wave's dependencies come before it
    position = {s.wave_number: i for i, s in reversed(list(enumerate(native.steps)))}
    for number, first in position.items():
        for dep in by_number[number]["dependsOnWaves"]:
            assert dep not in position or position[dep] < first


@given(plans())
def test_dependencies_are_reported_exactly_when_native_order_adds_waiting(case: Any) -> None:
    plan, groups = case
    native = _export(plan, groups)
    if native is None:
        return
    order = [w["waveNumber"] for w in wave_order(plan["waves"])]
    deps = {w["waveNumber"]: set(w["dependsOnWaves"]) for w in plan["waves"]}

    def closure(n: int) -> set[int]:
        out: set[int] = set()
        todo = list(deps[n])
        while todo:
            d = todo.pop()
            if d not in out:
                out.add(d)
                todo.extend(deps[d])
        return out

    expected = {n for i, n in enumerate(order) if set(order[:i]) - closure(n)}
    reported = {f.wave_number for f in native.not_exported if f.kind == "DEPENDENCIES"}
    assert reported == expected


@given(plans(max_servers=40))
def test_round_trip_of_a_sequential_plan_keeps_servers_and_policies(case: Any) -> None:
    plan, groups = case
    numbers = [w["waveNumber"] for w in plan["waves"]]
    for i, wave in enumerate(plan["waves"]):
        wave["dependsOnWaves"] = numbers[i - 1 : i]
    native = _export(plan, groups)
    if native is None:
        return
    assert not [f for f in native.not_exported if f.kind == "DEPENDENCIES"]
    steps = [
        {"stepName": s.name, "stepOrder": i, "configuration": s.configuration(HUB, REGION)}
        for i, s in enumerate(native.steps, start=1)
    ]
    arn = f"arn:aws:drs:{REGION}:{HUB}:recovery-plan/rp-{'a' * 17}"
    back = import_plan({"recoveryPlanArn": arn, "name": native.name}, steps)
    kept = [w for w in plan["waves"] if any(groups[g]["sourceServerIds"] for g in w["protectionGroupIds"])]
    assert [w.server_ids for w in back.waves] == [
        [s for g in w["protectionGroupIds"] for s in groups[g]["sourceServerIds"]] for w in kept
    ]
    assert [w.on_server_failure for w in back.waves] == [w["onServerFailure"] for w in kept]
    assert (back.account_id, back.region) == (HUB, REGION)
    assert not [f for f in back.not_imported if f.kind == "IMPACT_LEVEL"]


@given(st.text(max_size=300))
def test_native_names_always_match_the_pattern(raw: str) -> None:
    name = native_name(raw, "fallback")
    assert NATIVE_NAME.fullmatch(name) and len(name) <= 256


def test_import_reports_waits_and_mixed_impact() -> None:
    arn = f"arn:aws:drs:{REGION}:{HUB}:recovery-plan/rp-{'b' * 17}"
    server = f"arn:aws:drs:{REGION}:{HUB}:source-server/s-{'1' * 17}"
    other = f"arn:aws:drs:{REGION}:{HUB}:source-server/s-{'2' * 17}"
    steps = [
        {"stepName": "wait first", "configuration": {"waitStepConfiguration": {"waitDurationMinutes": 3}}},
        {"stepName": "s", "configuration": {"serverStepConfiguration": {"servers": [
            {"serverArn": server}, {"serverArn": other, "impactLevel": "OPTIONAL"}]}}},  # fmt: skip
        {"stepName": "trailing", "configuration": {"waitStepConfiguration": {"waitDurationMinutes": 9}}},
    ]
    out = import_plan({"recoveryPlanArn": arn, "name": "x" * 100}, steps, wait_as_pause=True)
    assert len(out.plan_name) == 64 and [a.kind for a in out.adjustments] == ["RENAMED"]
    assert [(w.server_ids, w.on_server_failure, w.pause_before_wave) for w in out.waves] == [
        ([f"s-{'1' * 17}", f"s-{'2' * 17}"], "STOP", True)
    ]
    assert [f.kind for f in out.not_imported] == ["WAIT", "IMPACT_LEVEL", "WAIT"]
    with pytest.raises(ValidationFailed) as exc:
        import_plan({"recoveryPlanArn": arn, "name": "n"}, steps[:1])
    assert exc.value.code == "NATIVE_PLAN_EMPTY"


def test_launch_settings_and_tag_selection_are_reported() -> None:
    groups = {
        "g1": {"groupId": "g1", "groupName": "db", "region": REGION, "sourceServerIds": ["s-" + "1" * 17],
               "servers": {"s-" + "1" * 17: {"instanceType": "r5.large"}},
               "launchConfigStatus": {"status": "APPLIED"}},
        "g2": {"groupId": "g2", "groupName": "web", "region": REGION, "sourceServerIds": ["s-" + "2" * 17],
               "serverSelectionTags": {"Tier": "web"}, "resolvedAt": "2026-01-01T00:00:00Z"},
    }  # fmt: skip
    plan = {"planId": "p", "planName": "Orders", "waves": [
        {"waveNumber": 1, "waveName": "db", "protectionGroupIds": ["g1"], "dependsOnWaves": []},
        {"waveNumber": 2, "waveName": "web", "protectionGroupIds": ["g2"], "dependsOnWaves": [1]},
    ]}  # fmt: skip
    native = export_plan(*records(plan, groups), hub_account_id=HUB)
    found = {(f.kind, f.wave_number) for f in native.not_exported}
    assert found == {("LAUNCH_SETTINGS", 1), ("TAG_SELECTION", 2)}
    settings = next(f for f in native.not_exported if f.kind == "LAUNCH_SETTINGS")
    assert settings.details["serverOverrides"] == ["s-" + "1" * 17]
