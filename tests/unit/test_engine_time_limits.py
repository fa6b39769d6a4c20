"""Per-job and per-wave time limits (issue 15): a DRS job that never finishes ends its wave with
TIMEOUT, the reason names the DRS job and its last state, and onServerFailure decides what follows."""

from __future__ import annotations

from typing import Any

import pytest
from engine_world import World, make_wave, run

from drs_orch.domain.time_limits import MIN_JOB_LIMIT_SECONDS, admission_rounds, wave_time_limits
from drs_orch.services.engine.start import start_execution


def _run(world: World, execution_id: str) -> None:
    results = run(world, execution_id, max_ticks=500)
    assert results[-1]["next"] == "DONE", f"still running after {len(results)} ticks"


def _wave_item(world: World, execution_id: str, number: int) -> dict[str, Any]:
    return world.store.items[(execution_id, f"WAVE#{number:04d}")]


@pytest.mark.parametrize("policy, final, second", [("STOP", "FAILED", "CANCELLED"), ("CONTINUE", "FAILED", "TIMEOUT")])
def test_a_job_that_never_finishes_times_out_itswave(policy: str, final: str, second: str) -> None:
    world = World(launch_seconds=10**8)  # DRS never finishes the job
    a = world.group("ga", world.drs.add_servers(2, "a"))
    b = world.group("gb", world.drs.add_servers(2, "b"))
    world.plan("p", [make_wave(1, [a], onServerFailure=policy, jobTimeoutMinutes=45), make_wave(2, [b])])
    execution_id = start_execution(world.deps, {"planId": "p", "isDrill": True}, "tester")["executionId"]
    first = _wave_item(world, execution_id, 1)
    assert first["jobTimeoutSeconds"] == 45 * 60 and first["timeLimitSource"] == "WAVE"
    _run(world, execution_id)
    meta = world.store.get_meta(execution_id)
    assert meta is not None and meta["status"] == final
    wave = _wave_item(world, execution_id, 1)
    job_id = world.drs.jobs[0]["jobID"]
    assert wave["status"] == "TIMEOUT"
    assert job_id in wave["reason"] and "last state STARTED" in wave["reason"] and "2700 s" in wave["reason"]
    assert meta["finishedWaves"]["1"]["status"] == "TIMEOUT" and job_id in meta["finishedWaves"]["1"]["reason"]
    assert _wave_item(world, execution_id, 2)["status"] == second
    servers = [i for (e, sk), i in world.store.items.items() if e == execution_id and sk.startswith("SERVER#")]
    timed_out = [s for s in servers if s["waveNumber"] == 1]
    assert {s["status"] for s in timed_out} == {"FAILED"}
    assert all(job_id in s["failureReason"] for s in timed_out)
    assert world.store.guards == {}  # the locks are released all the same


def test_a_wave_limit_ends_a_wave_whose_jobs_each_keep_within_theirs() -> None:
    world = World(launch_seconds=10**8)
    a = world.group("ga", world.drs.add_servers(2, "a"))
    world.plan("p", [make_wave(1, [a], jobTimeoutMinutes=600, waveTimeoutMinutes=60)])
    execution_id = start_execution(world.deps, {"planId": "p", "isDrill": True}, "tester")["executionId"]
    _run(world, execution_id)
    wave = _wave_item(world, execution_id, 1)
    assert wave["status"] == "TIMEOUT" and "wave 1 passed its time limit of 3600 s" in wave["reason"]


def test_the_plan_sets_the_limits_of_waves_that_set_none() -> None:
    world = World(launch_seconds=60)
    a = world.group("ga", world.drs.add_servers(2, "a"))
    world.plan("p", [make_wave(1, [a])])
    world.plans.plans["p"]["jobTimeoutMinutes"] = 90
    execution_id = start_execution(world.deps, {"planId": "p", "isDrill": True}, "tester")["executionId"]
    wave = _wave_item(world, execution_id, 1)
    assert (wave["jobTimeoutSeconds"], wave["waveTimeoutSeconds"], wave["timeLimitSource"]) == (5400, 5400, "PLAN")
    _run(world, execution_id)
    assert _wave_item(world, execution_id, 1)["status"] == "COMPLETED"  # a job within its limit is not cut


def test_default_limits_come_from_the_launch_times_and_the_admission_rounds() -> None:
    limits = wave_time_limits(wave_job_minutes=None, wave_minutes=None, plan_job_minutes=None,
                              plan_wave_minutes=None, launch_seconds=1200, rounds=3)
    assert (limits.job_seconds, limits.wave_seconds, limits.source) == (3600, 10800, "LAUNCH_TIMES")
    quick = wave_time_limits(wave_job_minutes=None, wave_minutes=None, plan_job_minutes=None,
                             plan_wave_minutes=None, launch_seconds=60, rounds=1)
    assert quick.job_seconds == MIN_JOB_LIMIT_SECONDS
    # 30 jobs of 100 in one account-region: 20 at a time and 500 servers in active jobs -> 6 rounds
    assert admission_rounds({"a#r": [100] * 30}) == 6 and admission_rounds({"a#r": [5]}) == 1
