"""Notification messages (pure): bodies a person can read (plan, wave, what happened, what to do,
a link to the console page) and the SNS message attributes subscriptions filter on.

Every message carries the ``planId`` attribute (per-plan email subscriptions filter on it) and
``eventType``; alerts add ``severity``. Task tokens, external ids and other secrets never appear."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ALERT_KINDS = ("EXECUTION_FAILED", "EXECUTION_PAUSED_TOO_LONG", "DRILL_CLEANUP_FAILED",
               "DRILL_CLEANUP_UNVERIFIED", "DRILL_INSTANCES_TERMINATED", "PLAN_READINESS_CHANGED")

_WHAT = {
    "start": "started",
    "pause": "is paused and waits for someone to resume or cancel it",
    "complete": "completed: every server launched",
    "fail": "ended without launching every server",
    "cancel": "was cancelled",
}


def console_link(console_url: str, path: str) -> str:
    return f"{console_url.rstrip('/')}{path}" if console_url else path


def _counts(counts: Mapping[str, Any] | None) -> str:
    if not counts:
        return ""
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if v)


def execution_text(message: Mapping[str, Any], console_url: str = "") -> str:
    """The body of an execution notification (start, pause, complete, fail, cancel)."""
    kind = str(message.get("executionType") or "execution").lower()
    plan = message.get("planName") or message.get("planId")
    event = str(message.get("eventType") or "")
    lines = [f"The {kind} of recovery plan \"{plan}\" {_WHAT.get(event, event)}.", ""]
    lines.append(f"Status:        {message.get('status')}")
    lines.append(f"Execution:     {message.get('executionId')}")
    lines.append(f"Plan id:       {message.get('planId')}")
    if message.get("initiatedBy"):
        lines.append(f"Started by:    {message.get('initiatedBy')}")
    if message.get("startTime"):
        lines.append(f"Started at:    {message.get('startTime')}")
    if message.get("endTime"):
        lines.append(f"Ended at:      {message.get('endTime')}")
    counts = _counts(message.get("serverCounts"))
    if counts:
        lines.append(f"Servers:       {counts}")
    if message.get("pausedBeforeWaves"):
        lines.append(f"Paused before: wave {', '.join(str(w) for w in message['pausedBeforeWaves'])}")
    if message.get("errorMessage"):
        lines.append(f"Reason:        {message.get('errorMessage')}")
    lines.append("")
    if event == "pause":
        lines.append(f"To go on:      {message.get('resume')}")
        lines.append(f"To stop:       {message.get('cancel')}")
    lines.append(f"Details:       {console_link(console_url, str(message.get('statusUrl') or ''))}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Alert:
    """Something a person must look at now."""

    kind: str
    subject: str
    what: str
    plan_id: str = ""
    plan_name: str = ""
    execution_id: str = ""
    execution_type: str = ""
    wave: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    action: str = ""
    link: str = ""
    severity: str = "HIGH"

    def text(self, console_url: str = "") -> str:
        lines = [self.what, ""]
        if self.plan_name or self.plan_id:
            lines.append(f"Plan:       {self.plan_name or self.plan_id} ({self.plan_id})")
        if self.execution_id:
            lines.append(f"Execution:  {self.execution_id} ({self.execution_type or 'execution'})")
        if self.wave:
            lines.append(f"Wave:       {self.wave}")
        for key, value in self.facts.items():
            lines.append(f"{key + ':':<11} {value}")
        if self.action:
            lines += ["", f"What to do: {self.action}"]
        if self.link:
            lines.append(f"Details:    {console_link(console_url, self.link)}")
        return "\n".join(lines) + "\n"

    def attributes(self) -> dict[str, str]:
        out = {"eventType": self.kind, "severity": self.severity, "planId": self.plan_id or "none"}
        if self.execution_type:
            out["executionType"] = self.execution_type
        return out


def execution_failed(meta: Mapping[str, Any]) -> Alert:
    execution_id = str(meta["executionId"])
    counts = _counts(meta.get("serverCounts"))
    facts: dict[str, Any] = {"Status": meta.get("status"), "Ended": meta.get("endTime")}
    if counts:
        facts["Servers"] = counts
    if meta.get("errorMessage"):
        facts["Reason"] = meta.get("errorMessage")
    kind = str(meta.get("executionType") or "execution")
    return Alert(kind="EXECUTION_FAILED",
                 subject=f"FAILED: {kind.lower()} of {meta.get('planName') or meta.get('planId')}",
                 what=f"The {kind.lower()} of plan \"{meta.get('planName')}\" FAILED.",
                 plan_id=str(meta.get("planId") or ""), plan_name=str(meta.get("planName") or ""),
                 execution_id=execution_id, execution_type=kind, facts=facts,
                 action="Read the failed servers' reasons on the execution page; fix, then run it again.",
                 link=f"/executions/{execution_id}")


def paused_too_long(meta: Mapping[str, Any], minutes: int) -> Alert:
    execution_id = str(meta["executionId"])
    waves = ", ".join(str(w) for w in meta.get("pausedBeforeWaves") or []) or "the next wave"
    kind = str(meta.get("executionType") or "execution")
    return Alert(kind="EXECUTION_PAUSED_TOO_LONG", severity="MEDIUM",
                 subject=f"Waiting for you: {kind.lower()} of {meta.get('planName') or meta.get('planId')}",
                 what=f"The {kind.lower()} of plan \"{meta.get('planName')}\" has been paused for more than "
                      f"{minutes} minutes, waiting before wave {waves}.",
                 plan_id=str(meta.get("planId") or ""), plan_name=str(meta.get("planName") or ""),
                 execution_id=execution_id, execution_type=kind, wave=waves,
                 facts={"Paused at": meta.get("pausedAt") or "unknown"},
                 action=f"Resume (POST /executions/{execution_id}/resume) or cancel "
                        f"(POST /executions/{execution_id}/cancel).",
                 link=f"/executions/{execution_id}")
