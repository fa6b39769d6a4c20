"""Configuration export and import over the local stack. The session stack is shared, so "an empty
stack" is a stack without this test's items: they are exported, deleted, imported back from the
document and exported again (the in-memory unit tests import into a store that is truly empty)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from data_support import HUB, REGION, fake_execution, seed, spoke, unique

pytestmark = pytest.mark.integration


def mine(doc: dict[str, Any], prefix: str, accounts: set[str]) -> dict[str, Any]:
    return {
        "schemaVersion": doc["schemaVersion"],
        "targetAccounts": [a for a in doc["targetAccounts"] if a["accountId"] in accounts],
        "protectionGroups": [g for g in doc["protectionGroups"] if g["groupName"].startswith(prefix)],
        "recoveryPlans": [p for p in doc["recoveryPlans"] if p["planName"].startswith(prefix)],
    }


def build(admin: Any, stack: Any, prefix: str) -> tuple[str, str, dict[str, str]]:
    secret = unique("never-exported")
    account, role = spoke(secret)
    assert admin.post("/accounts/targets", {"accountId": account, "accountName": prefix, "roleArn": role,
                                            "externalId": secret})[0] == 201
    suite = unique("io")
    explicit = seed(stack, 2)
    seed(stack, 2, {"Suite": suite})
    remote = seed(stack, 1, account=account)
    ids: dict[str, str] = {}
    for name, body in {
        f"{prefix}-db": {"sourceServerIds": explicit, "launchConfig": {"copyTags": True, "launchDisposition": "STOPPED"},
                         "servers": {explicit[0]: {"copyPrivateIp": True}}},
        f"{prefix}-web": {"serverSelectionTags": {"Suite": suite}},
        f"{prefix}-remote": {"sourceServerIds": remote, "accountId": account},
    }.items():
        status, out = admin.post("/protection-groups", {"groupName": name, "region": REGION, **body})
        assert status == 201, out
        ids[name] = out["groupId"]
    status, plan = admin.post("/recovery-plans", {"planName": f"{prefix}-plan", "description": "io", "waves": [
        {"waveNumber": 1, "waveName": "db", "protectionGroupIds": [ids[f"{prefix}-db"]]},
        {"waveNumber": 2, "waveName": "web", "protectionGroupIds": [ids[f"{prefix}-web"]], "pauseBeforeWave": True,
         "onServerFailure": "CONTINUE"}]})
    assert status == 201, plan
    ids[f"{prefix}-plan"] = plan["planId"]
    return account, secret, ids


def test_export_import_round_trip_with_dry_run_matching_the_real_import(admin: Any, stack: Any) -> None:
    prefix = unique("io")
    account, secret, ids = build(admin, stack, prefix)
    status, exported = admin.get("/config/export")
    assert status == 200 and exported["schemaVersion"] == "2.1" and exported["exportedAt"]
    assert "never-exported" not in json.dumps(exported) and "groupId" not in json.dumps(exported)
    first = mine(exported, prefix, {account})
    assert [g["groupName"] for g in first["protectionGroups"]] == [f"{prefix}-db", f"{prefix}-remote", f"{prefix}-web"]
    assert first["recoveryPlans"][0]["waves"][1]["protectionGroupNames"] == [f"{prefix}-web"]

    # remove everything of this test, then import the document back
    assert admin.delete(f"/recovery-plans/{ids[f'{prefix}-plan']}")[0] == 200
    for name in (f"{prefix}-db", f"{prefix}-web", f"{prefix}-remote"):
        assert admin.delete(f"/protection-groups/{ids[name]}")[0] == 200
    assert admin.delete(f"/accounts/targets/{account}")[0] == 200

    # the export carries no external id, so the spoke's role cannot be assumed until it is added
    status, dry = admin.post("/config/import", {"config": copy.deepcopy(first), "dryRun": True})
    assert status == 200 and not dry["success"]
    assert [(f["name"], "STS refused" in f["reason"]) for f in dry["failed"]] == [(f"{prefix}-remote", True)]
    document = copy.deepcopy(first)
    document["targetAccounts"][0]["externalId"] = secret
    status, dry = admin.post("/config/import", {"config": copy.deepcopy(document), "dryRun": True})
    assert status == 200 and dry["dryRun"] and dry["success"], json.dumps(dry["failed"])
    assert admin.get("/protection-groups", name=prefix)[1]["groups"] == []  # a dry run writes nothing
    status, real = admin.post("/config/import", {"config": copy.deepcopy(document), "dryRun": False})
    assert status == 200 and not real["dryRun"], real
    for key in ("items", "summary", "created", "updated", "skipped", "failed", "success"):
        assert real[key] == dry[key], key
    assert real["summary"]["protectionGroups"]["created"] == 3
    assert real["summary"]["recoveryPlans"]["created"] == 1
    assert real["summary"]["targetAccounts"]["created"] == 1

    status, again = admin.get("/config/export")
    assert mine(again, prefix, {account}) == first

    # importing the same document again skips everything (mode skip) ...
    status, skipped = admin.post("/config/import", {"config": document})
    assert status == 200 and {i["action"] for i in skipped["items"]} == {"skipped"}
    # ... and overwrite updates by name
    changed = copy.deepcopy(document)
    changed["protectionGroups"][0]["description"] = "overwritten"
    status, over = admin.post("/config/import", {"config": changed, "mode": "overwrite"})
    assert status == 200 and over["summary"]["protectionGroups"]["updated"] == 3, over
    _, groups = admin.get("/protection-groups", name=f"{prefix}-db")
    assert groups["groups"][0]["description"] == "overwritten" and groups["groups"][0]["version"] == 2


def test_import_refuses_servers_in_active_executions_and_writes_nothing(admin: Any, stack: Any,
                                                                       invoke: Any) -> None:
    prefix = unique("busy")
    servers = seed(stack, 2)
    doc = {"schemaVersion": "2.0", "protectionGroups": [
        {"groupName": f"{prefix}-a", "region": REGION, "accountId": HUB, "sourceServerIds": servers[:1]},
        {"groupName": f"{prefix}-b", "region": REGION, "accountId": HUB, "sourceServerIds": servers[1:]}],
        "recoveryPlans": [{"planName": f"{prefix}-plan", "waves": [
            {"waveNumber": 1, "waveName": "w", "protectionGroupNames": [f"{prefix}-a", f"{prefix}-b"]}]}]}
    with fake_execution("RUNNING", ["some-group"], servers[1:]) as execution:
        report = invoke("data-management", "import_configuration", body={"config": doc, "dryRun": True})
        failed = {i["name"]: i for i in report["items"] if i["action"] == "failed"}
        assert set(failed) == {f"{prefix}-b", f"{prefix}-plan"}
        assert execution["executionId"] in failed[f"{prefix}-b"]["reason"]
        status, out = admin.post("/config/import", {"config": doc})
        assert status == 400 and out["error"] == "IMPORT_REJECTED"
        assert out["details"]["summary"]["protectionGroups"] == {"created": 1, "updated": 0, "skipped": 0,
                                                                 "failed": 1}
        assert admin.get("/protection-groups", name=prefix)[1]["groups"] == []
    status, out = admin.post("/config/import", {"config": doc})
    assert status == 200 and out["summary"]["protectionGroups"]["created"] == 2


def test_the_earlier_systems_export_format_is_accepted(admin: Any, stack: Any) -> None:
    prefix = unique("legacy")
    servers = seed(stack, 2, {"Suite": prefix})
    legacy = {
        "exportedAt": "2025-01-01T00:00:00Z", "sourceRegion": REGION, "sourceAccount": HUB,
        "protectionGroups": [{"groupName": f"{prefix}-app", "description": "old", "region": REGION, "accountId": HUB,
                              "assumeRoleName": "OldRole", "owner": "someone",
                              "serverSelectionTags": {"Suite": prefix}, "sourceServerIds": servers,
                              "launchConfig": {"copyTags": True, "bootMode": "LEGACY_BIOS"},
                              "servers": [{"sourceServerId": servers[0], "useGroupDefaults": False,
                                           "launchTemplate": {"copyPrivateIp": True}}]}],
        "recoveryPlans": [{"planName": f"{prefix}-plan", "notificationEmail": "ops@example.com", "waves": [
            {"waveNumber": 0, "waveName": "app", "protectionGroupName": f"{prefix}-app",
             "protectionGroupId": "id-from-the-old-system", "serverIds": servers}]}],
    }
    status, out = admin.post("/config/import", legacy)
    assert status == 200 and out["schemaVersion"] == "legacy", out
    warnings = {i["name"]: " ".join(i.get("warnings", [])) for i in out["items"]}
    assert "assumeRoleName" in warnings[f"{prefix}-app"] and "bootMode" in warnings[f"{prefix}-app"]
    assert "notificationEmail" in warnings[f"{prefix}-plan"]
    _, groups = admin.get("/protection-groups", name=f"{prefix}-app")
    group = groups["groups"][0]
    assert group["sourceServerIds"] == sorted(servers) and group["servers"] == {
        servers[0]: {"copyPrivateIp": True, "useGroupDefaults": False}}
    _, plans = admin.get("/recovery-plans", name=f"{prefix}-plan")
    assert plans["recoveryPlans"][0]["waves"][0]["protectionGroupIds"] == [group["groupId"]]


def test_export_needs_its_permission(readonly: Any) -> None:
    status, out = readonly.get("/config/export")
    assert status == 403 and out["error"] == "FORBIDDEN"
