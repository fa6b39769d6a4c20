"""The per-server launch-settings status is kept beside the group item, in status parts
(``adapters/dynamodb_launch.py``), so that a group of 3,000 servers fits DynamoDB's 400 KB item
limit (issue 15; measured at 3,000 servers by ``bench/data_scale.py``). Here the part size is made
small so that 24 servers take several parts: the API answers as before, every part belongs to the
status it was written with, and parts no longer needed go (a smaller group, a deleted group)."""

from __future__ import annotations

import os
from typing import Any

import boto3
import pytest
from launch_support import HUB, REGION, Network, network, seed, unique

from drs_orch.adapters import dynamodb_launch

pytestmark = pytest.mark.integration


def _table() -> Any:
    return boto3.resource("dynamodb", region_name="us-east-1").Table(os.environ["PROTECTION_GROUPS_TABLE"])


def _raw(group_id: str) -> dict[str, Any]:
    return dict(_table().get_item(Key={"groupId": group_id}, ConsistentRead=True)["Item"])


def _parts(group_id: str) -> list[dict[str, Any]]:
    found = []
    for n in range(40):
        item = _table().get_item(Key={"groupId": dynamodb_launch.part_key(group_id, n)}, ConsistentRead=True)
        if "Item" in item:
            found.append(item["Item"])
    return found


@pytest.fixture(scope="module")
def net(stack: Any) -> Network:
    return network(stack)


def test_the_per_server_status_lives_in_parts_and_the_api_answers_as_before(
        stack: Any, admin: Any, net: Network, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dynamodb_launch, "PART_BYTES", 1_000)  # a few servers per part
    servers = seed(stack, 24)
    config = {"subnetId": net.subnet, "securityGroupIds": [net.sg], "instanceType": "m5.large", "copyTags": True}
    status, group = admin.post("/protection-groups", {"groupName": unique("parts"), "region": REGION,
                                                      "sourceServerIds": servers, "launchConfig": config})
    assert status == 201, group
    gid = group["groupId"]
    assert group["launchConfigStatus"]["status"] == "ready", group["launchConfigStatus"]
    assert set(group["launchConfigStatus"]["serverConfigs"]) == set(servers)

    raw = _raw(gid)
    revision = raw["launchConfigStatus"]["revision"]
    parts = _parts(gid)
    assert raw["launchConfigStatus"]["serverConfigs"] == {} and raw["launchStatusParts"] == len(parts) >= 3
    assert {p["revision"] for p in parts} == {revision}
    assert sorted(s for p in parts for s in p["serverConfigs"]) == sorted(servers)

    status, got = admin.get(f"/protection-groups/{gid}")
    assert status == 200 and "launchStatusParts" not in got
    assert got["launchConfigStatus"]["serverConfigs"] == group["launchConfigStatus"]["serverConfigs"]
    status, view = admin.get(f"/protection-groups/{gid}/launch-config-status")
    assert status == 200 and set(view["serverConfigs"]) == set(servers) and view["outdatedServers"] == {}
    status, listed = admin.get("/protection-groups", name=group["groupName"])
    assert status == 200 and listed["groups"][0]["launchConfigStatus"]["status"] == "ready"

    # a smaller group writes fewer parts and deletes the rest, in the same transaction
    status, smaller = admin.put(f"/protection-groups/{gid}", {"sourceServerIds": servers[:4], "version": 1,
                                                               "force": True})
    assert status == 200, smaller
    parts = _parts(gid)
    assert _raw(gid)["launchStatusParts"] == len(parts) < 3
    assert sorted(s for p in parts for s in p["serverConfigs"]) == sorted(servers[:4])
    status, view = admin.get(f"/protection-groups/{gid}/launch-config-status")
    assert set(view["serverConfigs"]) == set(servers[:4])

    status, body = admin.delete(f"/protection-groups/{gid}")
    assert status == 200, body
    assert _parts(gid) == []


def test_an_item_over_400_kb_is_refused_as_the_callers_data_not_a_fault(stack: Any, admin: Any) -> None:
    """3,000 servers' overrides at their largest do not fit the group item: DynamoDB's refusal is a
    400 ITEM_TOO_LARGE (the transaction path and the overrides path), never a 5xx."""
    from drs_orch.adapters.dynamodb_groups import DynamoGroupStore
    from drs_orch.adapters.dynamodb_launch import GroupLaunchTable
    from drs_orch.domain.errors import ValidationFailed
    from drs_orch.services.data_ports import GroupWrite

    server = seed(stack, 1)
    status, group = admin.post("/protection-groups", {"groupName": unique("huge"), "region": REGION,
                                                      "sourceServerIds": server})
    assert status == 201, group
    huge = {f"s-{i:017d}": {"securityGroupIds": [f"sg-{i:08x}{n:09x}" for n in range(16)]} for i in range(1200)}
    with pytest.raises(ValidationFailed) as err:
        GroupLaunchTable(os.environ["PROTECTION_GROUPS_TABLE"]).save_overrides(group["groupId"], huge, 1, "now", "t")
    assert err.value.code == "ITEM_TOO_LARGE"
    store = DynamoGroupStore(os.environ["PROTECTION_GROUPS_TABLE"], os.environ["GUARDS_TABLE"])
    stored = store.get(group["groupId"])
    assert stored is not None
    with pytest.raises(ValidationFailed) as err:
        store.commit(GroupWrite(group_id=group["groupId"], item=stored.model_copy(update={"servers": huge, "version": 2}),
                                expected_version=1))
    assert err.value.code == "ITEM_TOO_LARGE"
    # the same in a saga (more servers than one transaction claims): refused at its last chunk, and
    # rolled back at once: no claim kept, no intent left
    claimed = [f"s-{i:017x}" for i in range(150)]
    with pytest.raises(ValidationFailed) as err:
        store.commit(GroupWrite(group_id=group["groupId"], item=stored.model_copy(update={"servers": huge, "version": 2}),
                                expected_version=1, claim_servers=claimed))
    assert err.value.code == "ITEM_TOO_LARGE"
    guards = boto3.resource("dynamodb", region_name="us-east-1").Table(os.environ["GUARDS_TABLE"])
    assert store.server_guards(HUB, REGION, claimed) == {}
    assert "Item" not in guards.get_item(Key={"guardKey": f"group-intent#{group['groupId']}"}, ConsistentRead=True)
    status, after = admin.get(f"/protection-groups/{group['groupId']}")
    assert status == 200 and after["version"] == 1
