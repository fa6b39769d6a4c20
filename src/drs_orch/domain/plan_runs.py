"""What a list of recovery plans shows of their runs: the latest execution of each plan, and whether
its servers are busy in another plan's active execution (the console greys Drill/Recovery then).

Computed from what one page of plans already needs plus two reads that do not grow with the page:
the active executions (META items, few by nature: at most one per plan) and one batch read of the
plans' latest-run items. A server belongs to at most one protection group (the group-server guard),
so the servers a plan shares with an execution are exactly the servers of the groups they share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Item = dict[str, Any]


def _group_servers(group_ids: Iterable[str], servers_by_group: Mapping[str, Sequence[str]]) -> list[str]:
    out: list[str] = []
    for group_id in group_ids:
        for server in servers_by_group.get(group_id) or []:
            if server not in out:
                out.append(str(server))
    return out


def _plan_groups(plan: Mapping[str, Any]) -> list[str]:
    ids: list[str] = []
    for wave in plan.get("waves") or []:
        ids.extend(g for g in wave.get("protectionGroupIds") or [] if g not in ids)
    return ids


def last_run(plan_id: str, active: Sequence[Mapping[str, Any]], recorded: Mapping[str, Any] | None) -> Item:
    """The plan's active execution if it has one (it is the newest), else its latest ended one."""
    mine = sorted((e for e in active if e.get("planId") == plan_id), key=lambda e: str(e.get("startTime") or ""))
    if mine:
        run = mine[-1]
        return {"lastExecutionId": run.get("executionId"), "lastExecutionStatus": run.get("status"),
                "lastExecutionType": run.get("executionType"), "lastStartTime": run.get("startTime"),
                "lastEndTime": run.get("endTime"), "activeExecutionId": run.get("executionId")}
    recorded = recorded or {}
    return {"lastExecutionId": recorded.get("lastExecutionId"), "lastExecutionStatus": recorded.get("lastExecutionStatus"),
            "lastExecutionType": recorded.get("lastExecutionType"), "lastStartTime": recorded.get("lastStartTime"),
            "lastEndTime": recorded.get("lastEndTime"), "activeExecutionId": None}


def server_conflict(plan: Mapping[str, Any], active: Sequence[Mapping[str, Any]],
                    servers_by_group: Mapping[str, Sequence[str]]) -> Item:
    """``hasServerConflict`` and ``conflictInfo`` (None without a conflict): the servers of ``plan``
    (``servers_by_group``: each group's servers) held by an active execution of another plan, per
    execution."""
    plan_id = plan.get("planId")
    own = _plan_groups(plan)
    executions: list[Item] = []
    busy: list[str] = []
    for execution in sorted(active, key=lambda e: str(e.get("startTime") or "")):
        if execution.get("planId") == plan_id:
            continue
        shared = [g for g in own if g in set(execution.get("protectionGroupIds") or [])]
        servers = _group_servers(shared, servers_by_group)
        if not servers:
            continue
        executions.append({
            "executionId": execution.get("executionId"), "planId": execution.get("planId"),
            "planName": execution.get("planName"), "status": execution.get("status"),
            "executionType": execution.get("executionType"), "protectionGroupIds": shared,
            "serverIds": servers, "serverCount": len(servers),
        })
        busy.extend(s for s in servers if s not in busy)
    if not executions:
        return {"hasServerConflict": False, "conflictInfo": None}
    names = ", ".join(f"{e['executionType']} {e['executionId']} of plan {e['planName'] or e['planId']} "
                      f"({e['status']})" for e in executions)
    return {"hasServerConflict": True, "conflictInfo": {
        "serverIds": busy, "serverCount": len(busy), "executions": executions,
        "reason": f"{len(busy)} server(s) of this plan are held by the active execution(s) {names}",
    }}


def with_runs(plans: Sequence[Mapping[str, Any]], active: Sequence[Mapping[str, Any]],
              recorded: Mapping[str, Mapping[str, Any]], servers_by_group: Mapping[str, Sequence[str]]) -> list[Item]:
    return [{**plan, **last_run(str(plan.get("planId")), active, recorded.get(str(plan.get("planId")))),
             **server_conflict(plan, active, servers_by_group)} for plan in plans]
