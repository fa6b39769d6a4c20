"""The execution's records (data contract in docs/ARCHITECTURE.md; the types in
``domain/execution_records.py``, their items in ``adapters/execution_items.py``) and their views for
the rules.

- the execution (:class:`ExecutionMeta`): carries the only attributes of the ByStartTime / ByPlan /
  ByStatus indexes (``planId``, ``status`` with ``startTime``), the flags written by
  pause/resume/cancel, ``inFlight`` (string set of the keys of starting and active jobs),
  ``version`` (every decision is written with a version check) and ``statusHistory``.
- waves (:class:`WaveRecord`), DRS jobs (:class:`JobRecord`, at most 100 servers) and servers
  (:class:`ServerRecord`): never carry ``startTime`` (so they stay out of the indexes); their times
  are ``startedAt``/``endedAt`` and ``statusHistory`` maps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from drs_orch.domain.engine_rules import ExecutionView, JobStatus, JobView, WaveView, job_status
from drs_orch.domain.execution_records import (
    SECRET_META,
    ChildRecord,
    ExecutionMeta,
    JobRecord,
    PlannedWave,
    ServerRecord,
    WaveRecord,
    WaveSummary,
    wave_plan_of,
)
from drs_orch.domain.execution_snapshot import Snapshot, guard_key, scope_of, split_scope
from drs_orch.domain.objectives import rpo_summary
from drs_orch.domain.plan_graph import OnServerFailure
from drs_orch.domain.statuses import TERMINAL_WAVE, ExecutionStatus, ServerStatus, WaveStatus
from drs_orch.domain.time_limits import TimeLimits

TERMINAL_WAVE_VALUES = frozenset(s.value for s in TERMINAL_WAVE)


def child_items(execution_id: str, snapshot: Snapshot, hostnames: Mapping[str, str | None], now: str,
                limits: Mapping[int, TimeLimits] | None = None) -> list[ChildRecord]:
    """The wave, job and server records of a new execution (with each wave's time limits)."""
    items: list[ChildRecord] = []
    for plan in snapshot.waves:
        wave = plan.wave
        scopes = sorted({scope for scope, _ in plan.servers})
        status = plan.initial_status.value
        item: dict[str, Any] = {
            "waveName": wave.wave_name,
            "protectionGroupIds": list(wave.protection_group_ids), "dependsOnWaves": list(wave.depends_on_waves),
            "pauseBeforeWave": wave.pause_before_wave, "onServerFailure": OnServerFailure(wave.on_server_failure).value,
            "status": status, "statusHistory": {status: now}, "serverCount": len(plan.servers),
            "jobKeys": [j.key for j in plan.jobs], "scopes": scopes,
            "serverCounts": {"total": len(plan.servers), "pending": len(plan.servers)},
        }
        if wave.wave_description:
            item["waveDescription"] = wave.wave_description
        limit = (limits or {}).get(wave.wave_number)
        if limit is not None:
            item.update(jobTimeoutSeconds=limit.job_seconds, waveTimeoutSeconds=limit.wave_seconds,
                        timeLimitSource=limit.source)
        if len(scopes) == 1:
            item["accountId"], item["region"] = split_scope(scopes[0])
        items.append(WaveRecord(execution_id, wave.wave_number, item))
        for job in plan.jobs:
            account, region = split_scope(job.scope)
            items.append(JobRecord(execution_id, job.key, {
                "waveNumber": job.wave, "accountId": account, "region": region, "serverIds": list(job.server_ids),
                "status": JobStatus.QUEUED.value, "startState": "NOT_CALLED",
                "servers": {s: ServerStatus.PENDING.value for s in job.server_ids},
                "hostnames": {s: hostnames[s] for s in job.server_ids if hostnames.get(s)},
            }))
            for server in job.server_ids:
                entry: dict[str, Any] = {
                    "waveNumber": job.wave, "jobKey": job.key,
                    "accountId": account, "region": region, "status": ServerStatus.PENDING.value,
                    "statusHistory": {ServerStatus.PENDING.value: now},
                }
                if hostnames.get(server):
                    entry["hostname"] = hostnames[server]
                items.append(ServerRecord(execution_id, server, entry))
    return items


def execution_view(meta: ExecutionMeta) -> ExecutionView:
    return ExecutionView(
        status=ExecutionStatus(meta["status"]),
        pause_requested=bool(meta.get("pauseRequested")),
        cancel_requested=bool(meta.get("cancelRequested")),
        approved_waves=frozenset(int(w) for w in meta.get("approvedWaves") or []),
        in_flight=frozenset(meta.get("inFlight") or []),
    )


def wave_view(item: WaveRecord) -> WaveView:
    return WaveView(
        number=item.number,
        status=item.status,
        depends_on=tuple(int(d) for d in item.get("dependsOnWaves") or []),
        pause_before=bool(item.get("pauseBeforeWave")),
        on_failure=OnServerFailure(item.get("onServerFailure") or OnServerFailure.STOP.value),
    )


def summary_of(item: WaveRecord) -> WaveSummary:
    """An ended wave as the summary kept on META (``finishedWaves``)."""
    return WaveSummary(
        number=item.number,
        status=item.status,
        on_failure=OnServerFailure(item.get("onServerFailure") or OnServerFailure.STOP.value),
        started_at=item.get("startedAt"),
        ended_at=item.get("endedAt"),
        server_counts={str(k): int(v) for k, v in (item.get("serverCounts") or {}).items()},
        reason=item.get("reason"),
    )


def planned_view(planned: PlannedWave) -> WaveView:
    """A PENDING wave the tick did not read (it cannot start now: a dependency has not started).
    Its pause and failure policy decide nothing until it starts, and a tick that moves it reads it."""
    return WaveView(number=planned.number, status=WaveStatus.PENDING, depends_on=planned.depends_on)


def unread_waves(meta: ExecutionMeta, read: Iterable[WaveRecord],
                 finished: Mapping[int, WaveSummary]) -> dict[int, PlannedWave]:
    """The waves of the execution that are neither read nor summarised, as META plans them."""
    plan = wave_plan_of(meta.get("wavePlan")) or {}
    known = {w.number for w in read} | set(finished)
    return {n: p for n, p in plan.items() if n not in known}


def summary_view(summary: WaveSummary) -> WaveView:
    """A summarised wave for the rules: it has ended, so only its outcome and policy matter."""
    return WaveView(number=summary.number, status=summary.status, on_failure=summary.on_failure)


def job_view(item: JobRecord, in_flight: Iterable[str]) -> JobView:
    return JobView(
        key=item.key,
        wave=item.wave_number,
        scope=scope_of(str(item["accountId"]), str(item["region"])),
        status=job_status(str(item["status"]), item.key, in_flight),
        servers={k: ServerStatus(v) for k, v in (item.get("servers") or {}).items()},
    )


def guard_keys_of_jobs(jobs: Iterable[JobRecord]) -> list[str]:
    return sorted(guard_key(str(j["accountId"]), str(j["region"]), s) for j in jobs for s in j.server_ids)


def server_counts(statuses: Iterable[str]) -> dict[str, int]:
    counts = {"total": 0, "pending": 0, "launching": 0, "launched": 0, "failed": 0, "terminated": 0}
    for status in statuses:
        counts["total"] += 1
        counts[status.lower()] = counts.get(status.lower(), 0) + 1
    return counts


def wave_rpo(jobs: Iterable[JobRecord], rpo_minutes: int | None) -> dict[str, Any]:
    """A wave's RPO summary from its jobs' ``dataAges`` (each server's data age at launch, noted on
    its job when it launched): what the wave item keeps when the wave ends."""
    return rpo_summary((age for job in jobs for age in (job.get("dataAges") or {}).values()), rpo_minutes)


def history_entry(status: str, at: str, reason: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"status": status, "at": at}
    if reason:
        entry["reason"] = reason
    return entry




def public_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The execution as the API shows it: no task token, no internal bookkeeping."""
    out = {k: v for k, v in meta.items() if k not in SECRET_META}
    out["isPaused"] = meta.get("status") == ExecutionStatus.PAUSED.value
    return out
