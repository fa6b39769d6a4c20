"""Recovery plans: CRUD and the lint (data-management function)."""

from __future__ import annotations

from typing import Any

from drs_orch.domain.rbac import Permission as P
from drs_orch.entrypoints.routing import Request, Route
from drs_orch.entrypoints.wiring import container
from drs_orch.services.plan_lint import lint_plan
from drs_orch.services.recovery_plans import plan_group_ids

F = "data-management"


def list_plans(req: Request) -> dict[str, Any]:
    return container().recovery_plans.list_page(req.query)


def create_plan(req: Request) -> dict[str, Any]:
    return container().recovery_plans.create(req.body, req.principal.username)


def get_plan(req: Request) -> dict[str, Any]:
    return container().recovery_plans.get(req.path_param("planId"))


def update_plan(req: Request) -> dict[str, Any]:
    return container().recovery_plans.update(req.path_param("planId"), req.body, req.principal.username)


def delete_plan(req: Request) -> dict[str, Any]:
    return container().recovery_plans.delete(req.path_param("planId"), req.principal.username)


def validate_plan(req: Request) -> dict[str, Any]:
    c = container()
    plan = c.recovery_plans.load(req.path_param("planId"))
    return lint_plan(plan, c.group_store.get_many(plan_group_ids(plan)), c.accounts, c.drs_inventory)


ROUTES: list[Route] = [
    Route("GET", "/recovery-plans", "list_recovery_plans", F, P.VIEW_RECOVERY_PLANS, list_plans,
          summary="Recovery plans by name; filter name (prefix); limit, nextToken"),
    Route("POST", "/recovery-plans", "create_recovery_plan", F, P.CREATE_RECOVERY_PLANS, create_plan, status=201,
          summary="Create a plan of waves (every problem is reported at once)"),
    Route("GET", "/recovery-plans/{planId}", "get_recovery_plan", F, P.VIEW_RECOVERY_PLANS, get_plan,
          summary="One plan; each wave with the servers it would launch now"),
    Route("PUT", "/recovery-plans/{planId}", "update_recovery_plan", F, P.MODIFY_RECOVERY_PLANS, update_plan,
          summary="Change a plan; the body carries the version it read"),
    Route("DELETE", "/recovery-plans/{planId}", "delete_recovery_plan", F, P.DELETE_RECOVERY_PLANS, delete_plan,
          summary="Delete a plan without active executions"),
    Route("POST", "/recovery-plans/{planId}/validate", "validate_recovery_plan", F, P.VIEW_RECOVERY_PLANS,
          validate_plan, summary="Lint a plan against DRS now: errors, warnings, quota headroom"),
]
