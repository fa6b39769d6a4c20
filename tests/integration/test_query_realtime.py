"""GET /executions/{executionId}/realtime over the local stack: stored items (the data contract's
META / WAVE# / SERVER# shape, written here) reconciled with a real emulator job, in one batched
pass."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from query_support import REGION, Spokes, dump, frozen_clock, spoke_drs_client, spokes_for, stack_env

from drs_orch.domain.statuses import server_status_from_drs

pytestmark = pytest.mark.integration

@pytest.fixture(scope="session")
def spokes(stack: Any) -> Spokes:
    return spokes_for(stack)


@pytest.fixture
def frozen(stack: Any) -> Iterator[Any]:
    with frozen_clock(stack) as emulator:
        yield emulator


@pytest.fixture
def execution(spokes: Spokes, frozen: Any) -> Iterator[dict[str, Any]]:
    """A drill of three of B's servers started directly in the emulator, and the execution items
    that describe it (wave 1 launching, wave 2 not started)."""
    wave1 = spokes.servers[spokes.b][:3]
    wave2 = spokes.servers[spokes.b][3:4]
    job = spoke_drs_client(spokes, spokes.b, spokes.b_external_id).start_recovery(
        isDrill=True, sourceServers=[{"sourceServerID": s} for s in wave1])["job"]
    execution_id = f"query-rt-{uuid.uuid4()}"
    scope = {"accountId": spokes.b, "region": REGION}
    # The engine's item shape (services/engine/records.py), except that META carries no
    # startTime/entityType, so that the item stays out of the indexes other components scan.
    items: list[dict[str, Any]] = [
        {"executionId": execution_id, "sk": "META", "planId": "plan-query-rt", "planName": "realtime test",
         "executionType": "DRILL", "status": "RUNNING", **scope, "scopes": [f"{spokes.b}#{REGION}"],
         "taskToken": "never-returned", "version": 3},
        {"executionId": execution_id, "sk": "WAVE#0001", "waveNumber": 1, "waveName": "first", "status": "LAUNCHING",
         **scope, "jobKeys": ["1#0"], "jobIds": {job["jobID"]}},
        {"executionId": execution_id, "sk": "WAVE#0002", "waveNumber": 2, "waveName": "second", "status": "PENDING",
         **scope, "jobKeys": ["2#0"]},
        {"executionId": execution_id, "sk": "JOB#1#0", "jobKey": "1#0", "waveNumber": 1, **scope, "status": "ACTIVE",
         "jobId": job["jobID"], "serverIds": wave1, "servers": {s: "PENDING" for s in wave1}},
        {"executionId": execution_id, "sk": "JOB#2#0", "jobKey": "2#0", "waveNumber": 2, **scope, "status": "QUEUED",
         "serverIds": wave2, "servers": {s: "PENDING" for s in wave2}},
    ]
    items += [{"executionId": execution_id, "sk": f"SERVER#{s}", "sourceServerId": s, "waveNumber": 1,
               "jobKey": "1#0", **scope, "status": "PENDING"} for s in wave1]
    items += [{"executionId": execution_id, "sk": f"SERVER#{s}", "sourceServerId": s, "waveNumber": 2,
               "jobKey": "2#0", **scope, "status": "PENDING"} for s in wave2]
    table = boto3.resource("dynamodb", region_name=REGION).Table(stack_env("EXECUTIONS_TABLE"))
    with table.batch_writer() as batch:
        for item in items:
            batch.put_item(Item=item)
    try:
        yield {"executionId": execution_id, "jobId": job["jobID"], "wave1": wave1, "wave2": wave2}
    finally:
        with table.batch_writer() as batch:
            for item in items:
                batch.delete_item(Key={"executionId": execution_id, "sk": item["sk"]})


def _emulator_statuses(stack: Any, account: str, job_id: str) -> dict[str, str]:
    job = next(j for j in stack.emulator.jobs(account=account, region=REGION) if j["jobID"] == job_id)
    return {p["sourceServerID"]: server_status_from_drs(p["launchStatus"]).value for p in job["participatingServers"]}


def _calls(stack: Any, account: str) -> dict[str, int]:
    return {op: len(stack.emulator.calls(op, account=account, region=REGION))
            for op in ("DescribeJobs", "DescribeRecoveryInstances", "DescribeSourceServers")}


def test_realtime_equals_the_emulator(admin: Any, stack: Any, spokes: Spokes, execution: dict[str, Any]) -> None:
    path = f"/executions/{execution['executionId']}/realtime"
    before = _calls(stack, spokes.b)
    status, body = admin.get(path)
    assert status == 200, dump(body)
    after = _calls(stack, spokes.b)
    assert {k: after[k] - before[k] for k in after} == {"DescribeJobs": 1, "DescribeRecoveryInstances": 0,
                                                         "DescribeSourceServers": 0}
    truth = _emulator_statuses(stack, spokes.b, execution["jobId"])
    wave1, wave2 = body["waves"]
    assert {s["sourceServerId"]: s["liveStatus"] for s in wave1["servers"]} == truth
    assert wave1["jobs"][0]["found"] is True and wave1["jobs"][0]["jobKey"] == "1#0"
    assert wave2["liveStatus"] == "PENDING" and wave2["jobs"] == [{"jobId": None, "found": False, "jobKey": "2#0",
                                                                   "storedStatus": "QUEUED"}]
    assert wave2["servers"][0]["liveStatus"] is None
    assert "taskToken" not in body and "version" not in body and body["dataSource"] == "live"

    stack.emulator.advance(1800)  # well past the 120 s launches
    truth = _emulator_statuses(stack, spokes.b, execution["jobId"])
    assert set(truth.values()) == {"LAUNCHED"}
    before = _calls(stack, spokes.b)
    status, body = admin.get(path)
    assert status == 200, dump(body)
    after = _calls(stack, spokes.b)
    # one DescribeJobs by id list and one DescribeRecoveryInstances by id list for three servers
    assert {k: after[k] - before[k] for k in after} == {"DescribeJobs": 1, "DescribeRecoveryInstances": 1,
                                                         "DescribeSourceServers": 0}
    assert body["apiCalls"] == {"DescribeJobs": 1, "DescribeRecoveryInstances": 1, "DescribeInstances": 1}
    wave1, wave2 = body["waves"]
    assert {s["sourceServerId"]: s["liveStatus"] for s in wave1["servers"]} == truth
    assert wave1["liveStatus"] == "COMPLETED" and wave1["changed"] is True
    assert body["liveStatus"] == "RUNNING"  # wave 2 has not started
    instances = {s["sourceServerId"]: s for s in wave1["servers"]}
    for server_id in execution["wave1"]:
        s = instances[server_id]
        assert s["recoveryInstanceId"] and s["ec2InstanceId"], dump(s)
        assert s["instanceState"] == "running" and s["isDrill"] is True
    emulator_instances = {s["sourceServerID"]: s["recoveryInstanceId"]
                          for s in stack.emulator.servers(account=spokes.b, region=REGION)}
    assert all(instances[i]["recoveryInstanceId"] == emulator_instances[i] for i in execution["wave1"])


def test_realtime_direct_invocation_and_unknown_execution(invoke: Any, execution: dict[str, Any]) -> None:
    out = invoke("query", "get_execution_realtime", path={"executionId": execution["executionId"]})
    assert out["executionId"] == execution["executionId"] and len(out["waves"]) == 2, dump(out)
    out = invoke("query", "get_execution_realtime", body={"executionId": f"missing-{uuid.uuid4()}"})
    assert out["error"] == "EXECUTION_NOT_FOUND"
