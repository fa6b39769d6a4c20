"""The local stack's queue of asynchronous Lambda invocations: every event runs once, at most
ASYNC_CONCURRENCY (or the function's reserved concurrency) at a time, and a failing one does not stop
the queue."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from drs_local import moto_patches


class _Function:
    def __init__(self, name: str, reserved: int | None = None, fail_on: Any = None) -> None:
        self.function_name = name
        self.function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        self.reserved_concurrency = reserved
        self.fail_on = fail_on
        self.ran: list[Any] = []
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.expected = 0

    def _invoke_lambda(self, event: Any) -> None:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.01)
        with self.lock:
            self.running -= 1
            self.ran.append(event)
            if len(self.ran) == self.expected:
                self.done.set()
        if event == self.fail_on:
            raise RuntimeError("the handler failed")


def _run(fn: _Function, events: list[Any]) -> None:
    fn.expected = len(events)
    queue = moto_patches._AsyncInvocations()
    for event in events:
        queue.submit(fn, event)
    assert fn.done.wait(10)


def test_every_event_runs_once_and_no_more_than_the_concurrency_at_a_time() -> None:
    fn = _Function("burst", fail_on=3)
    _run(fn, list(range(40)))
    assert sorted(fn.ran) == list(range(40))  # the failure of event 3 stopped nothing
    assert 1 <= fn.most <= moto_patches.ASYNC_CONCURRENCY


def test_a_reserved_concurrency_of_one_runs_events_one_by_one_in_order() -> None:
    fn = _Function("serial", reserved=1)
    _run(fn, list(range(10)))
    assert fn.ran == list(range(10)) and fn.most == 1


def test_invocations_that_run_long_do_not_hold_the_others_up() -> None:
    release = threading.Event()
    ran: list[str] = []

    class _Blocking(_Function):
        def _invoke_lambda(self, event: Any) -> None:
            if event == "long":
                release.wait(10)
            ran.append(event)
            if event == "short":
                self.done.set()

    fn = _Blocking("scales-out")
    queue = moto_patches._AsyncInvocations()
    for _ in range(moto_patches.ASYNC_CONCURRENCY):
        queue.submit(fn, "long")  # every worker busy, as a background run waiting for the one before
    queue.submit(fn, "short")
    try:
        assert fn.done.wait(5) and ran == ["short"]  # another worker took it after ASYNC_STUCK_SECONDS
    finally:
        release.set()


@pytest.fixture(autouse=True)
def _fresh_gate(monkeypatch: Any) -> None:
    """Each test its own gate: a wait that ran out in one test must not free the next one's."""
    monkeypatch.setattr(moto_patches, "_waited", moto_patches._Waited())


def _slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A synchronous function's handler (the local runtime imports it by name)."""
    time.sleep(float(event["seconds"]))
    return {}


class _Waited:
    """A function a caller waits for (the state machine's tick, an API request)."""

    function_name = "waited"
    function_arn = "arn:aws:lambda:us-east-1:123456789012:function:waited"
    handler = f"{__name__}._slow"
    memory_size = 128
    timeout = 30


def _async_start_while_waited_runs(seconds: float) -> tuple[float, float]:
    """Run the waited function for ``seconds``; 50 ms in, queue an asynchronous event. Returns when
    the asynchronous invocation began and when the waited one ended (seconds from the start)."""
    began: list[float] = []
    t0 = time.monotonic()

    class _Event(_Function):
        def _invoke_lambda(self, event: Any) -> None:
            began.append(time.monotonic() - t0)
            super()._invoke_lambda(event)

    waited = threading.Thread(target=moto_patches._invoke_in_process, args=(_Waited(), f'{{"seconds": {seconds}}}'))
    waited.start()
    time.sleep(0.05)
    fn = _Event("event")
    fn.expected = 1
    moto_patches._AsyncInvocations().submit(fn, {"n": 1})
    waited.join()
    ended = time.monotonic() - t0
    assert fn.done.wait(10)
    return began[0], ended


def test_an_asynchronous_invocation_begins_once_the_one_a_caller_waits_for_has_ended() -> None:
    began, ended = _async_start_while_waited_runs(0.3)
    assert began >= ended - 0.02  # it waited for the tick (a thread switch of slack)


def test_an_asynchronous_invocation_waits_no_longer_than_its_yield(monkeypatch: Any) -> None:
    monkeypatch.setattr(moto_patches, "ASYNC_YIELD_SECONDS", 0.2)
    began, ended = _async_start_while_waited_runs(1.5)
    assert 0.2 <= began < ended - 0.5  # a long synchronous invocation does not hold the queue up


def test_an_asynchronous_invocation_begins_at_once_when_none_is_waited_for() -> None:
    fn = _Function("alone")
    t0 = time.monotonic()
    _run(fn, [1])
    assert time.monotonic() - t0 < 0.2


def test_under_a_waited_invocation_that_never_stops_the_queue_still_moves(monkeypatch: Any) -> None:
    """After one wait runs out, the next invocations begin at once for as long again: a 4,000-server
    tick does not leave a wave's launch results waiting half a second each."""
    monkeypatch.setattr(moto_patches, "ASYNC_YIELD_SECONDS", 0.3)
    waited = threading.Thread(target=moto_patches._invoke_in_process, args=(_Waited(), '{"seconds": 1.5}'))
    waited.start()
    time.sleep(0.05)
    fn = _Function("storm")
    t0 = time.monotonic()
    _run(fn, list(range(20)))  # 20 x 10 ms on two workers: about 0.1 s once they may begin
    took = time.monotonic() - t0
    waited.join()
    assert took < 0.3 + 0.3  # one wait that ran out, then no more waiting

