"""Throttling, lost answers, retried ticks, concurrent starts, DRS limits and conflicts with jobs
started outside the platform."""

from __future__ import annotations

import os
import threading
from collections import Counter
from typing import Any

import boto3
import pytest
from engine_support import (
    HUB,
    fast_fixture,  # noqa: F401 - fixture "fast", used by pytestmark
    group,
    jobs_of,
    plan,
    seed,
    sfn_status,
    start,
    wait_for,
    wait_terminal,
)

from drs_orch.services.engine.jobs import JobRunner

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fast")]


def _one_job_per_key(stack: Any, execution_id: str) -> Counter[str]:
    keys = Counter(j["tags"]["drs-orch:job"] for j in jobs_of(stack, execution_id))
    assert keys and set(keys.values()) == {1}, keys
    return keys


def test_throttling_of_30_percent_of_drs_calls_still_completes(stack: Any, admin: Any) -> None:
    a, b = seed(stack, 2), seed(stack, 2)
    plan_id = plan(admin, [[group(admin, a)], [group(admin, b)]])
    fault = stack.emulator.add_fault("throttle", probability=0.3)
    try:
        execution_id = start(admin, plan_id)
        done = wait_terminal(admin, execution_id, timeout=120)
        hits = [f for f in stack.emulator.list_faults() if f["id"] == fault["id"]][0]["hits"]
    finally:
        stack.emulator.remove_fault(fault["id"])
    assert done["status"] == "COMPLETED", done.get("errorMessage")
    assert hits > 0
    _one_job_per_key(stack, execution_id)


def test_a_lost_start_recovery_answer_gives_exactly_one_job(stack: Any, admin: Any) -> None:
    servers = seed(stack, 2)
    plan_id = plan(admin, [[group(admin, servers)]])
    fault = stack.emulator.add_fault("lose_response", operation="StartRecovery", server_id=servers[0], count=1)
    try:
        execution_id = start(admin, plan_id)
        done = wait_terminal(admin, execution_id)
        hits = [f for f in stack.emulator.list_faults() if f["id"] == fault["id"]][0]["hits"]
    finally:
        stack.emulator.remove_fault(fault["id"])
    assert hits == 1
    assert done["status"] == "COMPLETED"
    assert _one_job_per_key(stack, execution_id) == {"0001#000": 1}
    starts = [c for c in stack.emulator.calls("StartRecovery") if servers[0] in c.get("params", "")]
    assert len(starts) == 1  # never retried blindly: the job was found again by its tags
    job = done["waves"][0]["jobs"][0]
    assert job["startAttempts"] == 1 and job["jobId"] == jobs_of(stack, execution_id)[0]["jobID"]


def test_a_tick_that_raises_after_acting_is_retried_without_duplicating_work(
        stack: Any, admin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    servers = seed(stack, 2)
    plan_id = plan(admin, [[group(admin, servers[:1])], [group(admin, servers[1:])]])
    original = JobRunner.adopt
    raised: list[str] = []

    def adopt_then_crash(self: JobRunner, job: dict[str, Any], drs_job: Any) -> None:
        if not raised:  # the first job started, then the Lambda dies before recording it
            raised.append(str(drs_job["jobID"]))
            raise RuntimeError("injected crash after StartRecovery")
        original(self, job, drs_job)

    monkeypatch.setattr(JobRunner, "adopt", adopt_then_crash)
    execution_id = start(admin, plan_id)
    done = wait_terminal(admin, execution_id)
    assert raised and done["status"] == "COMPLETED", done.get("errorMessage")
    assert _one_job_per_key(stack, execution_id) == {"0001#000": 1, "0002#000": 1}
    assert done["waves"][0]["jobId"] == raised[0]  # the job started before the crash was adopted
    sfn = stack.client("stepfunctions")
    arn = stack.outputs["StateMachineArn"].replace(":stateMachine:", ":execution:") + f":{execution_id}"
    events = [e["type"] for e in sfn.get_execution_history(executionArn=arn)["events"]]
    assert "TaskFailed" in events  # the state machine retried the step
    assert sfn_status(stack, execution_id) == "SUCCEEDED"


def test_a_tick_that_ends_after_starting_the_next_wave_leaves_no_launch_without_its_details(
        stack: Any, admin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A wave's launch details are read after the next wave has started (the transition does not
    wait for them); a Lambda that dies in between leaves them named on the execution, and the
    retried tick reads them."""
    servers = seed(stack, 3)
    plan_id = plan(admin, [[group(admin, servers[:2])], [group(admin, servers[2:])]])
    original = JobRunner.complete_details
    raised: list[set[str]] = []

    def crash_once(self: JobRunner, keys: Any = ()) -> set[str]:
        pending = self.pending_details()
        if not raised and pending and not keys:  # the first put-off read: the Lambda dies before it
            raised.append(pending)
            raise RuntimeError("injected crash after StartRecovery, before the launch details")
        return original(self, keys)

    monkeypatch.setattr(JobRunner, "complete_details", crash_once)
    execution_id = start(admin, plan_id)
    done = wait_terminal(admin, execution_id)
    assert raised == [{"0001#000"}] and done["status"] == "COMPLETED", done.get("errorMessage")
    assert _one_job_per_key(stack, execution_id) == {"0001#000": 1, "0002#000": 1}
    first = done["waves"][0]["servers"]
    assert sorted(s["sourceServerId"] for s in first) == sorted(servers[:2])
    for server in first:
        assert server["status"] == "LAUNCHED" and server["ec2InstanceId"].startswith("i-"), server
        assert server["recoveryInstanceId"] and set(server["statusHistory"]) >= {"LAUNCHING", "LAUNCHED"}
    meta = boto3.resource("dynamodb").Table(os.environ["EXECUTIONS_TABLE"]).get_item(
        Key={"executionId": execution_id, "sk": "META"})["Item"]
    assert "detailsPending" not in meta


def test_twenty_concurrent_starts_of_overlapping_plans_give_exactly_one_202(stack: Any, admin: Any) -> None:
    shared = group(admin, seed(stack, 2))
    plans = [plan(admin, [[shared, group(admin, seed(stack, 1))]]) for _ in range(20)]
    answers: list[tuple[int, Any]] = []
    barrier = threading.Barrier(20)

    def go(plan_id: str) -> None:
        barrier.wait()
        answers.append(admin.post("/executions", {"planId": plan_id, "executionType": "DRILL"}))

    threads = [threading.Thread(target=go, args=(p,)) for p in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = Counter(code for code, _ in answers)
    assert codes == {202: 1, 409: 19}, answers
    winner = next(body["executionId"] for code, body in answers if code == 202)
    for code, body in answers:
        if code == 409:
            assert body["error"] == "SERVER_CONFLICT"
            assert body["details"]["conflictingExecutions"] == [winner]
    assert wait_terminal(admin, winner)["status"] == "COMPLETED"


def test_a_server_in_a_job_started_outside_the_platform_is_refused(stack: Any, admin: Any) -> None:
    servers = seed(stack, 2, launch_seconds=3600)
    plan_id = plan(admin, [[group(admin, servers)]])
    drs = boto3.client("drs", region_name="eu-west-1")
    job = drs.start_recovery(sourceServers=[{"sourceServerID": servers[1]}], isDrill=True)["job"]
    status, body = admin.post("/executions", {"planId": plan_id, "executionType": "DRILL"})
    assert status == 409 and body["error"] == "SERVER_CONFLICT"
    assert body["details"]["conflictingDrsJobs"] == [job["jobID"]]
    assert body["details"]["servers"] == [servers[1]]
    assert body["details"]["conflicts"][0]["conflictSource"] == "drs_job"


def test_big_waves_split_into_jobs_of_100_and_queue_for_drs_capacity(stack: Any, admin: Any) -> None:
    """Twenty jobs started outside the platform fill the region's 20 active jobs: the wave waits
    QUEUED, then launches 150 servers as two jobs once they end (the emulator clock moves on)."""
    region = "eu-north-1"
    blockers = seed(stack, 20, region=region, launch_seconds=10**6)
    drs = boto3.client("drs", region_name=region)
    for server in blockers:
        drs.start_recovery(sourceServers=[{"sourceServerID": server}], isDrill=True)
    servers = seed(stack, 150, region=region, launch_seconds=60)
    groups = [group(admin, servers[i:i + 75], region=region) for i in (0, 75)]
    execution_id = start(admin, plan(admin, [groups]))
    queued = wait_for(admin, execution_id, lambda d: d["waves"][0]["status"] == "QUEUED", what="QUEUED")
    assert queued["status"] == "RUNNING" and jobs_of(stack, execution_id) == []
    stack.emulator.advance(10**6)  # the blocking jobs end
    done = wait_terminal(admin, execution_id, timeout=120)
    assert done["status"] == "COMPLETED"
    assert set(done["waves"][0]["statusHistory"]) == {"PENDING", "QUEUED", "LAUNCHING", "COMPLETED"}
    sizes = sorted(len(j["participatingServers"]) for j in jobs_of(stack, execution_id))
    assert sizes == [50, 100]
    assert done["accountId"] == HUB and done["serverCounts"]["launched"] == 150
