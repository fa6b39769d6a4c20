"""The group and plan adapters' item mapping: a record written as a DynamoDB item (through the
wire format) and read back is the same record, and the item carries the index attributes the
record never shows."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from drs_orch.adapters.dynamodb import deserialize, serialize
from drs_orch.adapters.dynamodb_groups import _public as group_of_item
from drs_orch.adapters.dynamodb_groups import _stored as group_item
from drs_orch.adapters.dynamodb_plans import _public as plan_of_item
from drs_orch.adapters.dynamodb_plans import _stored as plan_item
from drs_orch.domain.models import ProtectionGroup, RecoveryPlan
from drs_orch.domain.plan_graph import OnServerFailure, Wave

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20)
IDS = st.from_regex(r"[a-z0-9-]{1,12}", fullmatch=True)
DATES = st.datetimes().map(lambda d: d.isoformat(timespec="milliseconds") + "Z")
SERVERS = st.lists(st.from_regex(r"s-[0-9a-f]{17}", fullmatch=True), unique=True, max_size=5)
JSON_SCALAR = st.one_of(st.booleans(), st.integers(-10**6, 10**6), TEXT)
SETTINGS = st.dictionaries(st.sampled_from(["instanceType", "copyTags", "subnetId", "licensing"]),
                           JSON_SCALAR, max_size=3)


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


groups = st.fixed_dictionaries(dict(
    group_id=IDS, group_name=TEXT, description=st.one_of(st.just(""), TEXT),
    region=st.sampled_from(["us-east-1", "eu-west-1", "ap-southeast-2"]),
    account_id=st.from_regex(r"[0-9]{12}", fullmatch=True),
    source_server_ids=SERVERS,
    server_selection_tags=_optional(st.dictionaries(TEXT, TEXT, max_size=3)),
    resolved_at=_optional(DATES), launch_config=_optional(SETTINGS),
    servers=_optional(st.dictionaries(st.from_regex(r"s-[0-9a-f]{17}", fullmatch=True), SETTINGS, max_size=2)),
    launch_config_status=_optional(st.fixed_dictionaries({"status": st.sampled_from(["ready", "failed"]),
                                                          "revision": st.integers(0, 50)})),
    version=st.integers(1, 10**6), created_date=DATES, last_modified_date=DATES,
    created_by=_optional(TEXT), last_modified_by=_optional(TEXT),
)).map(lambda fields: ProtectionGroup(**fields))


@st.composite
def waves(draw: st.DrawFn) -> list[Wave]:
    count = draw(st.integers(0, 4))
    return [Wave(wave_number=n, wave_name=draw(TEXT), protection_group_ids=draw(st.lists(IDS, unique=True, max_size=3)),
                 depends_on_waves=[n - 1] if n > 1 else [], independent=draw(st.booleans()),
                 pause_before_wave=draw(st.booleans()), on_server_failure=draw(st.sampled_from(list(OnServerFailure))),
                 rto_minutes=draw(_optional(st.integers(1, 600))))
            for n in range(1, count + 1)]


plans = st.fixed_dictionaries(dict(
    plan_id=IDS, plan_name=TEXT, description=st.one_of(st.just(""), TEXT), waves=waves(),
    schema_version=st.just(2), version=st.integers(1, 10**6), created_date=DATES, last_modified_date=DATES,
    created_by=_optional(TEXT), last_modified_by=_optional(TEXT), notification_email=_optional(TEXT),
    notification_subscription_arn=_optional(TEXT), drill_ttl_hours=_optional(st.integers(1, 720)),
    rto_minutes=_optional(st.integers(1, 600)), rpo_minutes=_optional(st.integers(1, 600)),
    job_timeout_minutes=_optional(st.integers(1, 600)), wave_timeout_minutes=_optional(st.integers(1, 600)),
)).map(lambda fields: RecoveryPlan(**fields))


def _through_dynamodb(item: dict[str, Any]) -> dict[str, Any]:
    return deserialize(serialize(item))


@settings(max_examples=60, deadline=None)
@given(groups)
def test_a_group_survives_its_item(group: ProtectionGroup) -> None:
    item = group_item(group)
    assert item["entityType"] == "GROUP" and item["groupNameLower"] == group.group_name.lower()
    assert item["accountRegion"] == f"{group.account_id}#{group.region}"
    assert not any(v is None for v in item.values())
    again = group_of_item(_through_dynamodb(item))
    assert again == group
    assert again.to_item() == group.to_item()
    assert not {"entityType", "groupNameLower", "accountRegion"} & set(again.as_dict())


@settings(max_examples=60, deadline=None)
@given(plans)
def test_a_plan_survives_its_item(plan: RecoveryPlan) -> None:
    item = plan_item(plan)
    assert item["entityType"] == "PLAN" and item["planNameLower"] == plan.plan_name.lower()
    assert item["waves"] == plan.wave_items()  # every wave in its explicit form, defaults included
    again = plan_of_item("unused-table", _through_dynamodb(item))  # schemaVersion 2: nothing to upgrade
    assert again == plan
    assert again.to_item() == plan.to_item()
    assert not {"entityType", "planNameLower"} & set(again.as_dict())


def test_a_read_record_shows_only_what_was_stored() -> None:
    """The API view of a stored group is its item's attributes (no defaults added, none dropped)."""
    stored = {"groupId": "g", "groupName": "G", "region": "us-east-1", "accountId": "123456789012",
              "sourceServerIds": [], "version": 3, "createdDate": "2025-01-01T00:00:00.000Z",
              "lastModifiedDate": "2025-01-01T00:00:00.000Z", "launchConfigStatus": {"status": "ready", "revision": 4},
              "entityType": "GROUP", "groupNameLower": "g", "accountRegion": "123456789012#us-east-1"}
    group = group_of_item(stored)
    assert group.as_dict() == {k: v for k, v in stored.items()
                               if k not in ("entityType", "groupNameLower", "accountRegion")}
