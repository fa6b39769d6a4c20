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
from datetime import datetime

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
    # T can be no later than the oldest of the servers' latest snapshots; the best T is always
    # one of the snapshot instants (moving T down to the newest chosen snapshot changes nothing).
    bound = min(snaps[-1].at for snaps in ordered.values())
    candidates = sorted({s.at for snaps in ordered.values() for s in snaps if s.at <= bound}, reverse=True)
    times = {server: [s.at for s in snaps] for server, snaps in ordered.items()}
    for t in candidates:
        chosen: dict[str, PitSnapshot] = {}
        for server, snaps in ordered.items():
            index = bisect.bisect_right(times[server], t) - 1
            if index < 0 or (t - snaps[index].at).total_seconds() > tolerance_seconds:
                break
            chosen[server] = snaps[index]
        else:
            return ConsistentPoint(max(s.at for s in chosen.values()), chosen)
    return NoConsistentPoint(f"the servers' snapshots are never within {int(tolerance_seconds)} s of each other "
                             f"(the newest common bound is {bound.isoformat()})")
