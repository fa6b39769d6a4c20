import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drs_orch.domain.errors import Conflict, ValidationFailed
from drs_orch.domain.statuses import (
    ACTIVE_EXECUTION,
    EXECUTION_TRANSITIONS,
    LAUNCH_CONFIG_TRANSITIONS,
    SERVER_TRANSITIONS,
    STATUS_TABLES,
    TERMINAL_EXECUTION,
    TERMINAL_SERVER,
    TERMINAL_TERMINATION,
    TERMINAL_WAVE,
    TERMINATION_TRANSITIONS,
    WAVE_TRANSITIONS,
    ExecutionStatus,
    LaunchConfigState,
    ServerStatus,
    TerminationStatus,
    WaveStatus,
    allowed_transitions,
    check_transition,
    is_allowed,
    is_terminal,
    server_status_from_drs,
)

KINDS = {
    ExecutionStatus: (EXECUTION_TRANSITIONS, TERMINAL_EXECUTION),
    WaveStatus: (WAVE_TRANSITIONS, TERMINAL_WAVE),
    ServerStatus: (SERVER_TRANSITIONS, TERMINAL_SERVER),
    LaunchConfigState: (LAUNCH_CONFIG_TRANSITIONS, frozenset()),
    TerminationStatus: (TERMINATION_TRANSITIONS, TERMINAL_TERMINATION),
}


def test_every_status_table_is_tested() -> None:
    assert set(KINDS) == set(STATUS_TABLES)
ALL_PAIRS = [(kind, a, b) for kind in KINDS for a in kind for b in kind]


def test_values():
    assert {s.value for s in ExecutionStatus} == {
        "PENDING",
        "RUNNING",
        "PAUSED",
        "CANCELLING",
        "CANCELLED",
        "COMPLETED",
        "PARTIAL",
        "FAILED",
    }
    assert {s.value for s in WaveStatus} == {
        "PENDING",
        "QUEUED",
        "LAUNCHING",
        "COMPLETED",
        "PARTIAL",
        "FAILED",
        "TIMEOUT",
        "CANCELLED",
        "SKIPPED",
    }
    assert {s.value for s in ServerStatus} == {"PENDING", "LAUNCHING", "LAUNCHED", "FAILED", "TERMINATED"}
    assert {s.value for s in LaunchConfigState} == {
        "not_configured",
        "pending",
        "applying",
        "ready",
        "partial",
        "failed",
    }
    assert ExecutionStatus.RUNNING == "RUNNING"


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_status_has_a_table_row(kind):
    table, _ = KINDS[kind]
    assert set(table) == set(kind)


def test_active_and_terminal_executions_partition_the_statuses():
    assert {"PENDING", "RUNNING", "PAUSED", "CANCELLING"} == ACTIVE_EXECUTION
    assert ACTIVE_EXECUTION.isdisjoint(TERMINAL_EXECUTION)
    assert set(ExecutionStatus) == ACTIVE_EXECUTION | TERMINAL_EXECUTION


@pytest.mark.parametrize("kind", list(KINDS))
def test_nothing_leaves_a_terminal_status_except_drill_termination(kind):
    table, terminal = KINDS[kind]
    for status in terminal:
        exits = table[status]
        if (kind, status) == (ServerStatus, ServerStatus.LAUNCHED):
            assert exits == {ServerStatus.TERMINATED}
        else:
            assert exits == frozenset()


@pytest.mark.parametrize(
    ("kind", "current", "new"),
    [
        (ExecutionStatus, "PENDING", "RUNNING"),
        (ExecutionStatus, "RUNNING", "PAUSED"),
        (ExecutionStatus, "PAUSED", "RUNNING"),
        (ExecutionStatus, "RUNNING", "CANCELLING"),
        (ExecutionStatus, "CANCELLING", "CANCELLED"),
        (ExecutionStatus, "RUNNING", "PARTIAL"),
        (WaveStatus, "PENDING", "QUEUED"),
        (WaveStatus, "QUEUED", "LAUNCHING"),
        (WaveStatus, "LAUNCHING", "PARTIAL"),
        (WaveStatus, "PENDING", "SKIPPED"),
        (ServerStatus, "PENDING", "LAUNCHED"),
        (ServerStatus, "LAUNCHED", "TERMINATED"),
        (LaunchConfigState, "not_configured", "pending"),
        (LaunchConfigState, "pending", "ready"),
        (LaunchConfigState, "pending", "failed"),
        (LaunchConfigState, "ready", "pending"),
        (LaunchConfigState, "applying", "partial"),
    ],
)
def test_allowed_examples(kind, current, new):
    assert check_transition(kind, current, new) == kind(new)
    assert isinstance(check_transition(kind, current, new), kind)


@pytest.mark.parametrize(
    ("kind", "current", "new"),
    [
        (ExecutionStatus, "COMPLETED", "RUNNING"),
        (ExecutionStatus, "CANCELLED", "RUNNING"),
        (ExecutionStatus, "CANCELLING", "RUNNING"),
        (ExecutionStatus, "RUNNING", "RUNNING"),
        (ExecutionStatus, "PENDING", "COMPLETED"),
        (WaveStatus, "LAUNCHING", "CANCELLED"),
        (WaveStatus, "COMPLETED", "FAILED"),
        (WaveStatus, "PENDING", "COMPLETED"),
        (ServerStatus, "FAILED", "TERMINATED"),
        (ServerStatus, "TERMINATED", "LAUNCHED"),
        (LaunchConfigState, "not_configured", "ready"),
    ],
)
def test_rejected_examples(kind, current, new):
    with pytest.raises(Conflict) as err:
        check_transition(kind, current, new)
    assert err.value.code == "INVALID_TRANSITION"
    assert err.value.status == 409
    assert err.value.details == {"kind": kind.__name__, "from": current, "to": new}


def test_unknown_status_is_a_validation_error():
    with pytest.raises(ValidationFailed) as err:
        check_transition(ExecutionStatus, "POLLING", "RUNNING")
    assert err.value.code == "INVALID_STATUS"


def test_helpers():
    assert allowed_transitions(ServerStatus, "LAUNCHING") == {ServerStatus.LAUNCHED, ServerStatus.FAILED}
    assert is_allowed(WaveStatus, "PENDING", "QUEUED")
    assert not is_allowed(WaveStatus, "QUEUED", "PENDING")
    assert is_terminal(ExecutionStatus, "PARTIAL") and not is_terminal(ExecutionStatus, "PAUSED")
    assert not any(is_terminal(LaunchConfigState, s) for s in LaunchConfigState)


def test_server_status_from_drs():
    assert server_status_from_drs("IN_PROGRESS") is ServerStatus.LAUNCHING
    assert server_status_from_drs("LAUNCHED") is ServerStatus.LAUNCHED
    with pytest.raises(ValidationFailed):
        server_status_from_drs("BOOTING")


def test_launch_config_property_11_paths():
    path = ["not_configured", "pending", "ready", "pending", "failed", "pending", "ready"]
    for current, new in zip(path, path[1:], strict=False):
        check_transition(LaunchConfigState, current, new)


@pytest.mark.parametrize(("kind", "current", "new"), ALL_PAIRS)
def test_check_transition_accepts_exactly_the_table(kind, current, new):
    table, _ = KINDS[kind]
    if new in table[current]:
        assert check_transition(kind, current, new) is new
    else:
        with pytest.raises(Conflict):
            check_transition(kind, current, new)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(list(KINDS)), st.data())
def test_random_walks_never_leave_terminal_states(kind, data):
    table, terminal = KINDS[kind]
    current = data.draw(st.sampled_from(list(kind)))
    reached_terminal = current in terminal
    for _ in range(12):
        options = sorted(table[current])
        if not options:
            break
        current = check_transition(kind, current, data.draw(st.sampled_from(options)))
        if reached_terminal:
            assert current in terminal
        reached_terminal = reached_terminal or current in terminal


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(list(KINDS)), st.data())
def test_check_transition_rejects_everything_outside_the_table(kind, data):
    table, _ = KINDS[kind]
    current = data.draw(st.sampled_from(list(kind)))
    new = data.draw(st.sampled_from([s for s in kind if s not in table[current]] or [None]))
    if new is not None:
        with pytest.raises(Conflict):
            check_transition(kind, current, new)
    garbage = data.draw(st.text(max_size=12).filter(lambda s: s not in {m.value for m in kind}))
    with pytest.raises(ValidationFailed):
        check_transition(kind, current, garbage)
