"""The consistent point in time of a wave (domain/point_in_time.py): the latest instant at which
every server has a snapshot within the tolerance, checked against a brute force over all instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from drs_orch.domain.point_in_time import ConsistentPoint, NoConsistentPoint, PitSnapshot, consistent_point

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _snaps(server: str, minutes: list[int]) -> list[PitSnapshot]:
    return [PitSnapshot(T0 + timedelta(minutes=m), f"pit-{server}-{m}") for m in minutes]


def _valid(snapshots: dict[str, list[PitSnapshot]], t: datetime, tolerance: float) -> bool:
    for snaps in snapshots.values():
        before = [s.at for s in snaps if s.at <= t]
        if not before or (t - max(before)).total_seconds() > tolerance:
            return False
    return True


@given(st.dictionaries(st.sampled_from("abcde"), st.lists(st.integers(0, 300), max_size=8), min_size=1),
       st.sampled_from([0, 60, 300, 600, 3600]))
def test_the_point_is_the_latest_valid_instant_and_every_pick_is_at_or_before_it(
        minutes: dict[str, list[int]], tolerance: int) -> None:
    snapshots = {server: _snaps(server, ms) for server, ms in minutes.items()}
    result = consistent_point(snapshots, tolerance)
    instants = sorted({s.at for snaps in snapshots.values() for s in snaps})
    valid = [t for t in instants if _valid(snapshots, t, tolerance)]
    if not valid:
        assert isinstance(result, NoConsistentPoint)
        return
    assert isinstance(result, ConsistentPoint)
    assert result.at == max(valid)
    assert set(result.chosen) == set(snapshots)
    for server, pick in result.chosen.items():
        assert pick in snapshots[server]
        assert pick.at <= result.at and (result.at - pick.at).total_seconds() <= tolerance
        # the latest snapshot of that server at or before the point
        assert pick.at == max(s.at for s in snapshots[server] if s.at <= result.at)
    assert 0 <= result.spread_seconds <= tolerance


def test_a_stalled_server_pulls_the_wave_back_to_its_last_snapshot() -> None:
    healthy = _snaps("h", [0, 10, 20, 30, 40, 50, 60])
    stalled = _snaps("s", [0, 10, 20])  # stalled after minute 20
    result = consistent_point({"h": healthy, "s": stalled}, 0)
    assert isinstance(result, ConsistentPoint)
    assert result.at == T0 + timedelta(minutes=20) and result.spread_seconds == 0
    assert result.chosen["h"].snapshot_id == "pit-h-20"


def test_snapshots_taken_a_little_apart_meet_within_the_tolerance() -> None:
    a = _snaps("a", [0, 10, 20])
    b = _snaps("b", [3, 13, 23])
    assert isinstance(consistent_point({"a": a, "b": b}, 60), NoConsistentPoint)
    result = consistent_point({"a": a, "b": b}, 300)
    assert isinstance(result, ConsistentPoint)
    # at b's minute 23, a's latest (minute 20) is 3 minutes older: within 5 minutes
    assert result.at == T0 + timedelta(minutes=23) and result.spread_seconds == 180
    assert result.chosen["a"].snapshot_id == "pit-a-20"


def test_a_server_without_snapshots_leaves_no_point_and_is_named() -> None:
    result = consistent_point({"a": _snaps("a", [0]), "b": []}, 600)
    assert isinstance(result, NoConsistentPoint) and result.without_snapshots == ("b",)
    assert "b" in result.reason
