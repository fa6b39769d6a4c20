"""The plan list's run fields (domain/plan_runs.py): the latest run and the servers held by other
plans' active executions."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from drs_orch.domain.plan_runs import last_run, server_conflict, with_runs

GROUPS = {f"g{n}": [f"s-{n}-{k}" for k in range(n % 3 + 1)] for n in range(6)}


def _plan(plan_id: str, groups: list[str]) -> dict[str, Any]:
    return {"planId": plan_id, "waves": [{"waveNumber": 1, "protectionGroupIds": groups}]}


plans = st.lists(st.tuples(st.sampled_from(["p1", "p2", "p3"]), st.lists(st.sampled_from(sorted(GROUPS)),
                                                                          unique=True)), max_size=3)
executions = st.lists(st.tuples(st.sampled_from(["p1", "p2", "p3", "p4"]),
                                st.lists(st.sampled_from(sorted(GROUPS)), unique=True),
                                st.integers(0, 50)), max_size=4)


@given(plans, executions)
def test_a_conflict_names_exactly_the_plans_servers_held_by_other_plans_runs(
        page: list[tuple[str, list[str]]], running: list[tuple[str, list[str], int]]) -> None:
    active = [{"executionId": f"e{n}", "planId": p, "protectionGroupIds": g, "status": "RUNNING",
               "executionType": "DRILL", "startTime": f"2025-01-01T00:00:{t:02d}Z"}
              for n, (p, g, t) in enumerate(running)]
    for plan_id, groups in page:
        out = server_conflict(_plan(plan_id, groups), active, GROUPS)
        mine = {s for g in groups for s in GROUPS[g]}
        held = {s for e in active if e["planId"] != plan_id for g in e["protectionGroupIds"]
                for s in GROUPS[g]}
        assert out["hasServerConflict"] == bool(mine & held)
        if out["conflictInfo"] is None:
            continue
        info = out["conflictInfo"]
        assert set(info["serverIds"]) == mine & held and info["serverCount"] == len(mine & held)
        assert all(e["planId"] != plan_id for e in info["executions"])


@given(executions)
def test_the_last_run_is_the_newest_active_one_else_the_recorded_one(
        running: list[tuple[str, list[str], int]]) -> None:
    active = [{"executionId": f"e{n}", "planId": p, "status": "RUNNING", "startTime": f"2025-01-01T00:00:{t:02d}Z"}
              for n, (p, _, t) in enumerate(running)]
    recorded = {"lastExecutionId": "old", "lastExecutionStatus": "COMPLETED", "lastStartTime": "2024-01-01T00:00:00Z",
                "lastEndTime": "2024-01-01T01:00:00Z"}
    for plan_id in ("p1", "p2"):
        out = last_run(plan_id, active, recorded)
        mine = [e for e in active if e["planId"] == plan_id]
        if mine:
            newest = max(e["startTime"] for e in mine)
            assert out["lastStartTime"] == newest and out["activeExecutionId"] == out["lastExecutionId"]
            assert out["lastExecutionStatus"] == "RUNNING"
        else:
            assert out["lastExecutionId"] == "old" and out["activeExecutionId"] is None


def test_a_plan_never_run_has_empty_run_fields() -> None:
    [plan] = with_runs([_plan("p1", ["g1"])], [], {}, GROUPS)
    assert plan["lastExecutionStatus"] is None and plan["lastStartTime"] is None and plan["lastEndTime"] is None
    assert plan["hasServerConflict"] is False and plan["conflictInfo"] is None
