"""Health, OpenAPI and the caller's own permissions."""

from __future__ import annotations

from typing import Any

from drs_orch.domain.rbac import roles_from_groups
from drs_orch.entrypoints.routing import Request, Result, Route
from drs_orch.entrypoints.wiring import container
from drs_orch.services.health import check_health


def health(_: Request) -> Result:
    c = container()
    report = check_health(c.health_probe, c.settings.table_names, c.settings.state_machine_arn)
    return Result(200 if report["status"] == "HEALTHY" else 503, report)


def openapi(_: Request) -> dict[str, Any]:
    from drs_orch.entrypoints.openapi import build_openapi

    return build_openapi()


def user_permissions(req: Request) -> dict[str, Any]:
    p = req.principal
    return {
        "user": {"username": p.username, "email": p.email, "groups": list(p.groups)},
        "roles": [r.value for r in roles_from_groups(p.groups)],
        "permissions": sorted(x.value for x in p.permissions),
        "via": p.via,
    }


ROUTES = [
    Route("GET", "/health", "health", "query", None, health, public=True,
          summary="Tables, state machine and DRS endpoint readiness"),
    Route("GET", "/openapi.json", "get_openapi", "query", None, openapi, public=True,
          summary="This API's OpenAPI document, generated from the route table"),
    Route("GET", "/user/permissions", "get_user_permissions", "query", None, user_permissions,
          summary="The caller's roles and permissions"),
]
