"""A full drill through REST on the local stack: real ASL in moto, the DRS emulator, tag-free
explicit groups; then the recovery instances are terminated and verified gone."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest
from engine_support import (
    HUB,
    REGION,
    details,
    fast_fixture,  # noqa: F401 - fixture "fast", used by pytestmark
    group,
    jobs_of,
    notifications_fixture,  # noqa: F401 - fixture "notifications"
    plan,
    seed,
    sfn_status,
    start,
    wait_for,
    wait_terminal,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fast")]


def test_three_wave_drill_completes_then_instances_are_terminated(stack: Any, admin: Any, readonly: Any,
                                                                  notifications: Any) -> None:
    db, app, web = seed(stack, 2), seed(stack, 3), seed(stack, 2)
    plan_id = plan(admin, [[group(admin, db)], [group(admin, app)], [group(admin, web)]])
    execution_id = start(admin, plan_id)

    done = wait_terminal(admin, execution_id)
    assert done["status"] == "COMPLETED", done.get("errorMessage")
    assert [w["status"] for w in done["waves"]] == ["COMPLETED"] * 3
    assert done["serverCounts"]["launched"] == 7 and done["serverCounts"]["total"] == 7
    history = [h["status"] for h in done["statusHistory"]]
    assert history == ["PENDING", "RUNNING", "COMPLETED"]
    assert all(h["at"].endswith("Z") for h in done["statusHistory"])
    assert "taskToken" not in done and done["canTerminate"] is True
    assert done["timings"]["elapsedSeconds"] > 0 and done["endTime"] >= done["startTime"]

    # waves ran in order, each with one DRS job tagged with the execution, wave and job
    waves = done["waves"]
    for earlier, later in zip(waves, waves[1:], strict=False):
        assert earlier["endedAt"] <= later["startedAt"]
        assert set(later["statusHistory"]) == {"PENDING", "LAUNCHING", "COMPLETED"}
    drs_jobs = jobs_of(stack, execution_id)
    assert len(drs_jobs) == 3
    assert {j["tags"]["drs-orch:job"] for j in drs_jobs} == {"0001#000", "0002#000", "0003#000"}
    assert all(j["initiatedBy"] == "START_DRILL" for j in drs_jobs)

    # per server details: recovery instance, EC2 instance, IP, type, launch time, hostname, Name
    servers = [s for w in waves for s in w["servers"]]
    assert {s["sourceServerId"] for s in servers} == set(db + app + web)
    for s in servers:
        assert s["status"] == "LAUNCHED"
        assert s["recoveryInstanceId"].startswith("i-") and s["ec2InstanceId"] == s["instanceId"]
        assert s["privateIp"] and s["instanceType"] and s["launchTime"]
        assert s["hostname"].startswith("eng-") and s["name"]
        assert set(s["statusHistory"]) >= {"PENDING", "LAUNCHED"}

    # the state machine ended by itself; the locks are gone; notifications went out
    assert sfn_status(stack, execution_id) == "SUCCEEDED"
    guards = stack.client("dynamodb").scan(TableName=_guards_table(stack))["Items"]
    mine = [g for g in guards if g.get("executionId", {}).get("S") == execution_id]
    assert all(g["kind"]["S"] == "drs-job" for g in mine)  # no server lock is left
    # what stays are the notes of its DRS jobs (for late launch events), each with its expiry
    assert len(mine) == 3 and all(int(g["expiresAt"]["N"]) > time.time() for g in mine)
    events = [n["MessageAttributes"]["eventType"]["Value"] for n in notifications(execution_id)]
    assert events == ["start", "complete"]
    note = notifications(execution_id)[0]
    assert note["MessageAttributes"]["planId"]["Value"] == plan_id

    # reads: list by plan and status (newest first), direct invocation, job logs, recovery instances
    status, page = readonly.get("/executions", planId=plan_id)
    assert status == 200 and [i["executionId"] for i in page["items"]] == [execution_id]
    status, page = readonly.get("/executions", status="COMPLETED", limit="100")
    assert status == 200 and execution_id in [i["executionId"] for i in page["items"]]
    assert all(i["status"] == "COMPLETED" for i in page["items"])
    status, logs = readonly.get(f"/executions/{execution_id}/job-logs")
    assert status == 200 and len(logs["jobs"]) == 3
    assert {"JOB_START", "LAUNCH_START", "JOB_END"} <= {e["event"] for e in logs["jobs"][0]["events"]}
    status, instances = readonly.get(f"/executions/{execution_id}/recovery-instances")
    assert status == 200 and instances["existingCount"] == 7
    assert all(i["isDrill"] for i in instances["instances"])
    status, existing = readonly.get(f"/recovery-plans/{plan_id}/check-existing-instances")
    assert status == 200 and existing["instanceCount"] == 7
    assert {i["executionId"] for i in existing["existingInstances"]} == {execution_id}

    # readonly may not terminate; the terminate flow follows the DRS jobs and verifies EC2
    assert readonly.post(f"/executions/{execution_id}/terminate-instances")[0] == 403
    status, body = admin.post(f"/executions/{execution_id}/terminate-instances")
    assert status == 202, body
    assert body["termination"]["requestedCount"] == 7 and body["termination"]["jobs"]
    ended = wait_for(admin, execution_id, lambda b: b["terminationMetadata"]["terminationStatus"]
                     in ("COMPLETED", "FAILED"), what="termination")
    termination = ended["termination"]
    assert termination["status"] == "COMPLETED", termination
    assert termination["terminatedCount"] == 7 and termination["verifiedAt"] and termination["completedAt"]
    assert ended["instancesTerminated"] is True and ended["canTerminate"] is False
    assert {s["status"] for w in ended["waves"] for s in w["servers"]} == {"TERMINATED"}
    # the counts follow: nothing is still counted as launched
    assert ended["serverCounts"]["terminated"] == 7 and ended["serverCounts"]["launched"] == 0
    assert sum(w["serverCounts"]["terminated"] for w in ended["waves"]) == 7
    assert all(w["serverCounts"].get("launched", 0) == 0 for w in ended["waves"])
    ec2 = boto3.client("ec2", region_name=REGION)
    ids = [s["ec2InstanceId"] for s in servers]
    states = {i["InstanceId"]: i["State"]["Name"] for r in ec2.describe_instances(InstanceIds=ids)["Reservations"]
              for i in r["Instances"]}
    assert set(states.values()) == {"terminated"}
    status, existing = readonly.get(f"/recovery-plans/{plan_id}/check-existing-instances")
    assert existing["hasExistingInstances"] is False
    # idempotent: a second request reports the recorded termination and calls DRS no more
    calls = stack.emulator.call_count("TerminateRecoveryInstances")
    status, again = admin.post(f"/executions/{execution_id}/terminate-instances")
    assert status == 200 and again["termination"]["status"] == "COMPLETED"
    assert stack.emulator.call_count("TerminateRecoveryInstances") == calls

    # an ended execution can be deleted; unknown ids are reported
    status, deleted = admin.delete("/executions", ids=f"{execution_id},nope")
    assert status == 200 and deleted["deleted"] == [execution_id] and deleted["notFound"] == ["nope"]
    assert admin.get(f"/executions/{execution_id}")[0] == 404


def test_direct_invocation_reads_like_seed_003(stack: Any, admin: Any, invoke: Any) -> None:
    servers = seed(stack, 1)
    plan_id = plan(admin, [[group(admin, servers)]])
    out = invoke("execution", "execute_recovery_plan",
                 body={"planId": plan_id, "executionType": "DRILL", "initiatedBy": "automation-script"})
    assert out["status"] == "PENDING" and out["statusUrl"].endswith(out["executionId"])
    wait_terminal(admin, out["executionId"])
    polled = invoke("execution", "get_execution_details", body={"executionId": out["executionId"]})
    assert polled["status"] == "COMPLETED" and polled["initiatedBy"] == "automation-script"
    wave = polled["waves"][0]
    assert wave["waveNumber"] == 1 and wave["jobId"].startswith("drsjob-")
    assert wave["servers"][0]["instanceId"].startswith("i-")


def _guards_table(stack: Any) -> str:
    import os

    return os.environ["GUARDS_TABLE"]


def test_execute_through_the_plan_path_and_refusals(stack: Any, admin: Any, readonly: Any) -> None:
    servers = seed(stack, 2)
    plan_id = plan(admin, [[group(admin, servers)]])
    assert readonly.post("/executions", {"planId": plan_id, "executionType": "DRILL"})[0] == 403
    status, body = admin.post("/executions", {"planId": "no-such-plan", "executionType": "DRILL"})
    assert status == 404 and body["error"] == "PLAN_NOT_FOUND"
    status, body = admin.post("/executions", {"planId": plan_id, "executionType": "PRACTICE"})
    assert status == 400 and body["error"] == "VALIDATION_ERROR"
    status, body = admin.post(f"/recovery-plans/{plan_id}/execute", {"executionType": "RECOVERY"})
    assert status == 202, body
    execution_id = body["executionId"]
    # the same servers cannot start twice
    status, conflict = admin.post("/executions", {"planId": plan_id, "executionType": "DRILL"})
    assert status == 409 and conflict["error"] == "SERVER_CONFLICT"
    assert conflict["details"]["conflictingExecutions"] == [execution_id]
    assert sorted(conflict["details"]["servers"]) == sorted(servers)
    # active executions cannot be deleted nor have their instances terminated
    status, refused = admin.delete("/executions", ids=execution_id)
    assert status == 200 and refused["refused"][0]["executionId"] == execution_id
    status, body = admin.post(f"/executions/{execution_id}/terminate-instances")
    assert status == 409 and body["error"] == "EXECUTION_ACTIVE"
    done = wait_terminal(admin, execution_id)
    assert done["status"] == "COMPLETED" and done["executionType"] == "RECOVERY"
    assert all(j["initiatedBy"] == "START_RECOVERY" for j in jobs_of(stack, execution_id))
    assert done["accountId"] == HUB and done["region"] == REGION
    assert details(admin, execution_id)["status"] == "COMPLETED"
