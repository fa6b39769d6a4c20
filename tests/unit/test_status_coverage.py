"""Every status of every table in domain/statuses.py is placed explicitly by the decision rules, the
notifications and the views: a new status cannot be absorbed silently by a default branch."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import pytest

from drs_orch.domain.engine_rules import WAVE_OUTCOME
from drs_orch.domain.statuses import (
    ACTIVE_EXECUTION,
    STATUS_TABLES,
    TERMINAL_EXECUTION,
    ExecutionStatus,
    LaunchConfigState,
    ServerStatus,
    TerminationStatus,
    WaveStatus,
    server_status_from_drs,
)
from drs_orch.services.engine.lifecycle import WAVE_GROUP
from drs_orch.services.engine.notify import EVENTS, EXECUTION_EVENT, WAVE_EVENT_OUTCOME
from drs_orch.services.engine.records import server_counts
from drs_orch.services.engine.termination import TERMINATION_BUSY

# kind -> {what handles it: the table that must name every status}
HANDLERS: dict[type[StrEnum], dict[str, Mapping[Any, Any]]] = {
    ExecutionStatus: {
        "rules (active or terminal)": {s: s in ACTIVE_EXECUTION for s in ACTIVE_EXECUTION | TERMINAL_EXECUTION},
        "notifications": EXECUTION_EVENT,
    },
    WaveStatus: {"rules": WAVE_OUTCOME, "notifications": WAVE_EVENT_OUTCOME, "views": WAVE_GROUP},
    ServerStatus: {"views (counts)": {ServerStatus(k.upper()): v for k, v in server_counts([]).items() if k != "total"},
                   "rules (from DRS)": {server_status_from_drs(s.value if s is not ServerStatus.LAUNCHING
                                                               else "IN_PROGRESS"): True for s in ServerStatus}},
    TerminationStatus: {"views": TERMINATION_BUSY},
}
# Launch configuration states belong to the launch settings (issue 7): their aggregate
# (domain/launch_config.py) and the transition table are their handlers.
NOT_ENGINE = {LaunchConfigState}


def test_every_status_kind_has_its_handlers() -> None:
    assert set(HANDLERS) | NOT_ENGINE == set(STATUS_TABLES)


@pytest.mark.parametrize("kind", sorted(HANDLERS, key=lambda k: k.__name__))
def test_every_status_is_handled_explicitly(kind: type[StrEnum]) -> None:
    for where, table in HANDLERS[kind].items():
        missing = sorted(set(kind) - set(table))
        assert not missing, f"{kind.__name__} {missing} not handled by the {where}"


def test_notification_events_are_the_published_ones() -> None:
    assert {e for e in EXECUTION_EVENT.values() if e} == set(EVENTS)
