"""Operating the platform (issue 16): the audit log, housekeeping (execution TTL, long-pause
alerts) and the drill sweeper. The two maintenance routes are what the schedule rules of the
template invoke directly; people may run them too."""

from __future__ import annotations

from typing import Any

from drs_orch.domain.rbac import Permission as P
from drs_orch.entrypoints.routing import Request, Route
from drs_orch.entrypoints.wiring import container


def audit_log(req: Request) -> dict[str, Any]:
    return container().audit.list(req.query)


def housekeeping(req: Request) -> dict[str, Any]:
    return container().housekeeping.run(req.body)


def drill_sweep(req: Request) -> dict[str, Any]:
    return container().drill_sweeper.sweep(req.body)


ROUTES: list[Route] = [
    Route("GET", "/audit-log", "get_audit_log", "query", P.AUDIT_READ, audit_log,
          summary="Audit entries, newest first: filters actor, operation, target (an id), outcome "
                  "(SUCCESS|REFUSED|ERROR), from, to (ISO-8601); limit, nextToken"),
    Route("POST", "/maintenance/housekeeping", "run_housekeeping", "execution", P.STOP_RECOVERY, housekeeping,
          summary="TTL on finished executions (retention) and alerts for executions paused too long"),
    Route("POST", "/maintenance/drill-sweep", "sweep_drill_instances", "execution", P.TERMINATE_INSTANCES,
          drill_sweep, summary="Terminate expired drill instances no active execution owns; verify; report"),
]
