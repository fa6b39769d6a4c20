"""Reconcile a stored execution (its META, wave, job and server records, as
:class:`drs_orch.domain.execution_records.ExecutionRecords`) with what DRS and EC2 report now.

Stored attributes read, as the execution engine writes them (``services/engine/records.py``):

- META: ``status``, ``accountId``/``region`` (the first scope); ``taskToken`` and ``waitToken`` are never returned;
- WAVE: ``waveNumber, waveName, status, jobIds`` (set of started DRS job ids), ``accountId``/``region``
  when the wave has one scope;
- JOB (one per DRS job of at most 100 servers): ``jobKey, waveNumber, accountId, region, status,
  jobId`` (once started), ``serverIds``;
- SERVER: ``sourceServerId, waveNumber, accountId, region, status, jobId, recoveryInstanceId,
  ec2InstanceId`` (``instanceId`` is read too).

A job or server is looked up in its own account and region (falling back to its wave's, then
META's), so an execution whose waves span accounts or regions is reconciled per scope.

Live statuses:

- a server's ``liveStatus`` is its job's ``participatingServers[].launchStatus`` mapped by
  :func:`drs_orch.domain.statuses.server_status_from_drs`; ``None`` when DRS has no record of it
  (no job yet, or the job is unknown to DRS);
- a wave with a job is LAUNCHING while one of its servers is PENDING or LAUNCHING; once all are
  terminal it is COMPLETED (all LAUNCHED, TERMINATED counting as launched), FAILED (none) or
  PARTIAL. A wave without a job keeps its stored status;
- a terminal execution keeps its stored status. An active one keeps it while a wave is not
  terminal; when all are, it becomes CANCELLED (if it was CANCELLING), COMPLETED (all waves
  COMPLETED), PARTIAL (some COMPLETED or PARTIAL) or FAILED.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.execution_records import SECRET_META, ExecutionRecords
from drs_orch.domain.statuses import (
    ExecutionStatus,
    ServerStatus,
    WaveStatus,
    is_terminal,
    server_status_from_drs,
)

Scope = tuple[str, str]  # (accountId, region)

_LAUNCHED = {ServerStatus.LAUNCHED.value, ServerStatus.TERMINATED.value}


@dataclass
class LiveData:
    """What DRS and EC2 returned for one execution, keyed by id."""

    jobs: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    recovery_instances: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    instances: dict[str, Mapping[str, Any]] = field(default_factory=dict)


def in_wave_order(stored: ExecutionRecords) -> ExecutionRecords:
    """The execution with its waves by number, and its servers and jobs by wave, then by id."""
    return replace(stored, waves=sorted(stored.waves, key=lambda w: w.number),
                   servers=sorted(stored.servers, key=lambda s: (_int(s.get("waveNumber")), s.server_id)),
                   jobs=sorted(stored.jobs, key=lambda j: (_int(j.get("waveNumber")), j.key)))


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def wave_job_ids(wave: Mapping[str, Any]) -> list[str]:
    ids = sorted(str(j) for j in wave.get("jobIds") or [] if j)
    if wave.get("jobId") and str(wave["jobId"]) not in ids:
        ids.append(str(wave["jobId"]))
    return ids


def server_instance_id(server: Mapping[str, Any]) -> str | None:
    value = server.get("ec2InstanceId") or server.get("instanceId")
    return str(value) if value else None


def wave_scope(stored: ExecutionRecords, wave: Mapping[str, Any] | None) -> Scope:
    wave = wave or {}
    return (
        str(wave.get("accountId") or stored.meta.get("accountId") or ""),
        str(wave.get("region") or stored.meta.get("region") or ""),
    )


def item_scope(stored: ExecutionRecords, item: Mapping[str, Any]) -> Scope:
    """A JOB or SERVER item's own account and region, else its wave's, else META's."""
    account, region = wave_scope(stored, stored.wave(item.get("waveNumber")))
    return (str(item.get("accountId") or account), str(item.get("region") or region))


def servers_in(stored: ExecutionRecords, scope: Scope) -> list[Mapping[str, Any]]:
    return [s for s in stored.servers if item_scope(stored, s) == scope]


def scopes(stored: ExecutionRecords) -> dict[Scope, list[str]]:
    """The DRS job ids to look up, per account and region (every scope of the execution is named,
    with or without jobs)."""
    out: dict[Scope, list[str]] = {}
    attributed: set[str] = set()

    def add(scope: Scope, job_id: Any) -> None:
        ids = out.setdefault(scope, [])
        if job_id and str(job_id) not in attributed:
            attributed.add(str(job_id))
            ids.append(str(job_id))

    for job in stored.jobs:
        add(item_scope(stored, job), job.get("jobId"))
    for server in stored.servers:
        add(item_scope(stored, server), server.get("jobId"))
    for wave in stored.waves:
        for job_id in wave_job_ids(wave):
            add(wave_scope(stored, wave), job_id)
    if not out:
        out[wave_scope(stored, {})] = []
    return out


def recovery_instance_ids(jobs: Iterable[Mapping[str, Any]], servers: Iterable[Mapping[str, Any]]) -> list[str]:
    ids: list[str] = []
    for job in jobs:
        for p in job.get("participatingServers") or []:
            rid = p.get("recoveryInstanceID")
            if rid and rid not in ids:
                ids.append(str(rid))
    for server in servers:
        rid = server.get("recoveryInstanceId")
        if rid and rid not in ids:
            ids.append(str(rid))
    return ids


def instance_ids(recovery_instances: Iterable[Mapping[str, Any]], servers: Iterable[Mapping[str, Any]]) -> list[str]:
    ids: list[str] = []
    for ri in recovery_instances:
        iid = ri.get("ec2InstanceID")
        if iid and iid not in ids:
            ids.append(str(iid))
    for server in servers:
        iid = server_instance_id(server)
        if iid and iid not in ids:
            ids.append(iid)
    return ids


def _live_status(launch_status: str | None) -> str | None:
    if not launch_status:
        return None
    try:
        return server_status_from_drs(launch_status).value
    except ValidationFailed:
        return None


def _job_view(job_id: str | None, job: Mapping[str, Any] | None, stored: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"jobId": job_id, "found": job is not None}
    if stored:
        out["jobKey"] = stored.get("jobKey")
        out["storedStatus"] = stored.get("status")
    if job is None:
        return out
    return {
        **out,
        "status": job.get("status"),
        "type": job.get("type"),
        "initiatedBy": job.get("initiatedBy"),
        "creationDateTime": job.get("creationDateTime"),
        "endDateTime": job.get("endDateTime"),
        "serverCount": len(job.get("participatingServers") or []),
    }


def _server_view(
    stored: Mapping[str, Any] | None,
    server_id: str,
    wave_number: int,
    job_id: str | None,
    participating: Mapping[str, Any] | None,
    live: LiveData,
) -> dict[str, Any]:
    stored = stored or {}
    launch_status = participating.get("launchStatus") if participating else None
    live_status = _live_status(launch_status)
    rid = (participating or {}).get("recoveryInstanceID") or stored.get("recoveryInstanceId")
    recovery = live.recovery_instances.get(str(rid)) if rid else None
    iid = (recovery or {}).get("ec2InstanceID") or server_instance_id(stored)
    instance = live.instances.get(str(iid)) if iid else None
    stored_status = stored.get("status")
    return {
        "sourceServerId": server_id,
        "waveNumber": wave_number,
        "status": stored_status,
        "liveStatus": live_status,
        "launchStatus": launch_status,
        "changed": live_status is not None and live_status != stored_status,
        "jobId": job_id,
        "recoveryInstanceId": rid,
        "isDrill": (recovery or {}).get("isDrill"),
        "ec2InstanceId": iid,
        "ec2InstanceState": (recovery or {}).get("ec2InstanceState"),
        "instanceState": ((instance or {}).get("State") or {}).get("Name"),
        "instanceType": (instance or {}).get("InstanceType"),
        "privateIpAddress": (instance or {}).get("PrivateIpAddress"),
        "launchTime": (instance or {}).get("LaunchTime"),
    }


def derive_wave_status(stored_status: str | None, has_job: bool, server_statuses: Sequence[str | None]) -> str | None:
    if not has_job:
        return stored_status
    statuses = [s for s in server_statuses if s is not None]
    if not statuses or len(statuses) < len(server_statuses):
        return WaveStatus.LAUNCHING.value
    if not all(is_terminal(ServerStatus, s) for s in statuses):
        return WaveStatus.LAUNCHING.value
    launched = sum(1 for s in statuses if s in _LAUNCHED)
    if launched == len(statuses):
        return WaveStatus.COMPLETED.value
    if launched == 0:
        return WaveStatus.FAILED.value
    return WaveStatus.PARTIAL.value


def derive_execution_status(stored_status: str, wave_statuses: Sequence[str | None]) -> str:
    if stored_status in {s.value for s in ExecutionStatus} and is_terminal(ExecutionStatus, stored_status):
        return stored_status
    known = [w for w in wave_statuses if w is not None]
    if not known or len(known) < len(wave_statuses):
        return stored_status
    if not all(w in {s.value for s in WaveStatus} and is_terminal(WaveStatus, w) for w in known):
        return stored_status
    if stored_status == ExecutionStatus.CANCELLING.value:
        return ExecutionStatus.CANCELLED.value
    if all(w == WaveStatus.COMPLETED.value for w in known):
        return ExecutionStatus.COMPLETED.value
    if any(w in (WaveStatus.COMPLETED.value, WaveStatus.PARTIAL.value) for w in known):
        return ExecutionStatus.PARTIAL.value
    return ExecutionStatus.FAILED.value


def reconcile(stored: ExecutionRecords, live: LiveData) -> dict[str, Any]:
    """The execution with stored and live status side by side (see the module docstring)."""
    servers_by_wave: dict[int, dict[str, Mapping[str, Any]]] = {}
    for server in stored.servers:
        servers_by_wave.setdefault(_int(server.get("waveNumber")), {})[server.server_id] = server
    waves_out: list[dict[str, Any]] = []
    for wave in stored.waves:
        number = wave.number
        stored_servers = servers_by_wave.get(number, {})
        wave_jobs = [j for j in stored.jobs if _int(j.get("waveNumber")) == number]
        job_ids = wave_job_ids(wave)
        for item in [*wave_jobs, *stored_servers.values()]:
            if item.get("jobId") and str(item["jobId"]) not in job_ids:
                job_ids.append(str(item["jobId"]))
        stored_job = {str(j["jobId"]): j for j in wave_jobs if j.get("jobId")}
        job_views = [_job_view(j, live.jobs.get(j), stored_job.get(j)) for j in job_ids]
        job_views += [_job_view(None, None, j) for j in wave_jobs if not j.get("jobId")]
        participating: dict[str, tuple[str | None, Mapping[str, Any] | None]] = {}
        for known_job in job_ids:
            for p in (live.jobs.get(known_job) or {}).get("participatingServers") or []:
                participating.setdefault(str(p.get("sourceServerID")), (known_job, p))
        server_ids = list(stored_servers)
        server_ids += [sid for sid in participating if sid not in stored_servers]
        servers_out = []
        for sid in server_ids:
            found_job, p = participating.get(sid, (None, None))
            own_job = stored_servers.get(sid, {}).get("jobId")
            job_id = found_job or (str(own_job) if own_job else None)
            servers_out.append(_server_view(stored_servers.get(sid), sid, number, job_id, p, live))
        has_job = any(j in live.jobs for j in job_ids)
        live_wave = derive_wave_status(wave.get("status"), has_job, [s["liveStatus"] for s in servers_out])
        waves_out.append(
            {
                "waveNumber": number,
                "waveName": wave.get("waveName"),
                "status": wave.get("status"),
                "liveStatus": live_wave,
                "changed": live_wave is not None and live_wave != wave.get("status"),
                "jobs": job_views,
                "servers": servers_out,
            }
        )
    stored_status = str(stored.meta.get("status") or "")
    live_status = derive_execution_status(stored_status, [w["liveStatus"] for w in waves_out])
    all_servers = [s for w in waves_out for s in w["servers"]]
    by_live: dict[str, int] = {}
    for s in all_servers:
        key = s["liveStatus"] or "UNKNOWN"
        by_live[key] = by_live.get(key, 0) + 1
    meta = {k: v for k, v in stored.meta.items() if k not in SECRET_META}
    return {
        **meta,
        "status": stored_status,
        "liveStatus": live_status,
        "changed": live_status != stored_status,
        "waves": waves_out,
        "summary": {
            "waves": len(waves_out),
            "servers": len(all_servers),
            "byLiveStatus": dict(sorted(by_live.items())),
            "changedServers": sum(1 for s in all_servers if s["changed"]),
            "changedWaves": sum(1 for w in waves_out if w["changed"]),
        },
    }
