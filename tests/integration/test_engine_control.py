"""Pause and resume, cancel in each phase, launch failures under STOP and CONTINUE."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from engine_support import (
    details,
    fast_fixture,  # noqa: F401 - fixture "fast", used by pytestmark
    group,
    jobs_of,
    notifications_fixture,  # noqa: F401 - fixture "notifications"
    plan,
    seed,
    sfn_status,
    start,
    wait_for,
    wait_terminal,
)

from drs_orch.services.engine.reconcile import Engine

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fast")]


def _statuses(body: dict[str, Any]) -> list[str]:
    return [w["status"] for w in body["waves"]]


def test_pause_before_a_wave_waits_for_a_task_token_and_resume_continues(stack: Any, admin: Any,
                                                                         readonly: Any, notifications: Any) -> None:
    a, b, c = seed(stack, 1), seed(stack, 1), seed(stack, 1)
    plan_id = plan(admin, [[group(admin, a)], [group(admin, b)], [group(admin, c)]], pauseBeforeWave={3: True})
    execution_id = start(admin, plan_id)
    paused = wait_for(admin, execution_id, lambda d: d["status"] == "PAUSED", what="PAUSED")
    assert _statuses(paused) == ["COMPLETED", "COMPLETED", "PENDING"]
    assert paused["pausedBeforeWaves"] == [3] and paused["isPaused"] is True and "taskToken" not in paused
    # the state machine is really waiting (a waitForTaskToken task), and nothing else happens
    assert sfn_status(stack, execution_id, timeout=0.5) == "RUNNING"
    assert len(jobs_of(stack, execution_id)) == 2
    assert readonly.post(f"/executions/{execution_id}/resume")[0] == 403
    assert admin.post(f"/executions/{execution_id}/pause")[0] == 409
    status, body = admin.post(f"/executions/{execution_id}/resume")
    assert status == 200 and body["resumedBeforeWaves"] == [3]
    done = wait_terminal(admin, execution_id)
    assert done["status"] == "COMPLETED" and _statuses(done) == ["COMPLETED"] * 3
    assert [h["status"] for h in done["statusHistory"]] == ["PENDING", "RUNNING", "PAUSED", "RUNNING", "COMPLETED"]
    assert done["timings"]["pausedSeconds"] > 0
    assert sfn_status(stack, execution_id) == "SUCCEEDED"
    assert admin.post(f"/executions/{execution_id}/resume")[0] == 409
    notes = notifications(execution_id)
    assert [n["MessageAttributes"]["eventType"]["Value"] for n in notes] == ["start", "pause", "complete"]
    assert "taskToken" not in notes[1]["Message"] and f"/executions/{execution_id}/resume" in notes[1]["Message"]


def test_pause_request_pauses_after_the_wave_in_flight(stack: Any, admin: Any) -> None:
    a, b = seed(stack, 2, launch_seconds=600), seed(stack, 1)
    plan_id = plan(admin, [[group(admin, a)], [group(admin, b)]])
    execution_id = start(admin, plan_id)
    wait_for(admin, execution_id, lambda d: d["waves"][0]["status"] == "LAUNCHING", what="wave 1 launching")
    status, body = admin.post(f"/executions/{execution_id}/pause")
    assert status == 200 and body["pauseRequested"] is True
    paused = wait_for(admin, execution_id, lambda d: d["status"] == "PAUSED", what="PAUSED")
    assert _statuses(paused) == ["COMPLETED", "PENDING"] and paused["pausedBeforeWaves"] == []
    assert len(jobs_of(stack, execution_id)) == 1
    assert admin.post(f"/executions/{execution_id}/resume")[0] == 200
    assert wait_terminal(admin, execution_id)["status"] == "COMPLETED"


def test_cancel_while_pending_ends_before_any_wave(stack: Any, admin: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The Begin step is held until the cancel is in, so the execution is still PENDING."""
    release = threading.Event()
    original = Engine.begin

    def held_begin(self: Engine, execution_id: str, **kwargs: Any) -> Any:
        release.wait(10)
        return original(self, execution_id, **kwargs)

    monkeypatch.setattr(Engine, "begin", held_begin)
    group_id = group(admin, seed(stack, 1))
    execution_id = start(admin, plan(admin, [[group_id]]))
    assert details(admin, execution_id)["status"] == "PENDING"
    status, body = admin.post(f"/executions/{execution_id}/cancel")
    release.set()
    assert status == 200 and body["status"] == "CANCELLED" and body["details"]["cancelledWaves"] == [1]
    assert sfn_status(stack, execution_id) in ("ABORTED", "SUCCEEDED")
    assert jobs_of(stack, execution_id) == []
    assert admin.post(f"/executions/{execution_id}/cancel")[0] == 409
    monkeypatch.setattr(Engine, "begin", original)
    # the server locks were released: the same servers start again
    again = start(admin, plan(admin, [[group_id]]))
    assert wait_terminal(admin, again)["status"] == "COMPLETED"


def test_cancel_while_a_wave_launches_keeps_its_outcome_and_stops(stack: Any, admin: Any,
                                                                  notifications: Any) -> None:
    a, b = seed(stack, 2, launch_seconds=600), seed(stack, 1)
    plan_id = plan(admin, [[group(admin, a)], [group(admin, b)]])
    execution_id = start(admin, plan_id)
    wait_for(admin, execution_id, lambda d: d["waves"][0]["status"] == "LAUNCHING", what="wave 1 launching")
    status, body = admin.post(f"/executions/{execution_id}/cancel")
    assert status == 200 and body["status"] == "CANCELLING"
    running = body["details"]["runningJobs"]
    assert len(running) == 1 and running[0]["waveNumber"] == 1
    status, again = admin.post(f"/executions/{execution_id}/cancel")
    assert status == 200 and again["message"] == "already cancelling"
    done = wait_terminal(admin, execution_id)
    assert done["status"] == "CANCELLED"
    assert _statuses(done) == ["COMPLETED", "CANCELLED"]  # the DRS job in flight finished; wave 2 never ran
    assert len(jobs_of(stack, execution_id)) == 1
    assert sfn_status(stack, execution_id) == "SUCCEEDED"
    events = [n["MessageAttributes"]["eventType"]["Value"] for n in notifications(execution_id)]
    assert events == ["start", "cancel"]
    assert [h["status"] for h in done["statusHistory"]][-2:] == ["CANCELLING", "CANCELLED"]


def test_cancel_while_paused_stops_the_state_machine(stack: Any, admin: Any) -> None:
    a, b = seed(stack, 1), seed(stack, 1)
    plan_id = plan(admin, [[group(admin, a)], [group(admin, b)]], pauseBeforeWave={2: True})
    execution_id = start(admin, plan_id)
    wait_for(admin, execution_id, lambda d: d["status"] == "PAUSED", what="PAUSED")
    status, body = admin.post(f"/executions/{execution_id}/cancel")
    assert status == 200 and body["status"] == "CANCELLED"
    assert body["details"]["completedWaves"] == [1] and body["details"]["cancelledWaves"] == [2]
    assert sfn_status(stack, execution_id) == "ABORTED"
    done = details(admin, execution_id)
    assert done["status"] == "CANCELLED" and done["endTime"] and done["canTerminate"] is True


@pytest.mark.parametrize("policy", ["STOP", "CONTINUE"])
def test_a_launch_failure_under_stop_and_continue(stack: Any, admin: Any, policy: str, notifications: Any) -> None:
    good = seed(stack, 1)
    bad = seed(stack, 1, outcome="FAILED", reason="the converted root volume is not bootable")
    last = seed(stack, 1)
    plan_id = plan(admin, [[group(admin, good + bad)], [group(admin, last)]], onServerFailure=policy)
    execution_id = start(admin, plan_id)
    done = wait_terminal(admin, execution_id)
    failed = next(s for s in done["waves"][0]["servers"] if s["sourceServerId"] == bad[0])
    assert failed["status"] == "FAILED"
    assert "not bootable" in failed["failureReason"]
    if policy == "STOP":
        assert done["status"] == "FAILED"
        assert _statuses(done) == ["PARTIAL", "CANCELLED"]
        assert len(jobs_of(stack, execution_id)) == 1
        events = [h["status"] for h in done["statusHistory"]]
        assert events[-1] == "FAILED"
    else:
        assert done["status"] == "PARTIAL"
        assert _statuses(done) == ["PARTIAL", "COMPLETED"]
        assert done["serverCounts"]["launched"] == 2 and done["serverCounts"]["failed"] == 1
    assert sfn_status(stack, execution_id) == "SUCCEEDED"
    events = [n["MessageAttributes"]["eventType"]["Value"] for n in notifications(execution_id)]
    assert events == ["start", "fail"]
