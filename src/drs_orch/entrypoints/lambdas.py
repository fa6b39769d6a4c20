"""Lambda handlers. Each API-facing function serves its routes from the one route table, for both
API Gateway proxy events and direct invocation ``{"operation", "body", "pathParameters",
"queryParams"}``. Direct invocation is authorised by IAM (lambda:InvokeFunction), so it runs with
every permission; REST calls carry Cognito claims checked against the route's permission."""

from __future__ import annotations

import json
import uuid
from functools import cache
from typing import TYPE_CHECKING, Any

from drs_orch.domain.errors import DomainError, Forbidden, NotFound, Unauthorized, ValidationFailed
from drs_orch.domain.rbac import Permission, permissions_for
from drs_orch.entrypoints.routing import Principal, Request, Result, Route, parse_json_object

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

# Cold start: importing this module loads no route module, no Powertools resolver, no boto3 and no
# pydantic model. A function loads its own routes (routes.routes_for) and the resolver on its first
# event; the other functions' routes only when an operation is not its own (to say who serves it).


@cache
def _logger() -> Logger:
    from aws_lambda_powertools import Logger

    return Logger(service="drs-orch")


class _LazyLogger:
    """``logger.info(...)`` etc. on the Powertools logger, created on first use."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_logger(), name)


logger: Any = _LazyLogger()

_DIRECT_PRINCIPAL = Principal(
    username="iam", groups=(), permissions=frozenset(Permission), via="direct"
)


def _error_body(exc: DomainError) -> dict[str, Any]:
    return exc.to_body()


def _internal_error(correlation_id: str) -> dict[str, Any]:
    return {
        "error": "INTERNAL_ERROR",
        "message": f"Unexpected error; quote correlation id {correlation_id} when reporting it.",
        "correlationId": correlation_id,
    }


def _run(route: Route, request: Request) -> tuple[int, Any]:
    """Run one route's handler; map domain errors; never leak a stack trace."""
    try:
        if not route.public:
            _authorize(route, request.principal)
        _check_query(route, request)
        out = route.handler(request)
        if isinstance(out, Result):
            return out.status, out.body
        return route.status, out
    except DomainError as exc:
        level = logger.warning if exc.status >= 500 else logger.info
        level("request refused", extra={"error": exc.code, "operation": route.operation, "status": exc.status})
        return exc.status, _error_body(exc)
    except Exception:
        logger.exception("unexpected error", extra={"operation": route.operation})
        return 500, _internal_error(request.correlation_id)


def _check_query(route: Route, request: Request) -> None:
    """Query parameters against the route's query model (the contract): a bad value is a 400
    naming the parameter before the handler runs."""
    from pydantic import ValidationError

    from drs_orch.domain.field_errors import error_details
    from drs_orch.entrypoints.contract import CONTRACTS

    contract = CONTRACTS.get(route.operation)
    model = contract.query if contract is not None else None
    if model is None or not request.query:
        return
    try:
        model.model_validate(request.query)
    except ValidationError as exc:
        details = error_details(exc)
        raise ValidationFailed(f"invalid query parameter(s): {', '.join(d['field'] for d in details)}",
                               code="INVALID_PARAMETER", details=details) from None
def _dispatch(function: str, route: Route, request: Request, refused: DomainError | None = None) -> tuple[int, Any]:
    """Run the route (or answer a request refused before it could run) and audit it: the one place
    REST and direct invocation pass through."""
    if refused is not None:
        status, out = refused.status, refused.to_body()
    else:
        status, out = _run(route, request)
    from drs_orch.entrypoints.audit_capture import capture

    capture(function, route, request, status, out)
    return status, out


def _authorize(route: Route, principal: Principal | None) -> None:
    if principal is None:
        raise Unauthorized("a valid bearer token is required")
    if route.permission is not None and route.permission not in principal.permissions:
        raise Forbidden(
            f"{route.operation} needs permission {route.permission.value}",
            details={"required": route.permission.value, "groups": list(principal.groups)},
        )


def _groups_from_claims(claims: dict[str, Any]) -> tuple[str, ...]:
    raw = claims.get("cognito:groups") or []
    if isinstance(raw, str):  # API Gateway flattens claims to strings: "a,b" or "[a b]"
        raw = raw.strip("[]").replace(",", " ").split()
    return tuple(str(g) for g in raw)


def _principal_from_event(event: dict[str, Any]) -> Principal | None:
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims")
    if not claims:
        return None
    groups = _groups_from_claims(claims)
    # who acted, as people read it in audits and reports: the pool signs in with email
    # (UsernameAttributes), so its cognito:username is the user's opaque id
    return Principal(
        username=str(claims.get("email") or claims.get("cognito:username") or claims.get("sub")),
        email=claims.get("email"),
        groups=groups,
        permissions=permissions_for(groups),
        via="api",
    )


def _function_arn(context: Any) -> str | None:
    arn = getattr(context, "invoked_function_arn", None)
    return str(arn) if arn else None


def _rest_resolver(function: str) -> APIGatewayRestResolver:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig
    from aws_lambda_powertools.event_handler.exceptions import NotFoundError

    from drs_orch.entrypoints.routes import routes_for

    app = APIGatewayRestResolver(cors=CORSConfig(allow_origin="*", max_age=600))

    def bind(route: Route) -> None:
        def endpoint(**path: str) -> Response[Any]:
            event = app.current_event
            correlation_id = event.request_context.request_id or str(uuid.uuid4())
            principal = _principal_from_event(event.raw_event)
            source_ip = ((event.raw_event.get("requestContext") or {}).get("identity") or {}).get("sourceIp")
            try:
                request = Request(
                    body=parse_json_object(event.body),
                    path=dict(path),
                    query=dict(event.query_string_parameters or {}),
                    multi_query={k: list(v) for k, v in (event.multi_value_query_string_parameters or {}).items()},
                    principal=principal,  # type: ignore[arg-type]
                    correlation_id=correlation_id,
                    function_arn=_function_arn(app.lambda_context),
                    source_ip=source_ip,
                )
            except DomainError as exc:
                bare = Request(body={}, path=dict(path), query={}, principal=principal,  # type: ignore[arg-type]
                               correlation_id=correlation_id, source_ip=source_ip)
                return _response(*_dispatch(function, route, bare, refused=exc))
            status, body = _dispatch(function, route, request)
            return _response(status, body)

        app.route(route.resolver_rule, method=route.method)(endpoint)

    for route in routes_for(function):
        bind(route)

    @app.not_found
    def not_found(_: NotFoundError) -> Response[Any]:
        return _response(404, NotFound("no such route").to_body())

    return app


def _response(status: int, body: Any) -> Response[Any]:
    from aws_lambda_powertools.event_handler import Response

    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body, default=str) if body is not None else "",
        headers={"X-Content-Type-Options": "nosniff"},
    )


def _direct_route(function: str, operation: Any) -> Route | DomainError:
    """The route an operation name (ours or an earlier system's alias, ``routes/aliases.py``) stands
    for in ``function``, or the error that says which function serves it or what replaced it."""
    from drs_orch.entrypoints.routes import aliases, routes_for

    name = str(operation)
    route = aliases.resolve_in(function, name) or aliases.resolve(name)
    if route is not None and route.function == function:
        return route
    if route is not None:
        alias = f" ({name} is the earlier name of {route.operation})" if name != route.operation else ""
        return ValidationFailed(
            f"operation {name!r} is served by the {route.function} function, not the {function} function{alias}",
            code="WRONG_FUNCTION",
            details={"operation": route.operation, "function": route.function, "method": route.method,
                     "path": route.path},
        )
    if name in aliases.RETIRED:
        return ValidationFailed(f"operation {name!r} no longer exists: {aliases.RETIRED[name]}",
                                code="OPERATION_RETIRED", details={"operation": name})
    return ValidationFailed(
        f"unknown operation {operation!r} for the {function} function",
        code="UNKNOWN_OPERATION",
        details={"operations": sorted(r.operation for r in routes_for(function))},
    )


def _direct(function: str, event: dict[str, Any], correlation_id: str, function_arn: str | None = None) -> Any:
    route = _direct_route(function, event.get("operation"))
    if isinstance(route, DomainError):
        return route.to_body()
    source = event.get("invocationSource")
    source = str(source)[:200] if source else "direct"
    try:
        # the earlier execution handler's envelope carries the body as "parameters"
        body = parse_json_object(event.get("body") if "body" in event else event.get("parameters"))
        raw_path = event.get("pathParameters") or {}
        if not isinstance(raw_path, dict) or not all(isinstance(v, str | int) for v in raw_path.values()):
            raise ValidationFailed("pathParameters must be an object of strings", code="INVALID_PARAMETER")
        path = {k: str(v) for k, v in raw_path.items()}
        # Path parameters may also be given in the body (e.g. {"executionId": ...}) or, as the
        # earlier handlers read them, at the top of the event.
        for name in route.path_params:
            if name not in path and isinstance(body.get(name), str):
                path[name] = body[name]
            elif name not in path and isinstance(event.get(name), str):
                path[name] = event[name]
        from drs_orch.domain.input_rules import check_decoded

        raw_query = check_decoded(event.get("queryParams") or event.get("queryStringParameters") or {})
        if not isinstance(raw_query, dict):
            raise ValidationFailed("queryParams must be an object", code="INVALID_PARAMETER")
        # Structured values (e.g. tags={"Tier": "db"}) travel as JSON, as they would in a query string.
        query = {k: v if isinstance(v, str) else json.dumps(v) for k, v in raw_query.items()}
    except DomainError as exc:
        bare = Request(body={}, path={}, query={}, principal=_DIRECT_PRINCIPAL, correlation_id=correlation_id,
                       invocation_source=source, function_arn=function_arn)
        return _dispatch(function, route, bare, refused=exc)[1]
    request = Request(body=body, path=path, query=query, principal=_DIRECT_PRINCIPAL, correlation_id=correlation_id,
                      invocation_source=source, function_arn=function_arn)
    _, out = _dispatch(function, route, request)
    return out


_resolvers: dict[str, APIGatewayRestResolver] = {}


def _handle(function: str, event: dict[str, Any], context: Any) -> Any:
    correlation_id = getattr(context, "aws_request_id", None) or str(uuid.uuid4())
    logger.set_correlation_id(correlation_id)
    logger.append_keys(function=function)
    if "operation" in event:
        return _direct(function, event, correlation_id, _function_arn(context))
    if "httpMethod" in event:
        app = _resolvers.get(function)
        if app is None:
            app = _resolvers[function] = _rest_resolver(function)
        return app.resolve(event, context)
    return ValidationFailed("event is neither an API Gateway request nor a direct invocation").to_body()


def data_management(event: dict[str, Any], context: Any) -> Any:
    return _handle("data-management", event, context)


def execution(event: dict[str, Any], context: Any) -> Any:
    return _handle("execution", event, context)


def query(event: dict[str, Any], context: Any) -> Any:
    return _handle("query", event, context)


def orchestration(event: dict[str, Any], context: Any) -> Any:
    """Step Functions task: {"action": "begin"|"tick"|"pause"|"abort", "executionId", ...}."""
    from drs_orch.entrypoints.orchestration import handle_action

    logger.set_correlation_id(str(event.get("executionId") or getattr(context, "aws_request_id", "")))
    return handle_action(event)
