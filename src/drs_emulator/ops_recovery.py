"""Recovery: StartRecovery, jobs and their logs, recovery instances, reverse replication, failback.

Quotas (ServiceQuotaExceededException, 402), per account-region (:attr:`Ctx.quotas`): more than
``max_servers_per_job`` servers in one request (MaxServersPerJob), more than ``max_active_jobs``
PENDING/STARTED jobs (MaxActiveJobs), more than ``max_servers_in_active_jobs`` servers across active
jobs (MaxServersInActiveJobs); the 4,000 source servers (MaxSourceServers) are checked where a source
server is created. The documentation does not name the ``quotaCode`` values: these names are the
emulator's (``Conventions.quota_codes``, configurable in the fleet file). A server or recovery
instance already in an active job is a ConflictException (409) by default: the documentation does
not say which error DRS gives (``Conventions.busy_error``). Unknown ids are ResourceNotFoundException (404).

DescribeJobs lists the newest job first (as the DRS console and API do).
"""

from __future__ import annotations

import functools
from typing import Any

from . import errors, ids, replication, snapshots
from .ops_launch_actions import launch_actions_status
from .ops_servers import check_source_server_quota, derive_server
from .pagination import paginate
from .registry import Ctx, operation
from .state import Job, RecoveryInstance, SourceServer
from .views import job_view, log_view, recovery_instance_view
from .wire import parse_iso


def _check_job_quotas(ctx: Ctx, new_servers: int) -> None:
    quotas = ctx.quotas
    if new_servers > quotas.max_servers_per_job:
        raise ctx.quota_exceeded(
            "max_servers_per_job",
            "JOB",
            f"A job can include at most {quotas.max_servers_per_job} source servers",
        )
    active = ctx.state.active_jobs()
    if len(active) + 1 > quotas.max_active_jobs:
        raise ctx.quota_exceeded(
            "max_active_jobs", "JOB", f"At most {quotas.max_active_jobs} jobs can be active at the same time"
        )
    in_jobs = sum(len(j.participants) for j in active)
    if in_jobs + new_servers > quotas.max_servers_in_active_jobs:
        raise ctx.quota_exceeded(
            "max_servers_in_active_jobs",
            "JOB",
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
    if len(server_ids) > ctx.quotas.max_servers_per_job:
        _check_job_quotas(ctx, len(server_ids))
    servers = [ctx.server(sid) for sid in server_ids]
    chosen: dict[str, dict[str, Any]] = {}
    for entry, server in zip(entries, servers, strict=True):
        snapshot_id = entry.get("recoverySnapshotID")
        if snapshot_id:
            snap = snapshots.find_snapshot(server, snapshot_id, ctx.now)
            if snap is None:
                raise errors.not_found(
                    "RECOVERY_SNAPSHOT",
                    snapshot_id,
                    f"Recovery snapshot {snapshot_id} of {server.server_id} not found",
                )
            chosen[server.server_id] = snap
    for server in servers:
        ctx.ensure_not_busy(server.server_id)
    _check_job_quotas(ctx, len(servers))
    job = ctx.emulator.lifecycle.create_launch_job(
        ctx.state, servers, chosen, bool(p.get("isDrill", False)), p.get("tags") or {}, ctx.now
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
    # newest first; the job id breaks ties between jobs created at the same emulated instant
    order = {job_id: i for i, job_id in enumerate(ctx.state.jobs)}
    items.sort(key=lambda j: (j.created_at, order[j.job_id]), reverse=True)
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
        raise ctx.busy(
            "RECOVERY_INSTANCE",
            ri.instance_id,
            f"Recovery instance {ri.instance_id} is part of an active job",
        )


def _reversed_server(ctx: Ctx, ri: RecoveryInstance) -> SourceServer | None:
    if not ri.reversed_server_arn:
        return None
    parsed = ids.parse_arn(ri.reversed_server_arn)
    if parsed is None:
        return None
    origin = ctx.emulator.store.regions.get((parsed[1], parsed[0]))
    return origin.servers.get(parsed[3]) if origin else None


def _ensure_not_reversed(ctx: Ctx, ri: RecoveryInstance, action: str) -> None:
    """A recovery instance whose replication is reversed cannot be terminated or disconnected until
    the reversed source server's replication is stopped (User Guide, failback: stop the reversed
    replication, StopReplication of the reversed source server or StopFailback, before cleaning up)."""
    reversed_server = _reversed_server(ctx, ri)
    if reversed_server is not None and reversed_server.replication_state not in ("STOPPED", "DISCONNECTED"):
        raise errors.conflict(
            "RECOVERY_INSTANCE",
            ri.instance_id,
            f"Cannot {action} recovery instance {ri.instance_id}: its replication is reversed to "
            f"{reversed_server.arn} ({reversed_server.replication_state}); stop that replication first",
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
        _ensure_not_reversed(ctx, ri, "terminate")
    _check_job_quotas(ctx, len(instances))
    job = ctx.emulator.lifecycle.create_terminate_job(ctx.state, instances, ctx.now)
    return {"job": job_view(job)}


@operation("DisconnectRecoveryInstance")
def disconnect_recovery_instance(ctx: Ctx, p: dict[str, Any]) -> None:
    ri = ctx.recovery_instance(p["recoveryInstanceID"])
    _ensure_instance_not_busy(ctx, ri)
    _ensure_not_reversed(ctx, ri, "disconnect")
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
    """Start replicating a recovery instance back to its origin (API Reference ``ReverseReplication``:
    only for protected instances that originated in EC2).

    A reversed-direction source server (replicationDirection FAILBACK) is created in the origin
    account and region; the in-AWS failback is then a drill or recovery launched from it there
    (StartRecovery in the origin Region), not StartFailbackLaunch, which is the Failback Client path.
    When a launch configuration template of the origin Region has ``launchIntoSourceInstance``, the
    reversed server launches into the original instance, whose prerequisites are checked here as
    DRS documents (User Guide, "Launch into source instance": tag ``AWSDRS=
    AllowLaunchingIntoThisInstance``, transfer server tags and copy private IP off), refused with a
    ValidationException. On-premises origins fail back with the Failback Client instead
    (``Emulator.connect_failback_client``); for them this answers ValidationException.
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
    launch_into = _launch_into_source_instance(ctx, origin, source)
    reversed_id = ids.derive("s-", "reversed", origin_account, origin_region, ri.instance_id)
    reversed_server = origin.servers.get(reversed_id)
    if reversed_server is None:
        check_source_server_quota(ctx.emulator, origin)
        reversed_server = derive_server(source, origin_account, origin_region, reversed_id, ctx.now)
        reversed_server.source_cloud = {
            "originAccountID": ctx.account,
            "originRegion": ctx.region,
            "originAvailabilityZone": f"{ctx.region}a",
        }
        reversed_server.aws_instance_id = ri.instance_id
        reversed_server.replication_direction = "FAILBACK"
        reversed_server.reversed_direction_arn = source.arn
        reversed_server.pit_windows = []
        reversed_server.first_byte_at = None
        origin.servers[reversed_id] = reversed_server
        ctx.emulator.ec2.ensure_launch_template(reversed_server)
    if launch_into:
        reversed_server.launch_config.update(
            {"launchIntoInstanceProperties": {"launchIntoEC2InstanceID": launch_into},
             "copyTags": False, "copyPrivateIp": False}
        )
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


def _launch_into_source_instance(ctx: Ctx, origin: Any, source: SourceServer) -> str | None:
    """The original instance the reversed server launches into, when an origin-Region launch
    configuration template sets ``launchIntoSourceInstance``; its prerequisites are checked."""
    template = next(
        (t for t in origin.templates.values() if t.settings.get("launchIntoSourceInstance")), None
    )
    if template is None or not source.aws_instance_id:
        return None
    problems = []
    if template.settings.get("copyTags") or template.settings.get("copyPrivateIp"):
        problems.append("transfer server tags (copyTags) and copy private IP must be off in the template")
    tags = ctx.emulator.ec2.instance_tags(origin.account, origin.region, source.aws_instance_id)
    if tags is None:
        problems.append(f"the source instance {source.aws_instance_id} does not exist")
    elif tags.get("AWSDRS") != "AllowLaunchingIntoThisInstance":
        problems.append(
            f"the source instance {source.aws_instance_id} must carry the tag AWSDRS=AllowLaunchingIntoThisInstance"
        )
    if problems:
        raise errors.validation(
            f"Launch into source instance ({template.template_id}): " + "; ".join(problems), reason="other"
        )
    return source.aws_instance_id


@operation("StartFailbackLaunch")
def start_failback_launch(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    """Fail back to the origin through the Failback Client (User Guide, "Performing a failback with
    the Elastic Disaster Recovery Failback Client"); the job's participants are the recovery
    instances' source servers and no new EC2 instance is run (the origin is outside AWS).

    A recovery instance whose origin is EC2 fails back in AWS by launching its reversed source server
    in the origin Region (see ReverseReplication); StartFailbackLaunch refuses it with a
    ValidationException (reason ``other``): the documentation does not name the error type.
    """
    instance_ids = p["recoveryInstanceIDs"]
    _unique(instance_ids, "recoveryInstanceIDs")
    instances = [ctx.recovery_instance(i) for i in instance_ids]
    for ri in instances:
        _ensure_instance_not_busy(ctx, ri)
        if ri.origin_environment == "AWS":
            where = f" from {ri.reversed_server_arn}" if ri.reversed_server_arn else " (ReverseReplication first)"
            raise errors.validation(
                f"Recovery instance {ri.instance_id} originated in EC2: fail it back by launching a "
                f"recovery of its reversed source server in the origin Region{where}, not with "
                "StartFailbackLaunch (the Failback Client path)",
                reason="other",
            )
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
