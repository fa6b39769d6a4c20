"""Event-driven wave transitions (issue 19): the DRS emulator sends its launch-result events to the
local EventBridge, the hub's rule invokes the DRS events function, and the execution's wait between
ticks (a waitForTaskToken task whose timeout is the poll interval) is cut short. These tests run at
the session's time scale (60x) with long poll intervals, so a wave gap well under the interval can
only come from an event; the emulator's job times measure the gap in emulated seconds."""

from __future__ import annotations

import random
import uuid
from datetime import datetime
from typing import Any

import pytest
from engine_support import jobs_of, plan, seed, start, wait_terminal

from drs_local import iam_policy

pytestmark = pytest.mark.integration

# emulated seconds: a minute of real time at 60x. An execution of two waves that ends well within
# that (the tests wait 45 s) moved from wave to wave on events, whatever the machine's load.
LONG_POLL = 3600


def _epoch(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _wave_gap(stack: Any, execution_id: str) -> float:
    """Emulated seconds from wave 1's job end to wave 2's job creation."""
    jobs = sorted(jobs_of(stack, execution_id), key=lambda j: j["tags"]["drs-orch:wave"])
    assert [j["tags"]["drs-orch:wave"] for j in jobs] == ["1", "2"], jobs
    return _epoch(jobs[1]["creationDateTime"]) - _epoch(jobs[0]["endDateTime"])


def _two_waves(stack: Any, api: Any, region: str, *, account: str = "123456789012") -> str:
    first = seed(stack, 2, region=region, account=account)
    second = seed(stack, 2, region=region, account=account)
    groups = []
    for servers in (first, second):
        body = {"groupName": f"evt-{uuid.uuid4().hex[:8]}", "region": region, "sourceServerIds": servers}
        if account != "123456789012":
            body["accountId"] = account
        status, out = api.post("/protection-groups", body)
        assert status == 201, out
        groups.append(out["groupId"])
    return plan(api, [[groups[0]], [groups[1]]])


def test_a_launch_result_event_wakes_the_execution_before_its_poll(stack: Any, admin: Any) -> None:
    sent_before = stack.emulator.events.stats.emitted
    execution_id = start(admin, _two_waves(stack, admin, "eu-north-1"), poll=LONG_POLL)
    done = wait_terminal(admin, execution_id, timeout=45)
    assert done["status"] == "COMPLETED"
    gap = _wave_gap(stack, execution_id)
    assert gap < LONG_POLL / 4, f"wave 2 started {gap:.0f} emulated s after wave 1 ended (poll {LONG_POLL})"
    assert stack.emulator.events.stats.emitted >= sent_before + 4  # one launch result per server


def test_a_dropped_event_falls_back_to_the_poll(stack: Any, admin: Any) -> None:
    region, poll = "eu-south-1", 120  # 2 real seconds
    fault = stack.emulator.add_fault("drop_event", region=region)
    dropped_before = stack.emulator.events.stats.dropped
    try:
        execution_id = start(admin, _two_waves(stack, admin, region), poll=poll)
        done = wait_terminal(admin, execution_id, timeout=60)
    finally:
        stack.emulator.remove_fault(fault["id"])
    assert done["status"] == "COMPLETED"
    assert stack.emulator.events.stats.dropped >= dropped_before + 4
    gap = _wave_gap(stack, execution_id)
    # no event: the wave waited for the poll, at most one interval plus the tick's own time (a
    # second or so of real time on a loaded machine is 60 emulated seconds at this time scale)
    assert gap <= poll + 90, gap


def test_duplicate_events_start_nothing_twice(stack: Any, admin: Any) -> None:
    events = stack.emulator.events
    original = events.replace_deliver(None)  # type: ignore[arg-type]
    assert original is not None

    def three_times(account: str, region: str, event: dict[str, Any]) -> None:
        for _ in range(3):
            original(account, region, event)

    events.replace_deliver(three_times)
    try:
        execution_id = start(admin, _two_waves(stack, admin, "eu-west-3"), poll=LONG_POLL)
        done = wait_terminal(admin, execution_id, timeout=45)
    finally:
        events.replace_deliver(original)
    assert done["status"] == "COMPLETED"
    jobs = jobs_of(stack, execution_id)
    assert sorted(j["tags"]["drs-orch:wave"] for j in jobs) == ["1", "2"]  # one DRS job per wave
    starts = [c for c in stack.emulator.calls("StartRecovery") if execution_id in c["params"]]
    assert len(starts) == 2
    assert all(s["status"] == "LAUNCHED" for w in done["waves"] for s in w["servers"])
    assert _wave_gap(stack, execution_id) < LONG_POLL / 4


def test_a_spokes_events_reach_the_hub_and_wake_it(stack: Any, admin: Any) -> None:
    rng = random.Random(uuid.uuid4().int)
    account = "7" + "".join(rng.choice("0123456789") for _ in range(11))
    external_id = f"events-{uuid.uuid4().hex[:12]}"
    iam_policy.apply()
    role_arn = iam_policy.provision_spoke(account, "123456789012", external_id)
    stack.forward_drs_events([account])  # the spoke template's forwarding rule in this account
    status, body = admin.post("/accounts/targets", {"accountId": account, "accountName": "events spoke",
                                                     "roleArn": role_arn, "externalId": external_id})
    assert status == 201, body
    execution_id = start(admin, _two_waves(stack, admin, "eu-west-1", account=account), poll=LONG_POLL)
    done = wait_terminal(admin, execution_id, timeout=45)
    assert done["status"] == "COMPLETED"
    assert {j["account"] for j in jobs_of(stack, execution_id)} == {account}
    sent = [e for e in stack.emulator.events.stats.sent if e["account"] == account]
    assert sent and all(e["Source"] == "aws.drs" and e["DetailType"] == "DRS Source Server Launch Result"
                        for e in sent)
    assert _wave_gap(stack, execution_id) < LONG_POLL / 4


def test_the_store_keeps_a_wake_up_that_came_while_no_wait_was_on(stack: Any) -> None:
    """DynamoDB adapter: a job's last launch result during a tick (no token stored) is not lost; the
    next wait takes it and ends at once, exactly once."""
    import os

    import boto3

    from drs_orch.adapters.dynamodb_executions import DynamoExecutionStore

    store = DynamoExecutionStore(os.environ["EXECUTIONS_TABLE"], os.environ["GUARDS_TABLE"])
    execution_id = f"wake-{uuid.uuid4().hex[:8]}"
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(os.environ["EXECUTIONS_TABLE"])
    table.put_item(Item={"executionId": execution_id, "sk": "META", "status": "RUNNING", "version": 1})
    assert store.take_wait_token(execution_id) is None  # a tick runs: a wake-up is left
    assert store.keep_wait_token(execution_id, "token-1") is False  # so the next wait does not wait
    assert store.keep_wait_token(execution_id, "token-2") is True  # the wake-up was taken once
    assert store.take_wait_token(execution_id) == "token-2"
    assert store.take_wait_token(f"{execution_id}-unknown") is None
    meta = table.get_item(Key={"executionId": execution_id, "sk": "META"})["Item"]
    assert "waitToken" not in meta and "wakePending" not in meta
    assert table.get_item(Key={"executionId": f"{execution_id}-unknown", "sk": "META"}).get("Item") is None



def test_a_wait_that_timed_out_refuses_its_token_and_the_wake_up_is_kept(stack: Any) -> None:
    """The local Step Functions closes a task token when its task ends, as AWS does (TaskTimedOut),
    so a launch result that finds the token of a wait that has just timed out leaves its wake-up for
    the next wait instead of losing it. The wait is the engine's own: the orchestration function's
    ``wait`` action stores the token on META, and the task times out."""
    import json
    import os
    import time

    import boto3
    from botocore.exceptions import ClientError

    from drs_orch.adapters.dynamodb_executions import DynamoExecutionStore
    from drs_orch.adapters.stepfunctions import StepFunctionsStateMachine
    from drs_orch.services.engine.wake import Waker

    sfn = stack.client("stepfunctions")
    engine = sfn.describe_state_machine(stateMachineArn=stack.outputs["StateMachineArn"])
    function = next(f["FunctionArn"] for f in stack.client("lambda").list_functions()["Functions"]
                    if "-orchestration-" in f["FunctionName"])
    execution_id = f"wake-{uuid.uuid4().hex[:8]}"
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(os.environ["EXECUTIONS_TABLE"])
    table.put_item(Item={"executionId": execution_id, "sk": "META", "status": "RUNNING", "version": 1})
    definition = {"StartAt": "Wait", "States": {
        "Wait": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                 "Parameters": {"FunctionName": function, "Payload": {
                     "action": "wait", "executionId": execution_id, "taskToken.$": "$$.Task.Token"}},
                 "TimeoutSeconds": 60, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Hold"}], "End": True},
        "Hold": {"Type": "Wait", "Seconds": 36000, "End": True}}}
    machine = sfn.create_state_machine(name=f"token-{execution_id}", roleArn=engine["roleArn"],
                                       definition=json.dumps(definition))["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    try:
        deadline = time.monotonic() + 30
        while not any(e["type"] == "WaitStateEntered" for e in sfn.get_execution_history(executionArn=run)["events"]):
            assert time.monotonic() < deadline, "the wait did not time out"
            time.sleep(0.1)
        token = table.get_item(Key={"executionId": execution_id, "sk": "META"})["Item"]["waitToken"]
        with pytest.raises(ClientError) as refused:
            sfn.send_task_success(taskToken=token, output="{}")
        assert refused.value.response["Error"]["Code"] == "TaskTimedOut"
        with pytest.raises(ClientError) as unknown:
            sfn.send_task_success(taskToken=f"{token}-unknown", output="{}")
        assert unknown.value.response["Error"]["Code"] == "InvalidToken"

        store = DynamoExecutionStore(os.environ["EXECUTIONS_TABLE"], os.environ["GUARDS_TABLE"])
        outcome = Waker(store, StepFunctionsStateMachine(machine, "us-east-1")).wake(execution_id, {"jobId": "j"})
        assert outcome.result == "NOT_WAITING"  # the stale token was taken, refused, and the wake-up kept
        assert store.keep_wait_token(execution_id, "token-2") is False  # the next wait ends at once
    finally:
        sfn.stop_execution(executionArn=run)
