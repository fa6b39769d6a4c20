"""Domain errors map to their status and body; anything else is a 500 without a stack trace."""

from __future__ import annotations

from drs_orch.domain.errors import Conflict, LimitExceeded, NotFound, ValidationFailed
from drs_orch.domain.rbac import Permission
from drs_orch.entrypoints.lambdas import _run
from drs_orch.entrypoints.routing import Principal, Request, Route

ADMIN = Principal("u", ("DRSOrchestrationAdmin",), frozenset(Permission), "api")
READ = Principal("r", ("DRSReadOnly",), frozenset({Permission.VIEW_EXECUTIONS}), "api")


def _route(handler, permission=Permission.VIEW_EXECUTIONS) -> Route:  # type: ignore[no-untyped-def]
    return Route("GET", "/x", "x", "query", permission, handler)


def _req(principal: Principal | None = ADMIN) -> Request:
    return Request(body={}, path={}, query={}, principal=principal, correlation_id="corr-1")  # type: ignore[arg-type]


def test_domain_errors_keep_status_code_and_details() -> None:
    for exc, status in [(ValidationFailed("bad", details=[{"field": "a"}]), 400), (NotFound("no"), 404),
                        (Conflict("busy", code="SERVER_CONFLICT"), 409), (LimitExceeded("slow"), 429)]:
        def boom(_: Request, exc: Exception = exc) -> None:
            raise exc
        got_status, body = _run(_route(boom), _req())
        assert got_status == status
        assert body["error"] == exc.code and body["message"] == exc.message  # type: ignore[attr-defined]


def test_unexpected_errors_are_500_with_correlation_id_and_no_trace() -> None:
    def boom(_: Request) -> None:
        raise KeyError("secret-internal-detail")
    status, body = _run(_route(boom), _req())
    assert status == 500
    assert body["error"] == "INTERNAL_ERROR" and body["correlationId"] == "corr-1"
    assert "secret-internal-detail" not in str(body) and "Traceback" not in str(body)


def test_missing_principal_is_401_and_missing_permission_is_403() -> None:
    ok = _route(lambda _: {"ok": True}, Permission.START_RECOVERY)
    assert _run(ok, _req(None))[0] == 401
    status, body = _run(ok, _req(READ))
    assert status == 403 and body["error"] == "FORBIDDEN"
    assert _run(ok, _req(ADMIN)) == (200, {"ok": True})
