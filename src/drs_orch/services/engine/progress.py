"""Compact views of one execution (seed 003's "Execution Status" routes): its status with the waves
in flight and what the caller may do next, its waves, and its DRS jobs. Each is cut from
:func:`drs_orch.services.engine.queries.execution_details`, so every view says what
``GET /executions/{id}`` says."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from drs_orch.domain.statuses import TERMINAL_EXECUTION, TERMINAL_WAVE, ExecutionStatus, WaveStatus
from drs_orch.services.engine.context import EngineDeps
from drs_orch.services.engine.queries import execution_details, load_execution

_E = ExecutionStatus
_IN_FLIGHT = frozenset({WaveStatus.QUEUED.value, WaveStatus.LAUNCHING.value})
_TERMINAL_WAVES = frozenset(s.value for s in TERMINAL_WAVE)
_TERMINAL = frozenset(s.value for s in TERMINAL_EXECUTION)
_WAVE_VIEW = ("waveNumber", "waveName", "status", "dependsOnWaves", "independent", "pauseBeforeWave", "onServerFailure",
              "startedAt", "endedAt", "serverCount", "serverCounts", "accountId", "region", "jobIds",
              "statusHistory", "launchConfigPath", "launchConfigReason",
    "pointInTime", "pointInTimeSpreadSeconds", "pointInTimeToleranceSeconds", "pointInTimeReason")


def _seconds(start: Any, end: Any) -> float | None:
    if not start or not end:
        return None
    elapsed = datetime.fromisoformat(str(end).replace("Z", "+00:00")) - datetime.fromisoformat(
        str(start).replace("Z", "+00:00"))
    return round(elapsed.total_seconds(), 3)


def _wave_ref(wave: Mapping[str, Any]) -> dict[str, Any]:
    return {"waveNumber": wave["waveNumber"], "waveName": wave.get("waveName"), "status": wave["status"]}


def _actions(meta: Mapping[str, Any], path: str) -> dict[str, Any]:
    """What may be done now, each with the call that does it (the rules of ``lifecycle``)."""
    status = str(meta["status"])
    requested = bool(meta.get("pauseRequested"))
    can_pause = status in (_E.PENDING.value, _E.RUNNING.value) and not requested
    can_resume = status == _E.PAUSED.value or (status in (_E.PENDING.value, _E.RUNNING.value) and requested)
    can_cancel = status not in _TERMINAL
    actions: dict[str, Any] = {"canPause": can_pause, "canResume": can_resume, "canCancel": can_cancel}
    calls = [(can_pause, "pause"), (can_resume, "resume"), (can_cancel, "cancel")]
    actions["next"] = [f"POST {path}/{name}" for allowed, name in calls if allowed]
    return actions


def _hint(meta: Mapping[str, Any], current: list[dict[str, Any]], paused_before: list[Any]) -> str:
    status = str(meta["status"])
    if status == _E.PAUSED.value:
        waves = ", ".join(str(w) for w in paused_before) or "the next wave"
        return f"paused before wave {waves}; resume to continue or cancel to stop"
    if meta.get("pauseRequested") and status in (_E.PENDING.value, _E.RUNNING.value):
        return "pause requested: waves in flight finish, then the execution pauses before the next wave"
    if status == _E.CANCELLING.value:
        return "cancelling: no new wave starts; the DRS jobs in flight are followed to their end"
    if status in _TERMINAL:
        return f"ended {status}"
    if current:
        return "running wave " + ", ".join(str(w["waveNumber"]) for w in current)
    return "starting" if status == _E.PENDING.value else "between waves"


def execution_status(deps: EngineDeps, execution_id: str) -> dict[str, Any]:
    """GET /executions/{id}/status: status, the waves in flight, counts, and pause/resume hints
    (reads the META, WAVE and JOB items only, never the per-server items)."""
    details = execution_details(load_execution(deps, execution_id, servers=False), deps.now())
    waves = details["waves"]
    current = [_wave_ref(w) for w in waves if w["status"] in _IN_FLIGHT]
    paused_before = list(details.get("pausedBeforeWaves") or [])
    ended = str(details["status"]) in _TERMINAL
    pending = [] if ended else [w for w in waves if w["status"] not in _TERMINAL_WAVES | _IN_FLIGHT]
    out: dict[str, Any] = {
        k: details.get(k) for k in ("executionId", "planId", "planName", "executionType", "status", "isPaused",
                                    "pauseRequested", "startTime", "endTime", "serverCounts", "waveCounts")
    }
    out["pauseRequested"] = bool(out["pauseRequested"])
    out.update(
        isTerminal=ended,
        totalWaves=len(waves),
        completedWaves=sum(1 for w in waves if w["status"] in _TERMINAL_WAVES),
        currentWaves=current,
        currentWave=current[0]["waveNumber"] if current else None,
        nextWave=pending[0]["waveNumber"] if pending else None,
        pausedBeforeWaves=paused_before,
        timings=details["timings"],
        hint=_hint(details, current, paused_before),
        **_actions(details, f"/executions/{execution_id}"),
    )
    return out


def execution_waves(deps: EngineDeps, execution_id: str) -> dict[str, Any]:
    """GET /executions/{id}/waves: each wave with its status, timings, counts and DRS job ids."""
    now = deps.now()
    details = execution_details(load_execution(deps, execution_id, servers=False), now)
    waves = []
    for wave in details["waves"]:
        entry = {k: wave[k] for k in _WAVE_VIEW if k in wave}
        # a wave in flight has run until now; one that never started has no duration
        end = wave.get("endedAt") or (now if wave["status"] in _IN_FLIGHT else None)
        entry["durationSeconds"] = _seconds(wave.get("startedAt"), end)
        entry["jobCount"] = len(wave.get("jobs") or [])
        waves.append(entry)
    return {"executionId": execution_id, "status": details["status"], "waves": waves, "count": len(waves)}


def execution_jobs(deps: EngineDeps, execution_id: str) -> dict[str, Any]:
    """GET /executions/{id}/jobs: the execution's DRS jobs (one per wave and account-region, at most
    100 servers each) with their scope, status and servers. A job not started yet has no jobId."""
    loaded = load_execution(deps, execution_id)
    details = execution_details(loaded, deps.now())
    server_ids = {j.key: j.server_ids for j in loaded.jobs}
    jobs = []
    for wave in details["waves"]:
        servers = {str(s["sourceServerId"]): s for s in wave.get("servers") or []}
        for job in wave.get("jobs") or []:
            members = []
            for server_id in server_ids.get(str(job["jobKey"]), []):
                server = servers.get(server_id) or {}
                member = {"sourceServerId": server_id, "status": server.get("status")}
                member.update({k: server[k] for k in ("hostname", "recoveryInstanceId", "ec2InstanceId",
                                                      "failureReason") if server.get(k)})
                members.append(member)
            jobs.append({**job, "waveNumber": wave["waveNumber"], "waveName": wave.get("waveName"),
                         "executionType": details.get("executionType"), "servers": members})
    started = [j for j in jobs if j.get("jobId")]
    return {"executionId": execution_id, "status": details["status"], "jobs": jobs, "count": len(jobs),
            "jobIds": [j["jobId"] for j in started]}
