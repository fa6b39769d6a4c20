"""Plan readiness and recovery objectives (issue 21): evaluate a plan now, read its findings and
history, and the scheduled evaluation of every plan (what the template's schedule rule invokes)."""

from __future__ import annotations

from typing import Any

from drs_orch.domain.rbac import Permission as P
from drs_orch.entrypoints.routing import Request, Route
from drs_orch.entrypoints.wiring import container

F = "data-management"


def evaluate_plan(req: Request) -> dict[str, Any]:
    return container().readiness.evaluate_plan(req.path_param("planId"), "ON_DEMAND")


def plan_readiness(req: Request) -> dict[str, Any]:
    return container().readiness.readiness(req.path_param("planId"))


def evaluate_all(req: Request) -> dict[str, Any]:
    return container().readiness.evaluate_all(req.body)


ROUTES: list[Route] = [
    Route("POST", "/recovery-plans/{planId}/evaluate", "evaluate_recovery_plan", F, P.VIEW_RECOVERY_PLANS,
          evaluate_plan, summary="Evaluate the plan's readiness now: READY / AT_RISK / NOT_READY with findings"),
    Route("GET", "/recovery-plans/{planId}/readiness", "get_recovery_plan_readiness", F, P.VIEW_RECOVERY_PLANS,
          plan_readiness, summary="The plan's latest readiness, its history, re-test required, measured RTO"),
    Route("POST", "/maintenance/readiness", "evaluate_all_recovery_plans", F, P.MODIFY_RECOVERY_PLANS,
          evaluate_all, summary="Evaluate every plan (the 30-minute schedule): DRS read once per account-region"),
]
