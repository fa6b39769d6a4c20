"""The tick's job handling over fakes: a job is started once whatever DRS answers (lost answers,
conflicts, throttling, refusals), and observations only move servers forward."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from drs_orch.adapters import execution_items as ei
from drs_orch.domain.execution_records import ChildRecord, ExecutionMeta
from drs_orch.services.engine.context import EngineDeps
from drs_orch.services.engine.jobs import JobRunner
from drs_orch.services.engine.ports import Changes, StartRefused

SCOPE = "123456789012#eu-west-1"
EXEC = "exec-1"


class FakeStore:
    """The job's and its wave's items by sort key, through the adapter's mapping."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.notes: dict[str, tuple[str, list[str]]] = {}  # DRS job id -> (execution, servers), for launch events

    def update_job(self, execution_id: str, key: str, changes: Changes, *, expect: Any = None) -> Any:
        return ei.job_of(self.update(execution_id, ei.job_sk(key), changes, expect=expect))

    def write_job(self, execution_id: str, key: str, changes: Changes, *, expect: Any = None) -> bool:
        return self.update_job(execution_id, key, changes, expect=expect) is not None

    def update_wave(self, execution_id: str, number: int, changes: Changes, *, expect: Any = None) -> Any:
        return ei.wave_of(self.update(execution_id, ei.wave_sk(number), changes, expect=expect))

    def update(self, execution_id: str, sk: str, changes: Changes, *, expect: Any = None) -> Any:
        number = {"waveNumber": int(sk.removeprefix(ei.WAVE_PREFIX))} if sk.startswith(ei.WAVE_PREFIX) else {}
        item = self.items.setdefault(sk, {"executionId": execution_id, "sk": sk, **number})
        for attr, value in (expect or {}).items():
            if item.get(attr) != value:
                return None
        for path, value in changes.set.items():
            if isinstance(path, tuple):
                item.setdefault(path[0], {})[path[1]] = value
            else:
                item[path] = value
        for attr, n in changes.increment.items():
            item[attr] = item.get(attr, 0) + n
        for attr, values in changes.add.items():
            item[attr] = set(item.get(attr) or set()) | values
        for attr in changes.remove:
            item.pop(attr, None)
        return dict(item)

    def load_jobs(self, execution_id: str, job_keys: Any) -> list[Any]:
        return [ei.job_of(self.items[ei.job_sk(k)]) for k in job_keys if ei.job_sk(k) in self.items]

    def put_children(self, records: list[ChildRecord]) -> None:
        for record in records:
            item = ei.to_item(record)
            self.items[item["sk"]] = item

    def note_drs_job(self, drs_job_id: str, execution_id: str, server_ids: list[str], expires_at: int) -> None:
        self.notes[drs_job_id] = (execution_id, sorted(server_ids))


class FakeDrs:
    def __init__(self) -> None:
        self.jobs: list[dict[str, Any]] = []
        self.answers: list[Any] = []  # per StartRecovery call: "ok", "lost", or a StartRefused
        self.calls = 0

    def start_recovery(self, scope: str, server_ids: list[str], is_drill: bool, tags: dict[str, str],
                       snapshots: dict[str, str] | None = None) -> Any:
        self.calls += 1
        answer = self.answers.pop(0) if self.answers else "ok"
        if isinstance(answer, StartRefused):
            raise answer
        job = {"jobID": f"drsjob-{len(self.jobs):017d}", "status": "PENDING", "tags": dict(tags),
               "creationDateTime": "2026-01-01T00:00:00+00:00",
               "participatingServers": [{"sourceServerID": s, "launchStatus": "PENDING"} for s in server_ids]}
        self.jobs.append(job)
        if answer == "lost":
            raise StartRefused("InternalServerException", 500, "response lost")
        return job

    def list_jobs(self, scope: str) -> list[dict[str, Any]]:
        return list(self.jobs)

    def jobs_that_may_be_active(self, scope: str) -> list[dict[str, Any]]:
        return self.list_jobs(scope)  # COMPLETED ones too: the port allows it

    def describe_jobs(self, scope: str, job_ids: list[str]) -> dict[str, Any]:
        return {j["jobID"]: j for j in self.jobs if j["jobID"] in job_ids}

    def job_log(self, scope: str, job_id: str) -> list[dict[str, Any]]:
        return [{"event": "LAUNCH_FAILED", "eventData": {"sourceServerID": "s-2", "rawError": "no boot"}}]

    def recovery_instances(self, scope: str, *, instance_ids: list[str] | None = None,
                           server_ids: list[str] | None = None) -> list[dict[str, Any]]:
        return [{"recoveryInstanceID": i, "pointInTimeSnapshotDateTime": "2025-12-31T23:00:00+00:00"}
                for i in instance_ids or []]


class FakeEc2:
    def instances(self, scope: str, ids: list[str]) -> dict[str, Any]:
        return {i: {"InstanceId": i, "PrivateIpAddress": "10.0.0.1", "InstanceType": "c5.large",
                    "LaunchTime": datetime(2026, 1, 1, tzinfo=UTC), "State": {"Name": "running"},
                    "Tags": [{"Key": "Name", "Value": "web"}]} for i in ids}


class FixedClock:
    def now(self) -> datetime:
        return datetime(2026, 1, 1, 12, tzinfo=UTC)


@pytest.fixture
def world() -> tuple[JobRunner, FakeStore, FakeDrs]:
    store, drs = FakeStore(), FakeDrs()
    deps = EngineDeps(store=store, plans=None, drs=drs, ec2=FakeEc2(), sfn=None, notifier=None,  # type: ignore[arg-type]
                      hub_account_id="123456789012", clock=FixedClock())
    job: dict[str, Any] = {"executionId": EXEC, "sk": "JOB#0001#000", "jobKey": "0001#000", "waveNumber": 1, "accountId": "123456789012",
           "region": "eu-west-1", "serverIds": ["s-1", "s-2"], "status": "QUEUED", "startState": "NOT_CALLED",
           "servers": {"s-1": "PENDING", "s-2": "PENDING"}, "hostnames": {"s-1": "web-1"}}
    store.items[job["sk"]] = dict(job)
    meta = ExecutionMeta(EXEC, {"planId": "p", "executionType": "DRILL", "startTime": "2026-01-01T11:00:00.000Z"})
    record = ei.job_of(job)
    assert record is not None
    return JobRunner(deps, meta, {"0001#000": record}), store, drs


def _tick(runner: JobRunner, stopping: bool = False) -> None:
    """What the next tick does with the job: a fresh runner reading it and resolving it (it is in flight)."""
    stored = ei.job_of(runner.deps.store.items["JOB#0001#000"])  # type: ignore[attr-defined]
    assert stored is not None
    fresh = JobRunner(runner.deps, runner.meta, {"0001#000": stored})
    fresh.observe_active()
    fresh.resolve_starting({"0001#000"}, stopping)
    fresh.complete_details()  # what the tick does once it has acted


def test_a_lost_answer_is_found_again_by_its_tags(world: Any) -> None:
    runner, store, drs = world
    drs.answers = ["lost"]
    runner.call(runner.jobs["0001#000"])
    assert store.items["JOB#0001#000"]["startState"] == "CALLING" and store.items["JOB#0001#000"]["status"] == "QUEUED"
    _tick(runner)
    job = store.items["JOB#0001#000"]
    assert job["status"] == "ACTIVE" and job["jobId"] == drs.jobs[0]["jobID"]
    assert drs.calls == 1 and len(drs.jobs) == 1
    # the adopted job is noted for its launch-result events, as a job started by this tick would be
    assert store.notes == {job["jobId"]: (runner.execution_id, sorted(job["serverIds"]))}


def test_a_conflict_after_a_lost_answer_searches_instead_of_failing(world: Any) -> None:
    runner, store, drs = world
    drs.answers = [StartRefused("ConflictException", 409, "busy")]
    runner.call(runner.jobs["0001#000"])
    assert store.items["JOB#0001#000"]["startState"] == "CALLING"
    assert store.items["JOB#0001#000"]["conflictRefusals"] == 1
    _tick(runner)  # search misses once: wait
    assert drs.calls == 1 and store.items["JOB#0001#000"]["searchMisses"] == 1
    _tick(runner)  # second miss: start again
    assert drs.calls == 2 and store.items["JOB#0001#000"]["status"] == "ACTIVE"


def test_throttling_is_retried_next_tick_without_a_search(world: Any) -> None:
    runner, store, drs = world
    drs.answers = [StartRefused("ThrottlingException", 429, "slow down")]
    runner.call(runner.jobs["0001#000"])
    assert store.items["JOB#0001#000"]["startState"] == "REFUSED"
    _tick(runner)
    assert drs.calls == 2 and store.items["JOB#0001#000"]["status"] == "ACTIVE"


def test_a_final_refusal_fails_the_servers_with_the_reason(world: Any) -> None:
    runner, store, drs = world
    drs.answers = [StartRefused("ValidationException", 400, "bad server")]
    runner.call(runner.jobs["0001#000"])
    job = store.items["JOB#0001#000"]
    assert job["status"] == "FAILED" and job["servers"] == {"s-1": "FAILED", "s-2": "FAILED"}
    server = store.items["SERVER#s-1"]
    assert server["status"] == "FAILED" and "bad server" in server["failureReason"]
    assert server["hostname"] == "web-1"


def test_a_stopping_execution_abandons_a_job_that_never_reached_drs(world: Any) -> None:
    runner, store, drs = world
    _tick(runner, stopping=True)
    assert store.items["JOB#0001#000"]["status"] == "NOT_STARTED" and drs.calls == 0


def test_observations_move_servers_forward_and_write_each_server_once(world: Any) -> None:
    runner, store, drs = world
    runner.call(runner.jobs["0001#000"])
    drs.jobs[0].update(status="STARTED", participatingServers=[
        {"sourceServerID": "s-1", "launchStatus": "IN_PROGRESS"},
        {"sourceServerID": "s-2", "launchStatus": "IN_PROGRESS"}])
    _tick(runner)
    job = store.items["JOB#0001#000"]
    assert job["servers"] == {"s-1": "LAUNCHING", "s-2": "LAUNCHING"} and set(job["launchingAt"]) == {"s-1", "s-2"}
    assert "SERVER#s-1" not in store.items  # written at the final status only
    drs.jobs[0].update(status="COMPLETED", endDateTime="2026-01-01T00:10:00+00:00", participatingServers=[
        {"sourceServerID": "s-1", "launchStatus": "LAUNCHED", "recoveryInstanceID": "i-0123456789abcdef0"},
        {"sourceServerID": "s-2", "launchStatus": "IN_PROGRESS"}])
    _tick(runner)
    job = store.items["JOB#0001#000"]
    assert job["status"] == "COMPLETED" and job["servers"] == {"s-1": "LAUNCHED", "s-2": "FAILED"}
    launched, failed = store.items["SERVER#s-1"], store.items["SERVER#s-2"]
    assert launched["ec2InstanceId"] == "i-0123456789abcdef0" and launched["privateIp"] == "10.0.0.1"
    assert launched["name"] == "web" and launched["launchTime"].startswith("2026-01-01T00:00")
    assert set(launched["statusHistory"]) == {"PENDING", "LAUNCHING", "LAUNCHED"}
    # the data's point in time, an hour before the job was requested (2026-01-01T00:00)
    assert launched["pointInTime"] == "2025-12-31T23:00:00+00:00" and launched["dataAgeSeconds"] == 3600
    assert failed["failureReason"] == "no boot"


def test_a_launch_is_recorded_at_once_and_its_details_after_the_tick_acted(world: Any) -> None:
    runner, store, drs = world
    runner.call(runner.jobs["0001#000"])
    drs.jobs[0].update(status="COMPLETED", endDateTime="2026-01-01T00:10:00+00:00", participatingServers=[
        {"sourceServerID": "s-1", "launchStatus": "LAUNCHED", "recoveryInstanceID": "i-0123456789abcdef0"},
        {"sourceServerID": "s-2", "launchStatus": "LAUNCHED"}])
    fresh = JobRunner(runner.deps, runner.meta, {"0001#000": ei.job_of(store.items["JOB#0001#000"])})
    fresh.observe_active()
    job = store.items["JOB#0001#000"]
    assert job["status"] == "COMPLETED" and job["servers"] == {"s-1": "LAUNCHED", "s-2": "LAUNCHED"}
    # one entry for the launches one tick saw: the times they share once, then each recovery instance
    assert [set(entry) for entry in job["detailsPending"]] == [{"launchedAt", "requestedAt", "servers"}]
    assert job["detailsPending"][0]["servers"] == {"s-1": "i-0123456789abcdef0", "s-2": ""}
    assert "SERVER#s-1" not in store.items
    assert fresh.pending_details() == {"0001#000"}
    # a later tick (the first one ended after acting) finds the job by its key and reads the details
    later = JobRunner(runner.deps, runner.meta, {})
    assert later.complete_details(["0001#000"]) == {"0001#000"}
    assert "detailsPending" not in store.items["JOB#0001#000"] and later.pending_details() == set()
    assert store.items["SERVER#s-1"]["ec2InstanceId"] == "i-0123456789abcdef0"
    assert store.items["SERVER#s-1"]["status"] == store.items["SERVER#s-2"]["status"] == "LAUNCHED"
    assert set(store.items["SERVER#s-2"]["statusHistory"]) == {"PENDING", "LAUNCHING", "LAUNCHED"}


def test_of_two_ticks_starting_the_same_job_at_once_one_calls(world: Any) -> None:
    runner, store, drs = world
    stale = runner.jobs["0001#000"]  # what a second, overlapping tick read
    drs.answers = ["lost"]  # the first call's outcome is unknown: the job stays QUEUED (CALLING)
    runner.call(runner.jobs["0001#000"])
    assert store.items["JOB#0001#000"]["status"] == "QUEUED"
    JobRunner(runner.deps, runner.meta, {"0001#000": stale}).call(stale)
    assert drs.calls == 1 and len(drs.jobs) == 1


class _CountingEc2(FakeEc2):
    """Counts the EC2 reads in flight at once (each holds for a moment, as a network call would)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active = self.most = 0

    def instances(self, scope: str, ids: list[str]) -> dict[str, Any]:
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
        try:
            time.sleep(0.05)
            return super().instances(scope, ids)
        finally:
            with self.lock:
                self.active -= 1


def test_the_launch_details_of_a_waves_jobs_are_read_side_by_side(world: Any) -> None:
    runner, store, _ = world
    ec2 = _CountingEc2()
    deps = dataclasses.replace(runner.deps, ec2=ec2)
    jobs: dict[str, Any] = {}
    for n in range(12):  # a wave of 1,200 servers: 12 jobs whose launches were recorded, details put off
        # (in the shape written before launches were batched: one map per server; still read)
        key = f"0001#{n:03d}"
        servers = {f"s-{n}-{i}": {"launchedAt": "2026-01-01T00:10:00.000Z", "requestedAt": "2026-01-01T00:00:00+00:00",
                                  "recoveryInstanceId": f"i-{n:08x}{i:09x}"} for i in range(3)}
        item = {"executionId": EXEC, "sk": f"JOB#{key}", "jobKey": key, "waveNumber": 1, "accountId": "123456789012",
                "region": "eu-west-1", "serverIds": sorted(servers), "status": "COMPLETED", "jobId": f"drsjob-{n:017d}",
                "servers": dict.fromkeys(servers, "LAUNCHED"), "detailsPending": servers}
        store.items[item["sk"]] = item
        record = ei.job_of(item)
        assert record is not None
        jobs[key] = record
    later = JobRunner(deps, runner.meta, jobs)
    assert later.complete_details() == set(jobs) and later.pending_details() == set()
    assert ec2.most > 1  # not one job after the other
    for key in jobs:
        assert "detailsPending" not in store.items[f"JOB#{key}"]
        assert store.items[f"JOB#{key}"]["dataAges"]  # each job's own data ages
    launched = [v for k, v in store.items.items() if k.startswith("SERVER#")]
    assert len(launched) == 36 and {s["status"] for s in launched} == {"LAUNCHED"}
    assert all(s["ec2InstanceId"] and s["dataAgeSeconds"] == 3600 for s in launched)
