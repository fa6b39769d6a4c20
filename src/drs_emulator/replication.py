"""Source-server replication: state changes, scheduled transitions, lag and sync progress.

Point-in-time snapshots and the replication history they come from are in
:mod:`drs_emulator.snapshots`; every state change here keeps that history in step.
"""

from __future__ import annotations

from . import snapshots
from .state import LAUNCHABLE_STATES, SourceServer, Timings

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
    """Move ``server`` to ``state`` at emulated time ``at`` (updates the replication history)."""
    previous = server.replication_state
    if not keep_schedule:
        server.transitions = []
    if state == previous and error is None:
        return
    server.replication_state = state
    server.state_since = at
    server.replication_error = error or (dict(_DEFAULT_ERRORS[state]) if state in _DEFAULT_ERRORS else None)
    if state in LAUNCHABLE_STATES and server.first_byte_at is None:
        server.first_byte_at = at
    snapshots.on_state_change(server, previous, state, at)


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
    if state in ("INITIATING", "STOPPED", "DISCONNECTED") and not snapshots.initial_sync_completed(server):
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
