"""Health, OpenAPI and the caller's own permissions."""

from __future__ import annotations

from typing import Any

from drs_orch.domain.errors import Unauthorized, ValidationFailed
from drs_orch.domain.rbac import Permission, roles_from_groups
from drs_orch.entrypoints.routing import Request, Result, Route
from drs_orch.entrypoints.wiring import container


def health(req: Request) -> Result:
    """Cached readiness for anyone; ``?deep=true`` (authenticated callers) probes everything now."""
    unknown = sorted(set(req.query) - {"deep"})
    if unknown:
        raise ValidationFailed(f"unknown query parameter(s): {', '.join(unknown)}", code="UNKNOWN_FIELD",
                               details={"unknown": unknown, "allowed": ["deep"]})
    raw = (req.query.get("deep") or "false").lower()
    if raw not in ("true", "false"):
        raise ValidationFailed("deep must be true or false", code="INVALID_PARAMETER", details={"parameter": "deep"})
    deep = raw == "true" or req.path.get("probe") == "deep"
    if deep and req.principal is None:
        raise Unauthorized("a deep health check needs an authenticated caller: GET /health/deep with a token, "
                           "or direct invocation of health with queryParams deep=true")
    report = container().health.report(deep=deep)
    return Result(200 if report["status"] == "HEALTHY" else 503, report)


def health_deep(req: Request) -> Result:
    return health(Request(body=req.body, path={"probe": "deep"}, query=req.query, principal=req.principal,
                          correlation_id=req.correlation_id))


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
          summary="Readiness (configuration, and a probe of tables, state machine and DRS cached up to a "
                  "minute); ?deep=true probes now (authenticated callers: direct invocation)"),
    Route("GET", "/health/deep", "health_deep", "query", Permission.VIEW_EXECUTIONS, health_deep,
          summary="Probe tables, state machine and DRS now, in parallel (any signed-in user)"),
    Route("GET", "/openapi.json", "get_openapi", "query", None, openapi, public=True,
          summary="This API's OpenAPI document, generated from the route table"),
    Route("GET", "/user/permissions", "get_user_permissions", "query", None, user_permissions,
          summary="The caller's roles and permissions"),
]
