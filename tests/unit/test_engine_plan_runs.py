"""An execution that ends is recorded as its plan's latest run; the status, waves and jobs views
say what the details say (over the in-memory engine world)."""

from __future__ import annotations

from typing import Any

from engine_world import World

from drs_orch.services.engine import lifecycle, progress, queries
from drs_orch.services.engine.reconcile import Engine
from drs_orch.services.engine.start import start_execution


def _wave(n: int, groups: list[str]) -> dict[str, Any]:
    return {"waveNumber": n, "waveName": f"w{n}", "protectionGroupIds": groups, "dependsOnWaves": [],
            "pauseBeforeWave": False, "onServerFailure": "STOP"}


def _run(world: World, execution_id: str) -> None:
    engine = Engine(world.deps)
    result = engine.begin(execution_id).to_dict()
    while result["next"] == "CONTINUE":
        world.clock.advance(max(1, result["waitSeconds"]))
        result = engine.tick(execution_id).to_dict()


def test_a_completed_run_is_the_plans_last_run_and_the_views_agree_with_the_details() -> None:
    world = World()
    a = world.group("ga", world.drs.add_servers(3, "a"))
    b = world.group("gb", world.drs.add_servers(2, "b"))
    world.plan("p", [_wave(1, [a]), _wave(2, [b])])
    execution_id = start_execution(world.deps, {"planId": "p", "isDrill": True}, "tester")["executionId"]
    assert world.store.plan_runs == {}
    _run(world, execution_id)
    details = queries.get_execution(world.deps, execution_id)
    run = world.store.plan_runs["p"]
    assert run["lastExecutionId"] == execution_id and run["lastExecutionStatus"] == "COMPLETED"
    assert run["lastStartTime"] == details["startTime"] and run["lastEndTime"] == details["endTime"]

    status = progress.execution_status(world.deps, execution_id)
    assert status["status"] == "COMPLETED" and status["isTerminal"] and status["completedWaves"] == 2
    assert status["serverCounts"] == details["serverCounts"] and status["next"] == []
    waves = progress.execution_waves(world.deps, execution_id)["waves"]
    assert [w["jobIds"] for w in waves] == [w["jobIds"] for w in details["waves"]]
    assert all(w["durationSeconds"] is not None and w["durationSeconds"] >= 0 for w in waves)
    jobs = progress.execution_jobs(world.deps, execution_id)
    assert jobs["jobIds"] == [j for w in details["waves"] for j in w["jobIds"]]
    launched = {s["sourceServerId"] for w in details["waves"] for s in w["servers"]}
    assert {s["sourceServerId"] for j in jobs["jobs"] for s in j["servers"]} == launched

    # an older run ending later does not replace the newer one; deleting the recorded run forgets it
    world.store.record_plan_run({**world.store.get_meta(execution_id), "executionId": "older",  # type: ignore[dict-item]
                                 "startTime": "2000-01-01T00:00:00.000Z"})
    assert world.store.plan_runs["p"]["lastExecutionId"] == execution_id
    lifecycle.delete_executions(world.deps, [execution_id])
    assert "p" not in world.store.plan_runs


def test_a_cancelled_run_is_recorded_too() -> None:
    world = World()
    world.plan("p", [_wave(1, [world.group("g", world.drs.add_servers(1, "c"))])])
    execution_id = start_execution(world.deps, {"planId": "p", "isDrill": True}, "tester")["executionId"]
    lifecycle.cancel_execution(world.deps, execution_id, "tester")
    assert world.store.plan_runs["p"]["lastExecutionStatus"] == "CANCELLED"


def test_a_job_waiting_for_drs_capacity_says_why_until_it_starts() -> None:
    world = World()
    group = world.group("big", world.drs.add_servers(600, "big"))
    world.plan("p", [_wave(1, [group])])
    execution_id = start_execution(world.deps, {"planId": "p", "isDrill": True}, "tester")["executionId"]
    engine = Engine(world.deps)
    result = engine.begin(execution_id).to_dict()
    jobs = queries.get_execution(world.deps, execution_id)["waves"][0]["jobs"]
    assert [j["status"] for j in jobs] == ["ACTIVE"] * 5 + ["QUEUED"]
    assert jobs[5]["waitingFor"] == ("waiting for DRS capacity in 123456789012 / eu-west-1: 500 of 500 servers "
                                     "are in active jobs; this job needs 100")
    assert all("waitingFor" not in j for j in jobs[:5])
    while result["next"] == "CONTINUE":
        world.clock.advance(max(1, result["waitSeconds"]))
        result = engine.tick(execution_id).to_dict()
    details = queries.get_execution(world.deps, execution_id)
    assert details["status"] == "COMPLETED" and details["serverCounts"]["launched"] == 600
    assert all("waitingFor" not in j and j["jobId"] for j in details["waves"][0]["jobs"])  # said no longer once started


def test_a_waiting_job_dropped_by_a_cancel_no_longer_says_it_waits() -> None:
    world = World()
    world.plan("p", [_wave(1, [world.group("big", world.drs.add_servers(600, "big"))])])
    execution_id = start_execution(world.deps, {"planId": "p", "isDrill": True}, "tester")["executionId"]
    engine = Engine(world.deps)
    result = engine.begin(execution_id).to_dict()
    assert queries.get_execution(world.deps, execution_id)["waves"][0]["jobs"][5]["waitingFor"]
    lifecycle.cancel_execution(world.deps, execution_id, "tester")
    while result["next"] == "CONTINUE":
        world.clock.advance(max(1, result["waitSeconds"]))
        result = engine.tick(execution_id).to_dict()
    last = queries.get_execution(world.deps, execution_id)["waves"][0]["jobs"][5]
    assert last["status"] == "NOT_STARTED" and "waitingFor" not in last, last
