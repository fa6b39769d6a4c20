"""Reading executions: details, the list, DRS job logs, recovery instances, and the recovery
instances earlier runs of a plan's servers left behind."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from drs_orch.domain.engine_rules import JobStatus
from drs_orch.domain.errors import NotFound
from drs_orch.domain.execution_records import (
    ExecutionMeta,
    ExecutionRecords,
    JobRecord,
    ServerRecord,
    pending_launched_at,
)
from drs_orch.domain.execution_snapshot import TAG_EXECUTION, scope_of
from drs_orch.domain.inventory import page
from drs_orch.domain.objectives import objectives_report, paused_seconds, rpo_met, wave_rpo_minutes
from drs_orch.domain.paging import Page, parse_limit
from drs_orch.domain.statuses import (
    TERMINAL_EXECUTION,
    ExecutionStatus,
    ServerStatus,
    TerminationStatus,
    coerce_status,
)
from drs_orch.services.engine.context import EngineDeps
from drs_orch.services.engine.jobs import DETAILS_PENDING, WAITING_FOR, iso_value
from drs_orch.services.engine.records import public_meta, wave_rpo
from drs_orch.services.engine.start import group_refs, plan_waves
from drs_orch.services.engine.termination import TERMINATION_BUSY

MAX_DETAIL_SERVERS = 500
MAX_DETAIL_BYTES = 90_000  # GET /executions/{id} stays under 100 KB whatever the execution's size
DETAIL_CHUNK = 100  # servers read at a time for the details, until MAX_DETAIL_BYTES is spent
SERVER_PAGE_DEFAULT = 100
SERVER_PAGE_MAX = 1000
Live = dict[str, tuple[JobRecord, str]]  # server id -> (its job, its live status on the job item)
_SERVER_FIELDS = ("sourceServerId", "hostname", "name", "status", "accountId", "region", "jobId",
                  "recoveryInstanceId", "ec2InstanceId", "privateIp", "instanceType", "launchTime", "ec2State",
                  "failureReason", "statusHistory", "terminatedAt", "terminationRequestedAt", "pointInTime",
                  "dataAgeSeconds",
                  # launches into instance pairs (FAILOVER, issue 14)
                  "pairId", "expectedInstanceId", "identityVerified", "sourcePrivateIp", "targetPrivateIp",
                  "recoveryPrivateIp", "stagingAccountId", "failureCode", "remediation")
_WAVE_FIELDS = ("waveNumber", "waveName", "waveDescription", "status", "protectionGroupIds", "dependsOnWaves",
                "pauseBeforeWave", "onServerFailure", "statusHistory", "startedAt", "endedAt", "serverCount",
                "serverCounts", "accountId", "region", "launchConfigPath", "launchConfigReason",
                "launchConfigAppliedCount", "jobTimeoutSeconds", "waveTimeoutSeconds", "timeLimitSource", "reason",
                "pointInTime", "pointInTimeSpreadSeconds", "pointInTimeToleranceSeconds", "pointInTimeReason")


_LIVE = (ServerStatus.LAUNCHING.value, ServerStatus.LAUNCHED.value)


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def termination_metadata(meta: Mapping[str, Any]) -> dict[str, Any]:
    """Whether the recovery instances can be terminated, from the execution's stored server counts
    (``launched``: servers whose recovery instance is up; termination moves them to ``terminated``),
    never from its servers."""
    launched = int((meta.get("serverCounts") or {}).get("launched") or 0)
    termination = meta.get("termination") or {}
    if meta.get("status") not in TERMINAL_EXECUTION:
        reason, can = "the execution is still active", False
    elif TERMINATION_BUSY[TerminationStatus(termination.get("status") or TerminationStatus.NOT_REQUESTED.value)]:
        reason, can = "termination in progress", False
    elif not launched:
        reason, can = "no recovery instances to terminate", False
    else:
        reason, can = f"{launched} recovery instance(s) can be terminated", True
    return {"canTerminate": can, "reason": reason, "hasRecoveryInstances": bool(launched),
            "terminationStatus": termination.get("status", "NOT_REQUESTED")}


def load_execution(deps: EngineDeps, execution_id: str, *, servers: bool = True) -> ExecutionRecords:
    loaded = deps.store.load(execution_id, servers=servers)
    if loaded is None:
        raise NotFound(f"execution {execution_id} not found", code="EXECUTION_NOT_FOUND")
    return loaded


def live_statuses(jobs: Iterable[JobRecord]) -> Live:
    """Server id -> (its job, its live status on the job item)."""
    return {s: (j, str(status)) for j in jobs for s, status in (j.get("servers") or {}).items()}


def server_entry(server: ServerRecord, live: Live, objectives: Mapping[str, Any] | None) -> dict[str, Any]:
    """A server as the API shows it: its stored item, LAUNCHING from its job item while it launches
    (the item is written at the final status), and its data age against its wave's RPO."""
    stored = server.to_attributes()
    entry = {k: stored[k] for k in _SERVER_FIELDS if k in stored}
    job, status = live.get(server.server_id, (None, None))
    if job is not None and status in _LIVE and entry.get("status") == ServerStatus.PENDING.value:
        # the item is written at the final status (a launch's, once its details are read); until
        # then the job item knows
        entry["status"] = status
        history = {ServerStatus.LAUNCHING.value: (job.get("launchingAt") or {}).get(server.server_id)}
        if status == ServerStatus.LAUNCHED.value:
            history[status] = pending_launched_at(job.get(DETAILS_PENDING), server.server_id)
        entry["statusHistory"] = {**(entry.get("statusHistory") or {}), **{k: v for k, v in history.items() if v}}
        if job.get("jobId"):
            entry["jobId"] = job["jobId"]
    if "ec2InstanceId" in entry:
        entry["instanceId"] = entry["ec2InstanceId"]
    if entry.get("dataAgeSeconds") is not None:
        rpo = wave_rpo_minutes(objectives, server.wave_number)
        entry.update(rpoMinutes=rpo, rpoMet=rpo_met(float(entry["dataAgeSeconds"]), rpo))
    return entry


def _wave_rpo(loaded: ExecutionRecords) -> dict[int, dict[str, Any]]:
    """Each wave's RPO summary: kept on the wave item when it ended, else (a wave in flight, or one
    ended by an abort) from its jobs' data ages."""
    objectives = loaded.meta.get("objectives")
    out: dict[int, dict[str, Any]] = {}
    for wave in loaded.waves:
        stored = wave.get("rpoSummary")
        out[wave.number] = dict(stored) if stored else wave_rpo(
            [j for j in loaded.jobs if j.wave_number == wave.number], wave_rpo_minutes(objectives, wave.number))
    return out


def get_execution(deps: EngineDeps, execution_id: str) -> dict[str, Any]:
    """GET /executions/{id}: the META, WAVE and JOB items and one page of servers (the first
    ``MAX_DETAIL_SERVERS`` by id that fit in ``MAX_DETAIL_BYTES``, read ``DETAIL_CHUNK`` at a time
    until the budget is spent): what one page costs, whatever the execution's size. All servers are
    paged by ``GET /executions/{id}/servers``."""
    loaded = load_execution(deps, execution_id, servers=False)
    details = execution_details(loaded, deps.now(), [])
    by_wave = {int(w["waveNumber"]): w["servers"] for w in details["waves"]}
    live = live_statuses(loaded.jobs)
    objectives = loaded.meta.get("objectives")
    used = _json_size(details) + 200  # as cap_servers measures it
    shown = 0
    token: str | None = None
    while shown < MAX_DETAIL_SERVERS:  # pages of DETAIL_CHUNK until the budget is spent
        chunk = deps.store.page_servers(execution_id, limit=min(DETAIL_CHUNK, MAX_DETAIL_SERVERS - shown),
                                        token=token)
        for server in chunk.items:  # by id, as execution_details orders each wave's servers
            entry = server_entry(server, live, objectives)
            used += _json_size(entry) + 1
            if used > MAX_DETAIL_BYTES:
                break
            by_wave.get(server.wave_number, []).append(entry)
            shown += 1
        if used > MAX_DETAIL_BYTES or chunk.next_token is None:
            break
        token = chunk.next_token
    counts = loaded.meta.get("serverCounts") or {}
    total = int(counts.get("total") or loaded.meta.get("serverCount") or 0)
    return cap_servers(details, limit=MAX_DETAIL_SERVERS, total=max(total, shown))


def execution_details(loaded: ExecutionRecords, now: str,
                      servers: Iterable[ServerRecord] | None = None) -> dict[str, Any]:
    """The META item with its waves, their jobs and ``servers`` (default: the servers loaded),
    timings and counts (the views of ``services/engine/progress.py`` are cut from this)."""
    out = public_meta(loaded.meta)
    objectives = loaded.meta.get("objectives")
    live = live_statuses(loaded.jobs)
    servers_by_wave: dict[int, list[dict[str, Any]]] = {}
    for server in sorted(loaded.servers if servers is None else servers, key=lambda s: s.server_id):
        servers_by_wave.setdefault(server.wave_number, []).append(server_entry(server, live, objectives))
    jobs_by_wave: dict[int, list[dict[str, Any]]] = {}
    for job in loaded.jobs:
        jobs_by_wave.setdefault(job.wave_number, []).append({
            k: job[k] for k in ("jobKey", "jobId", "status", "drsStatus", "accountId", "region", "startedAt",
                                "endedAt", "lastError", "startAttempts", "timeoutReason") if k in job
        } | {"serverCount": len(job.get("serverIds") or [])} | (  # a job that left QUEUED waits no more
            {WAITING_FOR: job[WAITING_FOR]} if job.get(WAITING_FOR) and job["status"] == JobStatus.QUEUED.value else {}))
    waves = []
    wave_counts: dict[str, int] = {}
    for wave in loaded.waves:
        number = wave.number
        stored_wave = wave.to_attributes()
        entry = {k: stored_wave[k] for k in _WAVE_FIELDS if k in stored_wave}
        jobs = jobs_by_wave.get(number, [])
        entry["jobs"] = jobs
        entry["jobIds"] = [j["jobId"] for j in jobs if j.get("jobId")]
        if entry["jobIds"]:
            entry["jobId"] = entry["jobIds"][0]
        entry["servers"] = servers_by_wave.get(number, [])
        waves.append(entry)
        wave_counts[str(wave["status"])] = wave_counts.get(str(wave["status"]), 0) + 1
    out["waves"] = waves
    out["waveCounts"] = wave_counts
    end = str(loaded.meta.get("endTime") or now)
    out["timings"] = {
        "startTime": loaded.meta.get("startTime"),
        "endTime": loaded.meta.get("endTime"),
        "elapsedSeconds": round((_parse(end) - _parse(str(loaded.meta["startTime"]))).total_seconds(), 3),
        "pausedSeconds": paused_seconds(list(loaded.meta.get("statusHistory") or []), end),
    }
    out["objectivesReport"] = objectives_report(loaded.meta, loaded.waves, _wave_rpo(loaded))  # issue 21
    meta_termination = termination_metadata(loaded.meta)
    out["terminationMetadata"] = meta_termination
    out["canTerminate"] = meta_termination["canTerminate"]
    return out


def _summary(meta: ExecutionMeta) -> dict[str, Any]:
    out = public_meta(meta)
    out.pop("statusHistory", None)
    return out


def list_executions(deps: EngineDeps, query: Mapping[str, str]) -> dict[str, Any]:
    status = query.get("status")
    if status:
        status = coerce_status(ExecutionStatus, status.strip().upper()).value
    limit = parse_limit(query.get("limit"))
    page = deps.store.page(plan_id=query.get("planId") or None, status=status, limit=limit,
                           token=query.get("nextToken") or None)
    items = [_summary(i) for i in page.items]
    return {"items": items, "count": len(items), "nextToken": page.next_token}


def job_logs(deps: EngineDeps, execution_id: str, job_id: str | None) -> dict[str, Any]:
    loaded = deps.store.load(execution_id)
    if loaded is None:
        raise NotFound(f"execution {execution_id} not found", code="EXECUTION_NOT_FOUND")
    jobs = [j for j in loaded.jobs if j.get("jobId")]
    if job_id:
        jobs = [j for j in jobs if j["jobId"] == job_id]
        if not jobs:
            raise NotFound(f"job {job_id} is not a job of execution {execution_id}", code="JOB_NOT_FOUND")
    out = []
    for job in jobs:
        events = []
        for item in deps.drs.job_log(scope_of(job["accountId"], job["region"]), str(job["jobId"])):
            data = item.get("eventData") or {}
            event = {"logDateTime": item.get("logDateTime"), "event": item.get("event"),
                     "sourceServerId": data.get("sourceServerID"), "targetInstanceId": data.get("targetInstanceID"),
                     "rawError": data.get("rawError")}
            events.append({k: v for k, v in event.items() if v is not None})
        out.append({"jobId": job["jobId"], "jobKey": job["jobKey"], "waveNumber": job["waveNumber"],
                    "accountId": job["accountId"], "region": job["region"], "events": events})
    return {"executionId": execution_id, "jobs": out}


def _instance_entry(ri: Mapping[str, Any], instance: Mapping[str, Any] | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "recoveryInstanceId": ri.get("recoveryInstanceID"), "ec2InstanceId": ri.get("ec2InstanceID"),
        "ec2InstanceState": ri.get("ec2InstanceState"), "sourceServerId": ri.get("sourceServerID"),
        "jobId": ri.get("jobID"), "isDrill": ri.get("isDrill"),
        "pointInTimeSnapshotDateTime": ri.get("pointInTimeSnapshotDateTime"),
    }
    if instance:
        entry["privateIp"] = instance.get("PrivateIpAddress")
        entry["instanceType"] = instance.get("InstanceType")
        entry["launchTime"] = iso_value(instance.get("LaunchTime"))
    return {k: v for k, v in entry.items() if v is not None}


def recovery_instances(deps: EngineDeps, execution_id: str) -> dict[str, Any]:
    if deps.store.get_meta(execution_id) is None:
        raise NotFound(f"execution {execution_id} not found", code="EXECUTION_NOT_FOUND")
    servers = [s for s in deps.store.load_servers(execution_id) if s.get("recoveryInstanceId")]
    by_scope: dict[str, list[ServerRecord]] = {}
    for server in servers:
        by_scope.setdefault(scope_of(server["accountId"], server["region"]), []).append(server)
    instances: list[dict[str, Any]] = []
    for scope, members in sorted(by_scope.items()):
        ids = [str(s["recoveryInstanceId"]) for s in members]
        known = {str(r["recoveryInstanceID"]): r for r in deps.drs.recovery_instances(scope, instance_ids=ids)}
        ec2 = deps.ec2.instances(scope, [str(r.get("ec2InstanceID")) for r in known.values() if r.get("ec2InstanceID")])
        for server in sorted(members, key=lambda s: s.server_id):
            ri = known.get(str(server["recoveryInstanceId"]))
            if ri is None:
                entry = {"recoveryInstanceId": server["recoveryInstanceId"], "sourceServerId": server["sourceServerId"],
                         "exists": False, "serverStatus": server.get("status")}
            else:
                entry = _instance_entry(ri, ec2.get(str(ri.get("ec2InstanceID"))))
                entry.update(exists=True, serverStatus=server.get("status"))
            entry.update({"hostname": server.get("hostname"), "waveNumber": server.get("waveNumber"),
                          "accountId": server["accountId"], "region": server["region"]})
            instances.append({k: v for k, v in entry.items() if v is not None})
    return {"executionId": execution_id, "instances": instances, "count": len(instances),
            "existingCount": sum(1 for i in instances if i.get("exists"))}


def check_existing_instances(deps: EngineDeps, plan_id: str) -> dict[str, Any]:
    plan = deps.plans.get_plan(plan_id)
    if plan is None:
        raise NotFound(f"recovery plan {plan_id} not found", code="PLAN_NOT_FOUND")
    waves = plan_waves(plan)
    refs = group_refs(deps.plans.get_groups({g for w in waves for g in w.protection_group_ids}), deps.hub_account_id)
    by_scope: dict[str, set[str]] = {}
    for ref in refs.values():
        by_scope.setdefault(scope_of(ref.account_id, ref.region), set()).update(ref.server_ids)
    found: list[dict[str, Any]] = []
    for scope, server_ids in sorted(by_scope.items()):
        if not server_ids:
            continue
        instances = deps.drs.recovery_instances(scope, server_ids=sorted(server_ids))
        job_ids = sorted({str(r["jobID"]) for r in instances if r.get("jobID")})
        jobs = deps.drs.describe_jobs(scope, job_ids) if job_ids else {}
        ec2 = deps.ec2.instances(scope, [str(r["ec2InstanceID"]) for r in instances if r.get("ec2InstanceID")])
        for ri in instances:
            entry = _instance_entry(ri, ec2.get(str(ri.get("ec2InstanceID"))))
            account, _, region = scope.partition("#")
            entry.update(accountId=account, region=region)
            tags = (jobs.get(str(ri.get("jobID"))) or {}).get("tags") or {}
            if tags.get(TAG_EXECUTION):
                entry["executionId"] = tags[TAG_EXECUTION]
            found.append(entry)
    return {"planId": plan_id, "hasExistingInstances": bool(found), "instanceCount": len(found),
            "existingInstances": found}




def _json_size(value: Any) -> int:
    return len(json.dumps(value, default=str, separators=(",", ":")).encode())


def cap_servers(details: dict[str, Any], limit: int = MAX_DETAIL_SERVERS,
                budget: int = MAX_DETAIL_BYTES, total: int | None = None) -> dict[str, Any]:
    """GET /executions/{id} carries at most ``limit`` of the servers given (each under its wave),
    and no more than fit in ``budget`` bytes beside the waves and jobs; ``total`` is the execution's
    server count (default: the servers given). A wave that does not show all its servers says
    ``serversTruncated`` and ``GET /executions/{id}/servers`` pages them all. Counts are whole."""
    waves = details.get("waves") or []
    lists = [list(w.get("servers") or []) for w in waves]
    given = sum(len(servers) for servers in lists)
    total = given if total is None else total
    for wave in waves:
        wave["servers"] = []
    used = _json_size(details) + 200  # the fields added below
    room = limit
    included = 0
    for wave, servers in zip(waves, lists, strict=True):
        kept: list[Any] = []
        for server in servers:
            size = _json_size(server) + 1
            if room == 0 or used + size > budget:
                break
            kept.append(server)
            used += size
            room -= 1
        wave["servers"] = kept
        included += len(kept)
        if len(kept) < max(len(servers), int(wave.get("serverCount") or 0)):
            wave["serversTruncated"] = True
    details["serversTotal"] = total
    details["serversIncluded"] = included
    if total > included:
        details["serversUrl"] = f"/executions/{details['executionId']}/servers"
    return details


def _filled(deps: EngineDeps, execution_id: str, *, statuses: list[str] | None, limit: int,
            token: str | None, keep: Callable[[ServerRecord], bool]) -> Page[ServerRecord]:
    """A store page of ``limit`` servers that ``keep`` accepts: the store is asked again, from where
    it stopped, for as many as were dropped (its token is the one given back)."""
    items: list[ServerRecord] = []
    while True:
        page = deps.store.page_servers(execution_id, statuses=statuses, limit=limit - len(items),
                                       token=token)
        items += [s for s in page.items if keep(s)]
        token = page.next_token
        if token is None or len(items) >= limit:
            return Page(items=items, next_token=token)


def _wave_server_ids(deps: EngineDeps, loaded: ExecutionRecords, wave: int) -> list[str]:
    """A wave's server ids, sorted: from its jobs as loaded when the load read them all (a wave under
    way, the one a console refreshes), else read from the store."""
    record = loaded.wave(wave)
    jobs = {j.key: j for j in loaded.jobs}
    if record is not None and record.job_keys and all(k in jobs for k in record.job_keys):
        return sorted({s for k in record.job_keys for s in jobs[k].server_ids})
    return deps.store.wave_server_ids(loaded.meta.execution_id, [wave])


def _wave_page(deps: EngineDeps, loaded: ExecutionRecords, wave: int, status: str | None, limit: int,
               token: str | None, keep: Callable[[ServerRecord], bool]) -> tuple[list[ServerRecord], str | None]:
    """A page of ``limit`` servers of one wave that ``keep`` accepts: the wave's server ids (from its
    jobs) are paged through and their items read by key, so a wave of 100 in an execution of 4,000
    reads its own 100, not the 4,000 a filter would."""
    execution_id = loaded.meta.execution_id
    ids = _wave_server_ids(deps, loaded, wave)
    fingerprint = hashlib.sha256(f"{execution_id}|{wave}|{status}|by-wave".encode()).hexdigest()[:16]
    found: list[ServerRecord] = []
    while True:
        chunk, token = page(ids, limit - len(found), token, fingerprint)
        found += [s for s in deps.store.get_servers(execution_id, chunk) if keep(s)]  # by id
        if token is None or len(found) >= limit:
            return found, token


def _wave_counts(loaded: ExecutionRecords, wave: int) -> Mapping[str, Any] | None:
    """A wave's stored server counts (its item, or its summary on META once it ended); None: no such wave."""
    record = loaded.wave(wave)
    if record is not None:
        return dict(record.get("serverCounts") or {})
    summary = loaded.finished.get(wave)
    return summary.server_counts if summary is not None else None


def _server_total(loaded: ExecutionRecords, wave: int | None, status: str | None) -> int:
    """How many servers the listing holds, from the stored counts (META, or the wave's)."""
    counts = (loaded.meta.get("serverCounts") if wave is None else _wave_counts(loaded, wave)) or {}
    return int(counts.get(status.lower() if status else "total") or 0)


def execution_servers(deps: EngineDeps, execution_id: str, query: Mapping[str, str]) -> dict[str, Any]:
    """The execution's servers by id, a page at a time from the store, optionally of one wave and/or
    one status (with each server's data age against its wave's RPO). A server launching is PENDING
    on its item and LAUNCHING on its job item: LAUNCHING lists the servers the job items say are
    launching, PENDING the stored ones that are not."""
    wave = int(query["wave"]) if query.get("wave") else None
    status = coerce_status(ServerStatus, query["status"].strip().upper()).value if query.get("status") else None
    limit = parse_limit(query.get("limit"), SERVER_PAGE_DEFAULT, SERVER_PAGE_MAX)
    token = query.get("nextToken") or None
    # META, the waves not ended and their jobs (a tick's working set): only those launch servers
    loaded = deps.store.load(execution_id, settled_jobs=False)
    if loaded is None:
        raise NotFound(f"execution {execution_id} not found", code="EXECUTION_NOT_FOUND")
    live = live_statuses(loaded.jobs)
    launching = {s for s, (job, now) in live.items()
                 if now == ServerStatus.LAUNCHING.value and (wave is None or job.wave_number == wave)}
    if (wave is not None and _wave_counts(loaded, wave) is None) or (
            status not in (None, ServerStatus.LAUNCHING.value) and not _server_total(loaded, wave, status)):
        # no such wave, or the stored counts hold no server of that status ("any failed?" of a large
        # run answers at once instead of filtering every server item)
        servers: list[ServerRecord] = []
        next_token = None
    elif status == ServerStatus.LAUNCHING.value:  # few (DRS's servers in active jobs): paged in memory
        fingerprint = hashlib.sha256(f"{execution_id}|{wave}|{status}".encode()).hexdigest()[:16]
        chunk, next_token = page(sorted(launching), limit, token, fingerprint)
        servers = deps.store.get_servers(execution_id, chunk)
    else:
        hidden = launching if status == ServerStatus.PENDING.value else set()  # PENDING on their items only

        def keep(server: ServerRecord) -> bool:
            return (status is None or server.status.value == status) and server.server_id not in hidden

        if wave is not None:  # the wave's servers by key, not a filter over every server of the execution
            servers, next_token = _wave_page(deps, loaded, wave, status, limit, token, keep)
        else:
            found = _filled(deps, execution_id, statuses=[status] if status else None, limit=limit, token=token,
                            keep=keep)
            servers, next_token = found.items, found.next_token
    objectives = loaded.meta.get("objectives")
    rows = [{**server_entry(s, live, objectives), "waveNumber": s.wave_number} for s in servers]
    return {"executionId": execution_id, "servers": rows, "count": len(rows),
            "total": _server_total(loaded, wave, status), "nextToken": next_token}
