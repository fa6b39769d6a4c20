"""Issue 10: a recovery's order is never changed by ambiguous input, the seeds' request shapes are
understood, and a dry run predicts without touching anything. Real handlers on the local stack."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import boto3
import pytest
from engine_support import (
    HUB,
    REGION,
    details,
    fast_fixture,  # noqa: F401 - fixture
    group,
    seed,
    start,
    unique,
    wait_for,
    wait_terminal,
)

pytestmark = pytest.mark.integration


def _plan(api: Any, waves: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    status, body = api.post("/recovery-plans", {"planName": unique("plan"), "waves": waves, **extra})
    assert status == 201, body
    return dict(body)


def _wave(n: int, groups: list[str], **fields: Any) -> dict[str, Any]:
    return {"waveNumber": n, "waveName": f"wave {n}", "protectionGroupIds": groups, **fields}


def _times(done: dict[str, Any]) -> dict[int, tuple[str, str]]:
    return {w["waveNumber"]: (w["startedAt"], w["endedAt"]) for w in done["waves"]}


def test_empty_dependencies_run_waves_one_after_another(stack: Any, admin: Any, fast: float) -> None:
    a, b, c = (group(admin, seed(stack, 2)) for _ in range(3))
    plan = _plan(admin, [_wave(1, [a], dependsOnWaves=[]), _wave(2, [b], dependsOnWaves=[]),
                         _wave(3, [c], dependsOnWaves=None)])
    assert [w["dependsOnWaves"] for w in plan["waves"]] == [[], [1], [2]]
    assert [step["waves"] for step in plan["effectiveOrder"]] == [[1], [2], [3]]
    done = wait_terminal(admin, start(admin, plan["planId"]))
    assert done["status"] == "COMPLETED", done.get("errorMessage")
    times = _times(done)
    assert times[1][1] <= times[2][0] and times[2][1] <= times[3][0], times


def test_an_independent_wave_runs_beside_the_previous_one(stack: Any, admin: Any, fast: float) -> None:
    a = group(admin, seed(stack, 2, launch_seconds=600))
    b = group(admin, seed(stack, 2, launch_seconds=600))
    plan = _plan(admin, [_wave(1, [a]), _wave(2, [b], independent=True)])
    assert plan["effectiveOrder"] == [{"step": 1, "waves": [1, 2], "runTogether": True,
                                       "waitsFor": {"1": [], "2": []}}]
    status, lint = admin.post(f"/recovery-plans/{plan['planId']}/validate")
    assert status == 200 and lint["effectiveOrder"] == plan["effectiveOrder"]
    done = wait_terminal(admin, start(admin, plan["planId"]))
    assert done["status"] == "COMPLETED"
    times = _times(done)
    assert times[2][0] < times[1][1] and times[1][0] < times[2][1], times  # they overlapped
    # independent with dependencies is ambiguous: refused, naming the wave
    status, body = admin.post("/recovery-plans", {"planName": unique("plan"), "waves": [
        _wave(1, [a]), _wave(2, [b], independent=True, dependsOnWaves=[1])]})
    assert status == 400 and body["details"][0]["field"].startswith("waves[1]"), body


def test_a_plan_saved_before_independent_existed_keeps_its_order(stack: Any, admin: Any) -> None:
    a, b, c = (group(admin, seed(stack, 1)) for _ in range(3))
    plan_id = str(uuid.uuid4())
    table = boto3.resource("dynamodb").Table(os.environ["RECOVERY_PLANS_TABLE"])
    legacy = {"planId": plan_id, "entityType": "PLAN", "planName": unique("legacy"), "planNameLower": "x",
              "description": "", "version": 3, "createdDate": "2026-01-01T00:00:00.000Z",
              "lastModifiedDate": "2026-01-01T00:00:00.000Z",
              "waves": [_wave(1, [a], dependsOnWaves=[], pauseBeforeWave=False, onServerFailure="STOP"),
                        _wave(2, [b], dependsOnWaves=[], pauseBeforeWave=False, onServerFailure="STOP"),
                        _wave(3, [c], dependsOnWaves=[2], pauseBeforeWave=False, onServerFailure="STOP")]}
    legacy["planNameLower"] = legacy["planName"].lower()
    table.put_item(Item=legacy)
    status, view = admin.get(f"/recovery-plans/{plan_id}")
    assert status == 200, view
    assert [w.get("independent") for w in view["waves"]] == [False, True, False]
    assert [s["waves"] for s in view["effectiveOrder"]] == [[1, 2], [3]]
    stored = table.get_item(Key={"planId": plan_id})["Item"]
    assert stored["schemaVersion"] == 2 and stored["version"] == 3  # written back once, same version
    assert stored["waves"][1]["independent"] is True


def _state(stack: Any) -> dict[str, Any]:
    """Everything a start could touch: every table's items, the DRS jobs, the EC2 instances."""
    ddb = boto3.client("dynamodb")
    tables = {}
    for name in ddb.list_tables()["TableNames"]:
        if "-audit-" in name:  # the audit trail records every call, a dry run too: not state
            continue
        items = boto3.resource("dynamodb").Table(name).scan()["Items"]
        tables[name] = sorted(json.dumps(i, sort_keys=True, default=str) for i in items)
    ec2 = boto3.client("ec2", region_name=REGION)
    instances = sorted(i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"])
    return {"tables": tables, "jobs": len(stack.emulator.jobs()), "instances": instances,
            "starts": stack.emulator.call_count("StartRecovery")}


def test_dry_run_predicts_and_changes_nothing(stack: Any, admin: Any, invoke: Any) -> None:
    a1, a2 = group(admin, seed(stack, 60)), group(admin, seed(stack, 60))  # 120 servers: 2 jobs
    b = group(admin, seed(stack, 3))
    plan = _plan(admin, [_wave(1, [a1, a2]), _wave(2, [b], pauseBeforeWave=True)])
    before = _state(stack)
    status, report = admin.post(f"/recovery-plans/{plan['planId']}/execute", {"isDrill": True, "dryRun": True})
    assert status == 200, report
    assert _state(stack) == before
    assert report["dryRun"] is True and report["wouldStart"] is True and report["executionType"] == "DRILL"
    assert [w["waveNumber"] for w in report["waves"]] == [1, 2]
    assert [j["serverCount"] for j in report["waves"][0]["jobs"]] == [100, 20]
    assert report["jobsPerAccountRegion"] == [{"accountId": HUB, "region": REGION, "jobs": 3, "servers": 123}]
    assert report["waves"][1]["predictedStartSeconds"] >= report["waves"][0]["predictedEndSeconds"]
    assert report["predictedDurationSeconds"] == report["waves"][1]["predictedEndSeconds"] > 0
    assert report["pausesNotTimed"] == [2] and report["launchTimes"][0]["source"] in ("DEFAULT", "RECENT_LAUNCHES")
    # direct invocation gives the same prediction
    direct = invoke("execution", "execute_recovery_plan", body={"planId": plan["planId"], "executionType": "DRILL",
                                                                 "dryRun": True})
    assert direct["waves"] == report["waves"] and _state(stack) == before


def test_dry_run_reports_the_conflict_a_start_would_refuse(stack: Any, admin: Any, fast: float) -> None:
    shared = group(admin, seed(stack, 2))
    first = _plan(admin, [_wave(1, [shared], pauseBeforeWave=True)])
    second = _plan(admin, [_wave(1, [shared])])
    running = start(admin, first["planId"])
    wait_for(admin, running, lambda b: b["status"] == "PAUSED", what="paused")
    status, report = admin.post("/executions", {"planId": second["planId"], "executionType": "DRILL",
                                                "dryRun": True})
    assert status == 200 and report["wouldStart"] is False
    [error] = report["errors"]
    assert error["code"] == "SERVER_CONFLICT" and error["conflictingExecutions"] == [running]
    status, body = admin.post("/executions", {"planId": second["planId"], "executionType": "DRILL"})
    assert status == 409 and body["error"] == "SERVER_CONFLICT"
    assert admin.post(f"/executions/{running}/cancel")[0] == 200


def test_is_drill_and_execution_type_must_not_be_ambiguous(stack: Any, admin: Any, fast: float) -> None:
    plan = _plan(admin, [_wave(1, [group(admin, seed(stack, 1))])])
    url = f"/recovery-plans/{plan['planId']}/execute"
    status, body = admin.post(url, {})
    assert status == 400 and body["details"][0]["field"] == "executionType"
    status, body = admin.post(url, {"isDrill": True, "executionType": "RECOVERY"})
    assert status == 400 and body["details"][0]["field"] == "isDrill"
    status, body = admin.post(url, {"isDrill": True, "unknownField": 1})
    assert status == 400 and "unknownField" in json.dumps(body)
    status, body = admin.post(url, {"isDrill": True})  # seed 000's curl
    assert status == 202, body
    done = wait_terminal(admin, body["executionId"])
    assert done["executionType"] == "DRILL" and done["status"] == "COMPLETED"


def test_an_execution_topic_gets_that_executions_notifications(stack: Any, admin: Any, fast: float) -> None:
    sns, sqs = stack.client("sns"), stack.client("sqs")
    topic = sns.create_topic(Name=unique("exec-topic"))["TopicArn"]
    url = sqs.create_queue(QueueName=unique("exec-q"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    plan = _plan(admin, [_wave(1, [group(admin, seed(stack, 1))])])
    missing = topic + "-gone"
    status, body = admin.post("/executions", {"planId": plan["planId"], "isDrill": True, "topicArn": missing})
    assert status == 400 and body["error"] == "TOPIC_NOT_FOUND"
    status, body = admin.post("/executions", {"planId": plan["planId"], "isDrill": True, "topicArn": topic})
    assert status == 202, body
    wait_terminal(admin, body["executionId"])
    messages = [json.loads(json.loads(m["Body"])["Message"])
                for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]
    assert {m["executionId"] for m in messages} == {body["executionId"]}
    assert "start" in {m["eventType"] for m in messages}


def _subscriptions(stack: Any, plan_id: str) -> list[dict[str, Any]]:
    sns = stack.client("sns")
    out = []
    for sub in sns.list_subscriptions_by_topic(TopicArn=stack.outputs["ExecutionTopicArn"])["Subscriptions"]:
        attrs = sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])["Attributes"]
        if json.loads(attrs.get("FilterPolicy") or "{}").get("planId") == [plan_id]:
            out.append(sub)
    return out


def test_notification_email_subscribes_to_that_plan_only(stack: Any, admin: Any) -> None:
    gid = group(admin, seed(stack, 1))
    plan = _plan(admin, [_wave(1, [gid])], notificationEmail="dr-team@example.com")
    assert plan["notificationEmail"] == "dr-team@example.com"
    [sub] = _subscriptions(stack, plan["planId"])
    assert sub["Endpoint"] == "dr-team@example.com" and sub["Protocol"] == "email"
    status, body = admin.put(f"/recovery-plans/{plan['planId']}", {"version": plan["version"],
                                                                    "notificationEmail": "oncall@example.com"})
    assert status == 200, body
    assert [s["Endpoint"] for s in _subscriptions(stack, plan["planId"])] == ["oncall@example.com"]
    status, body = admin.put(f"/recovery-plans/{plan['planId']}", {"version": body["version"],
                                                                    "description": "kept"})
    assert status == 200 and body["notificationEmail"] == "oncall@example.com"
    assert admin.post("/recovery-plans", {"planName": unique("p"), "waves": [_wave(1, [gid])],
                                          "notificationEmail": "not-an-email"})[0] == 400
    assert admin.delete(f"/recovery-plans/{plan['planId']}")[0] == 200
    assert _subscriptions(stack, plan["planId"]) == []


def test_the_earlier_consoles_plan_fields(stack: Any, admin: Any) -> None:
    gid = group(admin, seed(stack, 1))
    # top-level protectionGroupId alone: a plan of that one group; name for planName; "" e-mail
    status, created = admin.post("/recovery-plans", {"name": unique("p"), "protectionGroupId": gid, "accountId": HUB,
                                                     "notificationEmail": ""})
    assert status == 201, created
    assert [w["protectionGroupIds"] for w in created["waves"]] == [[gid]]
    other = group(admin, seed(stack, 1))
    status, body = admin.post("/recovery-plans", {"planName": unique("p"), "protectionGroupId": other,
                                                  "waves": [_wave(1, [gid])]})
    assert status == 400 and body["details"][0]["field"] == "protectionGroupId"
    status, body = admin.post("/recovery-plans", {"planName": unique("p"), "accountId": "111111111111",
                                                  "waves": [_wave(1, [gid])]})
    assert status == 400 and body["details"][0]["code"] == "ACCOUNT_MISMATCH"
    status, body = admin.post("/recovery-plans", {"planName": unique("p"), "assumeRoleName": "SomeRole",
                                                  "waves": [_wave(1, [gid])]})
    assert status == 400 and body["details"][0]["code"] == "ROLE_MISMATCH"
    # waves[].serverIds (the console sends the groups' servers): checked, never used to pick servers
    status, view = admin.get(f"/recovery-plans/{created['planId']}")
    echoed = {k: v for k, v in view.items() if k in ("planName", "description", "waves", "version")}
    status, body = admin.put(f"/recovery-plans/{created['planId']}", echoed)
    assert status == 200, body
    wrong = [{**view["waves"][0], "serverIds": ["s-0000000000000000a"]}]
    status, body = admin.put(f"/recovery-plans/{created['planId']}", {"version": body["version"], "waves": wrong})
    assert status == 400 and body["details"][0]["code"] == "WAVE_SERVERS_MISMATCH", body


def test_the_earlier_consoles_group_fields(stack: Any, admin: Any, invoke: Any) -> None:
    servers = seed(stack, 2)
    status, body = admin.post("/protection-groups", {"groupName": unique("g"), "region": REGION,
                                                     "serverIds": servers})  # seed 000's curl
    assert status == 201 and body["sourceServerIds"] == servers, body
    status, body = admin.post("/protection-groups", {"groupName": unique("g"), "region": REGION,
                                                     "serverIds": servers[:1], "sourceServerIds": servers})
    assert status == 400 and body["details"][0]["field"] == "serverIds"
    status, body = admin.post("/protection-groups", {"groupName": unique("g"), "region": REGION,
                                                     "sourceServerIds": seed(stack, 1),
                                                     "assumeRoleName": "DRSOrchestrationRole"})
    assert status == 400 and body["error"] == "ROLE_MISMATCH"  # the hub is used without a role
    direct = invoke("data-management", "create_protection_group",
                    body={"groupName": unique("g"), "region": REGION, "serverIds": seed(stack, 1)})
    assert direct["groupId"]


def test_force_reapplies_every_servers_launch_settings(stack: Any, admin: Any) -> None:
    servers = seed(stack, 2)
    status, created = admin.post("/protection-groups", {"groupName": unique("g"), "region": REGION,
                                                        "sourceServerIds": servers,
                                                        "launchConfig": {"copyTags": True}})
    assert status == 201, created
    calls = stack.emulator.call_count("UpdateLaunchConfiguration")
    status, again = admin.put(f"/protection-groups/{created['groupId']}", {"version": created["version"]})
    assert status == 200 and stack.emulator.call_count("UpdateLaunchConfiguration") == calls  # nothing changed
    status, forced = admin.put(f"/protection-groups/{created['groupId']}", {"version": again["version"],
                                                                           "force": True})
    assert status == 200, forced
    assert stack.emulator.call_count("UpdateLaunchConfiguration") == calls + 2
    assert forced["launchConfigStatus"]["status"] == "ready"


def test_async_tag_sync_answers_with_a_run_to_poll(stack: Any, admin: Any) -> None:
    status, body = admin.post("/drs/tag-sync", {"async": True, "region": REGION})
    assert status == 202, body
    assert body["status"] == "RUNNING" and body["statusUrl"] == f"/drs/tag-sync?runId={body['runId']}"
    status, run = admin.get("/drs/tag-sync", runId=body["runId"])
    assert status == 200 and run["runId"] == body["runId"]
    assert run["status"] in ("RUNNING", "COMPLETED", "PARTIAL"), run
    assert admin.get("/drs/tag-sync", runId=str(uuid.uuid4()))[0] == 404


def test_details_after_termination_count_terminated_servers(stack: Any, admin: Any, fast: float) -> None:
    execution_id = start(admin, _plan(admin, [_wave(1, [group(admin, seed(stack, 2))])])["planId"])
    wait_terminal(admin, execution_id)
    assert admin.post(f"/executions/{execution_id}/terminate-instances")[0] == 202
    ended = wait_for(admin, execution_id, lambda b: b["terminationMetadata"]["terminationStatus"]
                     in ("COMPLETED", "FAILED"), what="termination")
    assert ended["serverCounts"]["terminated"] == 2 and ended["serverCounts"]["launched"] == 0
    assert details(admin, execution_id)["waves"][0]["serverCounts"]["terminated"] == 2


def test_dry_run_reports_each_servers_data_source_and_age(stack: Any, admin: Any) -> None:
    healthy = seed(stack, 2)
    stalled = seed(stack, 1, state="STALLED")
    plan = _plan(admin, [_wave(1, [group(admin, healthy)]), _wave(2, [group(admin, stalled)])])
    status, report = admin.post(f"/recovery-plans/{plan['planId']}/execute", {"isDrill": True, "dryRun": True})
    assert status == 200, report
    by_server = {s["serverId"]: s for s in report["servers"]}
    assert {by_server[s]["dataSource"] for s in healthy} == {"NEW_SNAPSHOT"}
    assert by_server[stalled[0]]["waveNumber"] == 2 and by_server[stalled[0]]["replicationState"] == "STALLED"
    codes = {w["code"] for w in report["warnings"]}
    assert {"LAUNCH_FROM_LAST_SNAPSHOT", "SERVERS_WOULD_FAIL"} & codes, report["warnings"]
