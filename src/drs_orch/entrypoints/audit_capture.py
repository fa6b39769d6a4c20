"""The one place requests are audited and refused requests counted: :func:`capture` runs after
every REST request and every direct invocation of a route (``lambdas._dispatch``), whatever the
outcome — refused ones (400/403/404/409/...) included. Which requests are audited and what an
entry holds are :mod:`drs_orch.domain.audit`'s rules."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from drs_orch.domain.audit import Actor, Origin, is_audited, targets_of
from drs_orch.entrypoints.routing import Request, Route
from drs_orch.services import telemetry

log = logging.getLogger(__name__)


def _actor(request: Request) -> Actor:
    p = request.principal
    if p is None:
        return Actor(name="anonymous", kind="ANONYMOUS")
    if p.via == "direct":
        return Actor(name=p.username, kind="IAM")
    return Actor(name=p.username, kind="COGNITO_USER", groups=p.groups)


def capture(function: str, route: Route, request: Request, status: int, body: Any) -> None:
    """Count a refusal and audit the request when the rules say so. Never raises."""
    try:
        if 400 <= status < 500:
            telemetry.count(telemetry.REQUESTS_REFUSED, status=str(status))
            if status == 409:
                telemetry.count(telemetry.CONFLICTS_REFUSED, operation=route.operation)
        direct = request.principal is not None and request.principal.via == "direct"
        if not is_audited(route.method, status, direct=direct):
            return
        from drs_orch.entrypoints.wiring import container

        error = body.get("error") if status >= 400 and isinstance(body, Mapping) else None
        origin = Origin(channel=request.principal.via if request.principal else "api",
                        request_id=request.correlation_id, source_ip=request.source_ip,
                        invocation_source=request.invocation_source, function=function)
        container().audit.record(
            actor=_actor(request), operation=route.operation, method=route.method, route=route.path,
            targets=targets_of(request.path, request.body, body if status < 400 else None),
            status=status, error_code=str(error) if error else None, origin=origin)
    except Exception:  # noqa: BLE001 - auditing must never change the answer
        log.exception("audit capture of %s failed", route.operation)
