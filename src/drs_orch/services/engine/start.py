"""Start an execution: validate, snapshot the plan's servers, refuse conflicts, commit, run.

1. The body is validated and the plan and its groups are read; each wave's servers are the groups'
   resolved ``sourceServerIds`` (:func:`drs_orch.domain.execution_snapshot.build_snapshot`).
2. DRS is asked, per account-region, whether every server exists (unknown ones: 400), which ones
   replicate unhealthily (reported as warnings: the drill fails them and the wave's
   ``onServerFailure`` decides), and which are in an active DRS job of any origin (409).
3. Servers locked by another active execution are refused (409). A lock of an execution that ended
   (or of a start that never committed, after :data:`STALE_START_SECONDS`) is taken over.
4. The wave, job and server items are written, then one transaction commits the META item with
   every server lock; if a lock was taken meanwhile the items are removed and the start is refused
   with the holders (409). Of any number of concurrent overlapping starts, at most one commits.
5. The state machine run is started (named after the execution id). If that fails, the execution
   is marked FAILED and its locks are released.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from drs_orch.domain.data_rules import replication_problem
from drs_orch.domain.errors import DomainError, NotFound, ValidationFailed
from drs_orch.domain.execution_snapshot import (
    ExecutionHolder,
    GroupRef,
    JobHolder,
    StartExecutionInput,
    build_snapshot,
    conflict_error,
    drs_job_holders,
    split_scope,
)
from drs_orch.domain.models import parse
from drs_orch.domain.plan_graph import Wave, normalize_waves
from drs_orch.domain.statuses import ACTIVE_EXECUTION, ExecutionStatus, WaveStatus
from drs_orch.services.engine.context import EngineDeps
from drs_orch.services.engine.ports import Changes, GuardClaim, GuardsTaken, Item
from drs_orch.services.engine.records import META, child_items, guard_keys_of_jobs, history_entry

STALE_START_SECONDS = 900.0
_WAVE_FIELDS = ("waveNumber", "waveName", "waveDescription", "protectionGroupIds", "protectionGroupId",
                "dependsOnWaves", "pauseBeforeWave", "onServerFailure")


def plan_waves(plan: Mapping[str, Any]) -> list[Wave]:
    """The stored plan's waves, normalized (attributes the engine does not use are ignored)."""
    raw = [{k: w[k] for k in _WAVE_FIELDS if k in w and w[k] is not None} for w in plan.get("waves") or []]
    return normalize_waves(raw)


def group_refs(groups: Mapping[str, Item], hub_account_id: str) -> dict[str, GroupRef]:
    return {
        gid: GroupRef(group_id=gid, account_id=str(g.get("accountId") or hub_account_id), region=str(g["region"]),
                      server_ids=tuple(g.get("sourceServerIds") or []))
        for gid, g in groups.items()
    }


def _hostname(server: Mapping[str, Any]) -> str | None:
    hints = ((server.get("sourceProperties") or {}).get("identificationHints") or {})
    value = hints.get("hostname") or hints.get("fqdn")
    return str(value) if value else None


def _holder_of(key: str, guard: Mapping[str, Any]) -> ExecutionHolder:
    _, account, region, server = key.split("#", 3)
    return ExecutionHolder(server_id=server, scope=f"{account}#{region}", execution_id=str(guard.get("executionId")))


def _claims(deps: EngineDeps, keys: list[str], guards: Mapping[str, Item]) -> tuple[list[GuardClaim], list[ExecutionHolder]]:
    claims: list[GuardClaim] = []
    holders: list[ExecutionHolder] = []
    metas: dict[str, Item | None] = {}
    for key in keys:
        guard = guards.get(key)
        if guard is None:
            claims.append(GuardClaim(key))
            continue
        holder = str(guard.get("executionId"))
        if holder not in metas:
            metas[holder] = deps.store.get_meta(holder)
        meta = metas[holder]
        if meta is not None and meta.get("status") in ACTIVE_EXECUTION:
            holders.append(_holder_of(key, guard))
        elif meta is None and (deps.seconds_since(guard.get("acquiredAt")) or 0.0) < STALE_START_SECONDS:
            holders.append(_holder_of(key, guard))  # a start in progress elsewhere
        else:
            claims.append(GuardClaim(key, take_over_from=holder))
    return claims, holders


def start_execution(deps: EngineDeps, body: Mapping[str, Any], actor: str) -> dict[str, Any]:
    req = parse(StartExecutionInput, body)
    plan = deps.plans.get_plan(req.plan_id)
    if plan is None:
        raise NotFound(f"recovery plan {req.plan_id} not found", code="PLAN_NOT_FOUND")
    waves = plan_waves(plan)
    groups = deps.plans.get_groups({g for w in waves for g in w.protection_group_ids})
    snapshot = build_snapshot(waves, group_refs(groups, deps.hub_account_id))

    unknown: list[dict[str, str]] = []
    unhealthy: list[dict[str, str]] = []
    hostnames: dict[str, str | None] = {}
    job_holders: list[JobHolder] = []
    for scope, server_ids in snapshot.servers_by_scope().items():
        account, region = split_scope(scope)
        found = deps.drs.source_servers(scope, server_ids)
        for server_id in server_ids:
            server = found.get(server_id)
            if server is None:
                unknown.append({"serverId": server_id, "accountId": account, "region": region})
                continue
            hostnames[server_id] = _hostname(server)
            problem = replication_problem(server)
            if problem:
                unhealthy.append({"serverId": server_id, "accountId": account, "region": region, "problem": problem})
        job_holders += drs_job_holders(deps.drs.list_jobs(scope), scope, set(server_ids))
    if unknown:
        raise ValidationFailed(f"{len(unknown)} server(s) of the plan are unknown to DRS",
                               code="UNKNOWN_SOURCE_SERVERS", details={"servers": unknown})

    keys = snapshot.guard_keys()
    claims, execution_holders = _claims(deps, keys, deps.store.read_guards(keys))
    if execution_holders or job_holders:
        raise conflict_error(execution_holders, job_holders)

    execution_id = str(uuid.uuid4())
    now = deps.now()
    first_account, first_region = split_scope(snapshot.scopes[0])
    meta: Item = {
        "executionId": execution_id, "sk": META, "entityType": "EXECUTION",
        "planId": req.plan_id, "planName": plan.get("planName"), "planVersion": plan.get("version"),
        "executionType": req.execution_type, "status": ExecutionStatus.PENDING.value,
        "startTime": now, "initiatedBy": req.initiated_by or actor, "startedBy": actor,
        "accountId": first_account, "region": first_region, "scopes": list(snapshot.scopes),
        "protectionGroupIds": list(snapshot.group_ids), "pollIntervalSeconds": req.poll_interval_seconds,
        "waveCount": len(snapshot.waves), "serverCount": snapshot.server_count,
        "serverCounts": {"total": snapshot.server_count, "pending": snapshot.server_count},
        "version": 1, "pauseRequested": False, "cancelRequested": False, "approvedWaves": [],
        "pausedBeforeWaves": [], "statusHistory": [history_entry(ExecutionStatus.PENDING.value, now)],
    }
    if plan.get("drillTtlHours"):
        meta["drillTtlHours"] = int(plan["drillTtlHours"])
    if unhealthy:
        meta["warnings"] = [{"code": "REPLICATION_UNHEALTHY", "servers": unhealthy}]
    children = child_items(execution_id, snapshot, hostnames, now)
    deps.store.put_children(children)
    try:
        deps.store.commit_start(meta, claims)
    except GuardsTaken as exc:
        deps.store.delete_items(execution_id, [c["sk"] for c in children])
        taken = exc.keys or keys
        guards = deps.store.read_guards(taken)
        raise conflict_error([_holder_of(k, g) for k, g in guards.items() if g.get("executionId") != execution_id],
                             []) from None
    try:
        arn = deps.sfn.start(execution_id, {"executionId": execution_id})
    except DomainError as exc:
        _fail_unstarted(deps, execution_id, children, exc)
        raise
    deps.store.update(execution_id, META, Changes(set={"stateMachineExecutionArn": arn}))
    out: dict[str, Any] = {
        "executionId": execution_id,
        "status": ExecutionStatus.PENDING.value,
        "message": "Execution started - follow it at statusUrl (operation: get_execution_details)",
        "statusUrl": f"/executions/{execution_id}",
        "waveCount": len(snapshot.waves),
        "serverCount": snapshot.server_count,
    }
    if unhealthy:
        out["warnings"] = meta["warnings"]
    return out


def _fail_unstarted(deps: EngineDeps, execution_id: str, children: list[Item], error: DomainError) -> None:
    """The state machine could not be started: FAILED, waves CANCELLED, locks released."""
    now = deps.now()
    deps.store.update(
        execution_id, META,
        Changes(set={"status": ExecutionStatus.FAILED.value, "endTime": now, "errorCode": error.code,
                     "errorMessage": error.message},
                append={"statusHistory": [history_entry(ExecutionStatus.FAILED.value, now, error.message)]},
                increment={"version": 1}),
        expect={"status": ExecutionStatus.PENDING.value},
    )
    cancelled = WaveStatus.CANCELLED.value
    for wave in children:
        if wave["sk"].startswith("WAVE#") and wave["status"] == WaveStatus.PENDING.value:
            deps.store.update(execution_id, wave["sk"],
                              Changes(set={"status": cancelled, ("statusHistory", cancelled): now, "endedAt": now}),
                              expect={"status": WaveStatus.PENDING.value})
    deps.store.release_guards(execution_id, guard_keys_of_jobs([c for c in children if c["sk"].startswith("JOB#")]))
