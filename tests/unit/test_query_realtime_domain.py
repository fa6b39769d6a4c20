"""Reconciling a stored execution with live DRS/EC2 data (pure). The stored execution is written
as the table's items and read through the adapter's mapping, as the query side reads it."""

from __future__ import annotations

from typing import Any

import pytest

from drs_orch.adapters.execution_items import group
from drs_orch.domain.execution_records import ExecutionRecords
from drs_orch.domain.realtime import (
    LiveData,
    derive_execution_status,
    derive_wave_status,
    in_wave_order,
    instance_ids,
    reconcile,
    recovery_instance_ids,
    scopes,
)


def split_items(raw: list[dict[str, Any]]) -> ExecutionRecords | None:
    grouped = group(raw)
    return in_wave_order(grouped) if grouped is not None else None

EXEC = "e-1"


def items(status: str = "RUNNING") -> list[dict[str, Any]]:
    return [
        {"executionId": EXEC, "sk": "META", "status": status, "accountId": "111111111111", "region": "us-east-1",
         "planName": "P", "taskToken": "secret"},
        {"executionId": EXEC, "sk": "WAVE#0002", "waveNumber": 2, "waveName": "app", "status": "PENDING"},
        {"executionId": EXEC, "sk": "WAVE#0001", "waveNumber": 1, "waveName": "db", "status": "LAUNCHING",
         "jobIds": ["drsjob-1"]},
        {"executionId": EXEC, "sk": "SERVER#s-1", "sourceServerId": "s-1", "waveNumber": 1, "status": "LAUNCHING",
         "jobId": "drsjob-1"},
        {"executionId": EXEC, "sk": "SERVER#s-2", "sourceServerId": "s-2", "waveNumber": 1, "status": "LAUNCHING",
         "jobId": "drsjob-1"},
        {"executionId": EXEC, "sk": "SERVER#s-3", "sourceServerId": "s-3", "waveNumber": 2, "status": "PENDING"},
    ]


def live(s1: str, s2: str, job_status: str = "STARTED") -> LiveData:
    return LiveData(
        jobs={"drsjob-1": {"jobID": "drsjob-1", "status": job_status, "type": "LAUNCH", "participatingServers": [
            {"sourceServerID": "s-1", "launchStatus": s1, "recoveryInstanceID": "i-r1"},
            {"sourceServerID": "s-2", "launchStatus": s2},
        ]}},
        recovery_instances={"i-r1": {"recoveryInstanceID": "i-r1", "ec2InstanceID": "i-0abc", "isDrill": True,
                                     "ec2InstanceState": "RUNNING"}},
        instances={"i-0abc": {"InstanceId": "i-0abc", "State": {"Name": "running"}, "InstanceType": "t3.small",
                              "PrivateIpAddress": "10.0.0.4"}},
    )


def test_split_orders_waves_and_requires_meta() -> None:
    stored = split_items(items())
    assert stored is not None
    assert [w["waveNumber"] for w in stored.waves] == [1, 2]
    assert split_items([i for i in items() if i["sk"] != "META"]) is None


def test_batched_id_lists() -> None:
    stored = split_items(items())
    assert stored is not None
    assert scopes(stored) == {("111111111111", "us-east-1"): ["drsjob-1"]}
    data = live("LAUNCHED", "IN_PROGRESS")
    assert recovery_instance_ids(data.jobs.values(), stored.servers) == ["i-r1"]
    assert instance_ids(data.recovery_instances.values(), stored.servers) == ["i-0abc"]


def test_waves_with_their_own_region_form_their_own_scope() -> None:
    raw = items()
    raw[1]["region"] = "us-west-2"
    raw[1]["jobIds"] = ["drsjob-9"]
    stored = split_items(raw)
    assert stored is not None
    assert scopes(stored) == {("111111111111", "us-east-1"): ["drsjob-1"], ("111111111111", "us-west-2"): ["drsjob-9"]}


def engine_items() -> list[dict[str, Any]]:
    """The engine's shape: a wave over two accounts, one JOB item per scope, servers with scope."""
    return [
        {"executionId": EXEC, "sk": "META", "status": "RUNNING", "accountId": "111111111111", "region": "us-east-1",
         "inFlight": {"1#0"}, "version": 7},
        {"executionId": EXEC, "sk": "WAVE#0001", "waveNumber": 1, "status": "LAUNCHING", "jobIds": {"drsjob-1", "drsjob-2"},
         "scopes": ["111111111111#us-east-1", "222222222222#us-east-1"]},
        {"executionId": EXEC, "sk": "JOB#1#0", "jobKey": "1#0", "waveNumber": 1, "accountId": "111111111111",
         "region": "us-east-1", "status": "ACTIVE", "jobId": "drsjob-1", "serverIds": ["s-1"]},
        {"executionId": EXEC, "sk": "JOB#1#1", "jobKey": "1#1", "waveNumber": 1, "accountId": "222222222222",
         "region": "us-east-1", "status": "ACTIVE", "jobId": "drsjob-2", "serverIds": ["s-2"]},
        {"executionId": EXEC, "sk": "JOB#1#2", "jobKey": "1#2", "waveNumber": 1, "accountId": "222222222222",
         "region": "us-east-1", "status": "QUEUED", "serverIds": ["s-3"]},
        {"executionId": EXEC, "sk": "SERVER#s-1", "sourceServerId": "s-1", "waveNumber": 1, "jobKey": "1#0",
         "accountId": "111111111111", "region": "us-east-1", "status": "PENDING"},
        {"executionId": EXEC, "sk": "SERVER#s-2", "sourceServerId": "s-2", "waveNumber": 1, "jobKey": "1#1",
         "accountId": "222222222222", "region": "us-east-1", "status": "LAUNCHED", "jobId": "drsjob-2",
         "recoveryInstanceId": "i-r2", "ec2InstanceId": "i-0002"},
        {"executionId": EXEC, "sk": "SERVER#s-3", "sourceServerId": "s-3", "waveNumber": 1, "jobKey": "1#2",
         "accountId": "222222222222", "region": "us-east-1", "status": "PENDING"},
    ]


def test_engine_items_are_reconciled_per_scope() -> None:
    stored = split_items(engine_items())
    assert stored is not None and len(stored.jobs) == 3
    assert scopes(stored) == {("111111111111", "us-east-1"): ["drsjob-1"], ("222222222222", "us-east-1"): ["drsjob-2"]}
    data = LiveData(jobs={
        "drsjob-1": {"jobID": "drsjob-1", "status": "STARTED",
                     "participatingServers": [{"sourceServerID": "s-1", "launchStatus": "IN_PROGRESS"}]},
        "drsjob-2": {"jobID": "drsjob-2", "status": "COMPLETED",
                     "participatingServers": [{"sourceServerID": "s-2", "launchStatus": "LAUNCHED",
                                               "recoveryInstanceID": "i-r2"}]},
    })
    out = reconcile(stored, data)
    assert "inFlight" not in out and "version" not in out
    wave = out["waves"][0]
    assert [(j["jobId"], j.get("jobKey"), j["found"]) for j in wave["jobs"]] == [
        ("drsjob-1", "1#0", True), ("drsjob-2", "1#1", True), (None, "1#2", False)]
    by_id = {s["sourceServerId"]: s for s in wave["servers"]}
    assert by_id["s-1"]["liveStatus"] == "LAUNCHING" and by_id["s-1"]["jobId"] == "drsjob-1"
    assert by_id["s-2"]["liveStatus"] == "LAUNCHED" and by_id["s-2"]["ec2InstanceId"] == "i-0002"
    assert by_id["s-3"]["liveStatus"] is None
    assert wave["liveStatus"] == "LAUNCHING"


def test_reconcile_in_flight() -> None:
    stored = split_items(items())
    assert stored is not None
    out = reconcile(stored, live("LAUNCHED", "IN_PROGRESS"))
    assert "taskToken" not in out
    wave1, wave2 = out["waves"]
    assert wave1["liveStatus"] == "LAUNCHING" and wave2["liveStatus"] == "PENDING"
    s1, s2 = wave1["servers"]
    assert (s1["liveStatus"], s1["changed"], s1["ec2InstanceId"], s1["instanceState"]) == ("LAUNCHED", True, "i-0abc", "running")
    assert s1["privateIpAddress"] == "10.0.0.4" and s1["isDrill"] is True
    assert (s2["liveStatus"], s2["changed"]) == ("LAUNCHING", False)
    assert wave2["servers"][0]["liveStatus"] is None
    assert out["liveStatus"] == "RUNNING"
    assert out["summary"]["byLiveStatus"] == {"LAUNCHED": 1, "LAUNCHING": 1, "UNKNOWN": 1}


def test_reconcile_finished_wave_and_unknown_job() -> None:
    stored = split_items(items())
    assert stored is not None
    out = reconcile(stored, live("LAUNCHED", "FAILED", "COMPLETED"))
    assert out["waves"][0]["liveStatus"] == "PARTIAL"
    out = reconcile(stored, LiveData())
    assert out["waves"][0]["jobs"] == [{"jobId": "drsjob-1", "found": False}]
    assert out["waves"][0]["liveStatus"] == "LAUNCHING"  # stored status kept when DRS knows no job


def test_participating_servers_without_items_are_shown() -> None:
    raw = [i for i in items() if i["sk"] not in ("SERVER#s-2",)]
    stored = split_items(raw)
    assert stored is not None
    out = reconcile(stored, live("LAUNCHED", "LAUNCHED", "COMPLETED"))
    ids = [s["sourceServerId"] for s in out["waves"][0]["servers"]]
    assert ids == ["s-1", "s-2"] and out["waves"][0]["servers"][1]["status"] is None
    assert out["waves"][0]["liveStatus"] == "COMPLETED"


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [(["LAUNCHED", "LAUNCHED"], "COMPLETED"), (["FAILED", "FAILED"], "FAILED"), (["LAUNCHED", "FAILED"], "PARTIAL"),
     (["LAUNCHED", "PENDING"], "LAUNCHING"), (["TERMINATED", "LAUNCHED"], "COMPLETED"), (["LAUNCHED", None], "LAUNCHING")],
)
def test_wave_derivation(statuses: list[str | None], expected: str) -> None:
    assert derive_wave_status("LAUNCHING", True, statuses) == expected


def test_wave_without_job_keeps_stored() -> None:
    assert derive_wave_status("QUEUED", False, ["LAUNCHED"]) == "QUEUED"


@pytest.mark.parametrize(
    ("stored", "waves", "expected"),
    [("RUNNING", ["COMPLETED", "COMPLETED"], "COMPLETED"), ("RUNNING", ["COMPLETED", "FAILED"], "PARTIAL"),
     ("RUNNING", ["FAILED", "SKIPPED"], "FAILED"), ("RUNNING", ["COMPLETED", "LAUNCHING"], "RUNNING"),
     ("CANCELLING", ["COMPLETED", "CANCELLED"], "CANCELLED"), ("COMPLETED", ["LAUNCHING"], "COMPLETED"),
     ("PAUSED", ["COMPLETED", "PENDING"], "PAUSED")],
)
def test_execution_derivation(stored: str, waves: list[str], expected: str) -> None:
    assert derive_execution_status(stored, waves) == expected
