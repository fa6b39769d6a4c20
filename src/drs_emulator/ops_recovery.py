"""Recovery: StartRecovery, jobs and their logs, recovery instances, reverse replication, failback.

Quotas (ServiceQuotaExceededException, 402; ``quotaCode`` names the quota): more than
``max_servers_per_job`` servers in one request (MaxServersPerJob), more than ``max_active_jobs``
PENDING/STARTED jobs (MaxActiveJobs), more than ``max_servers_in_active_jobs`` servers across active
jobs (MaxServersInActiveJobs), more than ``max_recovery_instances`` recovery instances
(MaxRecoveryInstances). A server or recovery instance already in an active job is a
ConflictException (409). Unknown ids are ResourceNotFoundException (404).
"""

from __future__ import annotations

import functools
from typing import Any

from . import errors, ids, replication
from .ops_launch_actions import launch_actions_status
from .ops_servers import derive_server
from .pagination import paginate
from .registry import Ctx, operation
from .state import Job, RecoveryInstance
from .views import job_view, log_view, recovery_instance_view
from .wire import parse_iso


def _check_job_quotas(ctx: Ctx, new_servers: int) -> None:
    quotas = ctx.emulator.quotas
    if new_servers > quotas.max_servers_per_job:
        raise errors.quota_exceeded(
            "JOB",
            "MaxServersPerJob",
            f"A job can include at most {quotas.max_servers_per_job} source servers",
        )
    active = ctx.state.active_jobs()
    if len(active) + 1 > quotas.max_active_jobs:
        raise errors.quota_exceeded(
            "JOB", "MaxActiveJobs", f"At most {quotas.max_active_jobs} jobs can be active at the same time"
        )
    in_jobs = sum(len(j.participants) for j in active)
    if in_jobs + new_servers > quotas.max_servers_in_active_jobs:
        raise errors.quota_exceeded(
            "JOB",
            "MaxServersInActiveJobs",
            f"At most {quotas.max_servers_in_active_jobs} source servers can be in active jobs at the same time",
        )


def _unique(values: list[str], field: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise errors.field_error(f"{field}[{i}]", f"duplicate id {value}")
        seen.add(value)


@operation("StartRecovery")
def start_recovery(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    entries = p["sourceServers"]
    server_ids = [e["sourceServerID"] for e in entries]
    _unique(server_ids, "sourceServers")
    if len(server_ids) > ctx.emulator.quotas.max_servers_per_job:
        _check_job_quotas(ctx, len(server_ids))
    servers = [ctx.server(sid) for sid in server_ids]
    snapshots: dict[str, dict[str, Any]] = {}
    for entry, server in zip(entries, servers, strict=True):
        snapshot_id = entry.get("recoverySnapshotID")
        if snapshot_id:
            snap = replication.find_snapshot(server, snapshot_id, ctx.now)
            if snap is None:
                raise errors.not_found(
                    "RECOVERY_SNAPSHOT",
                    snapshot_id,
                    f"Recovery snapshot {snapshot_id} of {server.server_id} not found",
                )
            snapshots[server.server_id] = snap
    for server in servers:
        ctx.ensure_not_busy(server.server_id)
    _check_job_quotas(ctx, len(servers))
    new_instances = sum(
        1
        for s in servers
        if not s.recovery_instance_id or s.recovery_instance_id not in ctx.state.recovery_instances
    )
    limit = ctx.emulator.quotas.max_recovery_instances
    if len(ctx.state.recovery_instances) + new_instances > limit:
        raise errors.quota_exceeded(
            "RECOVERY_INSTANCE",
            "MaxRecoveryInstances",
            f"At most {limit} recovery instances per account and region",
        )
    job = ctx.emulator.lifecycle.create_launch_job(
        ctx.state, servers, snapshots, bool(p.get("isDrill", False)), p.get("tags") or {}, ctx.now
    )
    return {"job": job_view(job)}


# ----------------------------------------------------------------------------- jobs


def _job(ctx: Ctx, job_id: str) -> Job:
    job = ctx.state.jobs.get(job_id)
    if job is None:
        raise errors.not_found("JOB", job_id, f"Job {job_id} not found")
    return job


@operation("DescribeJobs")
def describe_jobs(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    filters = p.get("filters") or {}
    wanted = set(filters.get("jobIDs") or [])
    lo = parse_iso(filters["fromDate"]) if filters.get("fromDate") else None
    hi = parse_iso(filters["toDate"]) if filters.get("toDate") else None
    items = [
        j
        for j in ctx.state.jobs.values()
        if (not wanted or j.job_id in wanted)
        and (lo is None or j.created_at >= lo)
        and (hi is None or j.created_at <= hi)
    ]
    page, token = paginate(items, p, "DescribeJobs", ctx.account, ctx.region)
    runs = functools.partial(launch_actions_status, ctx)
    return {"items": [job_view(j, runs) for j in page], "nextToken": token}


@operation("DescribeJobLogItems")
def describe_job_log_items(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    job = _job(ctx, p["jobID"])
    page, token = paginate(job.log, p, "DescribeJobLogItems", ctx.account, ctx.region)
    return {"items": [log_view(e) for e in page], "nextToken": token}


@operation("DeleteJob")
def delete_job(ctx: Ctx, p: dict[str, Any]) -> None:
    job = _job(ctx, p["jobID"])
    if job.active:
        raise errors.conflict("JOB", job.job_id, f"Job {job.job_id} is {job.status} and cannot be deleted")
    del ctx.state.jobs[job.job_id]
    return None


# ----------------------------------------------------------------------------- recovery instances


def _ensure_instance_not_busy(ctx: Ctx, ri: RecoveryInstance) -> None:
    if ri.instance_id in ctx.state.busy_instance_ids() or ri.source_server_id in ctx.state.busy_server_ids():
        raise errors.conflict(
            "RECOVERY_INSTANCE",
            ri.instance_id,
            f"Recovery instance {ri.instance_id} is part of an active job",
        )


@operation("DescribeRecoveryInstances")
def describe_recovery_instances(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    filters = p.get("filters") or {}
    wanted = set(filters.get("recoveryInstanceIDs") or [])
    sources = set(filters.get("sourceServerIDs") or [])
    items = [
        ri
        for ri in ctx.state.recovery_instances.values()
        if (not wanted or ri.instance_id in wanted) and (not sources or ri.source_server_id in sources)
    ]
    page, token = paginate(items, p, "DescribeRecoveryInstances", ctx.account, ctx.region)
    ec2 = ctx.emulator.ec2
    return {
        "items": [
            recovery_instance_view(ri, ec2.describe(ri.account, ri.region, ri.instance_id), ctx.now)
            for ri in page
        ],
        "nextToken": token,
    }


@operation("TerminateRecoveryInstances")
def terminate_recovery_instances(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    instance_ids = p["recoveryInstanceIDs"]
    _unique(instance_ids, "recoveryInstanceIDs")
    instances = [ctx.recovery_instance(i) for i in instance_ids]
    for ri in instances:
        _ensure_instance_not_busy(ctx, ri)
    _check_job_quotas(ctx, len(instances))
    job = ctx.emulator.lifecycle.create_terminate_job(ctx.state, instances, ctx.now)
    return {"job": job_view(job)}


@operation("DisconnectRecoveryInstance")
def disconnect_recovery_instance(ctx: Ctx, p: dict[str, Any]) -> None:
    ri = ctx.recovery_instance(p["recoveryInstanceID"])
    _ensure_instance_not_busy(ctx, ri)
    ri.disconnected = True
    ri.failback_transitions = []
    if ri.failback_state in ("FAILBACK_IN_PROGRESS", "FAILBACK_READY_FOR_LAUNCH"):
        ri.failback_state = "FAILBACK_NOT_STARTED"
    return None


@operation("DeleteRecoveryInstance")
def delete_recovery_instance(ctx: Ctx, p: dict[str, Any]) -> None:
    ri = ctx.recovery_instance(p["recoveryInstanceID"])
    _ensure_instance_not_busy(ctx, ri)
    if not ri.disconnected:
        raise errors.conflict(
            "RECOVERY_INSTANCE",
            ri.instance_id,
            "A recovery instance must be disconnected before it is deleted",
        )
    del ctx.state.recovery_instances[ri.instance_id]
    server = ctx.state.servers.get(ri.source_server_id)
    if server is not None and server.recovery_instance_id == ri.instance_id:
        server.recovery_instance_id = None
    return None


# ----------------------------------------------------------------------------- failback


@operation("ReverseReplication")
def reverse_replication(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    """Start replicating a recovery instance back to its origin.

    Only for recovery instances whose source server is an EC2 instance (``sourceCloudProperties``
    set, originEnvironment AWS): a reversed-direction source server (replicationDirection FAILBACK)
    is created in the origin account and region. On-premises origins fail back with the Failback
    Client instead (``Emulator.connect_failback_client``); for them this answers ValidationException.
    """
    ri = ctx.recovery_instance(p["recoveryInstanceID"])
    _ensure_instance_not_busy(ctx, ri)
    if ri.is_drill:
        raise errors.conflict(
            "RECOVERY_INSTANCE", ri.instance_id, "Reverse replication is not possible for a drill"
        )
    if ri.disconnected:
        raise errors.conflict("RECOVERY_INSTANCE", ri.instance_id, "The recovery instance is disconnected")
    if ri.failback_state in ("FAILBACK_IN_PROGRESS", "FAILBACK_READY_FOR_LAUNCH"):
        raise errors.conflict("RECOVERY_INSTANCE", ri.instance_id, f"Failback is already {ri.failback_state}")
    source = ctx.server(ri.source_server_id)
    if not source.source_cloud:
        raise errors.validation(
            "Reverse replication requires a source server whose origin is an EC2 instance (originEnvironment AWS)",
            reason="other",
        )
    origin_account = source.source_cloud.get("originAccountID", ctx.account)
    origin_region = source.source_cloud.get("originRegion", ctx.region)
    origin = ctx.emulator.store.get(origin_account, origin_region)
    if not origin.initialized:
        raise errors.uninitialized(origin_account, origin_region)
    reversed_id = ids.derive("s-", "reversed", origin_account, origin_region, ri.instance_id)
    reversed_server = origin.servers.get(reversed_id)
    if reversed_server is None:
        reversed_server = derive_server(source, origin_account, origin_region, reversed_id, ctx.now)
        reversed_server.source_cloud = {
            "originAccountID": ctx.account,
            "originRegion": ctx.region,
            "originAvailabilityZone": f"{ctx.region}a",
        }
        reversed_server.aws_instance_id = ri.instance_id
        reversed_server.replication_direction = "FAILBACK"
        reversed_server.reversed_direction_arn = source.arn
        reversed_server.healthy_since = None
        reversed_server.healthy_until = None
        reversed_server.first_byte_at = None
        origin.servers[reversed_id] = reversed_server
        ctx.emulator.ec2.ensure_launch_template(reversed_server)
    replication.set_replication_state(reversed_server, "INITIATING", ctx.now)
    reversed_server.transitions = [
        (ctx.now + ctx.emulator.timings.initiating_seconds, "INITIAL_SYNC"),
        (
            ctx.now + ctx.emulator.timings.initiating_seconds + ctx.emulator.timings.reverse_sync_seconds,
            "CONTINUOUS",
        ),
    ]
    source.reversed_direction_arn = reversed_server.arn
    ri.reversed_server_arn = reversed_server.arn
    ctx.emulator.lifecycle.start_failback_sync(ri, ctx.now)
    return {"reversedDirectionSourceServerArn": reversed_server.arn}


@operation("StartFailbackLaunch")
def start_failback_launch(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    """Fail back to the origin; the job's participants are the recovery instances' source servers and
    no new EC2 instance is run (the origin is outside the emulated AWS account)."""
    instance_ids = p["recoveryInstanceIDs"]
    _unique(instance_ids, "recoveryInstanceIDs")
    instances = [ctx.recovery_instance(i) for i in instance_ids]
    for ri in instances:
        _ensure_instance_not_busy(ctx, ri)
        if ri.failback_state != "FAILBACK_READY_FOR_LAUNCH":
            raise errors.conflict(
                "RECOVERY_INSTANCE",
                ri.instance_id,
                f"Recovery instance {ri.instance_id} is not ready for failback (state {ri.failback_state})",
            )
    _check_job_quotas(ctx, len(instances))
    job = ctx.emulator.lifecycle.create_failback_job(ctx.state, instances, p.get("tags") or {}, ctx.now)
    return {"job": job_view(job)}


@operation("StopFailback")
def stop_failback(ctx: Ctx, p: dict[str, Any]) -> None:
    ri = ctx.recovery_instance(p["recoveryInstanceID"])
    _ensure_instance_not_busy(ctx, ri)
    ri.failback_state = "FAILBACK_NOT_STARTED"
    ri.failback_replication_state = "NOT_STARTED"
    ri.failback_transitions = []
    if ri.reversed_server_arn:
        parsed = ids.parse_arn(ri.reversed_server_arn)
        if parsed is not None:
            origin = ctx.emulator.store.regions.get((parsed[1], parsed[0]))
            reversed_server = origin.servers.get(parsed[3]) if origin else None
            if reversed_server is not None and reversed_server.replication_state not in (
                "STOPPED",
                "DISCONNECTED",
            ):
                replication.set_replication_state(reversed_server, "STOPPED", ctx.now)
    return None


@operation("GetFailbackReplicationConfiguration")
def get_failback_replication_configuration(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    ri = ctx.recovery_instance(p["recoveryInstanceID"])
    return {"recoveryInstanceID": ri.instance_id, **ri.failback_config}


@operation("UpdateFailbackReplicationConfiguration")
def update_failback_replication_configuration(ctx: Ctx, p: dict[str, Any]) -> None:
    ri = ctx.recovery_instance(p["recoveryInstanceID"])
    for key in ("name", "bandwidthThrottling", "usePrivateIP", "internetProtocol"):
        if key in p:
            ri.failback_config[key] = p[key]
    return None
