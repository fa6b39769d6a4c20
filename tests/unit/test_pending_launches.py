"""A JOB item's ``detailsPending``: the launches whose details are still to be read, one entry per
tick that saw launches. The entries read back as the launches written, through DynamoDB's wire
format, and an item written in the earlier shape (one map per server) reads as the same launches."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from drs_orch.adapters.dynamodb import deserialize, serialize
from drs_orch.domain.execution_records import (
    PendingLaunch,
    pending_batch,
    pending_batches,
    pending_launched_at,
    pending_launches,
)

SERVER = st.from_regex(r"s-[0-9a-f]{17}", fullmatch=True)
TIME = st.datetimes().map(lambda d: d.isoformat() + "+00:00")
INSTANCE = st.one_of(st.none(), st.from_regex(r"i-[0-9a-f]{17}", fullmatch=True))
# ticks, each with its time and the servers it saw launch; a server launches once
TICKS = st.lists(st.tuples(TIME, st.dictionaries(SERVER, INSTANCE, min_size=1, max_size=8)), max_size=4)


def _wire(value: Any) -> Any:
    return deserialize(serialize({"v": value}))["v"]


@given(TICKS, st.one_of(st.none(), TIME))
def test_the_launches_written_are_the_launches_read(ticks: list[tuple[str, dict[str, str | None]]],
                                                    requested_at: str | None) -> None:
    written: list[dict[str, Any]] = []
    expected: dict[str, PendingLaunch] = {}
    for launched_at, launched in ticks:
        fresh = {s: i for s, i in launched.items() if s not in expected}
        if not fresh:
            continue
        written = [*pending_batches(_wire(written)), pending_batch(launched_at, requested_at, fresh)]
        expected.update({s: PendingLaunch(s, launched_at, requested_at, i) for s, i in fresh.items()})
    stored = _wire(written)
    assert pending_launches(stored) == expected
    for server, launch in expected.items():
        assert pending_launched_at(stored, server) == launch.launched_at
    assert pending_launched_at(stored, "s-not-launched") is None


@given(TICKS, TIME)
def test_the_earlier_shape_reads_as_the_same_launches(ticks: list[tuple[str, dict[str, str | None]]],
                                                      requested_at: str) -> None:
    earlier: dict[str, dict[str, Any]] = {}
    for launched_at, launched in ticks:
        for server, instance in launched.items():
            earlier.setdefault(server, {"launchedAt": launched_at, "requestedAt": requested_at,
                                        **({"recoveryInstanceId": instance} if instance else {})})
    expected = {s: PendingLaunch(s, e["launchedAt"], requested_at, e.get("recoveryInstanceId"))
                for s, e in earlier.items()}
    assert pending_launches(_wire(earlier)) == expected
    # a tick that adds launches to an item of the earlier shape writes entries, and keeps the old ones
    appended = [*pending_batches(_wire(earlier)), pending_batch(requested_at, None, {"s-new": None})]
    assert pending_launches(_wire(appended)) == {**expected, "s-new": PendingLaunch("s-new", requested_at, None, None)}


def test_one_entry_of_a_hundred_launches_is_under_a_third_of_the_earlier_shape() -> None:
    servers = {f"s-{i:017x}": f"i-{i:017x}" for i in range(100)}
    at, requested = "2026-11-30T05:00:00.000000+00:00", "2026-11-30T04:50:00.000000+00:00"
    earlier = {s: {"launchedAt": at, "requestedAt": requested, "recoveryInstanceId": i} for s, i in servers.items()}
    batched = [pending_batch(at, requested, servers)]
    assert len(str(serialize({"v": batched}))) * 3 < len(str(serialize({"v": earlier})))  # 5.5 KB, 19.9 KB
