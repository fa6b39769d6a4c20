"""The launch snapshot of a plan: waves from groups' resolved servers, jobs of at most 100 servers
per account-region, refusals, guard keys and the 409 body."""

from __future__ import annotations

import pytest

from drs_orch.domain.errors import Conflict, ValidationFailed
from drs_orch.domain.execution_snapshot import (
    ExecutionHolder,
    GroupRef,
    JobHolder,
    StartExecutionInput,
    build_snapshot,
    conflict_error,
    drs_job_holders,
    guard_key,
)
from drs_orch.domain.models import parse
from drs_orch.domain.plan_graph import normalize_waves
from drs_orch.domain.statuses import WaveStatus

A = "111111111111"


def sid(i: int) -> str:
    return f"s-{i:017d}"


def group(gid: str, servers: range, region: str = "us-east-1", account: str = A) -> GroupRef:
    return GroupRef(gid, account, region, tuple(sid(i) for i in servers))


def waves(*groups_per_wave: list[str], **extra: object) -> list:
    return normalize_waves([{"waveNumber": n + 1, "waveName": f"w{n + 1}", "protectionGroupIds": g, **extra}
                            for n, g in enumerate(groups_per_wave)])


def test_waves_take_their_groups_servers_in_order_and_split_into_jobs_of_100() -> None:
    groups = {"g1": group("g1", range(0, 150)), "g2": group("g2", range(150, 160)),
              "g3": group("g3", range(200, 205), region="us-west-2")}
    snap = build_snapshot(waves(["g1", "g2", "g3"]), groups)
    (w,) = snap.waves
    assert [j.key for j in w.jobs] == ["0001#000", "0001#001", "0001#002"]
    assert [len(j.server_ids) for j in w.jobs] == [100, 60, 5]
    assert w.jobs[2].scope == f"{A}#us-west-2"
    assert snap.server_count == 165 and snap.scopes == (f"{A}#us-east-1", f"{A}#us-west-2")
    assert w.servers[0] == (f"{A}#us-east-1", sid(0))


def test_a_wave_without_servers_is_skipped_but_a_plan_without_servers_is_refused() -> None:
    groups = {"g1": group("g1", range(0, 2)), "empty": group("empty", range(0))}
    snap = build_snapshot(waves(["g1"], ["empty"]), groups)
    assert [w.initial_status for w in snap.waves] == [WaveStatus.PENDING, WaveStatus.SKIPPED]
    with pytest.raises(ValidationFailed) as err:
        build_snapshot(waves(["empty"]), groups)
    assert err.value.code == "PLAN_HAS_NO_SERVERS"


def test_refusals() -> None:
    groups = {"g1": group("g1", range(0, 3)), "g2": group("g2", range(2, 4))}
    with pytest.raises(ValidationFailed) as err:
        build_snapshot(waves(["g1"], ["g2"]), groups)
    assert err.value.code == "SERVER_IN_MULTIPLE_WAVES"
    assert err.value.details == [{"serverId": sid(2), "waves": [1, 2]}]
    with pytest.raises(ValidationFailed) as err:
        build_snapshot(waves(["g1", "nope"]), groups)
    assert err.value.code == "PROTECTION_GROUPS_NOT_FOUND"
    with pytest.raises(ValidationFailed) as err:
        build_snapshot([], groups)
    assert err.value.code == "PLAN_HAS_NO_WAVES"
    cyclic = normalize_waves([{"waveNumber": 1, "waveName": "a", "protectionGroupIds": ["g1"], "dependsOnWaves": [2]},
                              {"waveNumber": 2, "waveName": "b", "protectionGroupIds": ["g2"], "dependsOnWaves": [1]}])
    with pytest.raises(ValidationFailed) as err:
        build_snapshot(cyclic, {"g1": group("g1", range(0, 1)), "g2": group("g2", range(5, 6))})
    assert err.value.code == "INVALID_PLAN_GRAPH"


def test_a_group_used_in_one_wave_twice_counts_its_servers_once() -> None:
    snap = build_snapshot(waves(["g1", "g1"]), {"g1": group("g1", range(0, 3))})
    assert snap.server_count == 3


def test_guard_keys_and_conflict_body() -> None:
    snap = build_snapshot(waves(["g1"]), {"g1": group("g1", range(0, 2))})
    assert snap.guard_keys() == [guard_key(A, "us-east-1", sid(0)), guard_key(A, "us-east-1", sid(1))]
    err = conflict_error([ExecutionHolder(sid(0), f"{A}#us-east-1", "exec-1")],
                         [JobHolder(sid(1), f"{A}#us-east-1", "drsjob-1", "STARTED", None)])
    assert isinstance(err, Conflict) and err.code == "SERVER_CONFLICT"
    assert err.details["servers"] == [sid(0), sid(1)]
    assert err.details["conflictingExecutions"] == ["exec-1"] and err.details["conflictingDrsJobs"] == ["drsjob-1"]
    assert {c["conflictSource"] for c in err.details["conflicts"]} == {"execution", "drs_job"}


def test_drs_job_holders_only_active_jobs() -> None:
    jobs = [{"jobID": "j1", "status": "STARTED", "participatingServers": [{"sourceServerID": sid(0)}],
             "tags": {"drs-orch:execution-id": "e1"}},
            {"jobID": "j2", "status": "COMPLETED", "participatingServers": [{"sourceServerID": sid(1)}]},
            {"jobID": "j3", "status": "PENDING", "participatingServers": [{"sourceServerID": sid(9)}]}]
    holders = drs_job_holders(jobs, "x#y", {sid(0), sid(1)})
    assert [(h.server_id, h.job_id, h.execution_id) for h in holders] == [(sid(0), "j1", "e1")]


def test_start_input() -> None:
    ok = parse(StartExecutionInput, {"planId": "p", "executionType": "DRILL", "initiatedBy": "me"})
    assert ok.poll_interval_seconds == 30
    for bad in ({"planId": "p", "executionType": "TEST"}, {"executionType": "DRILL"},
                {"planId": "p", "executionType": "DRILL", "pollIntervalSeconds": 1},
                {"planId": "p", "executionType": "DRILL", "extra": 1}):
        with pytest.raises(ValidationFailed):
            parse(StartExecutionInput, bad)
