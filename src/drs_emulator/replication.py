"""Source-server replication: state changes, scheduled transitions, lag and point-in-time snapshots.

Point-in-time snapshots follow the DRS retention shape: every 10 minutes for the last hour, hourly
for the last day, daily for the last 7 days, counted back from the end of the server's healthy
window (now while replication is launchable, the moment it stalled or disconnected otherwise).
Snapshot ids are derived from the server id and the snapshot instant, so they are stable.
"""

from __future__ import annotations

import math
from typing import Any

from . import ids
from .state import LAUNCHABLE_STATES, SourceServer, Timings

_RETENTION = ((600, 3600), (3600, 86400), (86400, 7 * 86400))
_DEFAULT_ERRORS = {
    "STALLED": {"error": "UNSTABLE_NETWORK", "rawError": "Replication stalled: network unstable"}
}


def set_replication_state(
    server: SourceServer,
    state: str,
    at: float,
    *,
    error: dict[str, str] | None = None,
    keep_schedule: bool = False,
) -> None:
    """Move ``server`` to ``state`` at emulated time ``at`` (updates the snapshot window)."""
    previous = server.replication_state
    if not keep_schedule:
        server.transitions = []
    if state == previous and error is None:
        return
    server.replication_state = state
    server.state_since = at
    server.replication_error = error or (dict(_DEFAULT_ERRORS[state]) if state in _DEFAULT_ERRORS else None)
    if state in LAUNCHABLE_STATES:
        if server.healthy_since is None:
            server.healthy_since = at
        server.healthy_until = None
        if server.first_byte_at is None:
            server.first_byte_at = at
    elif (
        state == "STOPPED"
        or state in ("INITIATING", "INITIAL_SYNC")
        and previous in ("STOPPED", "DISCONNECTED")
    ):
        # stopping replication deletes the snapshots; a restart begins a new window
        server.healthy_since = None
        server.healthy_until = None
    elif server.healthy_since is not None and server.healthy_until is None:
        server.healthy_until = at


def start_initiation(server: SourceServer, now: float, timings: Timings) -> None:
    """INITIATING now, INITIAL_SYNC after ``initiating_seconds``, CONTINUOUS after the initial sync."""
    set_replication_state(server, "INITIATING", now)
    sync_at = now + timings.initiating_seconds
    server.transitions = [(sync_at, "INITIAL_SYNC"), (sync_at + timings.initial_sync_seconds, "CONTINUOUS")]


def apply_transitions(server: SourceServer, now: float) -> None:
    while server.transitions and server.transitions[0][0] <= now:
        at, state = server.transitions.pop(0)
        set_replication_state(server, state, at, keep_schedule=True)


def lag_seconds(server: SourceServer, now: float) -> float | None:
    state = server.replication_state
    if state in ("CONTINUOUS", "BACKLOG", "CREATING_SNAPSHOT", "RESCAN"):
        return server.lag_seconds
    if state in ("STALLED", "PAUSED"):
        return server.lag_seconds + max(0.0, now - server.state_since)
    return None


def sync_progress(server: SourceServer, now: float) -> float:
    """Fraction of the disks replicated (1.0 once the initial sync is done)."""
    state = server.replication_state
    if state in ("INITIATING", "STOPPED", "DISCONNECTED") and server.healthy_since is None:
        return 0.0
    if state != "INITIAL_SYNC":
        return 1.0
    end = next((at for at, s in server.transitions if s in LAUNCHABLE_STATES), None)
    if end is None or end <= server.state_since:
        return 0.5
    return min(1.0, max(0.0, (now - server.state_since) / (end - server.state_since)))


def sync_eta(server: SourceServer) -> float | None:
    if server.replication_state not in ("INITIATING", "INITIAL_SYNC"):
        return None
    return next((at for at, s in server.transitions if s in LAUNCHABLE_STATES), None)


def snapshot_times(server: SourceServer, now: float) -> list[float]:
    if server.healthy_since is None:
        return []
    # a snapshot is listed once it has completed (30 s after its expected instant)
    end = (server.healthy_until if server.healthy_until is not None else now) - 30.0
    times: set[float] = set()
    for step, window in _RETENTION:
        t = math.floor(end / step) * step
        while t >= end - window and t >= server.healthy_since:
            times.add(float(t))
            t -= step
    return sorted(times)


def snapshot_record(server: SourceServer, t: float) -> dict[str, Any]:
    stamp = int(t)
    return {
        "snapshotID": ids.derive("pit-", server.server_id, stamp),
        "sourceServerID": server.server_id,
        "expectedTimestamp": t,
        "timestamp": t + 30.0,
        "ebsSnapshots": [
            ids.derive("snap-", server.server_id, stamp, d.get("deviceName", "")) for d in server.disks
        ],
    }


def snapshots(server: SourceServer, now: float) -> list[dict[str, Any]]:
    return [snapshot_record(server, t) for t in snapshot_times(server, now)]


def find_snapshot(server: SourceServer, snapshot_id: str, now: float) -> dict[str, Any] | None:
    return next((s for s in snapshots(server, now) if s["snapshotID"] == snapshot_id), None)
