"""Interop with DRS native Recovery Plans (data-management function): export one of our plans as a
native plan in its account-region, import a native plan as ours."""

from __future__ import annotations

from typing import Any

from drs_orch.domain.rbac import Permission as P
from drs_orch.entrypoints.routing import Request, Route
from drs_orch.entrypoints.wiring import container

F = "data-management"


def export_native(req: Request) -> dict[str, Any]:
    return container().native_plans.export(req.path_param("planId"), req.body)


def import_native(req: Request) -> dict[str, Any]:
    return container().native_plans.import_native(req.body, req.principal.username)


ROUTES: list[Route] = [
    Route(
        "POST",
        "/recovery-plans/{planId}/export-native",
        "export_native_recovery_plan",
        F,
        P.CREATE_RECOVERY_PLANS,
        export_native,
        status=201,
        summary="Create the plan as a DRS native recovery plan {nativePlanName, pauseAsWaitMinutes, dryRun};"
        " reports what native plans cannot express",
    ),
    Route(
        "POST",
        "/recovery-plans/import-native",
        "import_native_recovery_plan",
        F,
        P.CREATE_RECOVERY_PLANS,
        import_native,
        status=201,
        summary="Create a plan (and its groups) from a DRS native recovery plan {recoveryPlanArn, planName,"
        " waitAsPause, dryRun}; reports what was not imported",
    ),
]
