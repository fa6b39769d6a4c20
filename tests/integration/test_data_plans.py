"""Recovery plans over the local stack: seed example 2, validation, versions, the lint."""

from __future__ import annotations

from typing import Any

import pytest
from data_support import REGION, fake_execution, seed, spoke, unique

pytestmark = pytest.mark.integration


def group(admin: Any, ids: list[str], **extra: Any) -> dict[str, Any]:
    status, out = admin.post("/protection-groups", {"groupName": unique("pg"), "region": REGION,
                                                    "sourceServerIds": ids, **extra})
    assert status == 201, out
    return out


def test_seed_example_2_direct_invocation_with_legacy_single_group_id(admin: Any, stack: Any, invoke: Any) -> None:
    ids = seed(stack, 6)
    db, app, web = (group(admin, ids[n:n + 2]) for n in (0, 2, 4))
    name = unique("Production DR Plan")
    out = invoke("data-management", "create_recovery_plan", body={
        "planName": name,
        "description": "Multi-wave production recovery",
        "waves": [
            {"waveNumber": 1, "waveName": "Database Tier", "protectionGroupId": db["groupId"]},
            {"waveNumber": 2, "waveName": "Application Tier", "protectionGroupId": app["groupId"],
             "dependsOnWaves": [1]},
            {"waveNumber": 3, "waveName": "Web Tier", "protectionGroupId": web["groupId"], "dependsOnWaves": [2]},
        ],
    })
    assert out["planId"] and out["planName"] == name and out["version"] == 1 and out["createdDate"]
    assert [w["protectionGroupIds"] for w in out["waves"]] == [[db["groupId"]], [app["groupId"]], [web["groupId"]]]
    status, got = admin.get(f"/recovery-plans/{out['planId']}")
    assert status == 200
    assert [w["serverIds"] for w in got["waves"]] == [ids[0:2], ids[2:4], ids[4:6]]
    assert [w["onServerFailure"] for w in got["waves"]] == ["STOP"] * 3
    assert got["totalServers"] == 6 and got["region"] == REGION and got["waveCount"] == 3


def test_every_problem_is_reported_at_once(admin: Any, stack: Any) -> None:
    ids = seed(stack, 4)
    a, b = group(admin, ids[:2]), group(admin, ids[2:4])
    west = group(admin, seed(stack, 1, region="us-west-2"), region="us-west-2")
    status, out = admin.post("/recovery-plans", {"planName": unique("bad"), "waves": [
        {"waveNumber": 1, "waveName": "one", "protectionGroupIds": [a["groupId"]], "dependsOnWaves": [3]},
        {"waveNumber": 2, "waveName": "two", "protectionGroupIds": [a["groupId"], "no-such-group"]},
        {"waveNumber": 2, "waveName": "again", "protectionGroupIds": [b["groupId"]]},
        {"waveNumber": 3, "waveName": "three", "protectionGroupIds": [west["groupId"]], "dependsOnWaves": [2, 7]},
    ]})
    assert status == 400 and out["error"] == "INVALID_PLAN"
    codes = {d["code"] for d in out["details"]}
    assert {"UNKNOWN_GROUP", "DUPLICATE_WAVE_NUMBER", "MISSING_DEPENDENCY", "DEPENDENCY_CYCLE",
            "SERVER_IN_MULTIPLE_WAVES", "MIXED_REGIONS"} <= codes, out
    cycle = next(d for d in out["details"] if d["code"] == "DEPENDENCY_CYCLE")
    assert "1 -> 2 -> 3 -> 1" in cycle["message"], cycle
    status, out = admin.post("/recovery-plans", {"planName": unique("shape"), "waves": [{"waveNumber": -1}]})
    assert status == 400 and {d["field"] for d in out["details"]} >= {"waves[0].waveNumber", "waves[0].waveName"}


def test_groups_of_different_accounts_are_refused(admin: Any, stack: Any) -> None:
    account, role = spoke()
    assert admin.post("/accounts/targets", {"accountId": account, "accountName": "plans", "roleArn": role})[0] == 201
    remote = group(admin, seed(stack, 1, account=account), accountId=account)
    local = group(admin, seed(stack, 1))
    status, out = admin.post("/recovery-plans", {"planName": unique("mixed"), "waves": [
        {"waveNumber": 1, "waveName": "a", "protectionGroupIds": [remote["groupId"], local["groupId"]]}]})
    assert status == 400 and [d["code"] for d in out["details"]] == ["MIXED_ACCOUNTS"]
    assert account in out["message"]


def test_versions_names_pagination_and_delete(admin: Any, stack: Any) -> None:
    ids = seed(stack, 3)
    g1, g2 = group(admin, ids[:1]), group(admin, ids[1:3])
    prefix = unique("plan")
    plans = []
    for n in range(3):
        status, plan = admin.post("/recovery-plans", {"name": f"{prefix}-{n}", "waves": [
            {"waveNumber": 1, "name": "w", "protectionGroupIds": [g1["groupId"]]}]})
        assert status == 201, plan
        plans.append(plan)
    status, out = admin.post("/recovery-plans", {"planName": prefix.upper() + "-0", "waves": [
        {"waveNumber": 1, "waveName": "w", "protectionGroupIds": [g2["groupId"]]}]})
    assert status == 409 and out["error"] == "PLAN_NAME_EXISTS"
    _, page = admin.get("/recovery-plans", name=prefix, limit=2)
    assert [p["planName"] for p in page["recoveryPlans"]] == [f"{prefix}-0", f"{prefix}-1"] and page["nextToken"]
    _, rest = admin.get("/recovery-plans", name=prefix, limit=2, nextToken=page["nextToken"])
    assert [p["planName"] for p in rest["recoveryPlans"]] == [f"{prefix}-2"]
    path = f"/recovery-plans/{plans[0]['planId']}"
    waves = [{"waveNumber": 1, "waveName": "a", "protectionGroupIds": [g1["groupId"]]},
             {"waveNumber": 2, "waveName": "b", "protectionGroupIds": [g2["groupId"]], "pauseBeforeWave": True}]
    status, v2 = admin.put(path, {"waves": waves, "version": 1})
    assert status == 200 and v2["version"] == 2 and v2["waves"][1]["serverIds"] == ids[1:3]
    status, out = admin.put(path, {"description": "late", "version": 1})
    assert status == 409 and out["error"] == "VERSION_CONFLICT"
    status, out = admin.put(path, {"planName": f"{prefix}-1", "version": 2})
    assert status == 409 and out["error"] == "PLAN_NAME_EXISTS"
    # g2 is now referenced, g1 by all three plans
    _, used = admin.get(f"/protection-groups/{g2['groupId']}")
    assert [p["planId"] for p in used["recoveryPlans"]] == [plans[0]["planId"]]
    with fake_execution("PAUSED", [g1["groupId"]], ids[:1], plan_id=plans[0]["planId"]):
        status, out = admin.delete(path)
        assert status == 409 and out["error"] == "PLAN_HAS_ACTIVE_EXECUTION"
    assert admin.delete(path)[0] == 200
    assert admin.get(path)[0] == 404
    assert admin.delete(f"/protection-groups/{g2['groupId']}")[0] == 200


def test_validate_lints_against_drs(admin: Any, stack: Any, invoke: Any) -> None:
    healthy = seed(stack, 2)
    stalled = seed(stack, 1, state="STALLED")
    g1, g2 = group(admin, healthy), group(admin, stalled)
    status, plan = admin.post("/recovery-plans", {"planName": unique("lint"), "waves": [
        {"waveNumber": 1, "waveName": "a", "protectionGroupIds": [g1["groupId"]]},
        {"waveNumber": 2, "waveName": "b", "protectionGroupIds": [g2["groupId"]]}]})
    assert status == 201
    status, report = admin.post(f"/recovery-plans/{plan['planId']}/validate")
    assert status == 200, report
    assert report["valid"] and report["errors"] == []
    unhealthy = [w for w in report["warnings"] if w["code"] == "REPLICATION_UNHEALTHY"]
    assert unhealthy == [{"code": "REPLICATION_UNHEALTHY", "wave": 2, "serverIds": stalled,
                          "message": unhealthy[0]["message"]}] and "STALLED" in unhealthy[0]["message"]
    assert report["summary"]["levels"] == [[1], [2]] and report["summary"]["servers"] == 3
    assert report["capacity"]["limits"]["activeJobs"] == 20
    existing = report["capacity"]["currentUsage"]["recoveryInstances"]
    assert report["capacity"]["afterPlan"]["recoveryInstances"]["used"] == existing + 3
    direct = invoke("data-management", "validate_recovery_plan", path={"planId": plan["planId"]})
    assert direct["valid"] and direct["summary"] == report["summary"]


def test_wave_over_100_servers_is_a_warning_not_an_error(admin: Any, stack: Any) -> None:
    suite = unique("big")
    ids = seed(stack, 102, {"Suite": suite})
    g1, g2 = group(admin, ids[:51]), group(admin, ids[51:])
    status, plan = admin.post("/recovery-plans", {"planName": unique("big"), "waves": [
        {"waveNumber": 1, "waveName": "all", "protectionGroupIds": [g1["groupId"], g2["groupId"]]}]})
    assert status == 201, plan
    assert plan["waves"][0]["serverCount"] == 102
    _, report = admin.post(f"/recovery-plans/{plan['planId']}/validate")
    assert report["valid"]
    split = [w for w in report["warnings"] if w["code"] == "WAVE_SPLIT"]
    assert len(split) == 1 and "2 DRS jobs" in split[0]["message"]
    status, out = admin.post("/protection-groups", {"groupName": unique(), "region": REGION,
                                                    "serverSelectionTags": {"Suite": suite}})
    assert status in (400, 409)  # 102 servers: over the group limit (and already taken)
