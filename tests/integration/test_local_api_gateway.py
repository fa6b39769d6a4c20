"""The local API Gateway behaves as API Gateway's Lambda proxy integration does past its timeout:
the caller gets 504 and the request is not sent to the function again (a retried invocation would
run a save twice and answer its second run's conflict)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from drs_local import stack as local_stack
from drs_orch.services.recovery_plans import RecoveryPlanService

pytestmark = pytest.mark.integration


def test_a_request_past_the_integration_timeout_gets_504_and_runs_once(
        stack: Any, admin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    original = RecoveryPlanService.list_page
    calls: list[float] = []
    finished = threading.Event()

    def slow(self: RecoveryPlanService, query: Any) -> Any:
        calls.append(time.monotonic())
        try:
            time.sleep(2.5)  # real time on purpose: the integration timeout is a real-time limit
            return original(self, query)
        finally:
            finished.set()

    monkeypatch.setattr(RecoveryPlanService, "list_page", slow)
    monkeypatch.setattr(local_stack, "INTEGRATION_TIMEOUT_SECONDS", 1)
    status, body = admin.get("/recovery-plans")
    assert status == 504 and body == {"message": "Endpoint request timed out"}
    assert finished.wait(10)
    assert len(calls) == 1  # one invocation: never retried
