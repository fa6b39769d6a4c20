"""Issue 21 on the local stack: plan readiness against its recovery objectives.

- a plan goes AT_RISK when a server's replication lag exceeds the RPO (set through the DRS
  emulator's admin API) and back to READY when it recovers; the change is on the alerts topic;
- NOT_READY when a spoke account's role stops being assumable;
- "re-test required" after a group gains a server, cleared by a completed drill;
- measured RTO (pauses apart) and the data age at launch recorded against the objectives.
"""

from __future__ import annotations

import json
import random
import urllib.request
import uuid
from typing import Any

import pytest
from engine_support import (
    HUB,
    REGION,
    fast_fixture,  # noqa: F401 - fixture "fast", used by pytestmark
    group,
    seed,
    start,
    unique,
    wait_for,
    wait_terminal,
)

from drs_local import iam_policy

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fast")]


def _plan(api: Any, waves: list[list[str]], **top: Any) -> str:
    body = {"planName": unique("ready"), **top,
            "waves": [{"waveNumber": n, "waveName": f"wave {n}", "protectionGroupIds": g}
                      for n, g in enumerate(waves, start=1)]}
    status, out = api.post("/recovery-plans", body)
    assert status == 201, out
    assert out.get("rtoMinutes") == top.get("rtoMinutes") and out.get("rpoMinutes") == top.get("rpoMinutes")
    return str(out["planId"])


def _evaluate(api: Any, plan_id: str) -> dict[str, Any]:
    status, body = api.post(f"/recovery-plans/{plan_id}/evaluate")
    assert status == 200, body
    return dict(body)


def _readiness(api: Any, plan_id: str) -> dict[str, Any]:
    status, body = api.get(f"/recovery-plans/{plan_id}/readiness")
    assert status == 200, body
    return dict(body)


def _set_lag(stack: Any, server_id: str, seconds: int) -> None:
    """The DRS emulator's admin API (``POST /_emulator/servers/{id}``), as an operator script would."""
    request = urllib.request.Request(f"{stack.drs_url}/_emulator/servers/{server_id}", method="POST",
                                     data=json.dumps({"lagSeconds": seconds}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:  # noqa: S310 - the local emulator
        assert answer.status == 200


def _codes(evaluation: dict[str, Any]) -> set[str]:
    return {f["code"] for f in evaluation["findings"]}


@pytest.fixture(name="alerts")
def alerts_fixture(stack: Any) -> Any:
    sqs, sns = stack.client("sqs"), stack.client("sns")
    url = sqs.create_queue(QueueName=f"readiness-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sub = sns.subscribe(TopicArn=stack.outputs["AlertsTopicArn"], Protocol="sqs", Endpoint=arn)

    def read(plan_id: str) -> list[dict[str, Any]]:
        seen = []
        while True:
            out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            if not out.get("Messages"):
                break
            for m in out["Messages"]:
                seen.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return [n for n in seen if n["MessageAttributes"]["planId"]["Value"] == plan_id]

    yield read
    sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"])
    sqs.delete_queue(QueueUrl=url)


def test_lag_beyond_the_rpo_puts_the_plan_at_risk_until_it_recovers(stack: Any, admin: Any, alerts: Any) -> None:
    servers = seed(stack, 2)
    plan_id = _plan(admin, [[group(admin, servers)]], rpoMinutes=15, rtoMinutes=120)
    created = _readiness(admin, plan_id)  # evaluated when it was saved
    assert created["current"]["status"] == "READY" and created["current"]["trigger"] == "PLAN_SAVED"
    assert created["rpoMinutes"] == 15 and "NEVER_DRILLED" in _codes(created["current"])

    _set_lag(stack, servers[1], 3600)
    risky = _evaluate(admin, plan_id)
    assert risky["status"] == "AT_RISK" and risky["previousStatus"] == "READY"
    lagging = [f for f in risky["findings"] if f["code"] == "RPO_EXCEEDED"]
    assert [f["serverId"] for f in lagging] == [servers[1]] and lagging[0]["severity"] == "MEDIUM"
    assert lagging[0]["action"]
    listed = {p["planId"]: p for p in admin.get("/recovery-plans", limit="100")[1]["recoveryPlans"]}
    if plan_id in listed:  # the first page holds it unless the session made more than 100 plans
        assert listed[plan_id]["readiness"]["status"] == "AT_RISK"
    alert = alerts(plan_id)
    assert [a["MessageAttributes"]["eventType"]["Value"] for a in alert] == ["PLAN_READINESS_CHANGED"]

    _set_lag(stack, servers[1], 0)
    again = _evaluate(admin, plan_id)
    assert again["status"] == "READY" and "RPO_EXCEEDED" not in _codes(again)
    history = _readiness(admin, plan_id)["history"]
    assert [h["status"] for h in history][:3] == ["READY", "AT_RISK", "READY"]
    assert alerts(plan_id) == []  # getting better is not an alert


def test_a_spoke_whose_role_cannot_be_assumed_makes_the_plan_not_ready(stack: Any, admin: Any) -> None:
    account = "7" + "".join(random.Random(uuid.uuid4().int).choice("0123456789") for _ in range(11))
    secret = f"ready-{uuid.uuid4().hex[:12]}"
    iam_policy.apply()
    role_arn = iam_policy.provision_spoke(account, HUB, secret)
    status, body = admin.post("/accounts/targets", {"accountId": account, "accountName": "readiness spoke",
                                                     "roleArn": role_arn, "externalId": secret})
    assert status == 201, body
    servers = seed(stack, 2, account=account)
    status, grp = admin.post("/protection-groups", {"groupName": unique("grp"), "region": REGION,
                                                     "accountId": account, "sourceServerIds": servers})
    assert status == 201, grp
    plan_id = _plan(admin, [[grp["groupId"]]], rtoMinutes=240)
    assert _evaluate(admin, plan_id)["status"] == "READY"

    iam_policy.provision_spoke(account, HUB, "an-external-id-we-do-not-know")  # the spoke changed its trust
    broken = _evaluate(admin, plan_id)
    assert broken["status"] == "NOT_READY"
    denied = [f for f in broken["findings"] if f["code"] == "ACCOUNT_ROLE_NOT_ASSUMABLE"]
    assert denied and denied[0]["accountId"] == account and denied[0]["severity"] == "HIGH"
    assert secret not in json.dumps(broken)

    iam_policy.provision_spoke(account, HUB, secret)
    assert _evaluate(admin, plan_id)["status"] == "READY"


def test_retest_required_after_a_group_gains_a_server_until_a_drill_completes(stack: Any, admin: Any) -> None:
    first, extra = seed(stack, 1), seed(stack, 1)
    group_id = group(admin, first)
    plan_id = _plan(admin, [[group_id]], rtoMinutes=120)
    assert _evaluate(admin, plan_id)["retest"] == {"required": True, "reason": "NEVER_DRILLED", "differences": []}
    drill = start(admin, plan_id)
    assert wait_terminal(admin, drill)["status"] == "COMPLETED"
    tested = _evaluate(admin, plan_id)
    assert tested["retest"]["required"] is False and tested["retest"]["baselineExecutionId"] == drill

    status, current = admin.get(f"/protection-groups/{group_id}")
    status, _ = admin.put(f"/protection-groups/{group_id}", {"sourceServerIds": first + extra,
                                                             "version": current["version"]})
    assert status == 200
    drifted = _evaluate(admin, plan_id)
    assert drifted["retest"]["required"] is True and drifted["retest"]["reason"] == "CHANGED_SINCE_DRILL"
    added = [d for d in drifted["retest"]["differences"] if d["kind"] == "SERVERS_ADDED"]
    assert added and added[0]["items"] == [f"{HUB}#{REGION}#{extra[0]}"]
    assert "RETEST_REQUIRED" in _codes(drifted) and drifted["status"] == "READY"

    again = start(admin, plan_id)
    assert wait_terminal(admin, again)["status"] == "COMPLETED"
    cleared = _evaluate(admin, plan_id)
    assert cleared["retest"]["required"] is False and cleared["retest"]["baselineExecutionId"] == again


def test_measured_rto_and_data_age_against_the_objectives(stack: Any, admin: Any) -> None:
    a, b = seed(stack, 1), seed(stack, 1, state="STALLED")  # stalled for 2 hours: old data at launch
    status, body = admin.post("/recovery-plans", {
        "planName": unique("ready"), "rtoMinutes": 90, "rpoMinutes": 30,
        "waves": [{"waveNumber": 1, "waveName": "one", "protectionGroupIds": [group(admin, a)], "rtoMinutes": 45},
                  {"waveNumber": 2, "waveName": "two", "protectionGroupIds": [group(admin, b)],
                   "pauseBeforeWave": True}]})
    assert status == 201, body
    assert [w.get("rtoMinutes") for w in body["waves"]] == [45, None]
    plan_id = body["planId"]
    execution_id = start(admin, plan_id)
    wait_for(admin, execution_id, lambda d: d["status"] == "PAUSED", what="PAUSED")
    assert admin.post(f"/executions/{execution_id}/resume")[0] == 200
    done = wait_terminal(admin, execution_id)
    assert done["status"] == "COMPLETED", done.get("errorMessage")
    assert done["objectives"] == {"rtoMinutes": 90, "rpoMinutes": 30, "waves": {"1": {"rtoMinutes": 45}}}
    report = done["objectivesReport"]
    assert report["pausedSeconds"] > 0 and report["measuredRtoSeconds"] > 0
    assert report["measuredRtoSeconds"] + report["pausedSeconds"] == pytest.approx(done["durationSeconds"], abs=0.01)
    assert report["measuredRtoSeconds"] == done["measuredRtoSeconds"]
    assert report["rtoMet"] is True and report["rtoMinutes"] == 90
    assert [(w["waveNumber"], w["rtoMinutes"], w["rtoMet"]) for w in report["waves"]] == [(1, 45, True), (2, 90, True)]
    assert [(w["serversMeasured"], w["serversOverRpo"], w["rpoMet"]) for w in report["waves"]] == [
        (1, 0, True), (1, 1, False)]
    assert report["worstDataAgeSeconds"] == report["waves"][1]["worstDataAgeSeconds"] >= 7200
    status, listed = admin.get(f"/executions/{execution_id}/servers")  # each server's row
    assert status == 200, listed
    rows = {r["sourceServerId"]: r for r in listed["servers"]}
    assert rows[a[0]]["dataAgeSeconds"] == 0 and rows[a[0]]["rpoMet"] is True and rows[a[0]]["rpoMinutes"] == 30
    assert rows[b[0]]["dataAgeSeconds"] >= 7200 and rows[b[0]]["rpoMet"] is False and report["rpoMet"] is False
    runs = _readiness(admin, plan_id)["executions"]
    assert runs[0]["executionId"] == execution_id and runs[0]["rtoMet"] is True
    assert runs[0]["measuredRtoSeconds"] == report["measuredRtoSeconds"]


def test_the_scheduled_run_reads_each_account_region_once(stack: Any, invoke: Any) -> None:
    before = max((c["seq"] for c in stack.emulator.calls()), default=0)
    run = invoke("data-management", "evaluate_all_recovery_plans", {"source": "schedule"})
    assert run["trigger"] == "SCHEDULE" and run["planCount"] >= 1 and sum(run["statusCounts"].values()) >= 1
    described = [c for c in stack.emulator.calls("DescribeSourceServers") if c["seq"] > before]
    per_scope: dict[str, int] = {}
    for call in described:
        key = f"{call.get('account')}#{call.get('region')}"
        per_scope[key] = per_scope.get(key, 0) + 1
    # one listing per account-region (a page holds 1,000 servers), whatever the number of plans
    assert set(per_scope) <= set(run["accountRegions"]), per_scope
    assert all(n == 1 for n in per_scope.values()), per_scope
    assert run["drsCalls"]["DescribeSourceServers"] == sum(per_scope.values())
