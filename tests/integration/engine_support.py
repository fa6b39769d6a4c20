"""Helpers of the execution-engine integration tests.

Every test seeds its own source servers into the DRS emulator (unique hostnames, hence unique ids,
in regions the default fleet does not use) and creates its own groups and plans through the REST
API, so tests never compete for servers with each other or with other areas' tests. The ``fast``
fixture raises the shared time scale (emulator clock, Step Functions waits and retries) for the
duration of a test and restores it afterwards."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from drs_local import moto_patches

HUB = "123456789012"
REGION = "eu-west-1"  # no default-fleet servers here
TERMINAL = {"COMPLETED", "PARTIAL", "FAILED", "CANCELLED"}


def unique(prefix: str = "eng") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def seed(stack: Any, count: int, *, tags: dict[str, str] | None = None, region: str = REGION,
         account: str = HUB, launch_seconds: float = 60, outcome: str | None = None,
         reason: str | None = None, state: str = "CONTINUOUS") -> list[str]:
    run = uuid.uuid4().hex[:8]
    launch: dict[str, Any] = {"durationSeconds": launch_seconds}
    if outcome:
        launch.update(outcome=outcome, reason=reason or "the recovery instance did not boot")
    servers = [{"hostname": f"eng-{run}-{n:03d}.example.internal", "replicationState": state, "cpus": 2,
                "ramGiB": 4, "disks": [{"deviceName": "/dev/sda", "sizeGiB": 20}],
                "recommendedInstanceType": "c5.large", "tags": dict(tags or {}), "launch": launch}
               for n in range(count)]
    out = stack.emulator.seed({"accounts": [{"accountId": account, "regions": [{"region": region,
                                                                                 "servers": servers}]}]})
    return list(out[account][region])


@pytest.fixture(name="fast")
def fast_fixture(stack: Any) -> Iterator[float]:
    """Run this test at 10x the session's time scale (launches of 60 emulated seconds take 0.1 s)."""
    speed = 600.0
    stack.emulator.set_speed(speed)
    moto_patches.set_speed(speed)
    try:
        yield speed
    finally:
        stack.emulator.set_speed(stack.speed)
        moto_patches.set_speed(stack.speed)


def group(api: Any, servers: list[str], *, region: str = REGION, name: str | None = None) -> str:
    status, body = api.post("/protection-groups", {"groupName": name or unique("grp"), "region": region,
                                                    "sourceServerIds": servers})
    assert status == 201, body
    return str(body["groupId"])


def tag_group(api: Any, tags: dict[str, str], *, region: str = REGION, name: str | None = None) -> str:
    status, body = api.post("/protection-groups", {"groupName": name or unique("grp"), "region": region,
                                                    "serverSelectionTags": tags})
    assert status == 201, body
    return str(body["groupId"])


def plan(api: Any, waves: list[list[str]], **per_wave: Any) -> str:
    """A plan whose wave n (1-based) uses the groups ``waves[n-1]``; ``per_wave`` maps a wave field
    to a value for every wave, or to a dict {waveNumber: value}."""
    body_waves = []
    for n, groups in enumerate(waves, start=1):
        wave: dict[str, Any] = {"waveNumber": n, "waveName": f"wave {n}", "protectionGroupIds": groups}
        for key, value in per_wave.items():
            if isinstance(value, dict):
                if n in value:
                    wave[key] = value[n]
            else:
                wave[key] = value
        body_waves.append(wave)
    status, body = api.post("/recovery-plans", {"planName": unique("plan"), "waves": body_waves})
    assert status == 201, body
    return str(body["planId"])


def start(api: Any, plan_id: str, poll: int = 10, kind: str = "DRILL") -> str:
    status, body = api.post("/executions", {"planId": plan_id, "executionType": kind, "initiatedBy": "pytest",
                                            "pollIntervalSeconds": poll})
    assert status == 202, body
    assert body["status"] == "PENDING" and body["statusUrl"] == f"/executions/{body['executionId']}"
    return str(body["executionId"])


def details(api: Any, execution_id: str) -> dict[str, Any]:
    status, body = api.get(f"/executions/{execution_id}")
    assert status == 200, body
    return dict(body)


def _meta_version(execution_id: str) -> Any:
    """A cheap look at the execution item (status, version, waves' progress) straight from DynamoDB,
    so that waiting does not load the orchestration with full detail reads."""
    table = boto3.resource("dynamodb").Table(os.environ["EXECUTIONS_TABLE"])
    item = table.get_item(Key={"executionId": execution_id, "sk": "META"}).get("Item") or {}
    return (item.get("version"), item.get("status"), str(item.get("termination")), str(item.get("serverCounts")),
            str(item.get("lastDecisionAt")))


def wait_for(api: Any, execution_id: str, until: Callable[[dict[str, Any]], bool], timeout: float = 60.0,
             what: str = "condition") -> dict[str, Any]:
    """Read the details whenever the execution item changed (and every 0.3 s, since wave and server
    items are written just after it), until ``until`` holds."""
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    seen: Any = None
    read_at = 0.0
    while time.monotonic() < deadline:
        current = _meta_version(execution_id)
        if current != seen or time.monotonic() - read_at > 0.3:
            seen = current
            read_at = time.monotonic()
            body = details(api, execution_id)
            if until(body):
                return body
        time.sleep(0.02)
    raise AssertionError(f"{what} not reached in {timeout}s; last: status={body.get('status')} "
                         f"waves={[(w['waveNumber'], w['status']) for w in body.get('waves', [])]}")


def wait_terminal(api: Any, execution_id: str, timeout: float = 60.0) -> dict[str, Any]:
    return wait_for(api, execution_id, lambda b: b["status"] in TERMINAL, timeout, "terminal status")


def sfn_status(stack: Any, execution_id: str, timeout: float = 30.0, want: set[str] | None = None) -> str:
    """The state machine run's status once it has left RUNNING (or reached ``want``)."""
    sfn = stack.client("stepfunctions")
    arn = stack.outputs.get("StateMachineArn") or sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    execution_arn = arn.replace(":stateMachine:", ":execution:") + f":{execution_id}"
    deadline = time.monotonic() + timeout
    status = "RUNNING"
    while time.monotonic() < deadline:
        status = sfn.describe_execution(executionArn=execution_arn)["status"]
        if (want and status in want) or (not want and status != "RUNNING"):
            return str(status)
        time.sleep(0.05)
    return str(status)


def jobs_of(stack: Any, execution_id: str) -> list[dict[str, Any]]:
    """The emulator's jobs started for an execution (by their tags)."""
    return [j for j in stack.emulator.jobs() if (j.get("tags") or {}).get("drs-orch:execution-id") == execution_id]


@pytest.fixture(name="notifications")
def notifications_fixture(stack: Any) -> Any:
    """An SQS queue subscribed to the execution topic; returns a reader of the messages so far."""
    sqs = stack.client("sqs")
    sns = stack.client("sns")
    url = sqs.create_queue(QueueName=f"engine-notes-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sub = sns.subscribe(TopicArn=stack.outputs["ExecutionTopicArn"], Protocol="sqs", Endpoint=arn)
    seen: list[dict[str, Any]] = []

    def read(execution_id: str) -> list[dict[str, Any]]:
        while True:
            out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            if not out.get("Messages"):
                break
            for m in out["Messages"]:
                seen.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return [n for n in seen if json.loads(n["Message"]).get("executionId") == execution_id]

    yield read
    sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"])
    sqs.delete_queue(QueueUrl=url)
