"""Execution notifications (SNS): start, pause, complete, fail, cancel. The message names the
execution and how to act on it; it never carries the task token."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drs_orch.services.engine.context import EngineDeps

EVENTS = ("start", "pause", "complete", "fail", "cancel")


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
