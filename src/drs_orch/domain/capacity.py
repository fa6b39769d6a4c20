"""DRS capacity of one account and region against the service quotas, with the OK / WARNING /
CRITICAL ladder of :func:`drs_orch.domain.limits.capacity_status`.

What is counted (from DescribeSourceServers, DescribeJobs and DescribeRecoveryInstances):

- ``replicatingServers``: source servers whose replication state is anything but STOPPED (a
  STALLED, PAUSED or DISCONNECTED server still holds its replication resources) - limit 300;
- ``activeJobs``: jobs in PENDING or STARTED, of any type - limit 20;
- ``serversInActiveJobs``: participating servers summed over the active jobs - limit 500;
- ``recoveryInstances``: recovery instances (drill and recovery) - limit 4,000.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from drs_orch.domain.data_age import parse_time
from drs_orch.domain.limits import (
    MAX_CONCURRENT_JOBS,
    MAX_RECOVERY_INSTANCES,
    MAX_REPLICATING_SERVERS,
    MAX_SERVERS_IN_ACTIVE_JOBS,
    MAX_SERVERS_PER_JOB,
    CapacityStatus,
    capacity_status,
)

NOT_REPLICATING = frozenset({"STOPPED"})
ACTIVE_JOB_STATUSES = frozenset({"PENDING", "STARTED"})

LIMITS: Mapping[str, int] = {
    "replicatingServers": MAX_REPLICATING_SERVERS,
    "activeJobs": MAX_CONCURRENT_JOBS,
    "serversInActiveJobs": MAX_SERVERS_IN_ACTIVE_JOBS,
    "recoveryInstances": MAX_RECOVERY_INSTANCES,
}

_SEVERITY = {CapacityStatus.OK: 0, CapacityStatus.WARNING: 1, CapacityStatus.CRITICAL: 2}


@dataclass(frozen=True)
class RegionUsage:
    source_servers: int
    replicating_servers: int
    active_jobs: int
    servers_in_active_jobs: int
    recovery_instances: int

    def as_dict(self) -> dict[str, int]:
        return {
            "sourceServers": self.source_servers,
            "replicatingServers": self.replicating_servers,
            "activeJobs": self.active_jobs,
            "serversInActiveJobs": self.servers_in_active_jobs,
            "recoveryInstances": self.recovery_instances,
        }


def is_replicating(server: Mapping[str, Any]) -> bool:
    state = (server.get("dataReplicationInfo") or {}).get("dataReplicationState")
    return state is not None and state not in NOT_REPLICATING


def is_active_job(job: Mapping[str, Any]) -> bool:
    return job.get("status") in ACTIVE_JOB_STATUSES


def usage_from(
    servers: Iterable[Mapping[str, Any]],
    jobs: Iterable[Mapping[str, Any]],
    recovery_instances: Iterable[Mapping[str, Any]],
) -> RegionUsage:
    server_list = list(servers)
    active = [j for j in jobs if is_active_job(j)]
    return RegionUsage(
        source_servers=len(server_list),
        replicating_servers=sum(1 for s in server_list if is_replicating(s)),
        active_jobs=len(active),
        servers_in_active_jobs=sum(len(j.get("participatingServers") or []) for j in active),
        recovery_instances=sum(1 for _ in recovery_instances),
    )


def worst(statuses: Iterable[CapacityStatus]) -> CapacityStatus:
    result = CapacityStatus.OK
    for status in statuses:
        if _SEVERITY[status] > _SEVERITY[result]:
            result = status
    return result


def metric(name: str, used: int, limit: int) -> dict[str, Any]:
    return {
        "metric": name,
        "used": used,
        "limit": limit,
        "available": max(limit - used, 0),
        "percentUsed": round(used * 100 / limit, 1),
        "status": capacity_status(used, limit).value,
    }


def capacity_report(usage: RegionUsage) -> dict[str, Any]:
    """Usage, limits and the status of every metric; ``status`` is the worst of them."""
    values = usage.as_dict()
    metrics = [metric(name, values[name], limit) for name, limit in LIMITS.items()]
    return {
        "status": worst(CapacityStatus(m["status"]) for m in metrics).value,
        "currentUsage": values,
        "limits": {**LIMITS, "serversPerJob": MAX_SERVERS_PER_JOB},
        "metrics": metrics,
    }


def combined_replication(usages: Iterable[RegionUsage], account_regions: int) -> dict[str, Any]:
    """Replicating servers of a target account and its staging accounts together, against the
    300-per-account-and-region quota of every account-region that answered."""
    total = sum(u.replicating_servers for u in usages)
    limit = MAX_REPLICATING_SERVERS * account_regions
    if account_regions == 0:
        return {"replicatingServers": total, "maxReplicatingServers": 0, "percentUsed": None, "status": None}
    return {
        "replicatingServers": total,
        "maxReplicatingServers": limit,
        "percentUsed": round(total * 100 / limit, 1),
        "status": capacity_status(total, limit).value,
    }


# A job created while a listing was being paged can be missing from it although an older one is
# listed: a listing's new start date is moved back by this much (DRS time), so such a job is read
# by the next one.
LISTING_MARGIN = timedelta(minutes=5)


def listing_start(jobs: Iterable[Mapping[str, Any]], since: str | None) -> str | None:
    """Where the next listing of a scope's jobs may start (DescribeJobs ``fromDate``) without
    leaving out a job that is or may become active, after ``jobs``: a complete listing of the jobs
    created at or after ``since`` (``None``: all of them).

    A COMPLETED job never runs again, so every job created before the oldest job still active (or,
    with none active, before the newest one listed) is COMPLETED and need not be read again; less
    :data:`LISTING_MARGIN`, and never before ``since``. A job whose status or creation date cannot be
    read keeps the start where it was. Returns ``None`` when nothing may be left out (no listing
    yet, or nothing to go by)."""
    created: list[tuple[datetime, bool]] = []
    for job in jobs:
        moment = parse_time(job.get("creationDateTime"))
        status = job.get("status")
        if moment is None or status not in (*ACTIVE_JOB_STATUSES, "COMPLETED"):
            return since
        created.append((moment, status != "COMPLETED"))
    if not created:
        return since
    active = [moment for moment, is_active in created if is_active]
    mark = (min(active) if active else max(moment for moment, _ in created)) - LISTING_MARGIN
    previous = parse_time(since) if since else None
    if previous is not None and previous >= mark:
        return since
    return mark.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
