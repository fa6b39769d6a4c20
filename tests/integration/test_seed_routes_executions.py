"""Seed 003's execution status routes (/status, /waves, /jobs) and the plan list's run fields
(lastExecution*, hasServerConflict, conflictInfo), over the local stack."""

from __future__ import annotations

from typing import Any

import pytest
from engine_support import (
    fast_fixture,  # noqa: F401 - fixture "fast", used by pytestmark
    group,
    jobs_of,
    plan,
    seed,
    start,
    wait_for,
    wait_terminal,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fast")]


def _get(api: Any, path: str) -> dict[str, Any]:
    status, body = api.get(path)
    assert status == 200, body
    return dict(body)


def test_status_waves_and_jobs_follow_a_paused_then_resumed_drill(stack: Any, admin: Any, readonly: Any,
                                                                   invoke: Any) -> None:
    first, second = seed(stack, 2), seed(stack, 1)
    plan_id = plan(admin, [[group(admin, first)], [group(admin, second)]], pauseBeforeWave={2: True})
    execution_id = start(admin, plan_id)
    wait_for(admin, execution_id, lambda d: d["status"] == "PAUSED", what="PAUSED")
    base = f"/executions/{execution_id}"

    status = _get(readonly, f"{base}/status")
    assert status["status"] == "PAUSED" and status["isPaused"] is True and status["isTerminal"] is False
    assert status["pausedBeforeWaves"] == [2] and status["currentWaves"] == [] and status["nextWave"] == 2
    assert (status["totalWaves"], status["completedWaves"]) == (2, 1)
    assert status["waveCounts"] == {"COMPLETED": 1, "PENDING": 1}
    assert status["serverCounts"]["total"] == 3 and status["serverCounts"].get("launched") == 2
    assert (status["canPause"], status["canResume"], status["canCancel"]) == (False, True, True)
    assert status["next"] == [f"POST {base}/resume", f"POST {base}/cancel"]
    assert "paused before wave 2" in status["hint"]

    waves = _get(readonly, f"{base}/waves")
    assert [(w["waveNumber"], w["status"]) for w in waves["waves"]] == [(1, "COMPLETED"), (2, "PENDING")]
    done, waiting = waves["waves"]
    drs_jobs = jobs_of(stack, execution_id)
    assert done["jobIds"] == [j["jobID"] for j in drs_jobs] and done["jobCount"] == 1
    assert done["durationSeconds"] > 0 and done["serverCounts"]["launched"] == 2 and done["serverCount"] == 2
    assert waiting["jobIds"] == [] and waiting["durationSeconds"] is None and waiting["pauseBeforeWave"] is True

    jobs = _get(readonly, f"{base}/jobs")
    # one job per wave and account-region; wave 2's is planned, not started (no DRS job id yet)
    assert jobs["count"] == 2 and jobs["jobIds"] == done["jobIds"]
    job, planned = jobs["jobs"]
    assert planned["waveNumber"] == 2 and "jobId" not in planned, planned
    assert [s["sourceServerId"] for s in planned["servers"]] == second
    assert job["waveNumber"] == 1 and job["region"] == "eu-west-1" and job["accountId"] == "123456789012"
    assert job["executionType"] == "DRILL" and job["serverCount"] == 2
    assert sorted(s["sourceServerId"] for s in job["servers"]) == sorted(first)
    assert all(s["status"] == "LAUNCHED" and s["ec2InstanceId"].startswith("i-") for s in job["servers"])
    emulated = {s["sourceServerID"] for s in drs_jobs[0]["participatingServers"]}
    assert emulated == set(first)

    # direct invocation: the seeds' envelope, the execution id in the body
    assert invoke("execution", "get_execution_jobs", body={"executionId": execution_id}) == jobs
    direct = invoke("execution", "get_execution_status", body={"executionId": execution_id})
    assert {k: v for k, v in direct.items() if k != "timings"} == {k: v for k, v in status.items() if k != "timings"}

    assert admin.post(f"{base}/resume")[0] == 200
    wait_terminal(admin, execution_id)
    ended = _get(admin, f"{base}/status")
    assert ended["status"] == "COMPLETED" and ended["isTerminal"] is True and ended["nextWave"] is None
    assert (ended["canPause"], ended["canResume"], ended["canCancel"], ended["next"]) == (False, False, False, [])
    assert ended["completedWaves"] == 2 and ended["hint"] == "ended COMPLETED"
    assert len(_get(admin, f"{base}/jobs")["jobIds"]) == 2


def test_status_routes_answer_404_for_an_unknown_execution_and_403_without_permission(
        admin: Any, api_for: Any) -> None:
    for view in ("status", "waves", "jobs"):
        status, body = admin.get(f"/executions/00000000-0000-0000-0000-000000000000/{view}")
        assert status == 404 and body["error"] == "EXECUTION_NOT_FOUND", body
        assert api_for(None).get(f"/executions/x/{view}")[0] == 401


def _listed(api: Any, plan_id: str) -> dict[str, Any]:
    token = None
    while True:
        params = {"limit": "100", **({"nextToken": token} if token else {})}
        status, body = api.get("/recovery-plans", **params)
        assert status == 200, body
        for item in body["recoveryPlans"]:
            if item["planId"] == plan_id:
                return dict(item)
        token = body.get("nextToken")
        assert token, f"plan {plan_id} not listed"


def test_plan_list_shows_the_last_run_and_servers_held_by_another_plans_run(stack: Any, admin: Any) -> None:
    quick = seed(stack, 1)
    done_plan = plan(admin, [[group(admin, quick)]])
    never = _listed(admin, done_plan)
    assert never["lastExecutionStatus"] is None and never["hasServerConflict"] is False
    assert never["conflictInfo"] is None
    finished = wait_terminal(admin, start(admin, done_plan))
    listed = _listed(admin, done_plan)
    assert listed["lastExecutionStatus"] == "COMPLETED" and listed["lastExecutionId"] == finished["executionId"]
    assert listed["lastStartTime"] == finished["startTime"] and listed["lastEndTime"] == finished["endTime"]
    assert listed["lastExecutionType"] == "DRILL" and listed["activeExecutionId"] is None
    status, body = admin.delete("/executions", ids=finished["executionId"])
    assert status == 200 and body["deletedCount"] == 1, body
    assert _listed(admin, done_plan)["lastExecutionId"] is None  # never names a run that cannot be read

    slow = seed(stack, 2, launch_seconds=3000)
    shared = group(admin, slow)
    running_plan = plan(admin, [[shared]])
    other_plan = plan(admin, [[group(admin, seed(stack, 1))], [shared]])
    running = start(admin, running_plan)
    wait_for(admin, running, lambda d: d["waves"][0]["status"] == "LAUNCHING", what="wave 1 launching")
    try:
        held = _listed(admin, other_plan)
        assert held["hasServerConflict"] is True
        info = held["conflictInfo"]
        assert sorted(info["serverIds"]) == sorted(slow) and info["serverCount"] == 2
        assert [e["executionId"] for e in info["executions"]] == [running]
        assert info["executions"][0]["planId"] == running_plan and info["executions"][0]["protectionGroupIds"] == [shared]
        assert running in info["reason"]
        own = _listed(admin, running_plan)  # its own run is not a conflict; it is its last run
        assert own["hasServerConflict"] is False and own["activeExecutionId"] == running
        assert own["lastExecutionStatus"] == "RUNNING" and own["lastEndTime"] is None
    finally:
        assert admin.post(f"/executions/{running}/cancel")[0] == 200
    wait_terminal(admin, running, timeout=120)
    assert _listed(admin, other_plan)["hasServerConflict"] is False
    assert _listed(admin, running_plan)["lastExecutionStatus"] in ("CANCELLED", "COMPLETED")


def test_the_seeds_operation_names_work_by_direct_invocation(stack: Any, admin: Any, invoke: Any) -> None:
    import json

    execution_id = start(admin, plan(admin, [[group(admin, seed(stack, 1))]]))
    wait_terminal(admin, execution_id)
    status = _get(admin, f"/executions/{execution_id}/status")
    polled = invoke("execution", "poll_execution_status", body={"executionId": execution_id})
    assert polled == status
    assert invoke("execution", "get_execution", body={"executionId": execution_id}) == \
        _get(admin, f"/executions/{execution_id}")
    # the earlier legacy envelope: the execution id at the top of the event
    lam = stack.client("lambda")
    out = lam.invoke(FunctionName=stack.outputs["ExecutionFunctionName"],
                     Payload=json.dumps({"operation": "poll", "executionId": execution_id}).encode())
    assert json.loads(out["Payload"].read()) == status
    quotas = invoke("query", "get_drs_account_capacity", query={"regions": "eu-west-1"})
    assert quotas == invoke("query", "get_drs_quotas", query={"regions": "eu-west-1"})
    assert quotas["accountId"] == "123456789012" and [r["region"] for r in quotas["regions"]] == ["eu-west-1"]
    assert invoke("query", "get_current_account_id")["accountId"] == "123456789012"
    wrong = invoke("query", "export_configuration")
    assert wrong["error"] == "WRONG_FUNCTION" and wrong["details"]["function"] == "data-management"
    wrong = invoke("query", "trigger_tag_sync")
    assert wrong["error"] == "WRONG_FUNCTION" and wrong["details"]["operation"] == "run_tag_sync"
