"""Export our plans as DRS native recovery plans and import native plans, over the local stack
(REST and direct invocation), checked with boto3 against the DRS emulator."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from data_support import HUB, REGION, seed, unique

pytestmark = pytest.mark.integration


def _drs(stack: Any) -> Any:
    from drs_local.stack import ACCESS_KEY, SECRET_KEY

    return boto3.client(
        "drs",
        region_name=REGION,
        endpoint_url=stack.drs_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


def _group(admin: Any, ids: list[str], **extra: Any) -> dict[str, Any]:
    status, out = admin.post("/protection-groups", {"groupName": unique("pg"), "region": REGION,
                                                    "sourceServerIds": ids, **extra})  # fmt: skip
    assert status == 201, out
    return out


def _named(admin: Any, prefix: str) -> list[str]:
    status, out = admin.get("/protection-groups", name=prefix)
    assert status == 200, out
    return [g["groupName"] for g in out["groups"]]


def _arn(server_id: str) -> str:
    return f"arn:aws:drs:{REGION}:{HUB}:source-server/{server_id}"


def _three_tier(admin: Any, stack: Any) -> tuple[dict[str, Any], list[str]]:
    ids = seed(stack, 5)
    db = _group(admin, ids[0:2], servers={ids[0]: {"instanceType": "r5.large"}})
    app, web = _group(admin, ids[2:4]), _group(admin, ids[4:5])
    status, plan = admin.post("/recovery-plans", {"planName": unique("Orders DR"), "waves": [
        {"waveNumber": 1, "waveName": "Database Tier", "protectionGroupIds": [db["groupId"]]},
        {"waveNumber": 2, "waveName": "App/Tier", "protectionGroupIds": [app["groupId"]], "dependsOnWaves": [1],
         "pauseBeforeWave": True, "onServerFailure": "CONTINUE"},
        {"waveNumber": 3, "waveName": "Web Tier", "protectionGroupIds": [web["groupId"]], "dependsOnWaves": [1],
         "waveDescription": "front end"},
    ]})  # fmt: skip
    assert status == 201, plan
    return plan, ids


def test_export_reports_what_native_plans_cannot_express_and_drills(
    admin: Any, stack: Any, invoke: Any
) -> None:
    plan, ids = _three_tier(admin, stack)
    path = f"/recovery-plans/{plan['planId']}/export-native"
    status, preview = admin.post(path, {"dryRun": True})
    assert status == 201, preview
    assert preview["recoveryPlanArn"] is None and preview["nativePlan"]["region"] == REGION
    kinds = {f["kind"] for f in preview["notExported"]}
    assert {"PAUSE", "DEPENDENCIES", "LAUNCH_SETTINGS", "WAVE_DESCRIPTION"} <= kinds, preview
    deps = next(f for f in preview["notExported"] if f["kind"] == "DEPENDENCIES")
    assert deps["waveNumber"] == 3 and deps["details"]["alsoWaitsFor"] == [2]
    assert any(a["kind"] == "RENAMED" and a["waveNumber"] == 2 for a in preview["adjustments"])
    names = [p["name"] for p in _drs(stack).list_recovery_plans()["recoveryPlans"]]
    assert preview["nativePlan"]["name"] not in names  # a dry run writes nothing

    status, out = admin.post(path, {"pauseAsWaitMinutes": 5})
    assert status == 201, out
    arn = out["recoveryPlanArn"]
    assert arn.startswith(f"arn:aws:drs:{REGION}:{HUB}:recovery-plan/")
    pause = next(f for f in out["notExported"] if f["kind"] == "PAUSE")
    assert pause["details"] == {"waitDurationMinutes": 5, "approximated": True}
    drs = _drs(stack)
    native = drs.get_recovery_plan(recoveryPlanArn=arn)["recoveryPlan"]
    assert native["status"] == "ACTIVE" and native["tags"]["drs-orch:planId"] == plan["planId"]
    steps = drs.list_recovery_plan_steps(recoveryPlanArn=arn)["recoveryPlanSteps"]
    assert [s["stepName"] for s in steps] == [
        "Database Tier",
        "pause before App-Tier",
        "App-Tier",
        "Web Tier",
    ]
    assert steps[1]["configuration"]["waitStepConfiguration"]["waitDurationMinutes"] == 5
    app_servers = steps[2]["configuration"]["serverStepConfiguration"]["servers"]
    assert app_servers == [{"serverArn": _arn(s), "impactLevel": "OPTIONAL"} for s in ids[2:4]]
    db_servers = steps[0]["configuration"]["serverStepConfiguration"]["servers"]
    assert {s["impactLevel"] for s in db_servers} == {"CRITICAL"}

    # a retried export (same plan version) answers the same native plan; another plan by that name is a 409
    status, again = admin.post(path, {"pauseAsWaitMinutes": 5})
    assert status == 201 and again["recoveryPlanArn"] == arn
    assert len(drs.list_recovery_plan_steps(recoveryPlanArn=arn)["recoveryPlanSteps"]) == 4
    other, _ = _three_tier(admin, stack)
    status, body = admin.post(f"/recovery-plans/{other['planId']}/export-native",
                              {"nativePlanName": native["name"]})  # fmt: skip
    assert status == 409 and body["error"] == "NATIVE_PLAN_CONFLICT", body

    # the same operation by direct invocation
    direct = invoke("data-management", "export_native_recovery_plan", body={"dryRun": True},
                    path={"planId": plan["planId"]})  # fmt: skip
    assert direct["nativePlan"] == preview["nativePlan"]

    # a full native drill of the exported plan on the job lifecycle
    execution = drs.start_recovery_plan_execution(recoveryPlanArn=arn, mode="DRILL")["recoveryPlanExecution"]
    stack.emulator.advance(4 * 3600)
    done = drs.get_recovery_plan_execution(recoveryPlanExecutionArn=execution["recoveryPlanExecutionArn"])
    assert done["recoveryPlanExecution"]["status"] == "COMPLETED"
    launched = drs.describe_recovery_instances(filters={"sourceServerIDs": ids})["items"]
    assert sorted(ri["sourceServerID"] for ri in launched) == sorted(ids) and all(
        ri["isDrill"] for ri in launched
    )


def test_export_refusals(admin: Any, stack: Any) -> None:
    east = _group(admin, seed(stack, 1))
    west = _group(admin, seed(stack, 1, region="us-west-2"), region="us-west-2")
    status, plan = admin.post("/recovery-plans", {"planName": unique("two-regions"), "waves": [
        {"waveNumber": 1, "waveName": "a", "protectionGroupIds": [east["groupId"]]},
    ]})  # fmt: skip
    assert status == 201, plan
    path = f"/recovery-plans/{plan['planId']}/export-native"
    status, body = admin.post(path, {"bogus": 1})
    assert status == 400 and "bogus" in str(body["details"]), body
    status, body = admin.post(path, {"pauseAsWaitMinutes": 121})
    assert status == 400, body
    assert admin.post("/recovery-plans/no-such-plan/export-native", {})[0] == 404
    from drs_orch.domain.errors import ValidationFailed
    from drs_orch.domain.models import ProtectionGroup, RecoveryPlan
    from drs_orch.domain.native_plans import export_plan

    spanning = RecoveryPlan.from_item({"planId": "p", "planName": "x", "createdDate": east["createdDate"],
                                       "lastModifiedDate": east["createdDate"], "waves": [
        {"waveNumber": 1, "waveName": "a", "protectionGroupIds": [east["groupId"]], "dependsOnWaves": []},
        {"waveNumber": 2, "waveName": "b", "protectionGroupIds": [west["groupId"]], "dependsOnWaves": [1]},
    ]})  # fmt: skip
    with pytest.raises(ValidationFailed, match="spans"):
        export_plan(spanning, {g["groupId"]: ProtectionGroup.from_item(g) for g in (east, west)}, hub_account_id=HUB)


def test_import_native_plan_reuses_groups_or_creates_them(admin: Any, stack: Any) -> None:
    plan, ids = _three_tier(admin, stack)
    status, out = admin.post(f"/recovery-plans/{plan['planId']}/export-native", {})
    assert status == 201, out
    arn = out["recoveryPlanArn"]
    status, body = admin.post("/recovery-plans/import-native", {"recoveryPlanArn": arn})
    assert status == 409 and body["error"] == "PLAN_NAME_EXISTS", body  # the native plan kept our name
    name = unique("imported")
    status, imported = admin.post("/recovery-plans/import-native", {"recoveryPlanArn": arn, "planName": name})
    assert status == 201, imported
    waves = imported["plan"]["waves"]
    assert [w["serverIds"] for w in waves] == [ids[0:2], ids[2:4], ids[4:5]]
    assert [w["protectionGroupIds"] for w in waves] == [w["protectionGroupIds"] for w in plan["waves"]]
    assert imported["createdGroupIds"] == [] and len(imported["reusedGroupIds"]) == 3
    assert [w["onServerFailure"] for w in waves] == ["STOP", "CONTINUE", "STOP"]
    assert [w["dependsOnWaves"] for w in waves] == [[], [1], [2]]

    # a native plan made with boto3: new servers, a wait, mixed impact levels
    fresh = seed(stack, 3)
    drs = _drs(stack)
    native = drs.create_recovery_plan(name=unique("native"), description="made in DRS")["recoveryPlan"]
    narn = native["recoveryPlanArn"]
    drs.create_recovery_plan_step(recoveryPlanArn=narn, stepName="first", configuration={
        "serverStepConfiguration": {"servers": [{"serverArn": _arn(fresh[0])},
                                                {"serverArn": _arn(fresh[1]), "impactLevel": "OPTIONAL"}]}})  # fmt: skip
    drs.create_recovery_plan_step(recoveryPlanArn=narn, stepName="breathe",
                                  configuration={"waitStepConfiguration": {"waitDurationMinutes": 15}})  # fmt: skip
    drs.create_recovery_plan_step(recoveryPlanArn=narn, stepName="second", configuration={
        "serverStepConfiguration": {"servers": [{"serverArn": _arn(fresh[2]), "impactLevel": "OPTIONAL"}]}})  # fmt: skip
    status, preview = admin.post("/recovery-plans/import-native", {"recoveryPlanArn": narn, "dryRun": True,
                                                                   "waitAsPause": True})  # fmt: skip
    assert status == 201 and preview["dryRun"] is True, preview
    assert [len(g["sourceServerIds"]) for g in preview["newGroups"]] == [2, 1]
    assert _named(admin, native["name"]) == []  # a dry run writes nothing
    status, done = admin.post("/recovery-plans/import-native", {"recoveryPlanArn": narn, "waitAsPause": True})
    assert status == 201, done
    kinds = {f["kind"] for f in done["notImported"]}
    assert kinds == {"IMPACT_LEVEL", "WAIT"}, done["notImported"]
    waves = done["plan"]["waves"]
    assert [w["serverIds"] for w in waves] == [fresh[0:2], fresh[2:3]]
    assert [w["onServerFailure"] for w in waves] == ["STOP", "CONTINUE"]
    assert [w["pauseBeforeWave"] for w in waves] == [False, True]
    assert len(done["createdGroupIds"]) == 2 and len(_named(admin, native["name"])) == 2

    # servers partly in other groups: refused, nothing written
    mixed = seed(stack, 2)
    _group(admin, mixed[:1])
    mixed_name = unique("mixed")
    other = drs.create_recovery_plan(name=mixed_name)["recoveryPlan"]["recoveryPlanArn"]
    drs.create_recovery_plan_step(recoveryPlanArn=other, stepName="s", configuration={
        "serverStepConfiguration": {"servers": [{"serverArn": _arn(s)} for s in mixed]}})  # fmt: skip
    status, body = admin.post("/recovery-plans/import-native", {"recoveryPlanArn": other})
    assert status == 409 and body["error"] == "SERVERS_IN_OTHER_GROUPS", body
    assert body["details"]["ungroupedServers"] == mixed[1:]
    assert _named(admin, mixed_name) == []


def test_import_refusals(admin: Any, readonly: Any) -> None:
    missing = f"arn:aws:drs:{REGION}:{HUB}:recovery-plan/rp-{'0' * 17}"
    status, body = admin.post("/recovery-plans/import-native", {"recoveryPlanArn": missing})
    assert status == 404 and body["error"] == "NATIVE_PLAN_NOT_FOUND", body
    status, body = admin.post(
        "/recovery-plans/import-native",
        {"recoveryPlanArn": f"arn:aws:drs:{REGION}:{HUB}:source-server/s-{'0' * 17}"},
    )
    assert status == 400 and body["error"] == "INVALID_ARN", body
    status, body = admin.post("/recovery-plans/import-native", {})
    assert status == 400, body
    status, body = admin.post(
        "/recovery-plans/import-native",
        {"recoveryPlanArn": f"arn:aws:drs:{REGION}:999999999999:recovery-plan/rp-x"},
    )
    assert status == 404 and body["error"] == "ACCOUNT_NOT_FOUND", body
    assert readonly.post("/recovery-plans/import-native", {"recoveryPlanArn": missing})[0] == 403


def test_a_spoke_accounts_plan_exports_into_that_account_and_imports_back(admin: Any, stack: Any) -> None:
    from data_support import spoke

    account, role = spoke()
    assert (
        admin.post("/accounts/targets", {"accountId": account, "accountName": "native", "roleArn": role})[0]
        == 201
    )
    ids = seed(stack, 2, account=account)
    remote = _group(admin, ids, accountId=account)
    status, plan = admin.post("/recovery-plans", {"planName": unique("spoke plan"), "waves": [
        {"waveNumber": 1, "waveName": "all", "protectionGroupIds": [remote["groupId"]]}]})  # fmt: skip
    assert status == 201, plan
    status, out = admin.post(f"/recovery-plans/{plan['planId']}/export-native", {})
    assert status == 201, out
    assert out["recoveryPlanArn"].startswith(f"arn:aws:drs:{REGION}:{account}:recovery-plan/")
    assert out["nativePlan"]["accountId"] == account
    assert all(f"hub {HUB}" not in str(f) for f in out["notExported"])
    status, back = admin.post("/recovery-plans/import-native",
                              {"recoveryPlanArn": out["recoveryPlanArn"], "planName": unique("back")})  # fmt: skip
    assert status == 201, back
    assert back["reusedGroupIds"] == [remote["groupId"]] and back["source"]["accountId"] == account
    assert back["plan"]["waves"][0]["serverIds"] == ids
