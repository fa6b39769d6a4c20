"""Protection groups larger than one DynamoDB transaction (issue 15): a save that claims more than
97 servers is a saga with an intent record; a crash between its chunks (raised here between the
first and the second chunk) leaves the old group after recovery, never a mix, and no server held by
two groups."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Attr
from data_support import REGION, seed, unique

from drs_orch.adapters import dynamodb_saga
from drs_orch.adapters.dynamodb_groups import DynamoGroupStore
from drs_orch.services.data_ports import GroupWrite

pytestmark = pytest.mark.integration


class Crash(Exception):
    """Stands for the Lambda ending between two chunks."""


def _guards() -> Any:
    return boto3.resource("dynamodb", region_name="us-east-1").Table(os.environ["GUARDS_TABLE"])


def _held(group_id: str) -> set[str]:
    items = _guards().scan(FilterExpression=Attr("ownerId").eq(group_id) & Attr("guardType").eq("group-server"))
    return {str(i["guardKey"]).rsplit("#", 1)[1] for i in items["Items"]}


def _intent(group_id: str) -> dict[str, Any] | None:
    return _guards().get_item(Key={"guardKey": dynamodb_saga.intent_key("group", group_id)}).get("Item")


def _crashed_growth(stack: Any, admin: Any, store: DynamoGroupStore, name: str, before: int,
                    added: int) -> tuple[str, list[str], list[str]]:
    """A group of ``before`` servers whose save growing it by ``added`` more (a saga) ends after
    its first chunk, as a Lambda timing out there would: (group id, old servers, new servers)."""
    old, new = seed(stack, before, region=REGION), seed(stack, added, region=REGION)
    status, group = admin.post("/protection-groups", {"groupName": unique(name), "region": REGION,
                                                      "sourceServerIds": old})
    assert status == 201, group
    gid = group["groupId"]

    def crash(chunk: int) -> None:
        raise Crash(f"after chunk {chunk}")

    store.between_chunks = crash
    current = store.get(gid)
    assert current is not None
    item = current.model_copy(update={"source_server_ids": old + new, "version": 2})
    with pytest.raises(Crash):
        store.commit(GroupWrite(group_id=gid, item=item, expected_version=1, claim_servers=new))
    return gid, old, new


@pytest.fixture(name="store")
def store_fixture() -> Iterator[DynamoGroupStore]:
    yield DynamoGroupStore(os.environ["PROTECTION_GROUPS_TABLE"], os.environ["GUARDS_TABLE"])


def test_a_group_of_250_servers_is_saved_through_the_api(stack: Any, admin: Any) -> None:
    servers = seed(stack, 250, region=REGION)
    status, body = admin.post("/protection-groups", {"groupName": unique("big"), "region": REGION,
                                                     "sourceServerIds": servers})
    assert status == 201, body
    assert _held(body["groupId"]) == set(servers) and _intent(body["groupId"]) is None
    status, other = admin.post("/protection-groups", {"groupName": unique("other"), "region": REGION,
                                                      "sourceServerIds": servers[-2:]})
    assert status == 409, other  # a server of the big group is not claimed by a second one


def test_a_crash_between_chunks_leaves_the_old_group_after_recovery(
        stack: Any, admin: Any, store: DynamoGroupStore, monkeypatch: pytest.MonkeyPatch) -> None:
    gid, old, new = _crashed_growth(stack, admin, store, "grow", 20, 230)
    intent = _intent(gid)
    assert intent is not None and intent["claimCount"] == len(new) and intent["done"] == 1
    assert set(new) & _held(gid)  # a first chunk was claimed ...
    status, body = admin.get(f"/protection-groups/{gid}")
    assert status == 200 and body["version"] == 1 and sorted(body["sourceServerIds"]) == sorted(old)  # ... no mix
    # while the intent is young, another write waits for it (409) instead of interleaving
    status, body = admin.put(f"/protection-groups/{gid}", {"sourceServerIds": old, "version": 1,
                                                            "description": "touched"})
    assert status == 409, body
    # once it is stale, the next write finds it unfinished and rolls it back first
    monkeypatch.setattr(dynamodb_saga, "STALE_SECONDS", 0.0)
    status, body = admin.put(f"/protection-groups/{gid}", {"sourceServerIds": old, "version": 1,
                                                            "description": "touched"})
    assert status == 200, body
    assert _intent(gid) is None and _held(gid) == set(old)
    assert body["version"] == 2 and sorted(body["sourceServerIds"]) == sorted(old)
    # and the servers the crashed saga had claimed are free for another group
    status, other = admin.post("/protection-groups", {"groupName": unique("other"), "region": REGION,
                                                      "sourceServerIds": new[:5]})
    assert status == 201, other


def test_a_refused_chunk_rolls_the_saga_back(stack: Any, admin: Any) -> None:
    taken = seed(stack, 150, region=REGION)
    status, first = admin.post("/protection-groups", {"groupName": unique("first"), "region": REGION,
                                                      "sourceServerIds": taken[-1:]})
    assert status == 201, first
    status, body = admin.post("/protection-groups", {"groupName": unique("second"), "region": REGION,
                                                     "sourceServerIds": taken})
    assert status == 409, body
    assert _held(first["groupId"]) == {taken[-1]}
    leftovers = _guards().scan(FilterExpression=Attr("guardType").eq("group-server")
                               & Attr("guardKey").is_in([f"group-server#123456789012#{REGION}#{s}" for s in taken[:99]]))
    assert leftovers["Items"] == []


def test_the_same_save_retried_after_a_crash_claims_every_server(
        stack: Any, admin: Any, store: DynamoGroupStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The retry's claims are computed while the crashed saga's guards (owned by the same group)
    still stand; the store rolls that saga back and claims those servers again."""
    gid, old, new = _crashed_growth(stack, admin, store, "retry", 5, 150)
    assert set(new) & _held(gid)
    monkeypatch.setattr(dynamodb_saga, "STALE_SECONDS", 0.0)
    status, body = admin.put(f"/protection-groups/{gid}", {"sourceServerIds": old + new, "version": 1})
    assert status == 200, body
    assert _held(gid) == set(old + new) and _intent(gid) is None
