"""Data-management domain rules: tag-sync diff (hypothesis), schedule expressions, replication
health, page sizes, regions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drs_orch.domain.data_rules import (
    check_drs_region,
    interval_hours,
    is_syncable_tag,
    page_size,
    replication_problem,
    schedule_expression,
    tag_sync_diff,
)
from drs_orch.domain.errors import ValidationFailed

keys = st.one_of(st.sampled_from(["Name", "Env", "Tier", "aws:cloudformation:stack-name", "AWS:x", "Owner"]),
                 st.text(alphabet="abcXYZ:-", min_size=1, max_size=6))
values = st.text(alphabet="abcAB 1", max_size=5)
tag_maps = st.dictionaries(keys, values, max_size=8)


def apply(server: dict[str, str], diff) -> dict[str, str]:  # type: ignore[no-untyped-def]
    out = {**server, **diff.to_set}
    for key in diff.to_remove:
        out.pop(key, None)
    return out


@given(instance=tag_maps, server=tag_maps, synced=st.sets(keys, max_size=6))
def test_after_a_sync_the_server_carries_every_syncable_instance_tag(instance, server, synced):
    diff = tag_sync_diff(instance, server, synced)
    result = apply(server, diff)
    for key, value in instance.items():
        if is_syncable_tag(key):
            assert result[key] == value
    assert not any(not is_syncable_tag(k) for k in diff.to_set)
    assert diff.synced_keys == sorted(k for k in instance if is_syncable_tag(k))


@given(instance=tag_maps, server=tag_maps, synced=st.sets(keys, max_size=6))
def test_only_tags_synced_earlier_are_removed_and_foreign_tags_stay(instance, server, synced):
    diff = tag_sync_diff(instance, server, synced)
    assert set(diff.to_remove) <= synced
    assert not set(diff.to_remove) & {k for k in instance if is_syncable_tag(k)}
    result = apply(server, diff)
    for key, value in server.items():
        if key not in synced and not (key in instance and is_syncable_tag(key)):
            assert result[key] == value  # set by someone else: untouched


@given(instance=tag_maps, server=tag_maps, synced=st.sets(keys, max_size=6))
def test_a_second_sync_changes_nothing(instance, server, synced):
    first = tag_sync_diff(instance, server, synced)
    again = tag_sync_diff(instance, apply(server, first), set(first.synced_keys))
    assert not again.changed


def test_removed_instance_tag_is_removed_from_the_server():
    diff = tag_sync_diff({"Env": "prod"}, {"Env": "prod", "Team": "a", "Manual": "x"}, {"Env", "Team"})
    assert diff.to_set == {} and diff.to_remove == ["Team"]


def test_schedule_expressions_round_trip_and_bounds():
    assert schedule_expression(1) == "rate(1 hour)"
    assert schedule_expression(24) == "rate(24 hours)"
    for hours in range(1, 25):
        assert interval_hours(schedule_expression(hours)) == hours
    for bad in (0, 25, -1):
        with pytest.raises(ValidationFailed):
            schedule_expression(bad)
    assert interval_hours("cron(0 12 * * ? *)") is None
    assert interval_hours(None) is None


@pytest.mark.parametrize(("server", "problem"), [
    ({"dataReplicationInfo": {"dataReplicationState": "CONTINUOUS"}, "lifeCycle": {"state": "READY_FOR_TEST"}}, None),
    ({"dataReplicationInfo": {"dataReplicationState": "STALLED"}}, "replication is STALLED"),
    ({"dataReplicationInfo": {"dataReplicationState": "DISCONNECTED"}}, "replication is DISCONNECTED"),
    ({"dataReplicationInfo": {"dataReplicationState": "CONTINUOUS"}, "lifeCycle": {"state": "STOPPED"}},
     "life cycle state is STOPPED"),
])
def test_replication_problem(server, problem):
    assert replication_problem(server) == problem


def test_page_size_and_regions():
    assert page_size(None) == 50 and page_size("7") == 7
    for bad in ("0", "101", "x"):
        with pytest.raises(ValidationFailed):
            page_size(bad)
    assert check_drs_region("eu-west-1") == "eu-west-1"
    with pytest.raises(ValidationFailed) as err:
        check_drs_region("moon-east-1")
    assert err.value.code == "INVALID_REGION"
