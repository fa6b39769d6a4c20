"""Fault injection, the call log, latency, and the /_emulator admin paths."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest
from emu_support import HUB, sid

from drs_emulator import Emulator
from drs_emulator.faults import FaultInjector


def admin(server: Any, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(server.url + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def test_throttling_is_retried_by_botocore(emu: Emulator, drs: Any) -> None:
    emu.add_fault("throttle", operation="DescribeJobs", count=1)
    response = drs.describe_jobs()
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert [c["status"] for c in emu.calls("DescribeJobs")] == [429, 200]
    assert emu.calls("DescribeJobs")[0]["errorType"] == "ThrottlingException"


def test_persistent_throttling_and_internal_errors_raise(emu: Emulator, drs: Any) -> None:
    emu.add_fault("throttle", operation="DescribeSourceServers", retry_after=2)
    with pytest.raises(drs.exceptions.ThrottlingException) as throttled:
        drs.describe_source_servers()
    meta = throttled.value.response["ResponseMetadata"]
    assert meta["HTTPStatusCode"] == 429 and meta["HTTPHeaders"]["retry-after"] == "2"
    assert meta["RetryAttempts"] == 2
    emu.add_fault("internal_error", operation="DescribeJobs")
    with pytest.raises(drs.exceptions.InternalServerException) as internal:
        drs.describe_jobs()
    assert internal.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert "retry-after" in internal.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert emu.call_count("DescribeJobs") == 3


def test_server_scoped_fault_only_hits_requests_naming_the_server(emu: Emulator, drs: Any) -> None:
    target = sid("db-01.example.internal")
    emu.add_fault("internal_error", server_id=target, count=1)
    drs.get_launch_configuration(sourceServerID=sid("db-02.example.internal"))
    assert emu.calls()[-1]["status"] == 200
    drs.get_launch_configuration(sourceServerID=target)  # fails once, then the retry succeeds
    assert [c["status"] for c in emu.calls("GetLaunchConfiguration")] == [200, 500, 200]
    assert emu.calls("GetLaunchConfiguration")[1]["fault"] == emu.list_faults()[0]["id"]


def test_probability_faults_are_reproducible() -> None:
    def pattern(seed: int) -> list[bool]:
        faults = FaultInjector(seed)
        faults.add("throttle", probability=0.5)
        return [faults.request_fault("DescribeJobs", HUB, "us-east-1", set()) is not None for _ in range(40)]

    assert pattern(7) == pattern(7)
    assert 5 < sum(pattern(7)) < 35
    assert pattern(7) != pattern(8)
    with pytest.raises(ValueError):
        FaultInjector().add("meteor")


def test_lose_response_commits_exactly_one_job(emu: Emulator, drs: Any) -> None:
    emu.add_fault("lose_response", operation="StartRecovery", count=1)
    servers = [
        {"sourceServerID": sid("web-01.example.internal")},
        {"sourceServerID": sid("web-02.example.internal")},
    ]
    with pytest.raises(drs.exceptions.ConflictException):  # botocore's retry finds the servers busy
        drs.start_recovery(sourceServers=servers, isDrill=True)
    assert [c["status"] for c in emu.calls("StartRecovery")] == [500, 409]
    jobs = drs.describe_jobs()["items"]
    assert len(jobs) == 1 and len(jobs[0]["participatingServers"]) == 2
    emu.advance(400)
    assert drs.describe_jobs()["items"][0]["status"] == "COMPLETED"


def test_launch_failure_and_slow_conversion_faults(emu: Emulator, drs: Any) -> None:
    failing, slow = sid("app-01.example.internal"), sid("app-02.example.internal")
    emu.add_fault("launch_failure", server_id=failing, reason="InsufficientInstanceCapacity for m5.xlarge")
    emu.add_fault("slow_conversion", server_id=slow, seconds=1200)
    job = drs.start_recovery(sourceServers=[{"sourceServerID": failing}, {"sourceServerID": slow}])["job"]
    emu.advance(500)
    mid = drs.describe_jobs(filters={"jobIDs": [job["jobID"]]})["items"][0]
    statuses = {p["sourceServerID"]: p["launchStatus"] for p in mid["participatingServers"]}
    assert statuses == {failing: "FAILED", slow: "IN_PROGRESS"}
    emu.advance(1200)
    done = drs.describe_jobs(filters={"jobIDs": [job["jobID"]]})["items"][0]
    assert done["status"] == "COMPLETED"
    assert {p["sourceServerID"]: p["launchStatus"] for p in done["participatingServers"]}[slow] == "LAUNCHED"
    log = drs.describe_job_log_items(jobID=job["jobID"])["items"]
    failed = next(e for e in log if e["event"] == "LAUNCH_FAILED")
    assert failed["eventData"] == {
        "sourceServerID": failing,
        "rawError": "InsufficientInstanceCapacity for m5.xlarge",
    }
    conversion_end = {
        e["eventData"]["sourceServerID"]: e["logDateTime"] for e in log if e["event"] == "CONVERSION_END"
    }
    assert conversion_end[slow] > conversion_end[failing]


def test_latency_and_call_log(emu: Emulator, drs: Any) -> None:
    emu.set_latency(0.2, operation="DescribeJobs")
    started = time.perf_counter()
    drs.describe_jobs()
    assert time.perf_counter() - started >= 0.2
    drs.describe_source_servers(maxResults=1)
    entries = emu.calls()
    assert [e["operation"] for e in entries] == ["DescribeJobs", "DescribeSourceServers"]
    assert entries[0]["latencyMs"] >= 200 and entries[1]["latencyMs"] < 200
    assert entries[1]["account"] == HUB and entries[1]["region"] == "us-east-1"
    assert entries[1]["params"] == '{"maxResults":1}'
    emu.clear_calls()
    assert emu.calls() == []


def test_admin_paths(emu: Emulator, server: Any, drs: Any) -> None:
    assert admin(server, "GET", "/_emulator/health") == (200, {"ok": True})
    status, state = admin(server, "GET", "/_emulator/state")
    assert status == 200 and sum(r["servers"] for r in state["regions"]) == 30
    status, clock = admin(server, "POST", "/_emulator/clock", {"advanceSeconds": 60})
    assert status == 200 and clock["now"].startswith("2026-03-01T12:01:00")
    assert admin(server, "GET", "/_emulator/clock")[1]["speed"] == 0

    status, servers = admin(
        server, "GET", "/_emulator/servers?account=123456789012&region=us-east-1&tag=Tier=db"
    )
    assert status == 200 and {s["hostname"] for s in servers["servers"]} == {
        "db-01.example.internal",
        "db-02.example.internal",
    }
    target = sid("web-01.example.internal")
    status, view = admin(
        server, "POST", f"/_emulator/servers/{target}", {"replicationState": "STALLED", "tags": {"x": "1"}}
    )
    assert status == 200 and view["dataReplicationInfo"]["dataReplicationState"] == "STALLED"
    described = drs.describe_source_servers(filters={"sourceServerIDs": [target]})["items"][0]
    assert (
        described["dataReplicationInfo"]["dataReplicationState"] == "STALLED"
        and described["tags"]["x"] == "1"
    )
    assert admin(server, "POST", f"/_emulator/servers/{target}", {"replicationState": "BROKEN"})[0] == 400
    assert admin(server, "POST", "/_emulator/servers/s-00000000000000000", {"lagSeconds": 1})[0] == 404

    status, fault = admin(
        server,
        "POST",
        "/_emulator/faults",
        {"kind": "throttle", "operation": "ListStagingAccounts", "count": 1},
    )
    assert status == 200 and fault["kind"] == "throttle"
    assert len(admin(server, "GET", "/_emulator/faults")[1]["faults"]) == 1
    drs.list_staging_accounts()
    status, calls = admin(server, "GET", "/_emulator/calls?operation=ListStagingAccounts")
    assert [c["status"] for c in calls["calls"]] == [429, 200]
    assert admin(server, "DELETE", f"/_emulator/faults/{fault['id']}")[0] == 200
    assert admin(server, "DELETE", f"/_emulator/faults/{fault['id']}")[0] == 404
    admin(server, "POST", "/_emulator/faults", {"kind": "internal_error"})
    assert admin(server, "DELETE", "/_emulator/faults") == (200, {"faults": []})
    assert admin(server, "POST", "/_emulator/faults", {"kind": "nope"})[0] == 400
    assert admin(server, "DELETE", "/_emulator/calls")[1]["count"] == 0

    assert admin(server, "POST", "/_emulator/latency", {"seconds": 0.05})[1]["seconds"] == 0.05
    assert admin(server, "DELETE", "/_emulator/latency")[1]["seconds"] == 0.0

    job = drs.start_recovery(sourceServers=[{"sourceServerID": sid("web-02.example.internal")}])["job"]
    assert admin(server, "POST", "/_emulator/clock", {"advanceSeconds": 400})[0] == 200
    jobs = admin(server, "GET", "/_emulator/jobs?account=123456789012")[1]["jobs"]
    assert [(j["jobID"], j["status"]) for j in jobs] == [(job["jobID"], "COMPLETED")]
    ri_id = drs.describe_recovery_instances()["items"][0]["recoveryInstanceID"]
    status, ri = admin(
        server, "POST", f"/_emulator/recovery-instances/{ri_id}", {"connectFailbackClient": True}
    )
    assert status == 200 and ri["failback"]["state"] == "FAILBACK_IN_PROGRESS"
    status, ri = admin(
        server, "POST", f"/_emulator/recovery-instances/{ri_id}", {"failbackState": "FAILBACK_ERROR"}
    )
    assert ri["failback"]["state"] == "FAILBACK_ERROR"

    assert (
        admin(
            server,
            "POST",
            "/_emulator/initialize",
            {"account": HUB, "region": "us-east-1", "initialized": False},
        )[0]
        == 200
    )
    with pytest.raises(drs.exceptions.UninitializedAccountException):
        drs.describe_jobs()
    status, seeded = admin(server, "POST", "/_emulator/reset", {"default": True, "terminateInstances": True})
    assert status == 200 and len(seeded["seeded"][HUB]["us-east-1"]) == 8
    assert drs.describe_jobs()["items"] == []
    status, seeded = admin(
        server,
        "POST",
        "/_emulator/seed",
        {
            "accounts": [
                {
                    "accountId": HUB,
                    "regions": [{"region": "us-east-1", "servers": [{"hostname": "extra.example.internal"}]}],
                }
            ]
        },
    )
    assert status == 200 and seeded["seeded"][HUB]["us-east-1"] == [sid("extra.example.internal")]
    assert len(drs.describe_source_servers()["items"]) == 9
    assert admin(server, "POST", "/_emulator/seed", {"accounts": [{"accountId": "nope"}]})[0] == 400
    assert admin(server, "POST", "/_emulator/tick")[0] == 200
    assert admin(server, "GET", "/_emulator/nothing")[0] == 404
