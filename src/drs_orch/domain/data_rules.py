"""Rules of the data-management area that the shared domain modules do not hold: DRS regions,
size limits that follow from one-transaction writes, replication health, the tag-sync diff and
the tag-sync schedule.

Size limits. A protection-group write that fits is one DynamoDB transaction (at most 100 items)
holding the group, its name guard and one guard per server it claims; that is what makes "one group
per server" and unique names atomic. A larger one is a saga (``adapters/dynamodb_saga.py``): the
guards in chunks under an intent record, the group item with the last chunk, rolled back by whoever
finds it unfinished. A group holds at most :data:`MAX_SERVERS_PER_GROUP` servers: what grows with
its servers besides their ids, the per-server launch-settings status, is kept in items of its own
(``adapters/dynamodb_launch.py``), so the group item stays well under DynamoDB's 400 KB (3,000 ids
are about 70 KB; per-server overrides are on the item too, so a group that overrides every one of
3,000 servers must keep each override small). A plan write holds the plan, its name guards and two items per protection group it starts
to reference (a check that the group exists and the reference that blocks the group's deletion);
more than one transaction holds (from 50 new groups) is the same saga, so a plan may use
:data:`MAX_GROUPS_PER_PLAN` groups (a plan of 200 groups is a few KB; its executions are bounded by
the DRS quotas, not by this). A wave with several groups may exceed 100 servers and is then
launched as several DRS jobs; the number of waves is bounded by ``input_rules.MAX_WAVES_PER_PLAN``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.paging import parse_limit

MAX_TRANSACTION_ITEMS = 100
MAX_SERVERS_PER_GROUP = 3000
MAX_GROUPS_PER_PLAN = 200
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100

# The regions in which AWS Elastic Disaster Recovery is offered (botocore's endpoint data for "drs").
DRS_REGIONS: frozenset[str] = frozenset(
    {
        "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
        "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
        "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1",
        "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
        "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1",
        "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
        "us-gov-east-1", "us-gov-west-1",
    }
)


def check_drs_region(region: str, field: str = "region") -> str:
    if region not in DRS_REGIONS:
        raise ValidationFailed(
            f"{region!r} is not a region where AWS Elastic Disaster Recovery is available",
            code="INVALID_REGION",
            details=[{"field": field, "message": "not a DRS region"}],
        )
    return region


def page_size(raw: str | int | None) -> int:
    """``limit`` of the data listings: 1..100, default 50."""
    return parse_limit(raw, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


# Replication health -------------------------------------------------------------------------------

UNHEALTHY_REPLICATION = frozenset({"STOPPED", "PAUSED", "STALLED", "DISCONNECTED", "INITIATING", "INITIAL_SYNC"})
UNHEALTHY_LIFECYCLE = frozenset({"STOPPED", "DISCONNECTED", "NOT_READY", "DISCOVERED", "PENDING_INSTALLATION"})


def replication_problem(server: Mapping[str, Any]) -> str | None:
    """Why a DRS source server (DescribeSourceServers item) cannot be launched from a current
    replica, or None when its replication is healthy."""
    replication = str((server.get("dataReplicationInfo") or {}).get("dataReplicationState") or "")
    lifecycle = str((server.get("lifeCycle") or {}).get("state") or "")
    if replication in UNHEALTHY_REPLICATION:
        return f"replication is {replication}"
    if lifecycle in UNHEALTHY_LIFECYCLE:
        return f"life cycle state is {lifecycle}"
    return None


# Tag sync ----------------------------------------------------------------------------------------


def is_syncable_tag(key: str) -> bool:
    """EC2 tags copied onto DRS source servers: everything but the reserved ``aws:`` namespace."""
    return not key.lower().startswith("aws:")


@dataclass(frozen=True)
class TagDiff:
    to_set: dict[str, str]
    to_remove: list[str]
    synced_keys: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.to_set or self.to_remove)


def tag_sync_diff(
    instance_tags: Mapping[str, str],
    server_tags: Mapping[str, str],
    previously_synced: frozenset[str] | set[str],
) -> TagDiff:
    """What one server needs so that its DRS tags carry the instance's tags.

    Tags the instance has (except ``aws:*``) are set where the server's value differs; keys that
    an earlier sync set and the instance no longer has are removed; tags set on the server by
    anyone else are left alone. ``synced_keys`` is what to remember for the next run.
    """
    desired = {k: v for k, v in instance_tags.items() if is_syncable_tag(k)}
    to_set = {k: v for k, v in desired.items() if server_tags.get(k) != v}
    to_remove = sorted(k for k in previously_synced if k not in desired and k in server_tags)
    return TagDiff(to_set=to_set, to_remove=to_remove, synced_keys=sorted(desired))


MIN_SYNC_HOURS = 1
MAX_SYNC_HOURS = 24
_RATE = re.compile(r"^rate\((\d+) (hour|hours)\)$")


def schedule_expression(hours: int) -> str:
    if not MIN_SYNC_HOURS <= hours <= MAX_SYNC_HOURS:
        raise ValidationFailed(
            f"intervalHours must be between {MIN_SYNC_HOURS} and {MAX_SYNC_HOURS}",
            code="VALIDATION_ERROR",
            details=[{"field": "intervalHours", "message": f"must be {MIN_SYNC_HOURS}..{MAX_SYNC_HOURS}"}],
        )
    return f"rate({hours} hour)" if hours == 1 else f"rate({hours} hours)"


def interval_hours(expression: str | None) -> int | None:
    """Hours of a ``rate(N hour[s])`` expression; None for anything else."""
    match = _RATE.match((expression or "").strip())
    return int(match.group(1)) if match else None
