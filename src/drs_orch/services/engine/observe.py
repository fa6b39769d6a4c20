"""What an execution's status changes tell operations: metrics (EMF, see
:mod:`drs_orch.services.telemetry`) at start and end, and an alert when an execution FAILED.
Called by :func:`drs_orch.services.engine.notify.notify_status`, the one place every start, pause
and end passes through."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from drs_orch.domain.messages import Alert, execution_failed
from drs_orch.services import telemetry


class AlertPublisher(Protocol):
    def publish(self, alert: Alert) -> bool: ...


class InstanceTagger(Protocol):
    def tag(self, scope: str, instance_ids: list[str], tags: Mapping[str, str]) -> None: ...


def on_status(meta: Mapping[str, Any], event: str, alerts: AlertPublisher | None) -> None:
    kind = str(meta.get("executionType") or "UNKNOWN")
    status = str(meta.get("status") or "UNKNOWN")
    telemetry.event(f"EXECUTION_{event.upper()}", executionId=meta.get("executionId"), planId=meta.get("planId"),
                    executionType=kind, status=status, serverCounts=meta.get("serverCounts"),
                    errorMessage=meta.get("errorMessage"))
    if event == "start":
        telemetry.count(telemetry.EXECUTIONS_STARTED, executionType=kind)
        return
    if event == "pause":
        return
    telemetry.count(telemetry.EXECUTIONS_ENDED, executionType=kind, outcome=status)
    if meta.get("durationSeconds") is not None:
        telemetry.seconds(telemetry.EXECUTION_DURATION, float(meta["durationSeconds"]), executionType=kind,
                          outcome=status)
    counts = meta.get("serverCounts") or {}
    telemetry.count(telemetry.SERVERS_LAUNCHED, int(counts.get("launched", 0) or 0), executionType=kind)
    telemetry.count(telemetry.SERVERS_FAILED, int(counts.get("failed", 0) or 0), executionType=kind)
    if status == "FAILED":
        telemetry.count(telemetry.EXECUTIONS_FAILED)
        if alerts is not None:
            alerts.publish(execution_failed(meta))


def wave_ended(execution_type: str, wave: Mapping[str, Any], status: str, ended_at: str) -> None:
    telemetry.event("WAVE_ENDED", executionId=wave.get("executionId"), waveNumber=wave.get("waveNumber"),
                    status=status, executionType=execution_type)
    started = wave.get("startedAt")
    if not started:
        return
    from datetime import datetime

    try:
        seconds = (datetime.fromisoformat(ended_at.replace("Z", "+00:00"))
                   - datetime.fromisoformat(str(started).replace("Z", "+00:00"))).total_seconds()
    except ValueError:
        return
    telemetry.seconds(telemetry.WAVE_DURATION, seconds, executionType=execution_type, outcome=status)


def launch_settings_path(path: str) -> None:
    telemetry.count(telemetry.LAUNCH_SETTINGS_PATH, path=path or "NONE")
    if path == "FAILED":
        telemetry.count(telemetry.LAUNCH_SETTINGS_FAILED)
