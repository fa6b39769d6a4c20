"""Point-in-time (PIT) recovery snapshots, derived from a source server's replication history.

What DRS documents and the emulator models:

* snapshots are taken on the server's PIT policy while replication is healthy; the default policy is
  every 10 minutes kept for 1 hour, hourly kept for 1 day, daily kept for 7 days (API Reference
  ``PITPolicyRule``; User Guide "Point in time (PIT) policy" under replication settings). A fleet
  entry may set ``pitPolicy`` (a list of PITPolicyRule-shaped rules) per server;
* the history is a list of windows ``[start, end)`` in which replication was healthy (CONTINUOUS,
  BACKLOG, CREATING_SNAPSHOT, RESCAN). A STALLED or PAUSED server takes no new snapshot but keeps
  the ones it has until they age out, so once the initial sync has completed a drill or recovery can
  still launch from its last point in time, with old data (User Guide "Performing a failover":
  choose a PIT snapshot or "use most recent data");
* StopReplication deletes the server's snapshots (API Reference ``StopReplication``);
  DisconnectSourceServer deletes the replication resources "within 90 minutes" (API Reference
  ``DisconnectSourceServer``): a DISCONNECTED server's snapshots disappear 90 emulated minutes after
  the disconnection;
* a server that never completed its initial sync has no snapshot and cannot launch.

A snapshot is listed once complete, ``COMPLETION_SECONDS`` after its expected instant. Snapshot ids
are derived from the server id and the instant, so they are stable across calls and runs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from . import ids
from .state import LAUNCHABLE_STATES, SourceServer

COMPLETION_SECONDS = 30.0
DISCONNECT_CLEANUP_SECONDS = 90 * 60.0
_UNIT_SECONDS = {"MINUTE": 60.0, "HOUR": 3600.0, "DAY": 86400.0}
DEFAULT_PIT_POLICY: tuple[dict[str, Any], ...] = (
    {"ruleID": 1, "units": "MINUTE", "interval": 10, "retentionDuration": 60, "enabled": True},
    {"ruleID": 2, "units": "HOUR", "interval": 1, "retentionDuration": 24, "enabled": True},
    {"ruleID": 3, "units": "DAY", "interval": 1, "retentionDuration": 7, "enabled": True},
)


def validate_policy(rules: Any, where: str) -> list[dict[str, Any]]:
    """A PIT policy from a fleet file (PITPolicyRule-shaped dicts); raises ValueError when malformed."""
    if not isinstance(rules, list) or not rules:
        raise ValueError(f"{where}: pitPolicy must be a non-empty list of rules")
    out = []
    for i, rule in enumerate(rules):
        if not isinstance(rule, Mapping):
            raise ValueError(f"{where}: pitPolicy[{i}] must be a mapping")
        units = rule.get("units")
        if units not in _UNIT_SECONDS:
            raise ValueError(f"{where}: pitPolicy[{i}].units must be one of {sorted(_UNIT_SECONDS)}")
        try:
            interval, retention = int(rule["interval"]), int(rule["retentionDuration"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"{where}: pitPolicy[{i}] needs integer interval and retentionDuration") from None
        if interval < 1 or retention < 1:
            raise ValueError(f"{where}: pitPolicy[{i}] interval and retentionDuration must be >= 1")
        out.append(
            {
                "ruleID": int(rule.get("ruleID", i + 1)),
                "units": units,
                "interval": interval,
                "retentionDuration": retention,
                "enabled": bool(rule.get("enabled", True)),
            }
        )
    return out


def _rules(server: SourceServer) -> Iterable[tuple[float, float]]:
    for rule in server.pit_policy or DEFAULT_PIT_POLICY:
        if rule.get("enabled", True):
            unit = _UNIT_SECONDS[str(rule["units"])]
            yield float(rule["interval"]) * unit, float(rule["retentionDuration"]) * unit


# ------------------------------------------------------------------ replication history


def open_window(server: SourceServer, at: float) -> None:
    """Replication became healthy at ``at``: snapshots are taken from now on."""
    if server.pit_windows and server.pit_windows[-1][1] is None:
        return
    server.pit_windows.append((at, None))


def close_window(server: SourceServer, at: float) -> None:
    """Replication stopped taking snapshots at ``at`` (stalled, paused, disconnected)."""
    if server.pit_windows and server.pit_windows[-1][1] is None:
        start = server.pit_windows[-1][0]
        server.pit_windows[-1] = (start, max(start, at))


def drop_history(server: SourceServer) -> None:
    """The snapshots are deleted (StopReplication, or a restart after a disconnection)."""
    server.pit_windows = []


def on_state_change(server: SourceServer, previous: str, state: str, at: float) -> None:
    """Keep the replication history in step with a change of the data replication state."""
    if state == "STOPPED" or (state in ("INITIATING", "INITIAL_SYNC") and previous in ("STOPPED", "DISCONNECTED")):
        drop_history(server)
    elif state in LAUNCHABLE_STATES:
        open_window(server, at)
    else:
        close_window(server, at)


def initial_sync_completed(server: SourceServer) -> bool:
    return bool(server.pit_windows)


# ------------------------------------------------------------------ snapshots


def snapshot_times(server: SourceServer, now: float) -> list[float]:
    """Expected instants of the snapshots the server has at ``now`` (oldest first)."""
    if server.replication_state == "STOPPED":
        return []
    if server.replication_state == "DISCONNECTED" and now >= server.state_since + DISCONNECT_CLEANUP_SECONDS:
        return []
    times: set[float] = set()
    for start, end in server.pit_windows:
        stop = min(now, end if end is not None else now) - COMPLETION_SECONDS
        if stop < start:
            continue
        for step, retention in _rules(server):
            t = math.floor(stop / step) * step
            floor = max(start, now - retention)
            while t >= floor:
                times.add(float(t))
                t -= step
    return sorted(times)


def snapshot_record(server: SourceServer, t: float) -> dict[str, Any]:
    """A RecoverySnapshot (times as epoch seconds; the operation renders them)."""
    stamp = int(t)
    return {
        "snapshotID": ids.derive("pit-", server.server_id, stamp),
        "sourceServerID": server.server_id,
        "expectedTimestamp": t,
        "timestamp": t + COMPLETION_SECONDS,
        "ebsSnapshots": [
            ids.derive("snap-", server.server_id, stamp, d.get("deviceName", "")) for d in server.disks
        ],
    }


def snapshots(server: SourceServer, now: float) -> list[dict[str, Any]]:
    return [snapshot_record(server, t) for t in snapshot_times(server, now)]


def find_snapshot(server: SourceServer, snapshot_id: str, now: float) -> dict[str, Any] | None:
    return next((s for s in snapshots(server, now) if s["snapshotID"] == snapshot_id), None)


def latest_snapshot(server: SourceServer, now: float) -> dict[str, Any] | None:
    times = snapshot_times(server, now)
    return snapshot_record(server, times[-1]) if times else None


def launch_source(server: SourceServer, now: float) -> tuple[str, dict[str, Any] | None, str | None]:
    """Where a launch "with the most recent data" takes its data from at ``now``.

    ``("NEW", None, None)``: replication is healthy, a new snapshot is taken (SNAPSHOT_START/END);
    ``("PREVIOUS", snapshot, None)``: replication takes no new snapshot (STALLED, PAUSED, recently
    DISCONNECTED, or re-syncing after a stall) but a snapshot exists: the last one is used
    (USING_PREVIOUS_SNAPSHOT);
    ``("NONE", None, reason)``: no snapshot and none can be taken (initial sync never completed,
    STOPPED, DISCONNECTED for more than 90 minutes): the launch fails (SNAPSHOT_FAIL).
    """
    state = server.replication_state
    if state in LAUNCHABLE_STATES:
        return "NEW", None, None
    latest = latest_snapshot(server, now)
    if latest is not None:
        return "PREVIOUS", latest, None
    if state in ("INITIATING", "INITIAL_SYNC") and not initial_sync_completed(server):
        why = f"the initial sync has not completed (data replication state {state})"
    elif state == "DISCONNECTED":
        why = "the source server is DISCONNECTED and its snapshots were deleted"
    elif state == "STOPPED":
        why = "replication is STOPPED and its snapshots were deleted"
    else:
        why = f"no point-in-time snapshot is available (data replication state {state})"
    return "NONE", None, f"Cannot take a point-in-time snapshot of source server {server.server_id}: {why}"
