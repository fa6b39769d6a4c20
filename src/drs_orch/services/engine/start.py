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
from dataclasses import dataclass, field
from typing import Any

from drs_orch.domain.data_age import launch_readiness
from drs_orch.domain.data_rules import replication_problem
from drs_orch.domain.dry_run import (
    DEFAULT_LAUNCH_SECONDS,
    ActiveUsage,
    JobSpec,
    describe,
    forecast,
    launch_seconds,
)
from drs_orch.domain.errors import DomainError, NotFound, ValidationFailed
from drs_orch.domain.execution_records import ChildRecord, ExecutionMeta, JobRecord, PlannedWave, WaveRecord
from drs_orch.domain.execution_snapshot import (
    PAIRED_EXECUTION_TYPES,
    ExecutionHolder,
    GroupRef,
    JobHolder,
    Snapshot,
    StartExecutionInput,
    build_snapshot,
    conflict_error,
    drs_job_holders,
    split_scope,
)
from drs_orch.domain.models import ProtectionGroup, RecoveryPlan, parse
from drs_orch.domain.objectives import objectives_record
from drs_orch.domain.plan_graph import Wave, normalize_waves
from drs_orch.domain.point_in_time import DEFAULT_TOLERANCE_SECONDS
from drs_orch.domain.statuses import ACTIVE_EXECUTION, ExecutionStatus, WaveStatus
from drs_orch.domain.time_limits import TimeLimits, admission_rounds, wave_time_limits
from drs_orch.services.engine.context import EngineDeps
from drs_orch.services.engine.point_in_time import choose_wave_point
from drs_orch.services.engine.ports import Changes, GuardClaim, GuardsTaken, Item
from drs_orch.services.engine.records import child_items, guard_keys_of_jobs, history_entry
from drs_orch.services.plan_fingerprint import fingerprint_record, snapshot_fingerprint

STALE_START_SECONDS = 900.0
_WAVE_FIELDS = ("waveNumber", "waveName", "waveDescription", "protectionGroupIds", "protectionGroupId",
                "dependsOnWaves", "independent", "pauseBeforeWave", "onServerFailure", "jobTimeoutMinutes",
                "waveTimeoutMinutes")


def plan_waves(plan: RecoveryPlan) -> list[Wave]:
    """The plan's waves, normalized again (attributes the engine does not use are ignored)."""
    raw = [{k: w[k] for k in _WAVE_FIELDS if k in w and w[k] is not None} for w in plan.wave_items()]
    return normalize_waves(raw)


def group_refs(groups: Mapping[str, ProtectionGroup], hub_account_id: str) -> dict[str, GroupRef]:
    return {
        gid: GroupRef(group_id=gid, account_id=g.account_id or hub_account_id, region=g.region,
                      server_ids=tuple(g.source_server_ids))
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
    metas: dict[str, ExecutionMeta | None] = {}
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


@dataclass
class Checked:
    """A plan resolved and checked against DRS and the locks, as a start needs it."""

    plan: RecoveryPlan
    waves: list[Wave]
    groups: dict[str, ProtectionGroup]
    snapshot: Snapshot
    unknown: list[dict[str, str]] = field(default_factory=list)
    unhealthy: list[dict[str, str]] = field(default_factory=list)
    hostnames: dict[str, str | None] = field(default_factory=dict)
    described: dict[str, Item] = field(default_factory=dict)
    job_holders: list[JobHolder] = field(default_factory=list)
    listings: dict[str, list[Item]] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)
    claims: list[GuardClaim] = field(default_factory=list)
    execution_holders: list[ExecutionHolder] = field(default_factory=list)


def check_start(deps: EngineDeps, req: StartExecutionInput) -> Checked:
    """Everything a start checks before it writes anything (reads only, no lock taken)."""
    plan = deps.plans.get_plan(req.plan_id)
    if plan is None:
        raise NotFound(f"recovery plan {req.plan_id} not found", code="PLAN_NOT_FOUND")
    if req.topic_arn and not deps.notifier.topic_exists(req.topic_arn):
        raise ValidationFailed(f"SNS topic {req.topic_arn} does not exist or cannot be published to",
                               code="TOPIC_NOT_FOUND", details=[{"field": "topicArn", "message": "no such topic"}])
    waves = plan_waves(plan)
    groups = deps.plans.get_groups({g for w in waves for g in w.protection_group_ids})
    refs = group_refs(groups, deps.hub_account_id)
    if req.kind == "FAILBACK":  # launches the reversed source servers in the origin account-regions
        if deps.pairing is None:
            raise ValidationFailed("FAILBACK needs instance pairs, which this deployment does not have",
                                   code="PAIRING_UNAVAILABLE")
        refs = deps.pairing.failback_refs(refs)
    checked = Checked(plan, waves, groups, build_snapshot(waves, refs))
    for scope, server_ids in checked.snapshot.servers_by_scope().items():
        account, region = split_scope(scope)
        found = deps.drs.source_servers(scope, server_ids)
        for server_id in server_ids:
            server = found.get(server_id)
            if server is None:
                checked.unknown.append({"serverId": server_id, "accountId": account, "region": region})
                continue
            checked.hostnames[server_id] = _hostname(server)
            checked.described[server_id] = server
            problem = replication_problem(server)
            if problem:
                checked.unhealthy.append({"serverId": server_id, "accountId": account, "region": region,
                                          "problem": problem})
        checked.listings[scope] = deps.drs.list_jobs(scope)
        checked.job_holders += drs_job_holders(checked.listings[scope], scope, set(server_ids))
    checked.keys = checked.snapshot.guard_keys()
    checked.claims, checked.execution_holders = _claims(deps, checked.keys, deps.store.read_guards(checked.keys))
    return checked


def start_execution(deps: EngineDeps, body: Mapping[str, Any], actor: str) -> dict[str, Any]:
    req = parse(StartExecutionInput, body)
    checked = check_start(deps, req)
    if req.dry_run:
        report = dry_run_report(deps, req, checked, actor)
        if req.kind in PAIRED_EXECUTION_TYPES:
            try:
                pair_expectations(deps, req, checked)
            except DomainError as exc:
                report["errors"].append({"code": exc.code, "message": exc.message})
                report["wouldStart"] = False
        return report
    plan, snapshot, unhealthy, keys = checked.plan, checked.snapshot, checked.unhealthy, checked.keys
    if checked.unknown:
        raise ValidationFailed(f"{len(checked.unknown)} server(s) of the plan are unknown to DRS",
                               code="UNKNOWN_SOURCE_SERVERS", details={"servers": checked.unknown})
    if checked.execution_holders or checked.job_holders:
        raise conflict_error(checked.execution_holders, checked.job_holders)
    claims, hostnames = checked.claims, checked.hostnames
    identity = pair_expectations(deps, req, checked) if req.kind in PAIRED_EXECUTION_TYPES else {}

    execution_id = str(uuid.uuid4())
    now = deps.now()
    first_account, first_region = split_scope(snapshot.scopes[0])
    meta: dict[str, Any] = {
        "planId": req.plan_id, "planName": plan.plan_name, "planVersion": plan.version,
        "executionType": req.kind, "status": ExecutionStatus.PENDING.value,
        "startTime": now, "initiatedBy": req.initiated_by or actor, "startedBy": actor,
        "accountId": first_account, "region": first_region, "scopes": list(snapshot.scopes),
        "protectionGroupIds": list(snapshot.group_ids), "pollIntervalSeconds": req.poll_interval_seconds,
        "waveCount": len(snapshot.waves), "serverCount": snapshot.server_count,
        "finishedWaves": {},
        # the execution's waves: a tick reads those that have left PENDING and those that may
        # (domain tick_wave_numbers)
        "wavePlan": {str(w.number): PlannedWave(w.number, tuple(w.wave.depends_on_waves), len(w.servers)).to_attributes()
                     for w in snapshot.waves},
        "serverCounts": {"total": snapshot.server_count, "pending": snapshot.server_count},
        "version": 1, "pauseRequested": False, "cancelRequested": False, "approvedWaves": [],
        "pausedBeforeWaves": [], "statusHistory": [history_entry(ExecutionStatus.PENDING.value, now)],
    }
    opened = {str(w.number) for w in snapshot.waves if w.initial_status is not WaveStatus.PENDING}
    if opened:  # a string set (the ticks ADD to it), and DynamoDB has no empty set
        meta["openedWaves"] = opened
    if req.topic_arn:
        meta["topicArn"] = req.topic_arn
    if req.consistent_point_in_time:
        meta["consistentPointInTime"] = {"toleranceSeconds": req.point_in_time_tolerance_seconds
                                         if req.point_in_time_tolerance_seconds is not None
                                         else DEFAULT_TOLERANCE_SECONDS}
    if req.kind in PAIRED_EXECUTION_TYPES:
        meta["isDrill"] = req.launches_drill
    if plan.drill_ttl_hours:
        meta["drillTtlHours"] = plan.drill_ttl_hours
    objectives = objectives_record(plan)  # issue 21: measured against at the end, compared by readiness
    if objectives:
        meta["objectives"] = objectives
    if unhealthy:
        meta["warnings"] = [{"code": "REPLICATION_UNHEALTHY", "servers": unhealthy}]
    children = [c.merged({"identity": {s: identity[s] for s in c.server_ids}})
                if identity and isinstance(c, JobRecord) else c
                for c in child_items(execution_id, snapshot, hostnames, now,
                                     _time_limits(plan, snapshot, checked.listings))]
    children.append(fingerprint_record(execution_id, snapshot_fingerprint(plan, snapshot, checked.groups)))
    deps.store.put_children(children)
    try:
        deps.store.commit_start(ExecutionMeta(execution_id, meta), claims)
    except GuardsTaken as exc:
        deps.store.delete_children(execution_id, children)
        taken = exc.keys or keys
        guards = deps.store.read_guards(taken)
        raise conflict_error([_holder_of(k, g) for k, g in guards.items() if g.get("executionId") != execution_id],
                             []) from None
    try:
        arn = deps.sfn.start(execution_id, {"executionId": execution_id})
    except DomainError as exc:
        _fail_unstarted(deps, execution_id, children, exc)
        raise
    deps.store.update_meta(execution_id, Changes(set={"stateMachineExecutionArn": arn}))
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


def pair_expectations(deps: EngineDeps, req: StartExecutionInput, checked: Checked) -> dict[str, dict[str, Any]]:
    """What each server's launch into its paired instance must give (FAILOVER/FAILBACK)."""
    if deps.pairing is None:
        raise ValidationFailed(f"{req.kind} needs instance pairs, which this deployment does not have",
                               code="PAIRING_UNAVAILABLE")
    return deps.pairing.expectations(req.kind, list(checked.snapshot.group_ids),
                                     checked.snapshot.servers_by_scope(), checked.described, dry_run=req.dry_run)


def _time_limits(plan: RecoveryPlan, snapshot: Snapshot, listings: Mapping[str, list[Item]]) -> dict[int, TimeLimits]:
    """Each wave's job and wave time limits: the wave's, else the plan's, else from launch times."""
    seconds = {scope: launch_seconds(listing) or DEFAULT_LAUNCH_SECONDS for scope, listing in listings.items()}
    out: dict[int, TimeLimits] = {}
    for wave in snapshot.waves:
        sizes: dict[str, list[int]] = {}
        for job in wave.jobs:
            sizes.setdefault(job.scope, []).append(len(job.server_ids))
        out[wave.number] = wave_time_limits(
            wave_job_minutes=wave.wave.job_timeout_minutes, wave_minutes=wave.wave.wave_timeout_minutes,
            plan_job_minutes=plan.job_timeout_minutes, plan_wave_minutes=plan.wave_timeout_minutes,
            launch_seconds=max((seconds.get(s, DEFAULT_LAUNCH_SECONDS) for s in sizes), default=DEFAULT_LAUNCH_SECONDS),
            rounds=admission_rounds(sizes))
    return out


def _fail_unstarted(deps: EngineDeps, execution_id: str, children: list[ChildRecord], error: DomainError) -> None:
    """The state machine could not be started: FAILED, waves CANCELLED, locks released."""
    now = deps.now()
    deps.store.update_meta(
        execution_id,
        Changes(set={"status": ExecutionStatus.FAILED.value, "endTime": now, "errorCode": error.code,
                     "errorMessage": error.message},
                append={"statusHistory": [history_entry(ExecutionStatus.FAILED.value, now, error.message)]},
                increment={"version": 1}),
        expect={"status": ExecutionStatus.PENDING.value},
    )
    cancelled = WaveStatus.CANCELLED.value
    for wave in children:
        if isinstance(wave, WaveRecord) and wave["status"] == WaveStatus.PENDING.value:
            deps.store.update_wave(execution_id, wave.number,
                                   Changes(set={"status": cancelled, ("statusHistory", cancelled): now, "endedAt": now}),
                                   expect={"status": WaveStatus.PENDING.value})
    deps.store.release_guards(execution_id, guard_keys_of_jobs([c for c in children if isinstance(c, JobRecord)]))


def dry_run_report(deps: EngineDeps, req: StartExecutionInput, checked: Checked, actor: str) -> dict[str, Any]:
    """What the start would do: the same checks, launch settings decided as at each wave's start,
    and the run forecast against the DRS limits. Nothing is written, launched or locked."""
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    if checked.unknown:
        errors.append({"code": "UNKNOWN_SOURCE_SERVERS", "message": f"{len(checked.unknown)} server(s) of the "
                       "plan are unknown to DRS", "servers": checked.unknown})
    if checked.execution_holders or checked.job_holders:
        conflict = conflict_error(checked.execution_holders, checked.job_holders)
        errors.append({"code": conflict.code, "message": conflict.message, **dict(conflict.details or {})})
    if checked.unhealthy:
        warnings.append({"code": "REPLICATION_UNHEALTHY", "message": f"{len(checked.unhealthy)} server(s) "
                         "replicate unhealthily and may fail or launch from an older point in time",
                         "servers": checked.unhealthy})
    seconds: dict[str, float] = {}
    active: dict[str, ActiveUsage] = {}
    launch_times: list[dict[str, Any]] = []
    for scope, listing in checked.listings.items():
        account, region = split_scope(scope)
        observed = launch_seconds(listing)
        live = [j for j in listing if j.get("status") in ("PENDING", "STARTED")]
        active[scope] = ActiveUsage(len(live), sum(len(j.get("participatingServers") or []) for j in live))
        seconds[scope] = observed if observed is not None else DEFAULT_LAUNCH_SECONDS
        launch_times.append({"accountId": account, "region": region, "launchSeconds": round(seconds[scope]),
                             "source": "RECENT_LAUNCHES" if observed is not None else "DEFAULT",
                             "activeJobs": active[scope].jobs, "serversInActiveJobs": active[scope].servers})
    jobs = [JobSpec(j.key, j.wave, j.scope, j.server_ids) for w in checked.snapshot.waves for j in w.jobs]
    result = forecast(checked.waves, jobs, active, seconds)
    prediction = describe(checked.waves, result)
    queued = [w["waveNumber"] for w in prediction["waves"] if w["queued"]]
    if queued:
        warnings.append({"code": "JOBS_QUEUED", "waves": queued,
                         "message": f"waves {', '.join(map(str, queued))} wait for DRS capacity (20 jobs / 500 "
                                    "servers in active jobs per account-region)"})
    readiness: list[dict[str, Any]] = []
    for wave in checked.snapshot.waves:
        for scope, server_id in wave.servers:
            if server_id not in checked.described:
                continue
            account, region = split_scope(scope)
            readiness.append({"serverId": server_id, "waveNumber": wave.number, "accountId": account,
                              "region": region, **launch_readiness(checked.described[server_id]).to_dict()})
    stale = [r for r in readiness if r["dataSource"] == "LAST_SNAPSHOT"]
    if stale:
        warnings.append({"code": "LAUNCH_FROM_LAST_SNAPSHOT", "servers": stale,
                         "message": f"{len(stale)} server(s) would launch from their last point-in-time snapshot "
                                    "(replication is not healthy): their data is older"})
    hopeless = [r for r in readiness if not r["canLaunch"]]
    if hopeless:
        warnings.append({"code": "SERVERS_WOULD_FAIL", "servers": hopeless,
                         "message": f"{len(hopeless)} server(s) have no snapshot to launch from and would fail; "
                                    "each wave's onServerFailure decides what follows"})
    launch: list[dict[str, Any]] = []
    if deps.preparer is not None:
        for wave in checked.snapshot.waves:
            if not wave.servers:
                continue
            try:
                outcome = deps.preparer.prepare_wave(list(wave.wave.protection_group_ids),
                                                     [server for _, server in wave.servers], actor, dry_run=True)
            except DomainError as exc:
                errors.append({"code": exc.code, "message": exc.message, "wave": wave.number})
                continue
            would_apply: dict[str, str] = dict(outcome.get("wouldApply") or {})
            launch.append({"waveNumber": wave.number, "path": outcome.get("path"), "reason": outcome.get("reason"),
                           "wouldApply": would_apply})
            if would_apply:
                warnings.append({"code": "LAUNCH_SETTINGS_WOULD_APPLY", "wave": wave.number,
                                 "message": f"wave {wave.number}: launch settings of {len(would_apply)} "
                                            "server(s) are applied when the wave starts",
                                 "servers": sorted(would_apply)})
    points: list[dict[str, Any]] = []
    if req.consistent_point_in_time:
        tolerance = req.point_in_time_tolerance_seconds
        tolerance = DEFAULT_TOLERANCE_SECONDS if tolerance is None else tolerance
        for wave in checked.snapshot.waves:
            if not wave.servers:
                continue
            chosen = choose_wave_point(deps, tolerance, [(j.key, j.scope, j.server_ids) for j in wave.jobs])
            points.append({"waveNumber": wave.number, **chosen.record})
            if chosen.failed:
                warnings.append({"code": "NO_CONSISTENT_POINT_IN_TIME", "wave": wave.number,
                                 "message": f"wave {wave.number} would fail at its start: "
                                            f"{chosen.record['pointInTimeReason']}"})
    return {
        "dryRun": True,
        "wouldStart": not errors,
        "planId": req.plan_id,
        "planName": checked.plan.plan_name,
        "executionType": req.kind,
        "waveCount": len(checked.snapshot.waves),
        "serverCount": checked.snapshot.server_count,
        **prediction,
        "launchTimes": launch_times,
        "launchSettings": launch,
        **({"pointsInTime": points} if req.consistent_point_in_time else {}),
        "servers": readiness,
        "errors": errors,
        "warnings": warnings,
    }
