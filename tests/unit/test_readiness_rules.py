"""The pure readiness rules and recovery objectives (issue 21): statuses from findings, the RPO and
RTO rules (with DRS's job queueing), re-test required from the drill fingerprint, measured RTO."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from drs_orch.domain.execution_snapshot import GroupRef, build_snapshot
from drs_orch.domain.models import RecoveryPlan
from drs_orch.domain.objectives import (
    fingerprint,
    fingerprint_differences,
    measured_rto,
    objectives_record,
    objectives_report,
    rpo_met,
    rpo_summary,
    wave_objectives,
    wave_rpo_minutes,
)
from drs_orch.domain.plan_graph import normalize_waves
from drs_orch.domain.readiness import PlanFacts, ScopeFacts, evaluate, is_worse

HUB, REGION = "123456789012", "us-east-1"
SCOPE = f"{HUB}#{REGION}"


def _server(server_id: str, state: str = "CONTINUOUS", lag: str = "PT0S") -> dict[str, Any]:
    return {"sourceServerID": server_id,
            "dataReplicationInfo": {"dataReplicationState": state, "lagDuration": lag,
                                    "replicatedDisks": [{"totalStorageBytes": 10, "replicatedStorageBytes": 10}]}}


def _facts(plan_extra: dict[str, Any] | None = None, servers_per_wave: tuple[int, ...] = (2,),
           scope: ScopeFacts | None = None, **kwargs: Any) -> PlanFacts:
    raw_waves = [{"waveNumber": n, "waveName": f"w{n}", "protectionGroupIds": [f"g{n}"]}
                 for n in range(1, len(servers_per_wave) + 1)]
    plan: dict[str, Any] = {"planId": "p", "planName": "p", "waves": raw_waves, **(plan_extra or {})}
    for wave in plan["waves"]:
        wave.update((plan_extra or {}).get("wave_overrides", {}).get(wave["waveNumber"], {}))
    plan.pop("wave_overrides", None)
    waves = normalize_waves(plan["waves"])
    record = RecoveryPlan(plan_id="p", plan_name="p", waves=waves, created_date=T0.isoformat(),
                          last_modified_date=T0.isoformat(), rto_minutes=plan.get("rtoMinutes"),
                          rpo_minutes=plan.get("rpoMinutes"))
    groups = {f"g{n}": GroupRef(f"g{n}", HUB, REGION, tuple(f"s-{n}-{i}" for i in range(count)))
              for n, count in enumerate(servers_per_wave, start=1)}
    snapshot = build_snapshot(waves, groups)
    if scope is None:
        scope = ScopeFacts(servers={sid: _server(sid) for g in groups.values() for sid in g.server_ids})
    return PlanFacts(plan=record, waves=waves, snapshot=snapshot, snapshot_error=None, scopes={SCOPE: scope},
                     account_errors=kwargs.pop("account_errors", {}), **kwargs)


def _codes(result: dict[str, Any]) -> set[str]:
    return {f["code"] for f in result["findings"]}


def test_a_healthy_plan_with_objectives_is_ready_and_says_it_was_never_drilled() -> None:
    result = evaluate(_facts({"rtoMinutes": 60, "rpoMinutes": 15}, fingerprint={"digest": "x"}))
    assert result["status"] == "READY"
    assert _codes(result) == {"NEVER_DRILLED"} and result["retest"]["required"] is True


def test_lag_beyond_the_rpo_is_at_risk_and_a_wave_may_override_the_rpo() -> None:
    servers = {"s-1-0": _server("s-1-0", lag="PT20M"), "s-1-1": _server("s-1-1")}
    result = evaluate(_facts({"rpoMinutes": 30}, scope=ScopeFacts(servers=servers)))
    assert result["status"] == "READY"
    tight = evaluate(_facts({"rpoMinutes": 30, "wave_overrides": {1: {"rpoMinutes": 10}}},
                            scope=ScopeFacts(servers=servers)))
    assert tight["status"] == "AT_RISK"
    assert [(f["code"], f["serverId"]) for f in tight["findings"] if f["severity"] == "MEDIUM"] == [
        ("RPO_EXCEEDED", "s-1-0")]


def test_servers_that_cannot_launch_or_are_missing_make_it_not_ready() -> None:
    servers = {"s-1-0": _server("s-1-0", state="DISCONNECTED")}
    result = evaluate(_facts(scope=ScopeFacts(servers=servers)))
    assert result["status"] == "NOT_READY"
    assert {"SERVER_CANNOT_LAUNCH", "SERVER_NOT_IN_DRS"} <= _codes(result)
    assert all(f["action"] for f in result["findings"])


def test_a_stalled_server_launches_from_old_data_at_risk() -> None:
    servers = {"s-1-0": _server("s-1-0", state="STALLED", lag="PT2H"), "s-1-1": _server("s-1-1")}
    result = evaluate(_facts(scope=ScopeFacts(servers=servers)))
    assert result["status"] == "AT_RISK" and "REPLICATION_UNHEALTHY" in _codes(result)


def test_the_rto_is_judged_on_the_forecast_with_drs_queueing() -> None:
    # 3 waves of 90 servers, 20 minutes a job by default: an hour in all
    facts = _facts({"rtoMinutes": 45}, servers_per_wave=(90, 90, 90))
    result = evaluate(facts)
    assert result["summary"]["predictedDurationSeconds"] == 3600
    assert result["status"] == "AT_RISK" and "RTO_FORECAST_EXCEEDED" in _codes(result)
    assert evaluate(_facts({"rtoMinutes": 61}, servers_per_wave=(90, 90, 90)))["status"] == "READY"
    wave_bound = evaluate(_facts({"rtoMinutes": 61, "wave_overrides": {2: {"rtoMinutes": 30}}},
                                 servers_per_wave=(90, 90, 90)))
    assert [f.get("waveNumber") for f in wave_bound["findings"] if f["code"] == "RTO_FORECAST_EXCEEDED"] == [2]
    # 20 jobs are already active in the account-region: the plan's jobs queue behind them
    busy = [{"type": "LAUNCH", "status": "STARTED", "participatingServers": [{}] * 5} for _ in range(20)]
    queued = evaluate(_facts({"rtoMinutes": 61}, servers_per_wave=(90, 90, 90),
                             scope=ScopeFacts(servers=_facts(servers_per_wave=(90, 90, 90)).scopes[SCOPE].servers,
                                              jobs=busy)))
    assert queued["summary"]["predictedDurationSeconds"] == 4800 and {"JOBS_QUEUED", "RTO_FORECAST_EXCEEDED"} <= _codes(
        queued)


def test_an_account_that_cannot_be_assumed_or_a_region_down_is_not_ready() -> None:
    denied = ScopeFacts(error_code="ACCOUNT_ROLE_NOT_ASSUMABLE", error="AccessDenied")
    result = evaluate(_facts(scope=denied, account_errors={HUB: "the role cannot be assumed"}))
    assert result["status"] == "NOT_READY"
    assert [f["code"] for f in result["findings"] if f["severity"] == "HIGH"] == ["ACCOUNT_ROLE_NOT_ASSUMABLE"]
    down = evaluate(_facts(scope=ScopeFacts(error_code="REGION_UNAVAILABLE", error="UNREACHABLE")))
    assert down["status"] == "NOT_READY" and "REGION_UNAVAILABLE" in _codes(down)


def test_recovery_instances_beyond_the_quota_are_not_ready() -> None:
    facts = _facts(servers_per_wave=(2,))
    facts.scopes[SCOPE].recovery_instances = 3999
    assert evaluate(facts)["status"] == "NOT_READY"


def test_a_plan_that_cannot_start_is_not_ready() -> None:
    facts = _facts()
    facts.snapshot, facts.snapshot_error = None, ("PROTECTION_GROUPS_NOT_FOUND", "groups gone")
    result = evaluate(facts)
    assert result["status"] == "NOT_READY" and "PROTECTION_GROUPS_NOT_FOUND" in _codes(result)


def test_launch_settings_failed_are_at_risk_and_pending_ones_information() -> None:
    pending = evaluate(_facts(launch_pending={"s-1-0": "never applied"}))
    assert pending["status"] == "READY" and "LAUNCH_SETTINGS_PENDING" in _codes(pending)
    failed = evaluate(_facts(launch_failed={"s-1-0": ["subnet not found"]}))
    assert failed["status"] == "AT_RISK" and "LAUNCH_SETTINGS_FAILED" in _codes(failed)


def test_worse_means_ready_then_at_risk_then_not_ready() -> None:
    assert is_worse("AT_RISK", "READY") and is_worse("NOT_READY", "AT_RISK") and is_worse("NOT_READY", None)
    assert not is_worse("READY", "AT_RISK") and not is_worse("AT_RISK", "AT_RISK")


# ------------------------------------------------------------------------------------- fingerprint


def _fp(servers: dict[int, list[str]], hashes: dict[str, str] | None = None,
        waves: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    waves = waves or [{"waveNumber": n, "protectionGroupIds": [f"g{n}"]} for n in servers]
    return fingerprint(waves, {n: [f"{SCOPE}#{s}" for s in ids] for n, ids in servers.items()}, hashes or {})


def test_the_differences_name_what_changed_since_the_drill() -> None:
    drilled = _fp({1: ["a", "b"]}, {"a": "h1"})
    assert fingerprint_differences(drilled, _fp({1: ["b", "a"]}, {"a": "h1"})) == []
    kinds = {d["kind"]: d["items"] for d in fingerprint_differences(drilled, _fp({1: ["a", "b", "c"]}, {"a": "h2"}))}
    assert kinds == {"SERVERS_ADDED": [f"{SCOPE}#c"], "LAUNCH_SETTINGS_CHANGED": ["a"]}
    moved = fingerprint_differences(_fp({1: ["a"], 2: ["b"]}), _fp({1: ["a", "b"], 2: []}))
    assert {d["kind"] for d in moved} == {"SERVERS_MOVED"}
    paused = [{"waveNumber": 1, "protectionGroupIds": ["g1"], "pauseBeforeWave": True}]
    assert [d["kind"] for d in fingerprint_differences(drilled, _fp({1: ["a", "b"]}, {"a": "h1"}, paused))] == [
        "WAVES_CHANGED"]


@given(st.lists(st.sampled_from("abcdefgh"), unique=True, min_size=1), st.randoms())
def test_the_fingerprint_ignores_order_and_differs_with_any_server(ids: list[str], rnd: Any) -> None:
    shuffled = list(ids)
    rnd.shuffle(shuffled)
    assert _fp({1: ids})["digest"] == _fp({1: shuffled})["digest"]
    fewer = _fp({1: ids[1:]})
    assert (fewer["digest"] == _fp({1: ids})["digest"]) is False
    assert fingerprint_differences(_fp({1: ids}), fewer)[0]["kind"] == "SERVERS_REMOVED"


# ---------------------------------------------------------------------------------------- measured


T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


@given(st.lists(st.tuples(st.integers(1, 500), st.integers(1, 500)), max_size=5), st.integers(1, 500))
def test_measured_rto_and_pauses_add_up_to_the_elapsed_time(pauses: list[tuple[int, int]], tail: int) -> None:
    history = [{"status": "PENDING", "at": _at(0)}, {"status": "RUNNING", "at": _at(1)}]
    now, paused = 1, 0
    for run, pause in pauses:
        now += run
        history.append({"status": "PAUSED", "at": _at(now)})
        now += pause
        paused += pause
        history.append({"status": "RUNNING", "at": _at(now)})
    now += tail
    history.append({"status": "COMPLETED", "at": _at(now)})
    measured = measured_rto(_at(0), _at(now), history)
    assert measured == (now - paused, paused)


def test_the_objectives_report_compares_each_wave_and_server() -> None:
    plan = RecoveryPlan.from_item({
        "planId": "p", "planName": "p", "createdDate": _at(0), "lastModifiedDate": _at(0),
        "rtoMinutes": 60, "rpoMinutes": 5,
        "waves": [{"waveNumber": 1, "waveName": "a", "protectionGroupIds": [], "dependsOnWaves": [], "rtoMinutes": 10},
                  {"waveNumber": 2, "waveName": "b", "protectionGroupIds": [], "dependsOnWaves": [1],
                   "rpoMinutes": 60}]})
    assert objectives_record(plan) == {"rtoMinutes": 60, "rpoMinutes": 5,
                                       "waves": {"1": {"rtoMinutes": 10}, "2": {"rpoMinutes": 60}}}
    assert wave_objectives(plan)[2].rto_minutes == 60 and wave_objectives(plan)[1].rpo_minutes == 5
    meta = {"objectives": objectives_record(plan), "startTime": _at(0), "endTime": _at(1800),
            "statusHistory": [{"status": "RUNNING", "at": _at(0)}, {"status": "PAUSED", "at": _at(700)},
                              {"status": "RUNNING", "at": _at(1000)}, {"status": "COMPLETED", "at": _at(1800)}]}
    waves = [{"waveNumber": 1, "status": "COMPLETED", "endedAt": _at(660)},
             {"waveNumber": 2, "status": "COMPLETED", "endedAt": _at(1800)}]
    ages = {1: [0, 600], 2: [1800]}  # data age at launch of each wave's servers
    rpo = {n: rpo_summary(a, wave_rpo_minutes(meta["objectives"], n)) for n, a in ages.items()}
    assert rpo[1] == {"rpoMinutes": 5, "serversMeasured": 2, "worstDataAgeSeconds": 600, "serversOverRpo": 1,
                      "rpoMet": False}
    assert rpo[2]["rpoMinutes"] == 60 and rpo[2]["serversOverRpo"] == 0 and rpo[2]["rpoMet"] is True
    assert [rpo_met(a, 5) for a in (0, 300, 301)] == [True, True, False] and rpo_met(10**6, None) is None
    report = objectives_report(meta, waves, rpo)
    assert (report["measuredRtoSeconds"], report["pausedSeconds"], report["rtoMet"]) == (1500, 300, True)
    assert [(w["measuredRtoSeconds"], w["rtoMet"]) for w in report["waves"]] == [(660, False), (1500, True)]
    assert [(w["worstDataAgeSeconds"], w["serversOverRpo"], w["rpoMet"]) for w in report["waves"]] == [
        (600, 1, False), (1800, 0, True)]
    assert report["rpoMet"] is False and report["worstDataAgeSeconds"] == 1800 and report["serversOverRpo"] == 1
    unmeasured = objectives_report(meta, waves, {})  # no server launched yet: nothing measured, no verdict
    assert unmeasured["rpoMet"] is None and [w["serversMeasured"] for w in unmeasured["waves"]] == [0, 0]
    stored = {1: {"rpoMinutes": 5, "serversMeasured": 0, "serversOverRpo": 0}}  # DynamoDB keeps no nulls
    assert objectives_report(meta, waves, stored)["waves"][0]["worstDataAgeSeconds"] is None
    assert rpo_summary([120], None) == {"rpoMinutes": None, "serversMeasured": 1, "worstDataAgeSeconds": 120,
                                        "serversOverRpo": None, "rpoMet": None}


def test_the_configuration_export_carries_the_objectives() -> None:
    from drs_orch.domain.config_doc import export_plan

    plan = RecoveryPlan.from_item({
        "planId": "p", "planName": "p", "rtoMinutes": 60, "createdDate": _at(0), "lastModifiedDate": _at(0),
        "waves": [
            {"waveNumber": 1, "waveName": "a", "protectionGroupIds": ["g1"], "dependsOnWaves": [], "rpoMinutes": 5},
            {"waveNumber": 2, "waveName": "b", "protectionGroupIds": ["g2"], "dependsOnWaves": [1]}]})
    out = export_plan(plan, {"g1": "one", "g2": "two"})
    assert out["rtoMinutes"] == 60 and "rpoMinutes" not in out
    assert [w.get("rpoMinutes") for w in out["waves"]] == [5, None]
