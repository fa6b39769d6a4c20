"""A consistent point in time for a wave: the data of every server of the wave from (about) the same
moment, so that an application tier comes up coherent (a database and its application server
recovered from snapshots minutes apart can disagree).

DRS keeps point-in-time (PIT) recovery snapshots per source server (``DescribeRecoverySnapshots``)
and ``StartRecovery`` takes a ``recoverySnapshotID`` per server. Snapshots of different servers are
not taken at the same instant, so "the same moment" means within a tolerance:

:func:`consistent_point` picks the latest instant ``T`` such that every server has a snapshot taken
at or before ``T`` and no more than ``tolerance`` before it, and for each server its latest
snapshot at or before ``T``. The wave's *spread* is the time between the oldest and the newest
chosen snapshot. A server without snapshots, or servers whose snapshots never come within the
tolerance of each other, leave no consistent point: the wave must not launch from a mix.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_TOLERANCE_SECONDS = 600
MAX_TOLERANCE_SECONDS = 7 * 86400


@dataclass(frozen=True, order=True)
class PitSnapshot:
    at: datetime
    snapshot_id: str


@dataclass(frozen=True)
class ConsistentPoint:
    at: datetime  # the newest chosen snapshot: the wave's data time
    chosen: dict[str, PitSnapshot]  # server id -> the snapshot it launches from

    @property
    def spread_seconds(self) -> float:
        times = [s.at for s in self.chosen.values()]
        return (max(times) - min(times)).total_seconds() if times else 0.0


@dataclass(frozen=True)
class NoConsistentPoint:
    reason: str
    without_snapshots: tuple[str, ...] = ()


def _latest_common_instant(ordered: Mapping[str, Sequence[PitSnapshot]], tolerance: timedelta) -> datetime | None:
    """The latest instant T at which every server has a snapshot in [T - tolerance, T].

    For one server, T qualifies when it lies in some [s, s + tolerance] of its snapshots s; T must
    lie in such an interval of every server. Sweeping the intervals' ends from the latest down, the
    first instant covered by one interval of every server is the answer: O(M log M) in the number
    of snapshots, however far apart the servers' snapshots are."""
    events: list[tuple[datetime, int]] = []  # (instant, +1 entering from above at an end / -1 leaving at a start)
    for snaps in ordered.values():
        merged: list[list[datetime]] = []
        for snap in snaps:  # sorted: merge overlapping intervals, so each server counts once
            if merged and snap.at <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], snap.at + tolerance)
            else:
                merged.append([snap.at, snap.at + tolerance])
        for start, end in merged:
            events += [(end, 1), (start, -1)]
    covered = 0
    # latest first; at the same instant, entering before leaving (the intervals are closed)
    for instant, change in sorted(events, key=lambda e: (e[0], e[1]), reverse=True):
        covered += change
        if change == 1 and covered == len(ordered):
            return instant
    return None


def consistent_point(snapshots: Mapping[str, Sequence[PitSnapshot]],
                     tolerance_seconds: float) -> ConsistentPoint | NoConsistentPoint:
    """The latest consistent point of ``snapshots`` (server id -> its snapshots, any order)."""
    ordered = {server: sorted(snaps) for server, snaps in snapshots.items()}
    missing = tuple(sorted(s for s, snaps in ordered.items() if not snaps))
    if missing:
        return NoConsistentPoint(f"{len(missing)} server(s) have no point-in-time snapshot: "
                                 + ", ".join(missing[:10]), missing)
    if not ordered:
        return NoConsistentPoint("the wave has no servers")
    latest_valid = _latest_common_instant(ordered, timedelta(seconds=tolerance_seconds))
    if latest_valid is not None:
        chosen = {server: snaps[bisect.bisect_right([s.at for s in snaps], latest_valid) - 1]
                  for server, snaps in ordered.items()}
        # moving the instant down to the newest chosen snapshot changes no choice
        return ConsistentPoint(max(s.at for s in chosen.values()), chosen)
    return NoConsistentPoint(f"the servers' snapshots are never within {int(tolerance_seconds)} s of each other")
