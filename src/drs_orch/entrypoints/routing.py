"""The route table's building blocks: one Route per use case, shared by REST, direct invocation,
the API Gateway methods in the template, OpenAPI and RBAC."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.rbac import Permission

FUNCTIONS = ("data-management", "execution", "query")


@dataclass(frozen=True)
class Principal:
    """Who is calling: a Cognito user (REST) or an IAM principal (direct invocation)."""

    username: str
    groups: tuple[str, ...]
    permissions: frozenset[Permission]
    via: str  # "api" | "direct"
    email: str | None = None


@dataclass
class Request:
    body: dict[str, Any]
    path: dict[str, str]
    query: dict[str, str]
    principal: Principal
    correlation_id: str
    multi_query: dict[str, list[str]] = field(default_factory=dict)
    function_arn: str | None = None  # the Lambda function serving the request (for background runs)
    source_ip: str | None = None  # REST: the caller's IP (audit)
    invocation_source: str | None = None  # direct invocation: who says it invoked (a schedule, a script)

    def path_param(self, name: str) -> str:
        value = self.path.get(name)
        if not value:
            raise ValidationFailed(f"missing path parameter {name}", code="MISSING_PARAMETER")
        return value


@dataclass(frozen=True)
class Result:
    """A handler's answer when the status differs from the route's default."""

    status: int
    body: Any


Handler = Callable[[Request], Any]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    operation: str
    function: str
    permission: Permission | None
    handler: Handler
    status: int = 200
    summary: str = ""
    public: bool = False

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    @property
    def resolver_rule(self) -> str:
        """Powertools' rule syntax: /protection-groups/<groupId>."""
        return re.sub(r"{(\w+)}", r"<\1>", self.path)


def parse_json_object(raw: Any) -> dict[str, Any]:
    """Bodies may arrive as a JSON string (API Gateway) or a dict (direct invocation). Either way
    the body limits of ``domain/input_rules.py`` apply here, before any model sees it: at most
    10 MB (413 REQUEST_TOO_LARGE) and 32 levels of nesting (400 JSON_TOO_DEEP)."""
    from drs_orch.domain.input_rules import check_decoded, load_json  # pydantic: not at import (cold start)

    if raw is None or raw == "":
        return {}
    if isinstance(raw, Mapping | list):
        value = check_decoded(raw)
    elif isinstance(raw, str | bytes):
        value = load_json(raw)
    else:
        value = raw
    if not isinstance(value, Mapping):
        raise ValidationFailed("request body must be a JSON object", code="INVALID_JSON")
    return dict(value)
