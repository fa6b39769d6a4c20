"""Execution notifications (SNS): start, pause, complete, fail, cancel. The message names the
execution and how to act on it; it never carries the task token."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drs_orch.domain.statuses import ExecutionStatus, WaveStatus
from drs_orch.services.engine.context import EngineDeps
from drs_orch.services.engine.observe import on_status

EVENTS = ("start", "pause", "complete", "fail", "cancel")
_E = ExecutionStatus
_W = WaveStatus

# Every execution status and the notification sent when an execution reaches it (None: none).
# Explicit for each status: a new status must be placed here (tests/unit/test_status_coverage.py).
EXECUTION_EVENT: Mapping[ExecutionStatus, str | None] = {
    _E.PENDING: None,
    _E.RUNNING: "start",
    _E.PAUSED: "pause",
    _E.CANCELLING: None,  # the answer to the cancel says it; the end is notified
    _E.CANCELLED: "cancel",
    _E.COMPLETED: "complete",
    _E.PARTIAL: "fail",
    _E.FAILED: "fail",
}

# Every wave status and the outcome its WAVE_ENDED event and WaveDuration metric carry (None: the
# wave has not ended, nothing is emitted).
WAVE_EVENT_OUTCOME: Mapping[WaveStatus, str | None] = {
    _W.PENDING: None,
    _W.QUEUED: None,
    _W.LAUNCHING: None,
    _W.COMPLETED: _W.COMPLETED.value,
    _W.PARTIAL: _W.PARTIAL.value,
    _W.FAILED: _W.FAILED.value,
    _W.TIMEOUT: _W.TIMEOUT.value,
    _W.CANCELLED: _W.CANCELLED.value,
    _W.SKIPPED: _W.SKIPPED.value,
}


def notification(meta: Mapping[str, Any], event: str) -> tuple[str, dict[str, Any]]:
    execution_id = str(meta["executionId"])
    plan = str(meta.get("planName") or meta.get("planId"))
    subject = f"DRS {str(meta.get('executionType', '')).lower()} of {plan}: {meta.get('status')}"
    message: dict[str, Any] = {
        "eventType": event,
        "executionId": execution_id,
        "planId": meta.get("planId"),
        "planName": meta.get("planName"),
        "executionType": meta.get("executionType"),
        "status": meta.get("status"),
        "initiatedBy": meta.get("initiatedBy"),
        "startTime": meta.get("startTime"),
        "endTime": meta.get("endTime"),
        "serverCounts": meta.get("serverCounts"),
        "statusUrl": f"/executions/{execution_id}",
    }
    if event == "pause":
        message["pausedBeforeWaves"] = meta.get("pausedBeforeWaves") or []
        message["resume"] = f"POST /executions/{execution_id}/resume"
        message["cancel"] = f"POST /executions/{execution_id}/cancel"
    if meta.get("errorMessage"):
        message["errorMessage"] = meta.get("errorMessage")
    return subject, {k: v for k, v in message.items() if v is not None}


def notify_status(deps: EngineDeps, meta: Mapping[str, Any], event: str) -> None:
    subject, message = notification(meta, event)
    deps.notifier.publish(event, str(meta.get("planId")), subject, message)
    if meta.get("topicArn"):  # the execution's own topic (POST /executions topicArn)
        deps.notifier.publish(event, str(meta.get("planId")), subject, message, topic_arn=str(meta["topicArn"]))
    on_status(meta, event, deps.alerts)
