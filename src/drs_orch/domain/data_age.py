"""How old the data of a drill or recovery is, and whether a source server can launch at all.

DRS launches "with the most recent data" by taking a new point-in-time (PIT) snapshot when
replication is healthy. Once the initial sync has completed, a lagging or STALLED server still
launches, from its last PIT snapshot, with old data (DRS User Guide, "Performing a failover"); only a
server that never completed its initial sync, or whose snapshots are gone (replication STOPPED, or
DISCONNECTED: the replication resources are deleted), cannot launch. So a stalled server is not a
failure to predict but a risk to show: the age of the data it would launch with.

- :func:`data_age_seconds`: the age of a launch's data, from the recovery instance's
  ``pointInTimeSnapshotDateTime`` and the moment the launch was requested (the DRS job's
  ``creationDateTime``); a snapshot taken for the launch itself is 0 seconds old.
- :func:`launch_readiness`: for one ``DescribeSourceServers`` item, whether it can launch, where
  its data would come from and (best estimate) how old it would be. Pure: the caller passes the
  latest recovery snapshot time (``DescribeRecoverySnapshots``) and ``now`` when it has them,
  otherwise the estimate is the replication lag.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import TypeAdapter, ValidationError

# replication states in which DRS takes a new snapshot at launch
HEALTHY_STATES = frozenset({"CONTINUOUS", "BACKLOG", "CREATING_SNAPSHOT", "RESCAN"})
# replication states that take no new snapshot but keep the ones they have
FROZEN_STATES = frozenset({"STALLED", "PAUSED"})
SYNCING_STATES = frozenset({"INITIATING", "INITIAL_SYNC"})

_DURATION: TypeAdapter[timedelta] = TypeAdapter(timedelta)


class DataSource(StrEnum):
    NEW_SNAPSHOT = "NEW_SNAPSHOT"  # healthy replication: a snapshot is taken at launch
    LAST_SNAPSHOT = "LAST_SNAPSHOT"  # stalled/paused (or re-syncing) after the initial sync
    NONE = "NONE"  # cannot launch


@dataclass(frozen=True)
class LaunchReadiness:
    can_launch: bool
    data_source: DataSource
    replication_state: str | None
    data_age_seconds: float | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"canLaunch": self.can_launch, "dataSource": self.data_source.value,
                               "replicationState": self.replication_state}
        if self.data_age_seconds is not None:
            out["dataAgeSeconds"] = self.data_age_seconds
        if self.reason:
            out["reason"] = self.reason
        return out


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 string (``Z`` or an offset) or a datetime; None when absent or unreadable."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def parse_duration(value: Any) -> float | None:
    """An ISO-8601 duration (DRS ``lagDuration``, e.g. ``PT1H2M``) in seconds; None if absent/invalid."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return _DURATION.validate_python(value).total_seconds()
    except ValidationError:
        return None


def data_age_seconds(point_in_time: Any, requested_at: Any) -> float | None:
    """Seconds between the data's point in time and the launch request (never negative)."""
    pit, requested = parse_time(point_in_time), parse_time(requested_at)
    if pit is None or requested is None:
        return None
    return round(max(0.0, (requested - pit).total_seconds()), 3)


def _initial_sync_completed(server: Mapping[str, Any]) -> bool:
    info = server.get("dataReplicationInfo") or {}
    disks = info.get("replicatedDisks") or []
    if not disks:
        return False
    return all(int(d.get("replicatedStorageBytes") or 0) >= int(d.get("totalStorageBytes") or 0) > 0
               for d in disks)


def launch_readiness(server: Mapping[str, Any], *, latest_snapshot_at: Any = None,
                     now: Any = None) -> LaunchReadiness:
    """Whether the DRS source server ``server`` (a DescribeSourceServers item) can launch now, where
    its data would come from, and how old that data would be.

    ``now`` given means the caller looked at the server's recovery snapshots: ``latest_snapshot_at``
    is the newest one's ``timestamp`` (None: there is none, so only a healthy server can launch) and
    the age is exact. Without ``now`` the age is estimated by the replication lag (``lagDuration``,
    which DRS keeps growing while a server is stalled) and the initial sync counts as complete when
    every disk is replicated."""
    info = server.get("dataReplicationInfo") or {}
    state = info.get("dataReplicationState")
    lag = parse_duration(info.get("lagDuration"))
    if state in HEALTHY_STATES:
        return LaunchReadiness(True, DataSource.NEW_SNAPSHOT, state, lag if lag is not None else 0.0)
    if state == "STOPPED":
        return LaunchReadiness(False, DataSource.NONE, state, reason="replication is STOPPED: no snapshots")
    current = parse_time(now)
    if current is not None:
        latest = parse_time(latest_snapshot_at)
        if latest is None:
            return LaunchReadiness(False, DataSource.NONE, state,
                                   reason=f"no point-in-time snapshot to launch from ({state})")
        return LaunchReadiness(True, DataSource.LAST_SNAPSHOT, state,
                               round(max(0.0, (current - latest).total_seconds()), 3))
    if state == "DISCONNECTED":
        return LaunchReadiness(False, DataSource.NONE, state,
                               reason="the source server is DISCONNECTED: its snapshots are deleted")
    if state in FROZEN_STATES or state in SYNCING_STATES:
        if not _initial_sync_completed(server):
            return LaunchReadiness(False, DataSource.NONE, state,
                                   reason=f"the initial sync has not completed ({state})")
        return LaunchReadiness(True, DataSource.LAST_SNAPSHOT, state, lag)
    return LaunchReadiness(False, DataSource.NONE, state, reason=f"replication state {state} cannot launch")
