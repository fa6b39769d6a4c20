"""Protection groups over the local stack (REST with Cognito tokens and direct invocation)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from data_support import HUB, REGION, fake_execution, seed, set_status, table, unique

pytestmark = pytest.mark.integration


def create(admin: Any, name: str, **body: Any) -> dict[str, Any]:
    status, out = admin.post("/protection-groups", {"groupName": name, "region": REGION, **body})
    assert status == 201, out
    return out


def test_seed_example_1_direct_invocation_with_fleet_servers(stack: Any, admin: Any, invoke: Any) -> None:
    """Seed 003 Example 1 as written, with two servers of the default fleet (hub, us-east-1) that
    no group holds right now; the group is removed again so the servers stay free for others."""
    taken: set[str] = set()
    token = None
    while True:
        _, page = admin.get("/protection-groups", accountId=HUB, region="us-east-1", **({"nextToken": token} if token else {}))
        for g in page["groups"]:
            taken.update(g["sourceServerIds"])
        token = page.get("nextToken")
        if not token:
            break
    fleet = [s["sourceServerID"] for s in stack.emulator.servers(account=HUB, region="us-east-1")]
    free = [s for s in fleet if s not in taken][:2]
    assert len(free) == 2, "the default fleet has no two free servers in the hub's us-east-1"
    name = unique("Production Web Servers")
    out = invoke("data-management", "create_protection_group", body={
        "groupName": name, "region": "us-east-1", "sourceServerIds": free,
        "description": "Production web tier servers"})
    try:
        assert out["groupName"] == name and out["region"] == "us-east-1" and out["version"] == 1
        assert out["sourceServerIds"] == free and out["groupId"] and out["createdDate"]
        got = invoke("data-management", "get_protection_group", path={"groupId": out["groupId"]})
        assert got["description"] == "Production web tier servers" and got["accountId"] == HUB
    finally:
        invoke("data-management", "delete_protection_group", path={"groupId": out["groupId"]})
    missing = invoke("data-management", "get_protection_group", body={"groupId": out["groupId"]})
    assert missing["error"] == "GROUP_NOT_FOUND"


def test_create_read_list_with_filters_and_pagination(admin: Any, stack: Any) -> None:
    ids = seed(stack, 4)
    prefix = unique("list")
    made = [create(admin, f"{prefix}-{n}", sourceServerIds=[ids[n]], description=f"d{n}") for n in range(3)]
    status, page1 = admin.get("/protection-groups", name=prefix.upper(), limit=2)
    assert status == 200 and [g["groupName"] for g in page1["groups"]] == [f"{prefix}-0", f"{prefix}-1"]
    assert page1["nextToken"]
    _, page2 = admin.get("/protection-groups", name=prefix, limit=2, nextToken=page1["nextToken"])
    assert [g["groupName"] for g in page2["groups"]] == [f"{prefix}-2"]
    _, by_place = admin.get("/protection-groups", accountId=HUB, region=REGION, name=prefix)
    assert {g["groupId"] for g in by_place["groups"]} == {g["groupId"] for g in made}
    _, other_region = admin.get("/protection-groups", region="us-west-2", name=prefix)
    assert other_region["groups"] == []
    status, bad = admin.get("/protection-groups", nextToken="not-a-token")
    assert status == 400 and bad["error"] == "INVALID_NEXT_TOKEN"
    status, bad = admin.get("/protection-groups", limit="1000")
    assert status == 400


def test_validation_errors_are_400_with_every_problem(admin: Any, stack: Any) -> None:
    ids = seed(stack, 1)
    status, out = admin.post("/protection-groups", {"groupName": "", "region": "mars-1", "extra": 1})
    assert status == 400 and out["error"] == "VALIDATION_ERROR"
    fields = {d["field"] for d in out["details"]}
    assert {"groupName", "region", "extra"} <= fields
    status, out = admin.post("/protection-groups", {"groupName": unique(), "region": REGION,
                                                    "sourceServerIds": ids, "serverSelectionTags": {"a": "b"}})
    assert status == 400
    status, out = admin.post("/protection-groups", {"groupName": unique(), "region": "ap-southeast-7x"})
    assert status == 400
    status, out = admin.post("/protection-groups", {"groupName": unique(), "region": REGION,
                                                    "sourceServerIds": [ids[0], "s-0000000000000dead"]})
    assert status == 400 and out["error"] == "SERVERS_NOT_FOUND"
    assert out["details"]["missingServerIds"] == ["s-0000000000000dead"]
    status, out = admin.post("/protection-groups", {"groupName": unique(), "region": REGION,
                                                    "accountId": "999999999998", "sourceServerIds": ids})
    assert status == 400 and out["error"] == "UNKNOWN_ACCOUNT"
    status, out = admin.post("/protection-groups", {"groupName": "x" * 65, "region": REGION, "sourceServerIds": ids})
    assert status == 400


def test_names_are_unique_case_insensitively(admin: Any, stack: Any) -> None:
    ids = seed(stack, 2)
    name = unique("Name")
    create(admin, f"  {name} ", sourceServerIds=[ids[0]])
    status, out = admin.post("/protection-groups", {"groupName": name.upper(), "region": REGION,
                                                    "sourceServerIds": [ids[1]]})
    assert status == 409 and out["error"] == "GROUP_NAME_EXISTS"


def test_one_group_per_server_and_overlapping_tag_groups(admin: Any, stack: Any) -> None:
    suite = unique("suite")
    ids = seed(stack, 4, {"Suite": suite, "Tier": "db"}) + seed(stack, 2, {"Suite": suite, "Tier": "web"})
    first = create(admin, unique("first"), sourceServerIds=ids[:2])
    status, out = admin.post("/protection-groups", {"groupName": unique(), "region": REGION,
                                                    "sourceServerIds": ids[1:3]})
    assert status == 409 and out["error"] == "SERVER_CONFLICT"
    assert out["details"]["conflicts"] == [{"groupId": first["groupId"], "groupName": first["groupName"],
                                            "serverIds": [ids[1]]}]
    assert first["groupName"] in out["message"] and ids[1] in out["message"]
    # a tag group over the same servers is refused, naming the shared servers
    status, out = admin.post("/protection-groups", {"groupName": unique(), "region": REGION,
                                                    "serverSelectionTags": {"Suite": suite, "Tier": "DB"}})
    assert status == 409 and out["details"]["conflicts"][0]["serverIds"] == sorted(ids[:2])
    web = create(admin, unique("web"), serverSelectionTags={"Suite": suite, "Tier": " Web "})
    assert web["sourceServerIds"] == sorted(ids[4:]) and web["resolvedAt"] and web["selectionMode"] == "TAGS"
    status, out = admin.post("/protection-groups", {"groupName": unique(), "region": REGION,
                                                    "serverSelectionTags": {"Suite": suite}})
    assert status == 409
    assert {tuple(c["serverIds"]) for c in out["details"]["conflicts"]} == {tuple(sorted(ids[:2])),
                                                                            tuple(sorted(ids[4:]))}


def test_tag_groups_keep_their_snapshot_until_re_resolved(admin: Any, stack: Any, invoke: Any) -> None:
    suite = unique("snap")
    ids = seed(stack, 2, {"Suite": suite})
    status, preview = admin.post("/protection-groups/resolve", {"region": REGION, "serverSelectionTags":
                                                                {"Suite": suite.upper()}})
    assert status == 200 and preview["sourceServerIds"] == sorted(ids) and preview["serverCount"] == 2
    assert all(s["protectionGroup"] is None for s in preview["servers"])
    group = create(admin, unique("tags"), serverSelectionTags={"Suite": suite})
    later = seed(stack, 1, {"Suite": suite})
    stack.emulator.update_server(ids[0], remove_tag_keys=["Suite"])
    _, same = admin.get(f"/protection-groups/{group['groupId']}")
    assert same["sourceServerIds"] == sorted(ids) and same["version"] == 1
    status, fresh = admin.post(f"/protection-groups/{group['groupId']}/resolve")
    assert status == 200, fresh
    assert fresh["sourceServerIds"] == sorted([ids[1], *later]) and fresh["version"] == 2
    assert fresh["changes"] == {"added": later, "removed": [ids[0]]}
    # the server that left is free for another group again
    create(admin, unique("free"), sourceServerIds=[ids[0]])
    status, out = admin.post("/protection-groups/resolve", {"protectionGroupId": group["groupId"]})
    assert status == 200 and all(s["selectable"] for s in out["servers"])
    assert invoke("data-management", "refresh_protection_group",
                  path={"groupId": create(admin, unique("explicit"), sourceServerIds=seed(stack, 1))["groupId"]}
                  )["error"] == "NOT_TAG_BASED"


def test_update_with_a_stale_version_is_refused_and_writes_nothing(admin: Any, stack: Any) -> None:
    ids = seed(stack, 3)
    group = create(admin, unique("ver"), sourceServerIds=ids[:1])
    path = f"/protection-groups/{group['groupId']}"
    status, v2 = admin.put(path, {"description": "first", "sourceServerIds": ids[:2], "version": 1})
    assert status == 200 and v2["version"] == 2 and v2["sourceServerIds"] == ids[:2]
    status, out = admin.put(path, {"description": "second", "version": 1})
    assert status == 409 and out["error"] == "VERSION_CONFLICT" and out["details"]["currentVersion"] == 2
    _, now = admin.get(path)
    assert now["description"] == "first" and now["version"] == 2
    status, out = admin.put(path, {"description": "no version"})
    assert status == 400 and out["error"] == "VERSION_REQUIRED"
    # the whole record sent back (as a UI does) is accepted; read-only fields are ignored
    status, v3 = admin.put(path, {**now, "description": "echo"})
    assert status == 200 and v3["version"] == 3 and v3["createdDate"] == group["createdDate"]
    # servers removed by an update are free again
    status, v4 = admin.put(path, {"sourceServerIds": [ids[2]], "version": 3})
    assert status == 200
    create(admin, unique("reuse"), sourceServerIds=ids[:2])


def test_concurrent_creates_exactly_one_wins(admin: Any, stack: Any) -> None:
    ids = seed(stack, 8)
    name = unique("race")
    results: list[tuple[int, Any]] = []

    def same_name(n: int) -> None:
        results.append(admin.post("/protection-groups", {"groupName": name, "region": REGION,
                                                          "sourceServerIds": [ids[n]]}))

    threads = [threading.Thread(target=same_name, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wins = [body for status, body in results if status == 201]
    assert len(wins) == 1, results
    assert sorted(status for status, _ in results) == [201] + [409] * 5
    assert {body["error"] for status, body in results if status == 409} == {"GROUP_NAME_EXISTS"}
    status, stored = admin.get(f"/protection-groups/{wins[0]['groupId']}")
    assert status == 200 and stored["groupName"] == name
    _, listing = admin.get("/protection-groups", name=name)
    assert len(listing["groups"]) == 1

    results.clear()

    def same_server(n: int) -> None:
        results.append(admin.post("/protection-groups", {"groupName": unique(f"srv{n}"), "region": REGION,
                                                          "sourceServerIds": [ids[7]]}))

    threads = [threading.Thread(target=same_server, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(status for status, _ in results) == [201] + [409] * 5, results
    _, holders = admin.get("/protection-groups", accountId=HUB, region=REGION)
    token = holders.get("nextToken")
    owners = [g for g in holders["groups"] if ids[7] in g["sourceServerIds"]]
    while token:
        _, page = admin.get("/protection-groups", accountId=HUB, region=REGION, nextToken=token)
        owners += [g for g in page["groups"] if ids[7] in g["sourceServerIds"]]
        token = page.get("nextToken")
    assert len(owners) == 1


def test_delete_refused_while_a_plan_uses_the_group(admin: Any, stack: Any) -> None:
    ids = seed(stack, 1)
    group = create(admin, unique("used"), sourceServerIds=ids)
    status, plan = admin.post("/recovery-plans", {"planName": unique("user"), "waves": [
        {"waveNumber": 1, "waveName": "w", "protectionGroupIds": [group["groupId"]]}]})
    assert status == 201, plan
    _, got = admin.get(f"/protection-groups/{group['groupId']}")
    assert got["recoveryPlans"] == [{"planId": plan["planId"], "planName": plan["planName"]}]
    status, out = admin.delete(f"/protection-groups/{group['groupId']}")
    assert status == 409 and out["error"] == "GROUP_IN_USE" and plan["planName"] in out["message"]
    assert admin.delete(f"/recovery-plans/{plan['planId']}")[0] == 200
    status, out = admin.delete(f"/protection-groups/{group['groupId']}")
    assert status == 200 and out["deleted"]
    assert admin.get(f"/protection-groups/{group['groupId']}")[0] == 404
    create(admin, group["groupName"], sourceServerIds=ids)  # name and server are free again


def test_changes_refused_while_an_active_execution_uses_the_group_unless_paused(admin: Any, stack: Any) -> None:
    ids = seed(stack, 2)
    group = create(admin, unique("busy"), sourceServerIds=ids[:1])
    path = f"/protection-groups/{group['groupId']}"
    with fake_execution("RUNNING", [group["groupId"]], ids[:1]) as execution:
        status, out = admin.put(path, {"sourceServerIds": ids, "version": 1})
        assert status == 409 and out["error"] == "GROUP_IN_ACTIVE_EXECUTION"
        assert execution["executionId"] in out["message"]
        set_status(execution, "PAUSED")
        status, out = admin.put(path, {"sourceServerIds": ids, "version": 1})
        assert status == 200 and out["version"] == 2


def test_rbac_read_only_can_read_but_not_write(readonly: Any, admin: Any, stack: Any) -> None:
    ids = seed(stack, 1)
    group = create(admin, unique("rbac"), sourceServerIds=ids)
    assert readonly.get(f"/protection-groups/{group['groupId']}")[0] == 200
    status, out = readonly.post("/protection-groups", {"groupName": unique(), "region": REGION,
                                                       "sourceServerIds": ids})
    assert status == 403 and out["error"] == "FORBIDDEN"
    assert readonly.delete(f"/protection-groups/{group['groupId']}")[0] == 403


def test_guards_left_behind_are_purged_by_the_next_claim(admin: Any, stack: Any) -> None:
    ids = seed(stack, 1)
    name = unique("orphan")
    group = create(admin, name, sourceServerIds=ids)
    # the group item vanishes without its guards (as after an interrupted clean-up)
    table("PROTECTION_GROUPS_TABLE").delete_item(Key={"groupId": group["groupId"]})
    guards = table("GUARDS_TABLE")
    assert guards.get_item(Key={"guardKey": f"group-server#{HUB}#{REGION}#{ids[0]}"}).get("Item")
    again = create(admin, name.upper(), sourceServerIds=ids)
    item = guards.get_item(Key={"guardKey": f"group-server#{HUB}#{REGION}#{ids[0]}"})["Item"]
    assert item["groupId"] == again["groupId"] and item["ownerId"] == again["groupId"]
    assert guards.get_item(Key={"guardKey": f"group-name#{name.lower()}"})["Item"]["groupId"] == again["groupId"]
