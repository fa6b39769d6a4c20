"""Issue 20 over the local stack: hostile or absurd input gets a clear 4xx on REST and on direct
invocation, and nothing is written — nesting depth, body size, NUL, bidi override, look-alike
names, 51 tags, oversized lists, and the same rules on POST /config/import."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from data_support import REGION, seed, unique

from drs_orch.domain.data_rules import MAX_GROUPS_PER_PLAN, MAX_SERVERS_PER_GROUP
from drs_orch.domain.input_rules import MAX_BODY_BYTES, MAX_JSON_DEPTH

pytestmark = pytest.mark.integration

DM = "data-management"


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def raw_post(api: Any, path: str, text: str) -> tuple[int, Any]:
    r = api._s.post(api.base + path, data=text.encode(), headers={"Content-Type": "application/json"}, timeout=120)
    return r.status_code, r.json()


def groups_named(admin: Any, prefix: str) -> list[str]:
    status, page = admin.get("/protection-groups", name=prefix, limit=100)
    assert status == 200
    return [g["groupName"] for g in page["groups"]]


def plans_named(admin: Any, prefix: str) -> list[str]:
    status, page = admin.get("/recovery-plans", name=prefix, limit=100)
    assert status == 200
    return [p["planName"] for p in page.get("plans", page.get("recoveryPlans", []))]


def test_depth_limit_rest_and_direct(admin: Any, invoke: Any, stack: Any) -> None:
    name = unique("deep")
    ids = seed(stack, 1)
    head = json.dumps({"groupName": name, "region": REGION, "sourceServerIds": ids})[:-1]
    for depth in (5000, MAX_JSON_DEPTH + 1):  # 5000 used to surface as a 502
        status, body = raw_post(admin, "/protection-groups", f'{head}, "description": {nested(depth)}}}')
        assert (status, body["error"]) == (400, "JSON_TOO_DEEP"), body
        assert str(MAX_JSON_DEPTH) in body["message"]
    deep = json.loads(nested(MAX_JSON_DEPTH + 1))
    out = invoke(DM, "create_protection_group", body={"groupName": name, "region": REGION, "sourceServerIds": ids,
                                                      "description": deep})
    assert out["error"] == "JSON_TOO_DEEP"
    out = invoke(DM, "list_protection_groups", query={"name": deep})
    assert out["error"] == "JSON_TOO_DEEP"
    assert groups_named(admin, name) == []


def test_size_limit_rest_and_direct(admin: Any, invoke: Any, stack: Any) -> None:
    name = unique("big")
    ids = seed(stack, 1)
    # REST over 10 MB: refused by its Content-Length, before the gateway reads the body
    url = urlsplit(admin.base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.putrequest("POST", "/protection-groups")
        conn.putheader("Authorization", admin._s.headers["Authorization"])
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
        conn.endheaders()
        resp = conn.getresponse()
        body = json.loads(resp.read())
    finally:
        conn.close()
    assert (resp.status, body["error"]) == (413, "REQUEST_TOO_LARGE")
    # REST over Lambda's 6 MB event limit (under API Gateway's 10 MB): 413 as on AWS, no 5xx
    payload = {"groupName": name, "region": REGION, "sourceServerIds": ids, "description": "x" * (7 * 1024 * 1024)}
    status, body = admin.post("/protection-groups", payload)
    assert (status, body["error"]) == (413, "REQUEST_TOO_LARGE")
    # direct invocation over 10 MB
    payload["description"] = "x" * (MAX_BODY_BYTES + 1)
    out = invoke(DM, "create_protection_group", body=payload)
    assert out["error"] == "REQUEST_TOO_LARGE" and str(MAX_BODY_BYTES) in out["message"]
    assert groups_named(admin, name) == []


@pytest.mark.parametrize(("char", "point"), [("\x00", "U+0000"), ("\u202e", "U+202E")])
def test_nul_and_bidi_override_in_names_rest_and_direct(admin: Any, invoke: Any, stack: Any, char: str,
                                                        point: str) -> None:
    prefix = unique("chr")
    ids = seed(stack, 2)
    status, body = admin.post("/protection-groups", {"groupName": f"{prefix}a{char}b", "region": REGION,
                                                     "sourceServerIds": ids[:1]})
    assert status == 400 and body["error"] == "VALIDATION_ERROR"
    assert body["details"][0]["field"] == "groupName" and point in body["details"][0]["message"]
    assert "groupName" in body["message"] and point in body["message"]
    out = invoke(DM, "create_protection_group", body={"groupName": prefix, "region": REGION,
                                                      "sourceServerIds": ids[1:], "description": f"x{char}y"})
    assert out["error"] == "VALIDATION_ERROR" and out["details"][0]["field"] == "description"
    assert point in out["details"][0]["message"]
    status, body = admin.post("/recovery-plans", {"planName": f"{prefix}{char}", "waves": []})
    assert status == 400 and body["details"][0]["field"] == "planName"
    out = invoke(DM, "create_recovery_plan", body={"planName": prefix, "waves": [
        {"waveNumber": 1, "waveName": f"w{char}", "protectionGroupIds": []}]})
    assert out["error"] == "VALIDATION_ERROR" and out["details"][0]["field"] == "waves[0].waveName"
    assert groups_named(admin, prefix) == [] and plans_named(admin, prefix) == []


def test_look_alike_names_cannot_both_exist(admin: Any, invoke: Any, stack: Any) -> None:
    prefix = unique("nfc")
    ids = seed(stack, 3)
    composed, decomposed = f"{prefix}-caf\u00e9", f"{prefix}-cafe\u0301"
    status, made = admin.post("/protection-groups", {"groupName": decomposed, "region": REGION,
                                                     "sourceServerIds": ids[:1]})
    assert status == 201 and made["groupName"] == composed  # stored NFC
    status, body = admin.post("/protection-groups", {"groupName": composed.upper(), "region": REGION,
                                                     "sourceServerIds": ids[1:2]})
    assert status == 409, body
    out = invoke(DM, "create_protection_group", body={"groupName": decomposed, "region": REGION,
                                                      "sourceServerIds": ids[2:]})
    assert out["error"] in ("CONFLICT", "NAME_CONFLICT", "GROUP_NAME_EXISTS") or "exists" in out["message"], out
    assert groups_named(admin, prefix) == [composed]
    admin.delete(f"/protection-groups/{made['groupId']}")


def test_51_tags_rest_and_direct(admin: Any, invoke: Any) -> None:
    prefix = unique("tags")
    tags = {f"Key{i}": "v" for i in range(51)}
    status, body = admin.post("/protection-groups", {"groupName": prefix, "region": REGION,
                                                     "serverSelectionTags": tags})
    assert status == 400 and body["details"] == [{"field": "serverSelectionTags",
                                                  "message": "at most 50 items are allowed, got 51"}]
    out = invoke(DM, "resolve_protection_group_tags", body={"region": REGION, "serverSelectionTags": tags})
    assert out["error"] == "VALIDATION_ERROR"
    out = invoke(DM, "create_protection_group", body={"groupName": prefix, "region": REGION,
                                                      "serverSelectionTags": {"k" * 129: "v"}})
    assert out["error"] == "VALIDATION_ERROR"
    assert groups_named(admin, prefix) == []


def test_oversized_lists_rest_and_direct(admin: Any, invoke: Any, stack: Any) -> None:
    prefix = unique("lists")
    many_ids = [f"s-{i:017d}" for i in range(MAX_SERVERS_PER_GROUP + 1)]
    status, body = admin.post("/protection-groups", {"groupName": prefix, "region": REGION,
                                                     "sourceServerIds": many_ids})
    assert status == 400 and body["details"][0]["field"] == "sourceServerIds"
    out = invoke(DM, "create_recovery_plan", body={"planName": prefix, "waves": [
        {"waveNumber": i, "waveName": "w"} for i in range(51)]})
    assert out["error"] == "VALIDATION_ERROR" and out["details"][0]["field"] == "waves"
    status, body = admin.post("/recovery-plans", {"planName": prefix, "waves": [
        {"waveNumber": 1, "waveName": "w", "protectionGroupIds": [f"g{i}" for i in range(MAX_GROUPS_PER_PLAN + 1)]}]})
    assert status == 400 and body["details"][0]["field"] == "waves[0].protectionGroupIds"
    ids = ",".join(f"e{i}" for i in range(101))
    status, body = admin.delete("/executions", ids=ids)
    assert (status, body["error"]) == (400, "TOO_MANY_IDS")
    out = invoke("execution", "delete_executions", query={"ids": ids})
    assert out["error"] == "TOO_MANY_IDS"
    out = invoke("execution", "delete_executions", body={"ids": ids.split(",")})
    assert out["error"] == "VALIDATION_ERROR" and out["details"][0]["field"] == "ids"
    server = seed(stack, 1)
    status, group = admin.post("/protection-groups", {"groupName": prefix, "region": REGION,
                                                      "sourceServerIds": server})
    assert status == 201
    try:
        out = invoke(DM, "bulk_update_server_configs", path={"groupId": group["groupId"]},
                     body={"servers": {f"s-{i:017d}": {} for i in range(MAX_SERVERS_PER_GROUP + 1)}})
        assert out["error"] == "VALIDATION_ERROR" and out["details"][0]["field"] == "servers"
        assert f"at most {MAX_SERVERS_PER_GROUP}" in out["details"][0]["message"]
        status, body = admin.put(f"/protection-groups/{group['groupId']}/servers/{server[0]}/launch-config",
                                 {"securityGroupIds": [f"sg-{i:08x}" for i in range(17)]})
        assert status == 400 and body["details"][0]["field"] == "securityGroupIds", body  # the body's own field
        assert "at most 16" in json.dumps(body["details"])
        _, after = admin.get(f"/protection-groups/{group['groupId']}")
        assert after["version"] == group["version"] and not after.get("servers")
    finally:
        admin.delete(f"/protection-groups/{group['groupId']}")
    assert plans_named(admin, prefix) == []


def test_import_applies_the_same_rules(admin: Any, invoke: Any, stack: Any) -> None:
    prefix = unique("imp")
    ids = seed(stack, 2)
    doc = {"schemaVersion": "2.0", "protectionGroups": [
        {"groupName": f"{prefix}-ok", "region": REGION, "sourceServerIds": ids[:1]},
        {"groupName": f"{prefix}-\u202ebad", "region": REGION, "sourceServerIds": ids[1:]}]}
    status, body = admin.post("/config/import", {"config": doc})
    assert status == 400 and body["error"] == "IMPORT_REJECTED"
    assert "U+202E" in body["details"]["failed"][0]["reason"]
    twins = {"schemaVersion": "2.0", "protectionGroups": [
        {"groupName": f"{prefix}-caf\u00e9", "region": REGION, "sourceServerIds": ids[:1]},
        {"groupName": f"{prefix}-CAFE\u0301", "region": REGION, "sourceServerIds": ids[1:]}]}
    out = invoke(DM, "import_configuration", body={"config": twins})
    assert out["error"] == "IMPORT_REJECTED" and "listed twice" in json.dumps(out["details"])
    tags = {"schemaVersion": "2.0", "protectionGroups": [
        {"groupName": f"{prefix}-tags", "region": REGION, "serverSelectionTags": {f"k{i}": "v" for i in range(51)}}]}
    out = invoke(DM, "import_configuration", body={"config": tags})
    assert out["error"] == "IMPORT_REJECTED"
    status, body = raw_post(admin, "/config/import", '{"config": ' + nested(40) + "}")
    assert (status, body["error"]) == (400, "JSON_TOO_DEEP")
    assert groups_named(admin, prefix) == []
