"""``POST /config/import`` is one saga (issue 15): a crash between its chunks (raised here after
the first one) leaves the stored configuration all old after recovery, and the import run again
leaves it all new; a write refused in a later chunk rolls the applied ones back. Never a server
claimed by two groups, never a name claimed twice."""

from __future__ import annotations

import copy
import os
from typing import Any

import boto3
import pytest
from data_support import HUB, REGION, seed, unique

from drs_orch.adapters import dynamodb_saga
from drs_orch.domain.errors import Conflict
from drs_orch.entrypoints.wiring import container
from drs_orch.services.config_io import ConfigService

pytestmark = pytest.mark.integration


class Crash(Exception):
    """Stands for the Lambda ending between two chunks."""


def _guards(prefix: str | None = None) -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(os.environ["GUARDS_TABLE"])
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {}
    while True:
        page = table.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return [i for i in items if prefix is None or str(i["guardKey"]).startswith(prefix)]
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _service(between: Any = None) -> ConfigService:
    service = copy.copy(container().config_io)
    writer = copy.copy(service.writer)
    writer.between_chunks = between  # type: ignore[attr-defined]
    service.writer = writer
    return service


def _state(admin: Any, names: list[str], servers: list[str]) -> dict[str, Any]:
    """What is stored under ``names`` (groups or plans) and who holds ``servers`` and the names."""
    out: dict[str, Any] = {}
    for name in names:
        status, groups = admin.get("/protection-groups", name=name)
        found = [g for g in groups["groups"] if g["groupName"] == name]
        status, plans = admin.get("/recovery-plans", name=name)
        found += [p for p in plans["recoveryPlans"] if p["planName"] == name]
        out[name] = {k: found[0].get(k) for k in ("version", "description", "sourceServerIds", "waves")
                     } if found else None
    keys = {f"group-server#{HUB}#{REGION}#{s}" for s in servers}
    out["holders"] = {str(g["guardKey"]).rsplit("#", 1)[1]: g["ownerId"] for g in _guards("group-server#")
                      if g["guardKey"] in keys}
    out["names"] = sorted(str(g["guardKey"]).split("#", 1)[1] for g in _guards()
                          if str(g["guardKey"]).split("#", 1)[1] in {n.lower() for n in names}
                          and str(g["guardKey"]).startswith(("group-name#", "plan-name#")))
    return out


def _document(prefix: str, a_servers: list[str], b_servers: list[str]) -> dict[str, Any]:
    group = {"region": REGION, "accountId": HUB}
    return {"schemaVersion": "2.1", "targetAccounts": [], "protectionGroups": [
        {**group, "groupName": f"{prefix}-a", "description": "new", "sourceServerIds": a_servers},
        {**group, "groupName": f"{prefix}-b", "description": "new", "sourceServerIds": b_servers},
    ], "recoveryPlans": [
        {"planName": f"{prefix}-p", "description": "new", "waves": [
            {"waveNumber": 1, "waveName": "one", "protectionGroupNames": [f"{prefix}-a"]}]},
        {"planName": f"{prefix}-q", "description": "new", "waves": [
            {"waveNumber": 1, "waveName": "one", "protectionGroupNames": [f"{prefix}-a", f"{prefix}-b"]}]},
    ]}


def _old_state(admin: Any, stack: Any, prefix: str) -> tuple[list[str], list[str], dict[str, Any]]:
    """Group ``a`` (5 servers) and plan ``p`` using it, stored; 150 more servers, free."""
    a_servers, more = seed(stack, 5, region=REGION), seed(stack, 150, region=REGION)
    status, group = admin.post("/protection-groups", {"groupName": f"{prefix}-a", "region": REGION,
                                                      "description": "old", "sourceServerIds": a_servers})
    assert status == 201, group
    status, plan = admin.post("/recovery-plans", {"planName": f"{prefix}-p", "description": "old", "waves": [
        {"waveNumber": 1, "waveName": "one", "protectionGroupIds": [group["groupId"]]}]})
    assert status == 201, plan
    # the import moves a's last two servers to b, which also takes the 150 new ones
    return a_servers, more, _document(prefix, a_servers[:3] + more[:2], a_servers[3:] + more[2:])


def test_a_crash_between_import_chunks_leaves_all_old_after_recovery_then_all_new(
        stack: Any, admin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    prefix = unique("saga")
    a_servers, more, doc = _old_state(admin, stack, prefix)
    names = [f"{prefix}-{n}" for n in "abpq"]
    servers = a_servers + more
    old = _state(admin, names, servers)

    def crash(chunk: int) -> None:
        raise Crash(f"after chunk {chunk}")

    with pytest.raises(Crash):
        _service(crash).import_config({"config": doc, "mode": "overwrite"}, "tester")
    intent = [g for g in _guards("import-intent#") if g["guardKey"] == dynamodb_saga.intent_key("import", "config")]
    assert len(intent) == 1 and intent[0]["done"] == 1 and intent[0]["chunks"] >= 2
    assert _state(admin, names, servers) != old  # the first chunk is applied: a mix, until recovered
    a_id = admin.get("/protection-groups", name=f"{prefix}-a")[1]["groups"][0]["groupId"]
    # while the import is young, a write of an item it marked waits for it, as does another import
    status, body = admin.put(f"/protection-groups/{a_id}", {"description": "touched", "version": 2})
    assert status == 409 and body["error"] == "CONCURRENT_CHANGE", body
    status, body = admin.post("/config/import", {"config": doc, "mode": "overwrite"})
    assert status == 409 and body["error"] == "IMPORT_IN_PROGRESS", body

    # once stale, the next read of the configuration (the export) rolls it back: all old
    monkeypatch.setattr(dynamodb_saga, "STALE_SECONDS", 0.0)
    status, _ = admin.get("/config/export")
    assert status == 200
    assert _state(admin, names, servers) == old
    assert not _guards("import-intent#") and not [g for g in _guards() if "-intent#" in str(g["guardKey"])
                                                 and str(g.get("ownerId")) == a_id]

    # the import run again writes it all: all new, each server held by the one group that lists it
    status, report = admin.post("/config/import", {"config": doc, "mode": "overwrite"})
    assert status == 200, report
    new = _state(admin, names, servers)
    groups = {n: admin.get("/protection-groups", name=n)[1]["groups"][0] for n in names[:2]}
    for group in groups.values():
        assert group["description"] == "new"
        assert {s: new["holders"][s] for s in group["sourceServerIds"]} == dict.fromkeys(group["sourceServerIds"],
                                                                                         group["groupId"])
    assert set(new["holders"]) == set(servers) and new["names"] == sorted(n.lower() for n in names)
    assert new[f"{prefix}-p"]["description"] == "new" and new[f"{prefix}-q"] is not None
    assert not [g for g in _guards() if "-intent" in str(g["guardKey"])
                and str(g.get("ownerId")) in {groups[names[0]]["groupId"], groups[names[1]]["groupId"], "config"}]


def test_a_write_refused_in_a_later_chunk_rolls_the_import_back(stack: Any, admin: Any) -> None:
    prefix = unique("saga")
    a_servers, more, doc = _old_state(admin, stack, prefix)
    names = [f"{prefix}-{n}" for n in "abpq"]
    old = _state(admin, names, a_servers + more)
    taken: list[Any] = []

    def race(chunk: int) -> None:  # another group claims one of b's last servers meanwhile
        if chunk == 0:
            taken.append(admin.post("/protection-groups", {"groupName": unique("racer"), "region": REGION,
                                                           "sourceServerIds": more[-1:]}))

    with pytest.raises(Conflict) as err:
        _service(race).import_config({"config": doc, "mode": "overwrite"}, "tester")
    assert taken[0][0] == 201, taken
    assert err.value.code == "IMPORT_ABORTED" and err.value.details["error"]["error"] == "SERVER"
    after = _state(admin, names, a_servers + more)
    racer = taken[0][1]["groupId"]
    assert after["holders"].pop(more[-1]) == racer and old["holders"].pop(more[-1], None) is None
    assert after == old
    assert not _guards("import-intent#") and not [g for g in _guards() if "#part#" in str(g["guardKey"])
                                                 and "import-intent" in str(g["guardKey"])]
    assert not [g for g in _guards() if str(g["guardKey"]).startswith(("group-intent#", "plan-intent#"))
                and g.get("parent") == dynamodb_saga.intent_key("import", "config")]


def test_a_write_of_an_item_a_crashed_import_marked_rolls_the_import_back(
        stack: Any, admin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    prefix = unique("saga")
    a_servers, more, doc = _old_state(admin, stack, prefix)
    names = [f"{prefix}-{n}" for n in "abpq"]
    old = _state(admin, names, a_servers + more)

    def crash(chunk: int) -> None:
        raise Crash(f"after chunk {chunk}")

    with pytest.raises(Crash):
        _service(crash).import_config({"config": doc, "mode": "overwrite"}, "tester")
    a_id = admin.get("/protection-groups", name=f"{prefix}-a")[1]["groups"][0]["groupId"]
    status, partial = admin.get(f"/protection-groups/{a_id}")
    assert partial["version"] == 2 and partial["description"] == "new"  # the crashed import's first chunk
    monkeypatch.setattr(dynamodb_saga, "STALE_SECONDS", 0.0)
    # the write meets the import's marker on the group, rolls the whole import back, and then finds
    # that the version it read (the import's) is gone: the caller re-reads the old group
    status, body = admin.put(f"/protection-groups/{a_id}", {"description": "touched", "version": 2})
    assert status == 409 and body["error"] == "VERSION_CONFLICT", body
    assert _state(admin, names, a_servers + more) == old
    assert not [g for g in _guards("import-intent#") if g["guardKey"] == dynamodb_saga.intent_key("import", "config")]
    status, body = admin.put(f"/protection-groups/{a_id}", {"description": "touched", "version": 1})
    assert status == 200 and body["version"] == 2 and sorted(body["sourceServerIds"]) == sorted(a_servers), body


def test_an_import_first_rolls_back_a_crashed_save_of_a_group_it_writes(
        stack: Any, admin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from drs_orch.adapters.dynamodb_groups import DynamoGroupStore
    from drs_orch.services.data_ports import GroupWrite

    prefix = unique("saga")
    a_servers, more, doc = _old_state(admin, stack, prefix)
    store = DynamoGroupStore(os.environ["PROTECTION_GROUPS_TABLE"], os.environ["GUARDS_TABLE"])
    a_id = admin.get("/protection-groups", name=f"{prefix}-a")[1]["groups"][0]["groupId"]

    def crash(chunk: int) -> None:
        raise Crash(f"after chunk {chunk}")

    store.between_chunks = crash
    stored = store.get(a_id)
    assert stored is not None
    with pytest.raises(Crash):  # a save of group a claiming 120 more servers ends after its first chunk
        store.commit(GroupWrite(group_id=a_id, item=stored.model_copy(update={
                                    "source_server_ids": a_servers + more[:120], "version": 2}), expected_version=1, claim_servers=more[:120]))
    status, body = admin.post("/config/import", {"config": doc, "mode": "overwrite"})
    assert status == 409 and body["error"] == "IMPORT_ABORTED", body  # while that save may still be running
    monkeypatch.setattr(dynamodb_saga, "STALE_SECONDS", 0.0)
    status, report = admin.post("/config/import", {"config": doc, "mode": "overwrite"})
    assert status == 200, report
    state = _state(admin, [f"{prefix}-a", f"{prefix}-b"], a_servers + more)
    b_id = admin.get("/protection-groups", name=f"{prefix}-b")[1]["groups"][0]["groupId"]
    assert sorted(state[f"{prefix}-a"]["sourceServerIds"]) == sorted(a_servers[:3] + more[:2])
    assert state["holders"] == {**dict.fromkeys(a_servers[:3] + more[:2], a_id),
                                **dict.fromkeys(a_servers[3:] + more[2:], b_id)}
