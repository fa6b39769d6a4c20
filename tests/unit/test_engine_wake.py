"""The wake-up of a waiting execution (services/engine/wake.py) over in-memory ports: each event
counts its server once against the job's note; the event that completes the count takes the wait's
token and sends it, so duplicates send nothing; a job still launching or not ours wakes nothing."""

from __future__ import annotations

from typing import Any

from engine_world import FakeStateMachine, MemoryExecutionStore
from hypothesis import given
from hypothesis import strategies as st

from drs_orch.services.engine.wake import Waker, store_wait_token

JOB = "drsjob-00000000000000001"


def _event(server: str = "s-1", job: str = JOB, state: str = "RECOVERY_LAUNCH_SUCCEEDED") -> dict[str, Any]:
    return {"source": "aws.drs", "detail-type": "DRS Source Server Launch Result", "account": "111111111111",
            "region": "us-west-2", "resources": [f"arn:aws:drs:us-west-2:111111111111:source-server/{server}"],
            "detail": {"state": state, "job-id": job, "is-drill": "TRUE"}}


def _world(servers: tuple[str, ...] = ("s-1",)) -> tuple[Waker, MemoryExecutionStore, FakeStateMachine]:
    store, sfn = MemoryExecutionStore(), FakeStateMachine()
    store.items[("e-1", "META")] = {"executionId": "e-1", "sk": "META", "status": "RUNNING", "version": 3}
    store.note_drs_job(JOB, "e-1", list(servers), expires_at=2_000_000_000)
    return Waker(store, sfn), store, sfn


def test_the_last_launch_result_of_a_job_wakes_its_execution_once() -> None:
    waker, store, sfn = _world(("s-1", "s-2"))
    store_wait_token(store, sfn, "e-1", "token-1")
    assert store.get_meta("e-1")["version"] == 3  # the token does not move the tick's version  # type: ignore[index]
    assert waker.handle_launch_result(_event("s-1")).result == "JOB_IN_FLIGHT"
    assert sfn.tokens_sent == []
    assert waker.handle_launch_result(_event("s-2", state="RECOVERY_LAUNCH_FAILED")).result == "WOKEN"
    assert [waker.handle_launch_result(_event("s-2")).result for _ in range(3)] == ["NOT_COUNTED"] * 3
    assert sfn.tokens_sent == ["token-1"]


def test_a_job_not_noted_or_an_event_without_job_wakes_nothing() -> None:
    waker, store, sfn = _world()
    store_wait_token(store, sfn, "e-1", "token-1")
    assert waker.handle_launch_result(_event(job="drsjob-99999999999999999")).result == "NOT_COUNTED"
    assert waker.handle_launch_result({**_event(), "detail": {}}).result == "IGNORED"
    assert waker.handle_launch_result({**_event(), "resources": []}).result == "IGNORED"
    assert sfn.tokens_sent == []


def test_a_job_ending_while_a_tick_runs_ends_the_next_wait_at_once() -> None:
    waker, store, sfn = _world(("s-1", "s-2"))
    assert waker.handle_launch_result(_event("s-1")).result == "JOB_IN_FLIGHT"
    assert waker.handle_launch_result(_event("s-2")).result == "NOT_WAITING"  # a tick is running: no token
    assert sfn.tokens_sent == []
    # that tick may have read DRS just before the last launch ended: its wait does not wait
    assert store_wait_token(store, sfn, "e-1", "token-1") is False
    assert sfn.tokens_sent == ["token-1"]
    assert store_wait_token(store, sfn, "e-1", "token-2") is True  # the wake-up was taken once
    assert sfn.tokens_sent == ["token-1"]
    assert "wakePending" not in store.items[("e-1", "META")]


def test_a_launch_result_that_finds_a_timed_out_wait_is_kept_for_the_next_wait() -> None:
    """The poll's timeout ended the wait and its tick runs, but the token was still stored: the
    event's send is refused. That tick may have read DRS before this launch ended, so the wake-up
    must wait for the next wait instead of being lost until the poll after it."""
    waker, store, sfn = _world(("s-1",))
    store_wait_token(store, sfn, "e-1", "token-1")
    sfn.ended_waits.add("token-1")  # the wait timed out; a tick runs
    assert waker.handle_launch_result(_event("s-1")).result == "NOT_WAITING"
    assert sfn.tokens_sent == []
    assert store_wait_token(store, sfn, "e-1", "token-2") is False  # the tick's next wait ends at once
    assert sfn.tokens_sent == ["token-2"]


def test_an_ended_execution_is_not_woken() -> None:
    waker, store, sfn = _world(("s-1",))
    store_wait_token(store, sfn, "e-1", "token-1")
    store.items[("e-1", "META")]["status"] = "COMPLETED"
    assert waker.handle_launch_result(_event("s-1")).result == "NOT_WAITING"
    assert sfn.tokens_sent == [] and "wakePending" not in store.items[("e-1", "META")]


@given(st.lists(st.sampled_from(["s-1", "s-2", "s-3"]), min_size=1, max_size=12))
def test_any_order_of_events_with_duplicates_wakes_once_exactly_when_all_servers_reported(order: list[str]) -> None:
    waker, store, sfn = _world(("s-1", "s-2", "s-3"))
    store_wait_token(store, sfn, "e-1", "token-1")
    results = [waker.handle_launch_result(_event(s)).result for s in order]
    assert results.count("WOKEN") == (1 if set(order) == {"s-1", "s-2", "s-3"} else 0)
    assert len(sfn.tokens_sent) == results.count("WOKEN")
    assert results.count("NOT_COUNTED") == len(order) - len(set(order))
