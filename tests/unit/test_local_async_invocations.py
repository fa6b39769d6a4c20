"""The local stack's queue of asynchronous Lambda invocations: every event runs once, at most
ASYNC_CONCURRENCY (or the function's reserved concurrency) at a time, and a failing one does not stop
the queue."""

from __future__ import annotations

import threading
import time
from typing import Any

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
