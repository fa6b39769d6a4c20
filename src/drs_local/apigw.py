"""The local API Gateway: HTTP request -> Cognito authorizer check -> API Gateway proxy event ->
the Lambda function (invoked through the local Lambda service) -> HTTP response."""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from drs_local.console import ConsoleFiles
from drs_orch.domain.input_rules import MAX_BODY_BYTES
from drs_orch.entrypoints.routes import ROUTES
from drs_orch.entrypoints.routing import Route

log = logging.getLogger("drs_local.apigw")

# Lambda refuses a synchronous invocation whose event is larger than 6 MB; API Gateway then answers
# 413 (gateway response REQUEST_TOO_LARGE) without running the function.
LAMBDA_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024


@dataclass
class Authorizer:
    """Verifies Cognito ID tokens the way API Gateway's COGNITO_USER_POOLS authorizer does:
    RS256 signature against the pool's JWKS, expiry, issuer and audience (the app client)."""

    jwks: dict[str, Any]
    issuer: str
    audience: str

    def claims(self, header: str | None) -> dict[str, Any] | None:
        if not header:
            return None
        token = header.split(" ", 1)[1] if header.lower().startswith("bearer ") else header
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            keys = jwt.PyJWKSet.from_dict(self.jwks)
            key = next((k for k in keys.keys if k.key_id == kid), None)
            if key is None:
                return None
            claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=self.audience, issuer=self.issuer,
                                options={"require": ["exp", "iss", "aud"]})
        except jwt.PyJWTError as exc:
            log.info("token rejected: %s", exc)
            return None
        return claims if claims.get("token_use") == "id" else None


def _compile(route: Route) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"{(\w+)}", r"(?P<\1>[^/]+)", route.path) + "$")


class LocalApiGateway:
    def __init__(self, *, invoke: Any, function_names: dict[str, str], authorizer: Authorizer,
                 host: str = "127.0.0.1", port: int = 0, stage: str = "local",
                 console: ConsoleFiles | None = None) -> None:
        self._invoke = invoke
        self.console = console
        self._functions = function_names
        self._auth = authorizer
        self._stage = stage
        self._routes = [(r, _compile(r)) for r in ROUTES]
        self._server = make_server(host, port, self._wsgi, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-apigw", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route, pattern in self._routes:
            m = pattern.match(path)
            if m and route.method == method:
                return route, m.groupdict()
        return None

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        cors = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Authorization,Content-Type",
                "Access-Control-Allow-Methods": "GET,POST,PUT,DELETE,OPTIONS"}
        if request.method == "OPTIONS":
            return Response("", 204, headers=cors)
        if request.method == "GET" and self.console is not None:
            page = self.console.response(request.path)
            if page is not None:
                return page
        # API Gateway refuses a payload over 10 MB before anything else (gateway response
        # REQUEST_TOO_LARGE, shaped in infra/template.yaml): by its Content-Length, unread, or
        # while reading a body sent without one.
        request.max_content_length = MAX_BODY_BYTES
        try:
            raw = request.get_data(cache=True)
        except RequestEntityTooLarge:
            return _too_large(cors)
        path = request.path.rstrip("/") or "/"
        found = self._match(request.method, path)
        if found is None:
            return _json(404, {"error": "NOT_FOUND", "message": f"no route {request.method} {path}"}, cors)
        route, params = found
        claims = None
        if not route.public:
            claims = self._auth.claims(request.headers.get("Authorization"))
            if claims is None:
                return _json(401, {"error": "UNAUTHORIZED", "message": "Unauthorized"}, cors)
        event = self._event(request, raw, route, path, params, claims)
        if len(json.dumps(event).encode()) > LAMBDA_SYNC_PAYLOAD_BYTES:
            return _too_large(cors)
        status, headers, body = self._invoke(self._functions[route.function], event)
        return Response(body, status, headers={**cors, **headers})

    def _event(self, request: Request, raw: bytes, route: Route, path: str, params: dict[str, str],
               claims: dict[str, Any] | None) -> dict[str, Any]:
        try:
            body: str | None = raw.decode() if raw else None
            encoded = False
        except UnicodeDecodeError:
            body, encoded = base64.b64encode(raw).decode(), True
        query = {k: request.args.getlist(k) for k in request.args}
        flat_claims = None
        if claims is not None:  # API Gateway hands claims to the Lambda as strings
            flat_claims = {k: ",".join(v) if isinstance(v, list) else str(v) for k, v in claims.items()}
        return {
            "resource": route.path,
            "path": path,
            "httpMethod": request.method,
            "headers": dict(request.headers),
            "multiValueHeaders": {k: [v] for k, v in request.headers.items()},
            "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
            "multiValueQueryStringParameters": query or None,
            "pathParameters": params or None,
            "stageVariables": None,
            "body": body,
            "isBase64Encoded": encoded,
            "requestContext": {
                "resourcePath": route.path,
                "httpMethod": request.method,
                "path": f"/{self._stage}{path}",
                "stage": self._stage,
                "requestId": str(uuid.uuid4()),
                "identity": {"sourceIp": request.remote_addr or "127.0.0.1"},
                "authorizer": {"claims": flat_claims} if flat_claims else None,
            },
        }


_TOO_LARGE = (f"the request is too large: API Gateway accepts bodies up to {MAX_BODY_BYTES} bytes and Lambda "
              f"events up to {LAMBDA_SYNC_PAYLOAD_BYTES} bytes")


def _too_large(headers: dict[str, str]) -> Response:
    return _json(413, {"error": "REQUEST_TOO_LARGE", "message": _TOO_LARGE}, {**headers, "Connection": "close"})


def _json(status: int, body: Any, headers: dict[str, str]) -> Response:
    return Response(json.dumps(body), status, headers={**headers, "Content-Type": "application/json"})
