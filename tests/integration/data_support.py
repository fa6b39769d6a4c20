"""Helpers of the data-management integration tests. Every test seeds its own source servers into
the DRS emulator (unique hostnames, so unique server ids, and a unique ``Suite`` tag value), so it
never competes for servers with other tests of the shared session stack; the default fleet is
only used where the seeds' examples ask for real fleet servers."""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import boto3

HUB = "123456789012"
REGION = "eu-west-1"  # the default fleet has no servers here
ROLE_NAME = "DRSOrchestrationRole"


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def seed(stack: Any, count: int, tags: dict[str, str] | None = None, *, region: str = REGION,
         account: str = HUB, state: str = "CONTINUOUS", source_instance: bool = False) -> list[str]:
    """``count`` new source servers; returns their ids in creation order."""
    run = uuid.uuid4().hex[:8]
    servers = []
    for n in range(count):
        entry: dict[str, Any] = {
            "hostname": f"data-{run}-{n:02d}.example.internal", "replicationState": state, "cpus": 2, "ramGiB": 4,
            "disks": [{"deviceName": "/dev/sda", "sizeGiB": 20}], "recommendedInstanceType": "c5.large",
            "tags": dict(tags or {}), "launch": {"durationSeconds": 60},
        }
        if source_instance:
            entry["sourceCloud"] = {"accountId": account, "region": region, "runInstance": True}
        servers.append(entry)
    seeded = stack.emulator.seed({"accounts": [{"accountId": account, "regions": [
        {"region": region, "servers": servers}]}]})
    return list(seeded[account][region])


def table(name_env: str) -> Any:
    return boto3.resource("dynamodb", region_name="us-east-1").Table(os.environ[name_env])


@contextmanager
def fake_execution(status: str, group_ids: list[str], servers: list[str], *, account: str = HUB,
                   region: str = REGION, plan_id: str | None = None) -> Iterator[dict[str, Any]]:
    """An execution as the execution engine records it (META + SERVER# items), removed afterwards
    so that no other test sees it."""
    executions = table("EXECUTIONS_TABLE")
    execution_id = str(uuid.uuid4())
    meta = {"executionId": execution_id, "sk": "META", "entityType": "EXECUTION", "status": status,
            "startTime": datetime.now(UTC).isoformat(), "planId": plan_id or unique("plan"),
            "protectionGroupIds": group_ids, "accountId": account, "region": region, "executionType": "DRILL",
            "planName": "fake", "version": 1}
    executions.put_item(Item=meta)
    for server in servers:
        executions.put_item(Item={"executionId": execution_id, "sk": f"SERVER#{server}", "sourceServerId": server,
                                  "accountId": account, "region": region, "status": "PENDING"})
    try:
        yield meta
    finally:
        for server in servers:
            executions.delete_item(Key={"executionId": execution_id, "sk": f"SERVER#{server}"})
        executions.delete_item(Key={"executionId": execution_id, "sk": "META"})


def set_status(execution: dict[str, Any], status: str) -> None:
    table("EXECUTIONS_TABLE").update_item(Key={"executionId": execution["executionId"], "sk": "META"},
                                          UpdateExpression="SET #s = :s", ExpressionAttributeNames={"#s": "status"},
                                          ExpressionAttributeValues={":s": status})


def new_account_id() -> str:
    rng = random.Random(uuid.uuid4().int)
    return "9" + "".join(rng.choice("0123456789") for _ in range(11))


def spoke(external_id: str | None = None) -> tuple[str, str]:
    """A fresh spoke account whose DRSOrchestrationRole trusts the hub (and requires
    ``external_id`` when given); returns (account id, role arn)."""
    from drs_local import iam_policy

    account = new_account_id()
    iam_policy.apply()
    return account, iam_policy.provision_spoke(account, HUB, external_id)
