"""domain/data_age.py: whether a source server can launch, where its data comes from, how old it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from drs_orch.domain.data_age import DataSource, data_age_seconds, launch_readiness, parse_duration


def _server(state: str, lag: str | None = None, replicated: int = 100, total: int = 100) -> dict[str, Any]:
    info: dict[str, Any] = {"dataReplicationState": state,
                            "replicatedDisks": [{"totalStorageBytes": total, "replicatedStorageBytes": replicated}]}
    if lag:
        info["lagDuration"] = lag
    return {"sourceServerID": "s-1", "dataReplicationInfo": info}


def test_healthy_servers_take_a_new_snapshot() -> None:
    ready = launch_readiness(_server("CONTINUOUS", "PT4S"))
    assert ready.can_launch and ready.data_source is DataSource.NEW_SNAPSHOT and ready.data_age_seconds == 4
    assert ready.to_dict() == {"canLaunch": True, "dataSource": "NEW_SNAPSHOT", "replicationState": "CONTINUOUS",
                               "dataAgeSeconds": 4.0}


def test_a_stalled_server_launches_from_its_last_snapshot_with_old_data() -> None:
    ready = launch_readiness(_server("STALLED", "PT1H45M"))
    assert ready.can_launch and ready.data_source is DataSource.LAST_SNAPSHOT
    assert ready.data_age_seconds == 6300
    exact = launch_readiness(_server("STALLED", "PT1H45M"), latest_snapshot_at="2026-03-01T10:00:30+00:00",
                             now="2026-03-01T12:00:00Z")
    assert exact.data_age_seconds == 7170 and exact.can_launch


def test_servers_that_cannot_launch_say_why() -> None:
    cases = {
        "initial sync": launch_readiness(_server("INITIAL_SYNC", replicated=40)),
        "STOPPED": launch_readiness(_server("STOPPED")),
        "DISCONNECTED": launch_readiness(_server("DISCONNECTED")),
        "no point-in-time snapshot": launch_readiness(_server("STALLED"), latest_snapshot_at=None,
                                                      now="2026-03-01T12:00:00Z"),
    }
    for words, ready in cases.items():
        assert not ready.can_launch and ready.data_source is DataSource.NONE and words in (ready.reason or "")
    # an INITIAL_SYNC restart after a completed sync still has its snapshots
    assert launch_readiness(_server("INITIAL_SYNC", "PT10M")).can_launch


def test_data_age_of_a_launch() -> None:
    assert data_age_seconds("2026-03-01T10:00:00+00:00", "2026-03-01T12:00:00Z") == 7200
    assert data_age_seconds("2026-03-01T12:00:05+00:00", "2026-03-01T12:00:00Z") == 0  # taken for the launch
    assert data_age_seconds(None, "2026-03-01T12:00:00Z") is None
    assert data_age_seconds("not a date", "2026-03-01T12:00:00Z") is None
    assert parse_duration("P1DT2H") == 93600 and parse_duration("garbage") is None


@given(st.integers(min_value=0, max_value=10**7), st.integers(min_value=-(10**6), max_value=10**7))
def test_data_age_is_never_negative_and_exact(age: int, skew: int) -> None:
    requested = datetime(2026, 3, 1, tzinfo=UTC)
    point = requested - timedelta(seconds=age) + timedelta(seconds=max(0, -skew))
    value = data_age_seconds(point.isoformat(), requested.isoformat())
    assert value is not None and value >= 0
    assert value == max(0, age - max(0, -skew))
