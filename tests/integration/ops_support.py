"""Helpers of the operations tests (issue 16): a reader of the alerts topic, direct edits that
age an execution (the only way to have a 400-day-old execution in a test), the audit log reader."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def days_ago(days: float) -> str:
    return iso(datetime.now(UTC) - timedelta(days=days))


def executions_table() -> Any:
    return boto3.resource("dynamodb").Table(os.environ["EXECUTIONS_TABLE"])


def age_execution(execution_id: str, days: float, *, paused_minutes: float | None = None) -> None:
    """Move an execution's start (and end, if it ended) ``days`` into the past; optionally make
    its last PAUSED history entry ``paused_minutes`` old."""
    table = executions_table()
    meta = table.get_item(Key={"executionId": execution_id, "sk": "META"})["Item"]
    values: dict[str, Any] = {":s": days_ago(days)}
    expression = "SET startTime = :s"
    if meta.get("endTime"):
        values[":e"] = days_ago(days - 0.01)
        expression += ", endTime = :e"
    if paused_minutes is not None:
        history = list(meta["statusHistory"])
        for entry in reversed(history):
            if entry["status"] == "PAUSED":
                entry["at"] = iso(datetime.now(UTC) - timedelta(minutes=paused_minutes))
                break
        values[":h"] = history
        expression += ", statusHistory = :h"
    table.update_item(Key={"executionId": execution_id, "sk": "META"}, UpdateExpression=expression,
                      ExpressionAttributeValues=values)


def items_of(execution_id: str) -> list[dict[str, Any]]:
    from boto3.dynamodb.conditions import Key

    return list(executions_table().query(KeyConditionExpression=Key("executionId").eq(execution_id))["Items"])


def audit_entries(api: Any, **filters: Any) -> list[dict[str, Any]]:
    """Every audit entry matching ``filters``, following nextToken."""
    out: list[dict[str, Any]] = []
    token = None
    while True:
        params = {**filters, **({"nextToken": token} if token else {})}
        status, page = api.get("/audit-log", **params)
        assert status == 200, page
        out += page["entries"]
        token = page.get("nextToken")
        if not token:
            return out


@pytest.fixture(name="alerts")
def alerts_fixture(stack: Any) -> Iterator[Any]:
    """An SQS queue subscribed to the alerts topic; returns a reader of the alerts so far."""
    sqs = stack.client("sqs")
    sns = stack.client("sns")
    url = sqs.create_queue(QueueName=f"ops-alerts-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sub = sns.subscribe(TopicArn=stack.outputs["AlertsTopicArn"], Protocol="sqs", Endpoint=arn)
    seen: list[dict[str, Any]] = []

    def read() -> list[dict[str, Any]]:
        while True:
            out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            if not out.get("Messages"):
                return seen
            for m in out["Messages"]:
                seen.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    yield read
    sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"])
    sqs.delete_queue(QueueUrl=url)
