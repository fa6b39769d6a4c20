"""The engine's use cases (start, tick, termination, dry run) over in-memory stores and a DRS whose
jobs progress with a clock the test advances (tests/unit/engine_world.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from engine_world import SCOPE, World, launching_execution, make_wave, run, server_pages

from drs_orch.domain.errors import Conflict, ValidationFailed
from drs_orch.services.engine.reconcile import Engine
from drs_orch.services.engine.start import start_execution
from drs_orch.services.engine.termination import request_termination


def _run(world: World, execution_id: str) -> list[dict[str, Any]]:
    return run(world, execution_id, max_ticks=200)


def _waves(world: World, execution_id: str) -> dict[int, dict[str, Any]]:
    loaded = world.store.load(execution_id)
    assert loaded is not None
    return {int(w["waveNumber"]): w for w in loaded.waves}


def test_a_drill_runs_its_waves_in_order_and_releases_its_locks() -> None:
    world = World()
    a = world.group("ga", world.drs.add_servers(3, "a"))
    b = world.group("gb", world.drs.add_servers(2, "b"))
    world.plan("p", [make_wave(1, [a]), make_wave(2, [b])])  # dependsOnWaves [] on both: one after the other
    started = start_execution(world.deps, {"planId": "p", "isDrill": True}, "tester")
    execution_id = started["executionId"]
    assert started["status"] == "PENDING" and len(world.store.guards) == 5
    results = _run(world, execution_id)
    assert results[-1]["next"] == "DONE"
    meta = world.store.get_meta(execution_id)
    assert meta is not None and meta["status"] == "COMPLETED" and meta["serverCounts"]["launched"] == 5
    waves = _waves(world, execution_id)
    assert waves[1]["endedAt"] <= waves[2]["startedAt"]  # wave 2 waited for wave 1
    assert [j["isDrill"] for j in world.drs.jobs] == [True, True]
    assert world.store.guards == {}
    assert [e for e, _, _ in world.notifier.published] == ["start", "complete"]


def test_an_overlapping_start_is_refused_while_the_first_holds_the_servers() -> None:
    world = World()
    shared = world.group("g", world.drs.add_servers(2, "s"))
    world.plan("p1", [make_wave(1, [shared])])
    world.plan("p2", [make_wave(1, [shared])])
    first = start_execution(world.deps, {"planId": "p1", "executionType": "DRILL"}, "a")["executionId"]
    with pytest.raises(Conflict) as refused:
        start_execution(world.deps, {"planId": "p2", "executionType": "DRILL"}, "b")
    assert refused.value.code == "SERVER_CONFLICT" and refused.value.details["conflictingExecutions"] == [first]
    assert {g["executionId"] for g in world.store.guards.values()} == {first}


def test_a_failed_server_stops_the_waves_after_it() -> None:
    world = World()
    bad = world.drs.add_servers(2, "f")
    world.drs.fail.add(bad[0])
    first = world.group("g1", bad)
    second = world.group("g2", world.drs.add_servers(1, "n"))
    world.plan("p", [make_wave(1, [first]), make_wave(2, [second])])
    execution_id = start_execution(world.deps, {"planId": "p", "executionType": "DRILL"}, "t")["executionId"]
    _run(world, execution_id)
    meta = world.store.get_meta(execution_id)
    assert meta is not None and meta["status"] in ("PARTIAL", "FAILED")
    waves = _waves(world, execution_id)
    assert waves[1]["status"] == "PARTIAL" and waves[2]["status"] in ("CANCELLED", "SKIPPED")
    failed = [s for s in world.store.load_servers(execution_id) if s["status"] == "FAILED"]
    assert [s["sourceServerId"] for s in failed] == [bad[0]] and "did not boot" in failed[0]["failureReason"]
    assert len(world.drs.jobs) == 1  # wave 2 never launched


def test_termination_terminates_verifies_and_counts() -> None:
    world = World()
    world.plan("p", [make_wave(1, [world.group("g", world.drs.add_servers(3, "t"))])])
    execution_id = start_execution(world.deps, {"planId": "p", "executionType": "DRILL"}, "t")["executionId"]
    _run(world, execution_id)
    status, body = request_termination(world.deps, execution_id, "t")
    assert status == 202 and body["termination"]["requestedCount"] == 3
    engine = Engine(world.deps)
    for _ in range(20):
        world.clock.advance(600)
        if engine.tick(execution_id).to_dict()["next"] == "DONE":
            break
    meta = world.store.get_meta(execution_id)
    assert meta is not None and meta["termination"]["status"] == "COMPLETED" and meta["instancesTerminated"]
    assert meta["serverCounts"]["terminated"] == 3 and meta["serverCounts"]["launched"] == 0
    assert {s["status"] for s in world.store.load_servers(execution_id)} == {"TERMINATED"}
    assert all(r["state"] == "terminated" for r in world.drs.instances.values())


def test_a_dry_run_predicts_without_writing_starting_or_locking() -> None:
    world = World(launch_seconds=900)
    groups = [world.group(f"g{n}", world.drs.add_servers(60, f"d{n}")) for n in range(3)]
    world.plan("p", [make_wave(1, groups[:2]), make_wave(2, [groups[2]], pauseBeforeWave=True)])
    world.drs.list_jobs(SCOPE)  # nothing in DRS yet
    report = start_execution(world.deps, {"planId": "p", "executionType": "RECOVERY", "dryRun": True}, "t")
    assert world.store.writes == 0 and world.store.guards == {} and world.drs.starts == 0
    assert world.sfn.started == []
    assert report["wouldStart"] and report["executionType"] == "RECOVERY"
    first, second = report["waves"]
    assert [j["serverCount"] for j in first["jobs"]] == [100, 20] and second["jobCount"] == 1
    assert second["predictedStartSeconds"] == first["predictedEndSeconds"]
    assert report["predictedDurationSeconds"] == 2400  # no launch known yet: 20 minutes per wave
    assert report["pausesNotTimed"] == [2]


def test_bootstrap_wires_one_clock_and_takes_injected_components() -> None:
    from drs_orch.entrypoints.settings import Settings
    from drs_orch.entrypoints.wiring import bootstrap

    world = World()
    settings = Settings(*(["t"] * 10), region="eu-west-1")
    built = bootstrap(settings, clock=world.clock, engine_deps=world.deps, hub_account_id="123456789012")
    assert built.clock is world.clock and built.engine_deps is world.deps
    assert built.engine.deps is world.deps  # services are built over what was injected
    with pytest.raises(TypeError, match="not a component"):
        bootstrap(settings, no_such_thing=object())


def _all_pages(world: World, execution_id: str, **query: str) -> list[dict[str, Any]]:
    return [row for page in server_pages(world, execution_id, query) for row in page]


def test_the_servers_are_paged_by_the_store_by_wave_and_status_with_launching_from_the_job_items() -> None:
    from drs_orch.services.engine.queries import execution_servers

    # the job item says 3 servers of wave 1 launch; their own items still say PENDING
    world, execution_id, first, second = launching_execution(5, 3, slice(0, 3))
    launching = execution_servers(world.deps, execution_id, {"status": "launching", "limit": "2"})
    assert launching["total"] == 3 and launching["count"] == 2 and launching["nextToken"]
    assert {s["status"] for s in _all_pages(world, execution_id, status="LAUNCHING", limit="2")} == {"LAUNCHING"}
    assert [s["sourceServerId"] for s in _all_pages(world, execution_id, status="LAUNCHING")] == sorted(first)[:3]
    pending = _all_pages(world, execution_id, status="PENDING", limit="2")
    assert sorted(s["sourceServerId"] for s in pending) == sorted(first[3:] + second)
    assert execution_servers(world.deps, execution_id, {"status": "PENDING"})["total"] == 5
    with pytest.raises(ValidationFailed) as refused:  # a token of the LAUNCHING listing is not a PENDING one
        execution_servers(world.deps, execution_id, {"status": "PENDING", "nextToken": launching["nextToken"]})
    assert refused.value.code == "INVALID_NEXT_TOKEN"

    _run(world, execution_id)
    everything = _all_pages(world, execution_id, limit="3")
    assert [s["sourceServerId"] for s in everything] == sorted(first + second)
    assert {s["status"] for s in everything} == {"LAUNCHED"}
    wave2 = execution_servers(world.deps, execution_id, {"wave": "2", "status": "launched"})
    assert wave2["total"] == 3 and [s["sourceServerId"] for s in wave2["servers"]] == sorted(second)
    assert execution_servers(world.deps, execution_id, {"wave": "9"}) == {
        "executionId": execution_id, "servers": [], "count": 0, "total": 0, "nextToken": None}
    page = execution_servers(world.deps, execution_id, {"limit": "3"})
    for other in ({"wave": "2"}, {"status": "LAUNCHED"}, {"wave": "1", "status": "LAUNCHED"}):
        with pytest.raises(ValidationFailed) as refused:  # a token of other filters is refused
            execution_servers(world.deps, execution_id, {**other, "nextToken": page["nextToken"]})
        assert refused.value.code == "INVALID_NEXT_TOKEN"


def test_details_read_one_page_of_servers_and_summarise_the_data_age_per_wave(monkeypatch: Any) -> None:
    from drs_orch.services.engine import queries

    world = World()
    old = world.drs.add_servers(1, "o")
    first, second = world.drs.add_servers(4, "x") + old, world.drs.add_servers(3, "y")
    world.plan("p", [make_wave(1, [world.group("g1", first)], rpoMinutes=30), make_wave(2, [world.group("g2", second)])])
    world.plans.plans["p"]["rpoMinutes"] = 5
    world.drs.launch_points[old[0]] = (world.clock.now() - timedelta(hours=1)).isoformat()  # stalled an hour ago
    execution_id = start_execution(world.deps, {"planId": "p", "executionType": "DRILL"}, "t")["executionId"]
    _run(world, execution_id)
    monkeypatch.setattr(queries, "MAX_DETAIL_SERVERS", 6)
    read_before = world.store.servers_read
    details = queries.get_execution(world.deps, execution_id)
    assert world.store.servers_read - read_before == 6  # one page, never every server
    assert details["serversTotal"] == 8 and details["serversIncluded"] == 6
    assert details["serversUrl"] == f"/executions/{execution_id}/servers"
    shown = {s["sourceServerId"] for w in details["waves"] for s in w["servers"]}
    assert shown == set(sorted(first + second)[:6])  # the first page by id, each under its wave
    assert [bool(w.get("serversTruncated")) for w in details["waves"]] == [False, True]
    assert details["terminationMetadata"]["hasRecoveryInstances"] and details["canTerminate"]
    report = details["objectivesReport"]
    assert [(w["waveNumber"], w["rpoMinutes"], w["serversMeasured"], w["serversOverRpo"], w["rpoMet"])
            for w in report["waves"]] == [(1, 30, 5, 1, False), (2, 5, 3, 0, True)]
    assert report["worstDataAgeSeconds"] == report["waves"][0]["worstDataAgeSeconds"] >= 3600
    assert report["rpoMet"] is False and report["serversOverRpo"] == 1
    stored = {w.number: w.get("rpoSummary") for w in world.store.load(execution_id).waves}  # type: ignore[union-attr]
    assert stored[1] == {k: v for k, v in report["waves"][0].items() if k in stored[1]}  # kept when the wave ended
    rows = {s["sourceServerId"]: s for s in _all_pages(world, execution_id, wave="1")}
    assert rows[old[0]]["rpoMet"] is False and rows[old[0]]["rpoMinutes"] == 30
    assert all(rows[s]["rpoMet"] is True and rows[s]["dataAgeSeconds"] == 0 for s in first if s != old[0])
    status, _ = request_termination(world.deps, execution_id, "t")
    assert status == 202
    _run(world, execution_id)
    after = queries.get_execution(world.deps, execution_id)["terminationMetadata"]
    gone = queries.execution_servers(world.deps, execution_id, {"wave": "1", "status": "TERMINATED"})
    assert gone["total"] == gone["count"] == 5  # the ended wave's summary counts them too
    assert queries.execution_servers(world.deps, execution_id, {"wave": "1", "status": "LAUNCHED"})["total"] == 0
    assert after == {"canTerminate": False, "reason": "no recovery instances to terminate",
                     "hasRecoveryInstances": False, "terminationStatus": "COMPLETED"}


def _pit(world: World, server: str, minutes_ago: list[int]) -> None:
    now = world.clock.now()
    world.drs.snapshots[server] = [
        {"snapshotID": f"pit-{server}-{m}", "sourceServerID": server,
         "timestamp": (now - timedelta(minutes=m)).isoformat(), "expectedTimestamp": (now - timedelta(minutes=m)).isoformat()}
        for m in minutes_ago]


def test_a_consistent_point_in_time_launches_every_server_of_a_wave_from_one_moment() -> None:
    world = World()
    servers = world.drs.add_servers(3, "c")
    _pit(world, servers[0], [5, 15, 25, 35, 45, 55])
    _pit(world, servers[1], [6, 16, 26, 36, 46, 56])
    _pit(world, servers[2], [45, 55])  # stalled 45 minutes ago
    world.plan("p", [make_wave(1, [world.group("g", servers)])])
    execution_id = start_execution(world.deps, {"planId": "p", "isDrill": True, "consistentPointInTime": True,
                                                "pointInTimeToleranceSeconds": 120}, "t")["executionId"]
    assert _run(world, execution_id)[-1]["next"] == "DONE"
    wave = _waves(world, execution_id)[1]
    assert wave["status"] == "COMPLETED"
    # the stalled server pulls the wave back to its last snapshot; s1's is a minute older
    assert wave["pointInTimeSpreadSeconds"] == 60 and wave["pointInTimeToleranceSeconds"] == 120
    job = world.store.load(execution_id).jobs[0]  # type: ignore[union-attr]
    assert job["recoverySnapshots"] == {servers[0]: f"pit-{servers[0]}-45", servers[1]: f"pit-{servers[1]}-46",
                                        servers[2]: f"pit-{servers[2]}-45"}
    launched = {s["sourceServerId"]: s["pointInTime"] for s in world.store.load_servers(execution_id)}
    assert max(launched.values()) == wave["pointInTime"]


def test_a_wave_without_a_consistent_point_fails_and_launches_nothing() -> None:
    world = World()
    servers = world.drs.add_servers(2, "n")
    _pit(world, servers[0], [5])
    world.plan("p", [make_wave(1, [world.group("g", servers)])])  # servers[1] has no snapshot at all
    execution_id = start_execution(world.deps, {"planId": "p", "isDrill": True, "consistentPointInTime": True},
                                   "t")["executionId"]
    _run(world, execution_id)
    wave = _waves(world, execution_id)[1]
    assert wave["status"] == "FAILED" and servers[1] in wave["pointInTimeReason"]
    assert world.drs.starts == 0


def test_a_tolerance_without_the_option_is_refused() -> None:
    world = World()
    world.plan("p", [make_wave(1, [world.group("g", world.drs.add_servers(1, "x"))])])
    with pytest.raises(ValidationFailed) as refused:
        start_execution(world.deps, {"planId": "p", "isDrill": True, "pointInTimeToleranceSeconds": 60}, "t")
    assert "pointInTimeToleranceSeconds" in str(refused.value.details)


def test_details_of_4000_servers_stay_under_100_kb() -> None:
    """Issue 15: 40 waves of 100 launched servers with full launch details, across 4 account-regions."""
    import json

    from drs_orch.services.engine.queries import cap_servers

    def server(n: int) -> dict[str, Any]:
        return {"sourceServerId": f"s-{n:017d}", "hostname": f"app-{n:05d}.corp.example.internal",
                "name": f"app-{n:05d}", "status": "LAUNCHED", "accountId": f"{111111111111 * (n % 4 + 1)}",
                "region": "eu-west-1", "jobId": f"drsjob-{n // 100:017d}", "recoveryInstanceId": f"i-{n:017x}",
                "ec2InstanceId": f"i-{n:017x}", "instanceId": f"i-{n:017x}", "privateIp": "10.0.12.34",
                "instanceType": "c5.large", "launchTime": "2026-01-01T00:10:00+00:00", "ec2State": "running",
                "pointInTime": "2026-01-01T00:00:00+00:00", "dataAgeSeconds": 600.0,
                "statusHistory": {"PENDING": "2026-01-01T00:00:00Z", "LAUNCHING": "2026-01-01T00:01:00Z",
                                  "LAUNCHED": "2026-01-01T00:10:00Z"}}

    waves = [{"waveNumber": w, "waveName": f"wave {w}", "status": "COMPLETED", "jobs": [{"jobKey": f"{w}#0"}],
              "servers": [server(w * 100 + i) for i in range(100)]} for w in range(40)]
    details = cap_servers({"executionId": "e", "waves": waves})
    size = len(json.dumps(details).encode())
    assert size < 100_000 and details["serversTotal"] == 4000 and 0 < details["serversIncluded"] < 500
    assert details["serversUrl"] == "/executions/e/servers"
