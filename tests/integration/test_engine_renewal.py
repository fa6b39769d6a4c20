"""A long execution goes on in new state machine runs (issue 15): a Standard workflow fails when its
history reaches 25,000 events, skipping every Catch (the execution would stay RUNNING with its
servers locked), and each poll of the reconcile loop adds about 13. After ``renew_after_ticks`` ticks
a run starts the next one (``Renew`` in infra/orchestration.asl.json) and ends. The tests lower the
threshold to a few ticks, so that a short drill goes through several runs on the local stack."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from typing import Any

import pytest
from engine_support import details, group, plan, seed, start, wait_for, wait_terminal

from drs_orch.entrypoints.wiring import container

pytestmark = pytest.mark.integration

RENEW_AFTER = 4


@pytest.fixture(name="short_runs")
def short_runs_fixture(stack: Any) -> Iterator[int]:
    """The orchestration function's setting, as a deployment would set ORCHESTRATION_RENEW_AFTER_TICKS."""
    running = container()
    before = running.settings
    running.settings = dataclasses.replace(before, renew_after_ticks=RENEW_AFTER)
    try:
        yield RENEW_AFTER
    finally:
        running.settings = before


def _runs(stack: Any, execution_id: str) -> list[dict[str, Any]]:
    """The execution's state machine runs, oldest first (each names the execution id)."""
    sfn = stack.client("stepfunctions")
    arn = stack.outputs["StateMachineArn"]
    runs = [r for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=arn)
            for r in page["executions"] if r["name"] == execution_id or r["name"].startswith(f"{execution_id}-t")]
    return sorted(runs, key=lambda r: r["startDate"])


def _meta(stack: Any, execution_id: str) -> dict[str, Any]:
    table = stack.client("dynamodb")
    item = table.get_item(TableName=os.environ["EXECUTIONS_TABLE"],
                          Key={"executionId": {"S": execution_id}, "sk": {"S": "META"}})["Item"]
    return {k: next(iter(v.values())) for k, v in item.items()}


def test_a_long_execution_goes_on_in_new_runs_each_with_a_short_history(stack: Any, admin: Any,
                                                                        short_runs: int) -> None:
    first, second = seed(stack, 2, launch_seconds=120), seed(stack, 2, launch_seconds=120)
    execution_id = start(admin, plan(admin, [[group(admin, first)], [group(admin, second)]]), poll=10)
    done = wait_terminal(admin, execution_id, timeout=60)
    assert done["status"] == "COMPLETED", done
    assert done["serverCounts"]["launched"] == 4
    runs = _runs(stack, execution_id)
    assert len(runs) >= 3, [r["name"] for r in runs]  # two launches of 120 s polled every 10 s
    assert runs[0]["name"] == execution_id
    names = [r["name"] for r in runs]
    assert len(set(names)) == len(names)
    sfn = stack.client("stepfunctions")
    for run in runs:  # every run ended: the renewed ones handed over, the last one saw the end
        status = sfn.describe_execution(executionArn=run["executionArn"])["status"]
        assert status == "SUCCEEDED", (run["name"], status)
        history = sfn.get_execution_history(executionArn=run["executionArn"], maxResults=1000)["events"]
        # a run ticks at most RENEW_AFTER times: Begin, the ticks and their waits, the hand-over
        assert len(history) <= 20 * (short_runs + 1), (run["name"], len(history))
    handed = [e for e in sfn.get_execution_history(executionArn=runs[0]["executionArn"])["events"]
              if e["type"] == "TaskSucceeded" and e["taskSucceededEventDetails"]["resourceType"] == "states"]
    assert handed, "the first run did not start the next one through its Renew task"
    # the execution names its latest run, so that a cancel stops the run that is going on
    assert _meta(stack, execution_id)["stateMachineExecutionArn"] == runs[-1]["executionArn"]


def test_a_cancel_after_a_renewal_stops_the_run_that_is_going_on(stack: Any, admin: Any, short_runs: int) -> None:
    first, second = seed(stack, 1, launch_seconds=240), seed(stack, 1, launch_seconds=60)
    execution_id = start(admin, plan(admin, [[group(admin, first)], [group(admin, second)]],
                                     pauseBeforeWave={2: True}), poll=10)
    wait_for(admin, execution_id, lambda b: b["status"] == "PAUSED", timeout=60, what="the pause before wave 2")
    runs = _runs(stack, execution_id)
    assert len(runs) >= 2, [r["name"] for r in runs]  # wave 1 (240 s polled every 10 s) outlasts a run
    latest = runs[-1]
    assert _meta(stack, execution_id)["stateMachineExecutionArn"] == latest["executionArn"]
    status, body = admin.post(f"/executions/{execution_id}/cancel")
    assert status == 200, body
    assert details(admin, execution_id)["status"] == "CANCELLED"
    sfn = stack.client("stepfunctions")
    assert sfn.describe_execution(executionArn=latest["executionArn"])["status"] in {"ABORTED", "SUCCEEDED"}
    assert all(sfn.describe_execution(executionArn=r["executionArn"])["status"] != "RUNNING" for r in runs)
