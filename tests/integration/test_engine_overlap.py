"""Overlapping starts of plans of more than 99 servers (whose guards are claimed in more than one
transaction): of two at the same time, exactly one gets 202 (issue 15)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from engine_support import (
    fast_fixture,  # noqa: F401 - fixture "fast", used by pytestmark
    group,
    plan,
    seed,
    wait_terminal,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fast")]


def test_two_overlapping_starts_of_150_server_plans_give_exactly_one_202(stack: Any, admin: Any) -> None:
    g1, g2, g3 = (group(admin, seed(stack, 75, launch_seconds=30)) for _ in range(3))
    plans = [plan(admin, [[g1, g2]]), plan(admin, [[g2, g3]])]  # 150 servers each, 75 shared
    answers: list[tuple[str, int, Any]] = []
    barrier = threading.Barrier(2)

    def go(plan_id: str) -> None:
        barrier.wait()
        answers.append((plan_id, *admin.post("/executions", {"planId": plan_id, "executionType": "DRILL"})))

    threads = [threading.Thread(target=go, args=(p,)) for p in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(code for _, code, _ in answers) == {202: 1, 409: 1}, answers
    winner = next(body["executionId"] for _, code, body in answers if code == 202)
    loser_plan, _, loser = next(a for a in answers if a[1] == 409)
    assert loser["error"] == "SERVER_CONFLICT" and loser["details"]["conflictingExecutions"] == [winner]
    assert wait_terminal(admin, winner, timeout=180)["status"] == "COMPLETED"
    # the loser kept no guard: once the winner has ended, its plan starts
    code, body = admin.post("/executions", {"planId": loser_plan, "executionType": "DRILL"})
    assert code == 202, body
    assert wait_terminal(admin, body["executionId"], timeout=180)["status"] == "COMPLETED"
