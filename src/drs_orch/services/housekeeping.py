"""Scheduled housekeeping (``POST /maintenance/housekeeping``, run by a schedule rule): TTL on
finished executions (:mod:`drs_orch.services.retention`), and an alert for each execution paused
longer than the configured minutes (once per pause)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.messages import paused_too_long
from drs_orch.services.engine.context import EngineDeps
from drs_orch.services.engine.ports import Changes
from drs_orch.services.retention import RetentionService


def paused_since(meta: Mapping[str, Any]) -> str | None:
    """When the execution last became PAUSED (from its status history)."""
    for entry in reversed(list(meta.get("statusHistory") or [])):
        if isinstance(entry, Mapping) and entry.get("status") == "PAUSED":
            return str(entry.get("at"))
    return None


class Housekeeping:
    def __init__(self, retention: RetentionService, deps: EngineDeps,
                 paused: Callable[[], Iterator[dict[str, Any]]], *, now: Callable[[], datetime],
                 paused_alert_minutes: int) -> None:
        self._retention = retention
        self._deps = deps
        self._paused = paused
        self._now = now
        self._minutes = paused_alert_minutes

    def run(self, body: Mapping[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(body) - {"source"})
        if unknown:
            raise ValidationFailed(f"unknown field(s): {', '.join(unknown)}", code="UNKNOWN_FIELD",
                                   details={"unknown": unknown})
        ttl = self._retention.stamp_ttl()
        alerted = self._alert_long_pauses()
        return {"ttl": ttl, "pausedAlerts": alerted, "pausedAlertMinutes": self._minutes}

    def _alert_long_pauses(self) -> list[str]:
        threshold = self._now() - timedelta(minutes=self._minutes)
        alerted: list[str] = []
        alerts = self._deps.alerts
        for meta in self._paused():
            since = paused_since(meta)
            if not since or meta.get("pauseAlertFor") == since or alerts is None:
                continue
            try:
                at = datetime.fromisoformat(since.replace("Z", "+00:00"))
            except ValueError:
                continue
            if at > threshold:
                continue
            execution_id = str(meta["executionId"])
            if alerts.publish(paused_too_long({**meta, "pausedAt": since}, self._minutes)):
                self._deps.store.update_meta(execution_id, Changes(set={"pauseAlertFor": since}))
                alerted.append(execution_id)
        return alerted
