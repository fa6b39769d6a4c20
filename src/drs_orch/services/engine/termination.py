"""Terminating an ended execution's recovery (drill) instances, and following that to the end.

POST /executions/{id}/terminate-instances (:func:`request_termination`): refused while the
execution is active. The execution's LAUNCHED servers with a recovery instance that DRS still knows
are terminated with TerminateRecoveryInstances (200 per call); the request is recorded in the META
item's ``termination`` and a state machine run (``<executionId>-terminate-<n>``) follows it: each
tick (:func:`termination_tick`) waits for the TERMINATE jobs to complete, then checks with EC2 that
every instance is terminated, marks those servers TERMINATED and records ``completedAt`` and
``verifiedAt``. A repeated request returns the recorded termination (idempotent); one after a
FAILED termination tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from drs_orch.domain.engine_rules import Next
from drs_orch.domain.errors import Conflict, NotFound, UpstreamError
from drs_orch.domain.execution_records import ExecutionMeta, ServerRecord
from drs_orch.domain.execution_snapshot import PAIRED_EXECUTION_TYPES, scope_of, split_scope
from drs_orch.domain.statuses import ACTIVE_EXECUTION, ServerStatus, TerminationStatus, check_transition
from drs_orch.services.engine.context import EngineDeps
from drs_orch.services.engine.ports import Changes, StartRefused

log = logging.getLogger(__name__)

MAX_VERIFY_ATTEMPTS = 20
STALE_CLAIM_SECONDS = 300.0
_GONE_STATES = frozenset({"terminated"})
_T = TerminationStatus

# Every termination status: whether a termination is under way (views refuse a new one and a
# delete of the execution meanwhile). Explicit for each status.
TERMINATION_BUSY: Mapping[TerminationStatus, bool] = {
    _T.NOT_REQUESTED: False,
    _T.STARTING: True,
    _T.IN_PROGRESS: True,
    _T.COMPLETED: False,
    _T.FAILED: False,
}


def _moved(record: dict[str, Any], new: TerminationStatus) -> dict[str, Any]:
    """``record`` with its status moved to ``new`` (checked against the termination table)."""
    check_transition(TerminationStatus, str(record.get("status") or _T.NOT_REQUESTED.value), new)
    return {**record, "status": new.value}


def _scope(server: Mapping[str, Any]) -> str:
    return scope_of(str(server["accountId"]), str(server["region"]))


def termination_view(meta: Mapping[str, Any]) -> dict[str, Any]:
    return dict(meta.get("termination") or {"status": _T.NOT_REQUESTED.value})


def request_termination(deps: EngineDeps, execution_id: str, actor: str) -> tuple[int, dict[str, Any]]:
    meta = deps.store.get_meta(execution_id)
    if meta is None:
        raise NotFound(f"execution {execution_id} not found", code="EXECUTION_NOT_FOUND")
    if meta["status"] in ACTIVE_EXECUTION:
        raise Conflict(f"execution {execution_id} is {meta['status']}; terminate its instances once it has ended",
                       code="EXECUTION_ACTIVE", details={"status": meta["status"]})
    if meta.get("executionType") in PAIRED_EXECUTION_TYPES:
        raise Conflict(f"execution {execution_id} launched into pre-provisioned instance pairs "
                       f"({meta['executionType']}); they are never terminated by the platform",
                       code="PAIRED_INSTANCES")
    current = meta.get("termination") or {}
    status = current.get("status")
    if status == _T.COMPLETED.value:
        return 200, {"executionId": execution_id, "termination": current,
                     "message": "the recovery instances of this execution were already terminated"}
    if status == _T.IN_PROGRESS.value or (
            status == _T.STARTING.value and (deps.seconds_since(current.get("requestedAt")) or 0.0) < STALE_CLAIM_SECONDS):
        return 202, {"executionId": execution_id, "termination": current, "message": "termination in progress"}

    attempt = int(current.get("attempt") or 0) + 1
    now = deps.now()
    claim = {**_moved({"status": status or _T.NOT_REQUESTED.value}, _T.STARTING),
             "requestedAt": now, "requestedBy": actor, "attempt": attempt}
    claimed = deps.store.update_meta(execution_id, Changes(set={"termination": claim}, increment={"version": 1}),
                                     expect={"version": meta["version"]})
    if claimed is None:
        raise Conflict("the execution changed while the termination was requested; try again",
                       code="CONCURRENT_UPDATE")

    servers = deps.store.load_servers(execution_id)
    targets = [s for s in servers if s.get("status") == ServerStatus.LAUNCHED.value and s.get("recoveryInstanceId")]
    by_scope: dict[str, list[ServerRecord]] = {}
    for server in targets:
        by_scope.setdefault(_scope(server), []).append(server)
    jobs: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    requested = 0
    for scope, members in sorted(by_scope.items()):
        account, region = split_scope(scope)
        known = {str(r["recoveryInstanceID"]) for r in deps.drs.recovery_instances(
            scope, instance_ids=[str(s["recoveryInstanceId"]) for s in members])}
        live = [s for s in members if str(s["recoveryInstanceId"]) in known]
        marked: list[ServerRecord] = []
        for server in members:  # gone from DRS already (e.g. replaced by a later launch): verify with EC2 only
            if str(server["recoveryInstanceId"]) not in known:
                marked.append(server.merged({"terminationRequestedAt": now}))
                requested += 1
        for start in range(0, len(live), 200):
            chunk = live[start:start + 200]
            try:
                job = deps.drs.terminate_recovery_instances(scope, [str(s["recoveryInstanceId"]) for s in chunk])
            except StartRefused as refused:
                errors.append({"accountId": account, "region": region, "error": refused.code or "NoAnswer",
                               "message": refused.message, "serverIds": [s.server_id for s in chunk]})
                continue
            jobs.append({"jobId": job["jobID"], "accountId": account, "region": region, "count": len(chunk)})
            marked += [server.merged({"terminationRequestedAt": now, "terminateJobId": str(job["jobID"])})
                       for server in chunk]
            requested += len(chunk)
        deps.store.put_children(marked)

    record: dict[str, Any] = {**claim, "jobs": jobs, "requestedCount": requested, "errors": errors}
    if targets and requested == 0:
        record = {**_moved(record, _T.FAILED), "endedAt": deps.now()}
        deps.store.update_meta(execution_id, Changes(set={"termination": record}))
        raise UpstreamError("DRS refused to terminate the recovery instances", code="TERMINATION_FAILED",
                            details={"errors": errors})
    if not targets:
        record = {**_moved(record, _T.COMPLETED), "completedAt": now, "verifiedAt": now, "terminatedCount": 0}
        deps.store.update_meta(execution_id, Changes(set={"termination": record, "instancesTerminated": True}))
        return 200, {"executionId": execution_id, "termination": record,
                     "message": "this execution has no recovery instances to terminate"}
    record = _moved(record, _T.IN_PROGRESS)
    deps.store.update_meta(execution_id, Changes(set={"termination": record}))
    deps.sfn.start(f"{execution_id}-terminate-{attempt}", {"executionId": execution_id})
    return 202, {"executionId": execution_id, "termination": record,
                 "message": f"terminating {requested} recovery instance(s); follow progress at /executions/{execution_id}"}


def terminated_counts(counts: Mapping[str, Any] | None, terminated: int) -> dict[str, int]:
    """Server counts after ``terminated`` launched servers had their instances terminated."""
    out = {k: int(v) for k, v in (counts or {}).items()}
    moved = min(terminated, out.get("launched", 0))
    out["launched"] = out.get("launched", 0) - moved
    out["terminated"] = out.get("terminated", 0) + moved
    return out


def termination_tick(deps: EngineDeps, meta: ExecutionMeta) -> Next:
    """Follow a requested termination (the execution itself has ended)."""
    termination = meta.get("termination") or {}
    if termination.get("status") != _T.IN_PROGRESS.value:
        return Next.DONE
    execution_id = meta.execution_id
    by_scope: dict[str, list[str]] = {}
    for job in termination.get("jobs") or []:
        by_scope.setdefault(scope_of(job["accountId"], job["region"]), []).append(str(job["jobId"]))
    failed_servers: dict[str, str] = {}
    for scope, job_ids in by_scope.items():
        found = deps.drs.describe_jobs(scope, job_ids)
        if any((found.get(j) or {}).get("status") != "COMPLETED" for j in job_ids):
            return Next.CONTINUE
        for job in found.values():
            for entry in job.get("participatingServers") or []:
                if entry.get("launchStatus") == "FAILED":
                    failed_servers[str(entry.get("sourceServerID"))] = str(job["jobID"])

    servers = [s for s in deps.store.load_servers(execution_id)
               if s.get("terminationRequestedAt") and s.get("status") == ServerStatus.LAUNCHED.value]
    alive: list[str] = []
    gone: list[ServerRecord] = []
    ids_by_scope: dict[str, list[ServerRecord]] = {}
    for server in servers:
        ids_by_scope.setdefault(_scope(server), []).append(server)
    for scope, members in ids_by_scope.items():
        instance_ids = [str(s.get("ec2InstanceId") or s["recoveryInstanceId"]) for s in members]
        instances = deps.ec2.instances(scope, instance_ids)
        for server, instance_id in zip(members, instance_ids, strict=True):
            state = ((instances.get(instance_id) or {}).get("State") or {}).get("Name")
            if instance_id in instances and state not in _GONE_STATES:
                alive.append(instance_id)
            else:
                gone.append(server)
    attempts = int(termination.get("verifyAttempts") or 0) + 1
    if alive and attempts < MAX_VERIFY_ATTEMPTS:
        deps.store.update_meta(execution_id, Changes(set={("termination", "verifyAttempts"): attempts}))
        return Next.CONTINUE

    now = deps.now()
    deps.store.put_children([
        server.merged({"status": ServerStatus.TERMINATED.value, "terminatedAt": now, "ec2State": "terminated",
                       "statusHistory": {**(server.get("statusHistory") or {}), ServerStatus.TERMINATED.value: now}})
        for server in gone])
    moved: dict[int, int] = {}
    for server in gone:
        moved[int(server.get("waveNumber") or 0)] = moved.get(int(server.get("waveNumber") or 0), 0) + 1
    loaded = deps.store.load(execution_id) if moved else None
    for wave in loaded.waves if loaded else []:
        count = moved.get(wave.number, 0)
        if count:
            deps.store.update_wave(execution_id, wave.number,
                                   Changes(set={"serverCounts": terminated_counts(wave.get("serverCounts"), count)}))
    record = _moved(dict(termination), _T.FAILED if alive else _T.COMPLETED)
    record.update(completedAt=now, verifiedAt=now, terminatedCount=len(gone), verifyAttempts=attempts)
    if alive:
        record["stillRunning"] = alive[:100]
    if failed_servers:
        record["failedServers"] = sorted(failed_servers)[:100]
    meta_set: dict[str | tuple[str, ...], Any] = {"termination": record, "instancesTerminated": not alive}
    if gone:
        meta_set["serverCounts"] = terminated_counts(meta.get("serverCounts"), len(gone))
        summaries = meta.get("finishedWaves") or {}
        for number, count in moved.items():  # the ended waves' summaries count as their items do
            if str(number) in summaries:
                meta_set[("finishedWaves", str(number), "serverCounts")] = terminated_counts(
                    summaries[str(number)].get("serverCounts"), count)
    deps.store.update_meta(execution_id, Changes(set=meta_set, increment={"version": 1}))
    log.info("termination of %s: %s instance(s) gone, %s still running", execution_id, len(gone), len(alive))
    return Next.DONE
