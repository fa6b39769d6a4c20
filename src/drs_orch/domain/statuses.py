"""Statuses of executions, waves, servers and launch configurations, and their transitions.

Every status change in the code base goes through :func:`check_transition`; the tables below are
the only place where the allowed moves are written down.

Execution state machine::

                 +-----------+
                 |  PENDING  |------------------------------+
                 +-----------+                              |
                       | start                              | cancel / start failed
                       v                                    v
    resume   +-----------+   pause   +--------+      +-------------+
   +-------->|  RUNNING  |---------->| PAUSED |      | CANCELLED / |
   |         +-----------+           +--------+      | FAILED      |
   |           |   |   |                 |  |        +-------------+
   +-----------|---|---|-----------------+  | cancel
               |   |   | cancel             v
               |   |   +--------------> +------------+
               |   |                    | CANCELLING |--> CANCELLED | FAILED
               |   |                    +------------+
               |   +--> FAILED | CANCELLED (cancel with no wave in flight)
               v
      COMPLETED | PARTIAL

    terminal: COMPLETED, PARTIAL, FAILED, CANCELLED     active: PENDING, RUNNING, PAUSED, CANCELLING

Wave state machine::

    PENDING --(ready, waiting for DRS capacity)--> QUEUED --(job started)--> LAUNCHING
    PENDING --(ready, capacity free)---------------------------------------> LAUNCHING
    LAUNCHING --> COMPLETED (every server LAUNCHED)
              --> PARTIAL   (some servers LAUNCHED, some FAILED)
              --> FAILED    (no server LAUNCHED)
              --> TIMEOUT   (a DRS job of the wave, or the wave, passed its time limit; the wave's
                             ``onServerFailure`` decides what follows, as for FAILED)
    PENDING | QUEUED --> FAILED    (could not be started, e.g. launch settings failed to apply)
    PENDING | QUEUED --> SKIPPED   (the wave has no servers to launch)
    PENDING | QUEUED --> CANCELLED (the execution was cancelled, or an earlier wave failed under
                                    onServerFailure STOP, before the wave started)

    terminal: COMPLETED, PARTIAL, FAILED, TIMEOUT, CANCELLED, SKIPPED

A wave that is LAUNCHING is never cancelled: DRS jobs cannot be stopped, so a cancelled execution
lets the waves in flight finish and records their real outcome.

Server statuses mirror the DRS ``launchStatus`` (IN_PROGRESS is called LAUNCHING here)::

    PENDING --> LAUNCHING --> LAUNCHED --> TERMINATED
       |            |
       +------------+------> FAILED
    PENDING --> LAUNCHED  (DRS may report LAUNCHED on the first poll)

LAUNCHED is terminal for the execution, but the recovery (drill) instance can be terminated after
the execution ended, hence the single exit LAUNCHED -> TERMINATED.

Termination of an ended execution's recovery instances (``termination.status`` on META)::

    NOT_REQUESTED --> STARTING --> IN_PROGRESS --> COMPLETED | FAILED
                         |  ^---(a claim older than 5 minutes is taken over)
                         +--> COMPLETED (nothing to terminate) | FAILED (DRS refused every call)
    FAILED --> STARTING (a new request tries again)

    terminal: COMPLETED (a repeated request returns it); FAILED may be retried

Launch configuration states (lowercase, as stored in ``launchConfigStatus.status``) have no terminal
state: any settled state can go back to ``pending``/``applying`` on a re-apply, and to
``not_configured`` when the group's launch settings are removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from drs_orch.domain.errors import Conflict, ValidationFailed


class ExecutionStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"
    COMPLETED = "COMPLETED"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"


class WaveStatus(StrEnum):
    PENDING = "PENDING"
    QUEUED = "QUEUED"
    LAUNCHING = "LAUNCHING"
    COMPLETED = "COMPLETED"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"
    TIMEOUT = "TIMEOUT"
    CANCELLED = "CANCELLED"
    SKIPPED = "SKIPPED"


class ServerStatus(StrEnum):
    PENDING = "PENDING"
    LAUNCHING = "LAUNCHING"
    LAUNCHED = "LAUNCHED"
    FAILED = "FAILED"
    TERMINATED = "TERMINATED"


class TerminationStatus(StrEnum):
    NOT_REQUESTED = "NOT_REQUESTED"
    STARTING = "STARTING"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class LaunchConfigState(StrEnum):
    NOT_CONFIGURED = "not_configured"
    PENDING = "pending"
    APPLYING = "applying"
    READY = "ready"
    PARTIAL = "partial"
    FAILED = "failed"


_E = ExecutionStatus
_W = WaveStatus
_S = ServerStatus
_L = LaunchConfigState
_T = TerminationStatus

EXECUTION_TRANSITIONS: Mapping[ExecutionStatus, frozenset[ExecutionStatus]] = {
    _E.PENDING: frozenset({_E.RUNNING, _E.CANCELLING, _E.CANCELLED, _E.FAILED}),
    _E.RUNNING: frozenset({_E.PAUSED, _E.CANCELLING, _E.CANCELLED, _E.COMPLETED, _E.PARTIAL, _E.FAILED}),
    _E.PAUSED: frozenset({_E.RUNNING, _E.CANCELLING, _E.CANCELLED, _E.FAILED}),
    _E.CANCELLING: frozenset({_E.CANCELLED, _E.FAILED}),
    _E.CANCELLED: frozenset(),
    _E.COMPLETED: frozenset(),
    _E.PARTIAL: frozenset(),
    _E.FAILED: frozenset(),
}

WAVE_TRANSITIONS: Mapping[WaveStatus, frozenset[WaveStatus]] = {
    _W.PENDING: frozenset({_W.QUEUED, _W.LAUNCHING, _W.FAILED, _W.SKIPPED, _W.CANCELLED}),
    _W.QUEUED: frozenset({_W.LAUNCHING, _W.FAILED, _W.SKIPPED, _W.CANCELLED}),
    _W.LAUNCHING: frozenset({_W.COMPLETED, _W.PARTIAL, _W.FAILED, _W.TIMEOUT}),
    _W.COMPLETED: frozenset(),
    _W.PARTIAL: frozenset(),
    _W.FAILED: frozenset(),
    _W.TIMEOUT: frozenset(),
    _W.CANCELLED: frozenset(),
    _W.SKIPPED: frozenset(),
}

SERVER_TRANSITIONS: Mapping[ServerStatus, frozenset[ServerStatus]] = {
    _S.PENDING: frozenset({_S.LAUNCHING, _S.LAUNCHED, _S.FAILED}),
    _S.LAUNCHING: frozenset({_S.LAUNCHED, _S.FAILED}),
    _S.LAUNCHED: frozenset({_S.TERMINATED}),
    _S.FAILED: frozenset(),
    _S.TERMINATED: frozenset(),
}

TERMINATION_TRANSITIONS: Mapping[TerminationStatus, frozenset[TerminationStatus]] = {
    _T.NOT_REQUESTED: frozenset({_T.STARTING}),
    # STARTING -> STARTING: a stale claim (its request died) is taken over by a new one
    _T.STARTING: frozenset({_T.STARTING, _T.IN_PROGRESS, _T.COMPLETED, _T.FAILED}),
    _T.IN_PROGRESS: frozenset({_T.COMPLETED, _T.FAILED}),
    _T.COMPLETED: frozenset(),
    _T.FAILED: frozenset({_T.STARTING}),
}

LAUNCH_CONFIG_TRANSITIONS: Mapping[LaunchConfigState, frozenset[LaunchConfigState]] = {
    _L.NOT_CONFIGURED: frozenset({_L.PENDING, _L.APPLYING}),
    _L.PENDING: frozenset({_L.APPLYING, _L.READY, _L.PARTIAL, _L.FAILED, _L.NOT_CONFIGURED}),
    # applying -> applying: an apply continuing in background runs takes its next run
    _L.APPLYING: frozenset({_L.APPLYING, _L.READY, _L.PARTIAL, _L.FAILED, _L.PENDING}),
    _L.READY: frozenset({_L.PENDING, _L.APPLYING, _L.NOT_CONFIGURED}),
    _L.PARTIAL: frozenset({_L.PENDING, _L.APPLYING, _L.NOT_CONFIGURED}),
    _L.FAILED: frozenset({_L.PENDING, _L.APPLYING, _L.NOT_CONFIGURED}),
}

TERMINAL_EXECUTION: frozenset[ExecutionStatus] = frozenset(
    {_E.COMPLETED, _E.PARTIAL, _E.FAILED, _E.CANCELLED}
)
ACTIVE_EXECUTION: frozenset[ExecutionStatus] = frozenset({_E.PENDING, _E.RUNNING, _E.PAUSED, _E.CANCELLING})
TERMINAL_WAVE: frozenset[WaveStatus] = frozenset(
    {_W.COMPLETED, _W.PARTIAL, _W.FAILED, _W.TIMEOUT, _W.CANCELLED, _W.SKIPPED}
)
# LAUNCHED is terminal for an execution; its one exit (to TERMINATED) is the drill clean-up.
TERMINAL_SERVER: frozenset[ServerStatus] = frozenset({_S.LAUNCHED, _S.FAILED, _S.TERMINATED})
TERMINAL_LAUNCH_CONFIG: frozenset[LaunchConfigState] = frozenset()
TERMINAL_TERMINATION: frozenset[TerminationStatus] = frozenset({_T.COMPLETED})

S = TypeVar("S", ExecutionStatus, WaveStatus, ServerStatus, LaunchConfigState, TerminationStatus)

_TABLES: dict[type[StrEnum], Mapping[Any, frozenset[Any]]] = {
    ExecutionStatus: EXECUTION_TRANSITIONS,
    WaveStatus: WAVE_TRANSITIONS,
    ServerStatus: SERVER_TRANSITIONS,
    LaunchConfigState: LAUNCH_CONFIG_TRANSITIONS,
    TerminationStatus: TERMINATION_TRANSITIONS,
}

_TERMINAL: dict[type[StrEnum], frozenset[Any]] = {
    ExecutionStatus: TERMINAL_EXECUTION,
    WaveStatus: TERMINAL_WAVE,
    ServerStatus: TERMINAL_SERVER,
    LaunchConfigState: TERMINAL_LAUNCH_CONFIG,
    TerminationStatus: TERMINAL_TERMINATION,
}

STATUS_TABLES: Mapping[type[StrEnum], Mapping[Any, frozenset[Any]]] = _TABLES
"""Every status kind and its transition table (tests check each status is handled everywhere)."""


def coerce_status(kind: type[S], value: S | str) -> S:
    """``value`` as a member of ``kind``; unknown values are a :class:`ValidationFailed`."""
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise ValidationFailed(
            f"{value!r} is not a valid {kind.__name__} (allowed: {allowed})",
            code="INVALID_STATUS",
        ) from None


def allowed_transitions(kind: type[S], current: S | str) -> frozenset[S]:
    """The statuses ``current`` may move to (empty for a terminal status)."""
    table = _TABLES[kind]
    result: frozenset[S] = table[coerce_status(kind, current)]
    return result


def is_allowed(kind: type[S], current: S | str, new: S | str) -> bool:
    return coerce_status(kind, new) in allowed_transitions(kind, current)


def is_terminal(kind: type[S], status: S | str) -> bool:
    return coerce_status(kind, status) in _TERMINAL[kind]


def check_transition(kind: type[S], current: S | str, new: S | str) -> S:
    """Return ``new`` as a ``kind`` member when ``current -> new`` is in the table.

    Raises :class:`Conflict` with code ``INVALID_TRANSITION`` otherwise. Writing the same status
    again is not a transition and is rejected too: callers that re-write a status must skip the
    write when nothing changed.
    """
    cur = coerce_status(kind, current)
    nxt = coerce_status(kind, new)
    if nxt not in allowed_transitions(kind, cur):
        raise Conflict(
            f"{kind.__name__} cannot change from {cur.value} to {nxt.value}",
            code="INVALID_TRANSITION",
            details={"kind": kind.__name__, "from": cur.value, "to": nxt.value},
        )
    return nxt


_DRS_LAUNCH_STATUS: Mapping[str, ServerStatus] = {
    "PENDING": _S.PENDING,
    "IN_PROGRESS": _S.LAUNCHING,
    "LAUNCHED": _S.LAUNCHED,
    "FAILED": _S.FAILED,
    "TERMINATED": _S.TERMINATED,
}


def server_status_from_drs(launch_status: str) -> ServerStatus:
    """Map a DRS ``participatingServers[].launchStatus`` to a :class:`ServerStatus`."""
    try:
        return _DRS_LAUNCH_STATUS[launch_status]
    except KeyError:
        raise ValidationFailed(
            f"unknown DRS launch status {launch_status!r}", code="INVALID_STATUS"
        ) from None
