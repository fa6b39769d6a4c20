"""DRS native Recovery Plans through an unmodified boto3 client: plans, steps, executions on the job
lifecycle, their errors and paginators."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from emu_support import HUB, SPOKE, assume, call, sid

from drs_emulator import Emulator
from drs_emulator.coverage import unexpected_errors


@pytest.fixture(autouse=True)
def _answers_only_modelled_errors(emu: Emulator) -> Iterator[None]:
    """Every error these tests provoke is one the model lists for the operation (or a documented
    exception, ``drs_emulator.coverage.UNMODELLED_ERRORS``)."""
    yield
    assert unexpected_errors(emu.calls()) == []


def _arn(hostname: str, account: str = HUB, region: str = "us-east-1") -> str:
    return f"arn:aws:drs:{region}:{account}:source-server/{sid(hostname, account, region)}"


def _server_step(drs: Any, plan_arn: str, name: str, *hosts: str, optional: tuple[str, ...] = ()) -> dict:
    servers = [{"serverArn": _arn(h)} for h in hosts] + [
        {"serverArn": _arn(h), "impactLevel": "OPTIONAL"} for h in optional
    ]
    return drs.create_recovery_plan_step(
        recoveryPlanArn=plan_arn,
        stepName=name,
        configuration={"serverStepConfiguration": {"servers": servers}},
    )["recoveryPlanStep"]


def _wait_step(drs: Any, plan_arn: str, name: str, minutes: int, **kwargs: Any) -> dict:
    return drs.create_recovery_plan_step(
        recoveryPlanArn=plan_arn,
        stepName=name,
        configuration={"waitStepConfiguration": {"waitDurationMinutes": minutes}},
        **kwargs,
    )["recoveryPlanStep"]


def _steps(drs: Any, execution_arn: str) -> list[dict]:
    pages = drs.get_paginator("list_recovery_plan_execution_steps").paginate(
        recoveryPlanExecutionArn=execution_arn
    )
    return [s for page in pages for s in page["recoveryPlanExecutionSteps"]]


def _plan(drs: Any, name: str = "orders") -> str:
    return str(
        drs.create_recovery_plan(name=name, description="order system")["recoveryPlan"]["recoveryPlanArn"]
    )


def test_plan_crud_names_tokens_and_paging(drs: Any) -> None:
    created = drs.create_recovery_plan(name="orders", tags={"team": "dr"}, clientToken="tok-1")[
        "recoveryPlan"
    ]
    assert created["status"] == "ACTIVE" and created["tags"] == {"team": "dr"}
    assert created["recoveryPlanArn"].startswith(f"arn:aws:drs:us-east-1:{HUB}:recovery-plan/rp-")
    again = drs.create_recovery_plan(name="orders", tags={"team": "dr"}, clientToken="tok-1")["recoveryPlan"]
    assert again["recoveryPlanArn"] == created["recoveryPlanArn"]
    with pytest.raises(drs.exceptions.ConflictException):
        drs.create_recovery_plan(name="ORDERS")
    with pytest.raises(drs.exceptions.ConflictException):
        drs.create_recovery_plan(name="other", clientToken="tok-1")
    for i in range(4):
        drs.create_recovery_plan(name=f"plan-{i}")
    pages = list(drs.get_paginator("list_recovery_plans").paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3 and sum(len(p["recoveryPlans"]) for p in pages) == 5
    arn = created["recoveryPlanArn"]
    updated = drs.update_recovery_plan(recoveryPlanArn=arn, name="orders-v2", description="d")["recoveryPlan"]
    assert updated["name"] == "orders-v2" and updated["description"] == "d"
    with pytest.raises(drs.exceptions.ConflictException):
        drs.update_recovery_plan(recoveryPlanArn=arn, name="plan-0")
    assert drs.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "dr"}
    drs.tag_resource(resourceArn=arn, tags={"env": "prod"})
    drs.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert drs.get_recovery_plan(recoveryPlanArn=arn)["recoveryPlan"]["tags"] == {"env": "prod"}
    assert drs.delete_recovery_plan(recoveryPlanArn=arn)["recoveryPlanArn"] == arn
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.get_recovery_plan(recoveryPlanArn=arn)


def test_arn_checks_account_region_and_kind(drs: Any, make_drs: Any) -> None:
    arn = _plan(drs)
    spoke = make_drs(credentials=assume(SPOKE))
    with pytest.raises(spoke.exceptions.AccessDeniedException):
        spoke.get_recovery_plan(recoveryPlanArn=arn)
    west = make_drs(region="us-west-2")
    with pytest.raises(west.exceptions.ResourceNotFoundException):
        west.get_recovery_plan(recoveryPlanArn=arn)
    with pytest.raises(drs.exceptions.ValidationException) as exc:
        drs.get_recovery_plan(recoveryPlanArn=arn.replace("recovery-plan/", "source-server/"))
    assert exc.value.response["fieldList"][0]["name"] == "recoveryPlanArn"
    with pytest.raises(drs.exceptions.ValidationException):
        drs.get_recovery_plan(recoveryPlanArn="arn:aws:drs:us-east-1:1:recovery-plan/x")


def test_steps_order_types_limits_and_conflicts(drs: Any, emu: Emulator) -> None:
    arn = _plan(drs)
    db = _server_step(drs, arn, "databases", "db-01.example.internal", "db-02.example.internal")
    web = _server_step(drs, arn, "web", "web-01.example.internal")
    pause = _wait_step(drs, arn, "settle", 5, stepOrder=2)
    listed = drs.list_recovery_plan_steps(recoveryPlanArn=arn)["recoveryPlanSteps"]
    assert [(s["stepName"], s["stepOrder"]) for s in listed] == [("databases", 1), ("settle", 2), ("web", 3)]
    assert listed[0]["configuration"]["serverStepConfiguration"]["servers"][0]["impactLevel"] == "CRITICAL"
    with pytest.raises(drs.exceptions.ConflictException):
        _server_step(drs, arn, "again", "db-01.example.internal")
    with pytest.raises(drs.exceptions.ConflictException):
        _wait_step(drs, arn, "SETTLE", 1)
    with pytest.raises(drs.exceptions.ValidationException):
        _wait_step(drs, arn, "far", 1, stepOrder=9)
    both = {
        "waitStepConfiguration": {"waitDurationMinutes": 1},
        "serverStepConfiguration": {"servers": [{"serverArn": _arn("app-01.example.internal")}]},
    }
    for configuration in (both, {}):  # a tagged union: boto3 refuses it client-side, the emulator too
        status, _, body = call(
            emu,
            "CreateRecoveryPlanStep",
            {"recoveryPlanArn": arn, "stepName": "x", "configuration": configuration},
        )
        assert status == 400 and body["reason"] == "fieldValidationFailed", body
    with pytest.raises(drs.exceptions.ValidationException):  # the model: 1..120 minutes
        _wait_step(drs, arn, "long", 121)
    with pytest.raises(drs.exceptions.ValidationException):  # a server of another region
        drs.create_recovery_plan_step(
            recoveryPlanArn=arn,
            stepName="west",
            configuration={
                "serverStepConfiguration": {
                    "servers": [{"serverArn": _arn("web-01.payments.example.internal", region="us-west-2")}]
                }
            },
        )
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.create_recovery_plan_step(
            recoveryPlanArn=arn,
            stepName="ghost",
            configuration={
                "serverStepConfiguration": {
                    "servers": [{"serverArn": f"arn:aws:drs:us-east-1:{HUB}:source-server/s-{'0' * 17}"}]
                }
            },
        )
    with pytest.raises(drs.exceptions.ValidationException):  # type is immutable
        drs.update_recovery_plan_step(
            recoveryPlanStepArn=pause["recoveryPlanStepArn"],
            configuration={
                "serverStepConfiguration": {"servers": [{"serverArn": _arn("app-01.example.internal")}]}
            },
        )
    renamed = drs.update_recovery_plan_step(
        recoveryPlanStepArn=web["recoveryPlanStepArn"],
        stepName="front",
        configuration={
            "serverStepConfiguration": {"servers": [{"serverArn": _arn("web-02.example.internal")}]}
        },
    )["recoveryPlanStep"]
    assert renamed["stepName"] == "front" and renamed["stepOrder"] == 3
    reordered = drs.reorder_recovery_plan_steps(
        recoveryPlanArn=arn,
        orderedStepArns=[web["recoveryPlanStepArn"], db["recoveryPlanStepArn"], pause["recoveryPlanStepArn"]],
    )["recoveryPlanSteps"]
    assert [s["stepName"] for s in reordered] == ["front", "databases", "settle"]
    with pytest.raises(drs.exceptions.ValidationException):
        drs.reorder_recovery_plan_steps(recoveryPlanArn=arn, orderedStepArns=[web["recoveryPlanStepArn"]])
    assert drs.delete_recovery_plan_step(recoveryPlanStepArn=pause["recoveryPlanStepArn"])
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.get_recovery_plan_step(recoveryPlanStepArn=pause["recoveryPlanStepArn"])
    for i in range(18):
        _wait_step(drs, arn, f"w{i}", 1)
    with pytest.raises(drs.exceptions.ServiceQuotaExceededException):
        _wait_step(drs, arn, "w-too-many", 1)
    # a server that disappears makes the plan INVALID
    emu.update_server(sid("web-02.example.internal"), replication_state="DISCONNECTED")
    drs.delete_source_server(sourceServerID=sid("web-02.example.internal"))
    assert drs.get_recovery_plan(recoveryPlanArn=arn)["recoveryPlan"]["status"] == "INVALID"
    with pytest.raises(drs.exceptions.ValidationException):
        drs.start_recovery_plan_execution(recoveryPlanArn=arn, mode="DRILL")


def test_drill_runs_steps_in_order_on_the_job_lifecycle(drs: Any, emu: Emulator, ec2: Any) -> None:
    arn = _plan(drs)
    _server_step(drs, arn, "databases", "db-01.example.internal", "db-02.example.internal")
    _wait_step(drs, arn, "settle", 10)
    _server_step(drs, arn, "apps", "app-01.example.internal", optional=("app-02.example.internal",))
    emu.update_server(sid("app-02.example.internal"), launch={"outcome": "FAILED", "reason": "boot failure"})
    started = drs.start_recovery_plan_execution(recoveryPlanArn=arn, mode="DRILL", tags={"drill": "q1"})
    ex = started["recoveryPlanExecution"]
    assert ex["status"] == "CREATED" and ex["mode"] == "DRILL"
    assert started["ResponseMetadata"]["HTTPStatusCode"] in (200, 201, 202)
    ex_arn = ex["recoveryPlanExecutionArn"]
    with pytest.raises(drs.exceptions.ConflictException):  # one non-terminal execution per plan
        drs.start_recovery_plan_execution(recoveryPlanArn=arn, mode="DRILL")
    with pytest.raises(drs.exceptions.ConflictException):  # the plan cannot change while it runs
        _wait_step(drs, arn, "late", 1)
    with pytest.raises(drs.exceptions.ConflictException):
        drs.delete_recovery_plan(recoveryPlanArn=arn)
    emu.advance(1)
    steps = _steps(drs, ex_arn)
    assert [s["status"] for s in steps] == ["EXECUTING", "NOT_STARTED", "NOT_STARTED"]
    db_servers = steps[0]["configuration"]["executionServerStepConfiguration"]["servers"]
    job_id = db_servers[0]["jobID"]
    assert {s["jobID"] for s in db_servers} == {job_id}
    job = drs.describe_jobs(filters={"jobIDs": [job_id]})["items"][0]
    assert job["initiatedBy"] == "START_DRILL" and job["tags"] == {"drill": "q1"}
    assert drs.get_recovery_plan_execution(recoveryPlanExecutionArn=ex_arn)["recoveryPlanExecution"][
        "status"
    ] == ("IN_PROGRESS")
    emu.advance(3600)  # one read after all of it: transitions carry their own times
    steps = _steps(drs, ex_arn)
    assert [s["status"] for s in steps] == ["COMPLETED", "COMPLETED", "COMPLETED"]
    db_end = drs.describe_jobs(filters={"jobIDs": [job_id]})["items"][0]["endDateTime"]
    full = [
        drs.get_recovery_plan_execution_step(recoveryPlanExecutionStepArn=s["recoveryPlanExecutionStepArn"])[
            "recoveryPlanExecutionStep"
        ]
        for s in steps
    ]
    assert full[0]["updatedAt"] == db_end  # the step ended when its job ended
    wait_end = datetime.fromisoformat(full[1]["updatedAt"])
    assert wait_end - datetime.fromisoformat(db_end) == timedelta(minutes=10)
    final = drs.get_recovery_plan_execution(recoveryPlanExecutionArn=ex_arn)["recoveryPlanExecution"]
    assert final["status"] == "COMPLETED" and final["completedAt"] == full[2]["updatedAt"]
    apps = steps[2]["configuration"]["executionServerStepConfiguration"]["servers"]
    apps_job = drs.describe_jobs(filters={"jobIDs": [apps[0]["jobID"]]})["items"][0]
    statuses = {p["sourceServerID"]: p["launchStatus"] for p in apps_job["participatingServers"]}
    assert statuses == {sid("app-01.example.internal"): "LAUNCHED", sid("app-02.example.internal"): "FAILED"}
    instances = drs.describe_recovery_instances()["items"]
    assert len(instances) == 3 and all(ri["isDrill"] for ri in instances)
    ids = [ri["ec2InstanceID"] for ri in instances]
    assert len(ec2.describe_instances(InstanceIds=ids)["Reservations"]) >= 1
    listed = drs.list_recovery_plan_executions(recoveryPlanArn=arn, status="COMPLETED")[
        "recoveryPlanExecutions"
    ]
    assert [e["recoveryPlanExecutionArn"] for e in listed] == [ex_arn]
    assert drs.list_tags_for_resource(resourceArn=ex_arn)["tags"] == {"drill": "q1"}
    assert [s["stepName"] for s in _steps(drs, ex_arn) if s["status"] == "COMPLETED"] == [
        "databases",
        "settle",
        "apps",
    ]
    filtered = drs.list_recovery_plan_execution_steps(
        recoveryPlanExecutionArn=ex_arn, filter={"status": "WAITING"}
    )
    assert filtered["recoveryPlanExecutionSteps"] == []
    assert (
        drs.delete_recovery_plan_execution(recoveryPlanExecutionArn=ex_arn)["recoveryPlanExecutionArn"]
        == ex_arn
    )


def test_critical_failure_then_retry_and_skip(drs: Any, emu: Emulator) -> None:
    arn = _plan(drs)
    _server_step(drs, arn, "databases", "db-01.example.internal", "db-02.example.internal")
    _server_step(drs, arn, "web", "web-01.example.internal")
    _server_step(drs, arn, "apps", "app-01.example.internal")
    emu.update_server(sid("db-02.example.internal"), launch={"outcome": "FAILED", "reason": "boot failure"})
    ex_arn = drs.start_recovery_plan_execution(recoveryPlanArn=arn, mode="RECOVERY")["recoveryPlanExecution"][
        "recoveryPlanExecutionArn"
    ]
    emu.advance(3600)
    ex = drs.get_recovery_plan_execution(recoveryPlanExecutionArn=ex_arn)["recoveryPlanExecution"]
    assert ex["status"] == "FAILED" and ex["errorDetail"]["code"] == "STEP_FAILED"
    steps = _steps(drs, ex_arn)
    assert [s["status"] for s in steps] == ["FAILED", "NOT_STARTED", "NOT_STARTED"]
    assert steps[0]["errorDetail"]["code"] == "CRITICAL_SERVER_LAUNCH_FAILED"
    assert sid("db-02.example.internal") in steps[0]["errorDetail"]["message"]
    with pytest.raises(drs.exceptions.ConflictException):  # only the failed step can be retried
        drs.retry_recovery_plan_execution_step(
            recoveryPlanExecutionStepArn=steps[1]["recoveryPlanExecutionStepArn"]
        )
    emu.update_server(sid("db-02.example.internal"), launch={"outcome": "LAUNCHED"})
    retried = drs.retry_recovery_plan_execution_step(
        recoveryPlanExecutionStepArn=steps[0]["recoveryPlanExecutionStepArn"]
    )["recoveryPlanExecutionStep"]
    assert retried["status"] == "EXECUTING" and retried["attempt"] == 2
    servers = {
        s["serverArn"]: s["jobID"]
        for s in retried["configuration"]["executionServerStepConfiguration"]["servers"]
    }
    first_job = servers[_arn("db-01.example.internal")]
    assert servers[_arn("db-02.example.internal")] != first_job  # only the failed server relaunches
    web = steps[1]["recoveryPlanExecutionStepArn"]
    skipped = drs.update_recovery_plan_execution_step(recoveryPlanExecutionStepArn=web, status="SKIPPED")
    assert skipped["recoveryPlanExecutionStep"]["status"] == "SKIPPED"
    with pytest.raises(drs.exceptions.ValidationException):
        drs.update_recovery_plan_execution_step(recoveryPlanExecutionStepArn=web, status="COMPLETED")
    emu.advance(3600)
    assert [s["status"] for s in _steps(drs, ex_arn)] == ["COMPLETED", "SKIPPED", "COMPLETED"]
    final = drs.get_recovery_plan_execution(recoveryPlanExecutionArn=ex_arn)["recoveryPlanExecution"]
    assert final["status"] == "COMPLETED" and "errorDetail" not in final
    job = drs.describe_jobs(filters={"jobIDs": [first_job]})["items"][0]
    assert job["initiatedBy"] == "START_RECOVERY"


def test_skip_failed_step_resumes_and_wait_duration_updates(drs: Any, emu: Emulator) -> None:
    arn = _plan(drs)
    _server_step(drs, arn, "databases", "db-01.example.internal")
    _wait_step(drs, arn, "settle", 30)
    _server_step(drs, arn, "web", "web-01.example.internal")
    emu.update_server(sid("db-01.example.internal"), launch={"outcome": "FAILED"})
    ex_arn = drs.start_recovery_plan_execution(recoveryPlanArn=arn, mode="DRILL")["recoveryPlanExecution"][
        "recoveryPlanExecutionArn"
    ]
    emu.advance(1)
    steps = _steps(drs, ex_arn)
    shorter = drs.update_recovery_plan_execution_step(
        recoveryPlanExecutionStepArn=steps[1]["recoveryPlanExecutionStepArn"], waitDurationMinutes=2
    )["recoveryPlanExecutionStep"]
    assert shorter["configuration"]["waitStepConfiguration"]["waitDurationMinutes"] == 2
    with pytest.raises(drs.exceptions.ValidationException):  # servers do not apply to a WAIT step
        drs.update_recovery_plan_execution_step(
            recoveryPlanExecutionStepArn=steps[1]["recoveryPlanExecutionStepArn"],
            servers=[{"serverArn": _arn("web-02.example.internal")}],
        )
    with pytest.raises(drs.exceptions.ConflictException):  # already in another step of the execution
        drs.update_recovery_plan_execution_step(
            recoveryPlanExecutionStepArn=steps[2]["recoveryPlanExecutionStepArn"],
            servers=[{"serverArn": _arn("db-01.example.internal")}],
        )
    drs.update_recovery_plan_execution_step(
        recoveryPlanExecutionStepArn=steps[2]["recoveryPlanExecutionStepArn"],
        servers=[{"serverArn": _arn("web-02.example.internal"), "impactLevel": "OPTIONAL"}],
    )
    emu.advance(1800)
    assert drs.get_recovery_plan_execution(recoveryPlanExecutionArn=ex_arn)["recoveryPlanExecution"][
        "status"
    ] == ("FAILED")
    drs.update_recovery_plan_execution_step(
        recoveryPlanExecutionStepArn=steps[0]["recoveryPlanExecutionStepArn"], status="SKIPPED"
    )
    emu.advance(120)
    steps = _steps(drs, ex_arn)
    assert [s["status"] for s in steps] == ["SKIPPED", "COMPLETED", "EXECUTING"]
    assert steps[2]["configuration"]["executionServerStepConfiguration"]["servers"][0]["serverArn"] == _arn(
        "web-02.example.internal"
    )
    emu.advance(3600)
    assert drs.get_recovery_plan_execution(recoveryPlanExecutionArn=ex_arn)["recoveryPlanExecution"][
        "status"
    ] == ("COMPLETED")


def test_cancel_waits_for_running_jobs_and_timeout(drs: Any, emu: Emulator) -> None:
    arn = _plan(drs)
    _server_step(drs, arn, "databases", "db-01.example.internal")
    _server_step(drs, arn, "web", "web-01.example.internal")
    ex_arn = drs.start_recovery_plan_execution(recoveryPlanArn=arn, mode="DRILL")["recoveryPlanExecution"][
        "recoveryPlanExecutionArn"
    ]
    emu.advance(30)
    cancelling = drs.cancel_recovery_plan_execution(recoveryPlanExecutionArn=ex_arn)["recoveryPlanExecution"]
    assert cancelling["status"] == "CANCELLING"
    with pytest.raises(drs.exceptions.ConflictException):
        drs.cancel_recovery_plan_execution(recoveryPlanExecutionArn=ex_arn)
    with pytest.raises(drs.exceptions.ConflictException):
        drs.delete_recovery_plan_execution(recoveryPlanExecutionArn=ex_arn)
    emu.advance(3600)
    assert [s["status"] for s in _steps(drs, ex_arn)] == ["COMPLETED", "SKIPPED"]
    assert drs.get_recovery_plan_execution(recoveryPlanExecutionArn=ex_arn)["recoveryPlanExecution"][
        "status"
    ] == ("CANCELLED")
    # a step whose job outlives the step timeout is TIMED_OUT
    emu.timings.plan_step_timeout_seconds = 1200
    emu.update_server(sid("web-01.example.internal"), launch={"durationSeconds": 7200})
    slow = drs.start_recovery_plan_execution(recoveryPlanArn=arn, mode="DRILL")["recoveryPlanExecution"]
    emu.advance(3600)
    steps = _steps(drs, slow["recoveryPlanExecutionArn"])
    assert [s["status"] for s in steps] == ["COMPLETED", "TIMED_OUT"]
    assert steps[1]["errorDetail"]["code"] == "STEP_TIMED_OUT"
    ex = drs.get_recovery_plan_execution(recoveryPlanExecutionArn=slow["recoveryPlanExecutionArn"])
    assert ex["recoveryPlanExecution"]["status"] == "FAILED"


def test_start_checks_snapshots_busy_servers_and_steps(drs: Any, emu: Emulator) -> None:
    arn = _plan(drs)
    with pytest.raises(drs.exceptions.ValidationException):  # no SERVER step
        drs.start_recovery_plan_execution(recoveryPlanArn=arn, mode="DRILL")
    _server_step(drs, arn, "databases", "db-01.example.internal")
    with pytest.raises(drs.exceptions.ValidationException):
        drs.start_recovery_plan_execution(
            recoveryPlanArn=arn,
            mode="DRILL",
            sourceServers=[
                {"sourceServerID": sid("web-01.example.internal"), "recoverySnapshotID": "pit-" + "0" * 17}
            ],
        )
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.start_recovery_plan_execution(
            recoveryPlanArn=arn,
            mode="DRILL",
            sourceServers=[
                {"sourceServerID": sid("db-01.example.internal"), "recoverySnapshotID": "pit-" + "0" * 17}
            ],
        )
    drs.start_recovery(sourceServers=[{"sourceServerID": sid("db-01.example.internal")}], isDrill=True)
    with pytest.raises(drs.exceptions.ConflictException):
        drs.start_recovery_plan_execution(recoveryPlanArn=arn, mode="DRILL")
    with pytest.raises(drs.exceptions.ValidationException):
        drs.start_recovery_plan_execution(recoveryPlanArn=arn, mode="SOMETIMES")
    emu.advance(3600)
    token = drs.start_recovery_plan_execution(recoveryPlanArn=arn, mode="DRILL", clientToken="t1")
    same = drs.start_recovery_plan_execution(recoveryPlanArn=arn, mode="DRILL", clientToken="t1")
    assert (
        token["recoveryPlanExecution"]["recoveryPlanExecutionArn"]
        == same["recoveryPlanExecution"]["recoveryPlanExecutionArn"]
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_timeline_does_not_depend_on_how_often_the_clock_is_read(
    drs: Any, emu: Emulator, seed: int
) -> None:
    """The same plan run twice, once read after each small random advance and once read only at the
    end, gives the same step timeline relative to the start."""
    arn = _plan(drs)
    _server_step(drs, arn, "databases", "db-01.example.internal", "db-02.example.internal")
    _wait_step(drs, arn, "settle", 3)
    _server_step(drs, arn, "web", "web-01.example.internal", "web-02.example.internal")

    def run(reads: list[float]) -> list[tuple[str, float]]:
        ex = drs.start_recovery_plan_execution(recoveryPlanArn=arn, mode="DRILL")["recoveryPlanExecution"]
        started = datetime.fromisoformat(ex["startedAt"])
        for seconds in reads:
            emu.advance(seconds)
            drs.list_recovery_plan_execution_steps(recoveryPlanExecutionArn=ex["recoveryPlanExecutionArn"])
        emu.advance(4000 - sum(reads))
        out = []
        for step in _steps(drs, ex["recoveryPlanExecutionArn"]):
            full = drs.get_recovery_plan_execution_step(
                recoveryPlanExecutionStepArn=step["recoveryPlanExecutionStepArn"]
            )
            s = full["recoveryPlanExecutionStep"]
            out.append((s["status"], (datetime.fromisoformat(s["updatedAt"]) - started).total_seconds()))
        return out

    rng = random.Random(seed)
    often = run([rng.uniform(1, 90) for _ in range(30)])
    once = run([])
    assert often == once and [s for s, _ in once] == ["COMPLETED"] * 3


def test_snapshot_pins_and_job_quotas(drs: Any, emu: Emulator) -> None:
    arn = _plan(drs)
    _server_step(drs, arn, "databases", "db-01.example.internal", "db-02.example.internal")
    emu.quotas.max_servers_in_active_jobs = 1
    with pytest.raises(drs.exceptions.ServiceQuotaExceededException):
        drs.start_recovery_plan_execution(recoveryPlanArn=arn, mode="DRILL")
    emu.quotas.max_servers_in_active_jobs = 500
    db01 = sid("db-01.example.internal")
    snapshot = drs.describe_recovery_snapshots(sourceServerID=db01, order="DESC")["items"][-1]
    ex = drs.start_recovery_plan_execution(
        recoveryPlanArn=arn,
        mode="DRILL",
        sourceServers=[{"sourceServerID": db01, "recoverySnapshotID": snapshot["snapshotID"]}],
    )["recoveryPlanExecution"]
    emu.advance(3600)
    step = _steps(drs, ex["recoveryPlanExecutionArn"])[0]
    assert step["status"] == "COMPLETED"
    job_id = step["configuration"]["executionServerStepConfiguration"]["servers"][0]["jobID"]
    events = {
        (e["event"], (e.get("eventData") or {}).get("sourceServerID"))
        for e in drs.describe_job_log_items(jobID=job_id)["items"]
    }
    assert ("USING_PREVIOUS_SNAPSHOT", db01) in events and ("SNAPSHOT_START", db01) not in events
    instance = drs.describe_recovery_instances(filters={"sourceServerIDs": [db01]})["items"][0]
    pinned = datetime.fromisoformat(instance["pointInTimeSnapshotDateTime"])
    assert pinned == datetime.fromisoformat(snapshot["timestamp"])
