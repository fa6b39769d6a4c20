"""The wake-up of a waiting execution (services/engine/wake.py) over in-memory ports: the token is
claimed before it is sent, so duplicates send nothing; a job still launching wakes nothing."""

from __future__ import annotations

from typing import Any

from engine_world import FakeStateMachine, MemoryExecutionStore

from drs_orch.services.engine.wake import Waker, store_wait_token

JOB = "drsjob-00000000000000001"


class Jobs:
    def __init__(self, job: dict[str, Any]) -> None:
        self.job = job
        self.calls: list[tuple[str, list[str]]] = []

    def describe_jobs(self, scope: str, job_ids: list[str]) -> dict[str, dict[str, Any]]:
        self.calls.append((scope, job_ids))
        return {JOB: self.job} if JOB in job_ids else {}


def _event(state: str = "RECOVERY_LAUNCH_SUCCEEDED") -> dict[str, Any]:
    return {"source": "aws.drs", "detail-type": "DRS Source Server Launch Result", "account": "111111111111",
            "region": "us-west-2", "detail": {"state": state, "job-id": JOB, "is-drill": "TRUE"}}


def _world(job_status: str = "COMPLETED", launch: str = "LAUNCHED") -> tuple[Waker, MemoryExecutionStore,
                                                                           FakeStateMachine, Jobs]:
    store, sfn = MemoryExecutionStore(), FakeStateMachine()
    store.items[("e-1", "META")] = {"executionId": "e-1", "sk": "META", "status": "RUNNING", "version": 3}
    jobs = Jobs({"jobID": JOB, "status": job_status, "tags": {"drs-orch:execution-id": "e-1"},
                 "participatingServers": [{"sourceServerID": "s-1", "launchStatus": launch}]})
    return Waker(store, jobs, sfn), store, sfn, jobs


def test_an_ended_job_wakes_its_execution_once() -> None:
    waker, store, sfn, jobs = _world()
    store_wait_token(store, "e-1", "token-1")
    assert store.get_meta("e-1")["version"] == 3  # the token does not move the tick's version  # type: ignore[index]
    assert waker.handle_launch_result(_event()).result == "WOKEN"
    assert jobs.calls == [("111111111111#us-west-2", [JOB])]
    assert [waker.handle_launch_result(_event()).result for _ in range(3)] == ["NOT_WAITING"] * 3
    assert sfn.tokens_sent == ["token-1"]
    store_wait_token(store, "e-1", "token-2")  # the next wait: a late event wakes it once more
    assert waker.handle_launch_result(_event()).result == "WOKEN"
    assert sfn.tokens_sent == ["token-1", "token-2"]


def test_a_job_still_launching_or_not_ours_wakes_nothing() -> None:
    waker, store, sfn, jobs = _world(job_status="STARTED", launch="IN_PROGRESS")
    store_wait_token(store, "e-1", "token-1")
    assert waker.handle_launch_result(_event()).result == "JOB_IN_FLIGHT"
    jobs.job["tags"] = {}
    jobs.job["status"] = "COMPLETED"
    assert waker.handle_launch_result(_event()).result == "NOT_OURS"
    assert waker.handle_launch_result({**_event(), "detail": {}}).result == "IGNORED"
    assert sfn.tokens_sent == []


def test_an_ended_execution_is_not_woken() -> None:
    waker, store, sfn, _ = _world()
    store_wait_token(store, "e-1", "token-1")
    store.items[("e-1", "META")]["status"] = "COMPLETED"
    assert waker.handle_launch_result(_event()).result == "NOT_WAITING"
    assert sfn.tokens_sent == []
