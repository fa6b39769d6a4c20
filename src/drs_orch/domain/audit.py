"""The audit trail's rules (pure): which requests are audited, what an entry holds, and the filters
of ``GET /audit-log``.

An entry says who (a Cognito user, or IAM for a direct invocation), when, which operation, on which
targets, with what outcome, from where (source IP or invocation source) and the request id. It is
built from the route, the path parameters, a whitelist of id fields of the body and the answer,
and the outcome: request bodies are never copied, so secrets (external ids, tokens, task tokens)
cannot reach it. :func:`scrub` is a second line of defence for the few free-text values kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from drs_orch.domain.errors import ValidationFailed

ENTITY = "AUDIT"
DEFAULT_RETENTION_DAYS = 400
MAX_PAGE = 200
DEFAULT_PAGE = 50

# Body and answer fields that name what a request acted on (never free text, never secrets).
ID_FIELDS = ("executionId", "planId", "groupId", "accountId", "stagingAccountId", "serverId", "sourceServerId")
LIST_ID_FIELDS = ("ids", "executionIds", "deleted", "terminatedInstanceIds")
_SINGULAR = {"ids": "executionId", "executionIds": "executionId", "deleted": "executionId",
             "terminatedInstanceIds": "instanceId"}
MAX_TARGETS = 50

# Keys whose values must never be stored (matched without case, ignoring - and _).
SECRET_KEYS = frozenset({"externalid", "tasktoken", "token", "idtoken", "accesstoken", "refreshtoken",
                         "sessiontoken", "secretaccesskey", "password", "secret", "authorization",
                         "credentials", "nexttoken"})
REDACTED = "[REDACTED]"

QUERY_FIELDS = frozenset({"actor", "operation", "target", "from", "to", "outcome", "limit", "nextToken"})
OUTCOMES = ("SUCCESS", "REFUSED", "ERROR")


def is_audited(method: str, status: int, *, direct: bool = False) -> bool:
    """Every mutating call (any method but GET) whatever its outcome, every direct invocation (IAM
    callers: scripts, schedules), and every refused access."""
    return direct or method.upper() != "GET" or status in (401, 403)


def outcome_of(status: int) -> str:
    if status >= 500:
        return "ERROR"
    return "REFUSED" if status >= 400 else "SUCCESS"


def _normal(key: str) -> str:
    return re.sub(r"[-_]", "", key).lower()


def scrub(value: Any) -> Any:
    """``value`` with the values of secret-named keys replaced, at any depth."""
    if isinstance(value, Mapping):
        return {k: (REDACTED if _normal(str(k)) in SECRET_KEYS else scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def targets_of(path: Mapping[str, str], body: Mapping[str, Any] | None, answer: Any) -> list[str]:
    """``"<field>:<id>"`` for the ids in the path, the request body's id fields and the answer's
    (a create names its new id only in the answer), at most :data:`MAX_TARGETS`, in that order."""
    found: list[str] = []

    def add(name: str, value: Any) -> None:
        if isinstance(value, str | int) and str(value) and len(str(value)) <= 200:
            entry = f"{name}:{value}"
            if entry not in found:
                found.append(entry)

    for name, value in path.items():
        add(name, value)
    for source in (body, answer if isinstance(answer, Mapping) else None):
        if not source:
            continue
        for name in ID_FIELDS:
            add(name, source.get(name))
        for name in LIST_ID_FIELDS:
            values = source.get(name)
            if isinstance(values, str):
                values = [v for v in values.split(",") if v]
            if isinstance(values, list):
                for value in values:
                    add(_SINGULAR[name], value)
    return found[:MAX_TARGETS]


@dataclass(frozen=True)
class Actor:
    name: str
    kind: str  # "COGNITO_USER" | "IAM"
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Origin:
    """Where a request came from: ``channel`` "api" (REST) or "direct"; the source IP (REST) or
    the invocation source (a schedule rule, a script); the request id."""

    channel: str
    request_id: str
    source_ip: str | None = None
    invocation_source: str | None = None
    function: str | None = None


def entry(*, entry_id: str, at: datetime, actor: Actor, operation: str, method: str, route: str,
          targets: list[str], status: int, error_code: str | None, origin: Origin,
          retention_days: int) -> dict[str, Any]:
    """One audit item (camelCase, as stored)."""
    iso = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    item: dict[str, Any] = {
        "auditId": entry_id,
        "entityType": ENTITY,
        "timestamp": iso,
        "actor": actor.name,
        "actorType": actor.kind,
        "groups": list(actor.groups),
        "operation": operation,
        "method": method,
        "route": route,
        "targets": targets,
        "status": status,
        "outcome": outcome_of(status),
        "channel": origin.channel,
        "requestId": origin.request_id,
        "expiresAt": int((at + timedelta(days=retention_days)).timestamp()),
    }
    if targets:  # the first target's id (``target=<id>`` is served by the ByTarget index)
        item["targetKey"] = targets[0].split(":", 1)[1]
    optional = {"errorCode": error_code, "sourceIp": origin.source_ip,
                "invocationSource": origin.invocation_source, "function": origin.function}
    item.update({k: v for k, v in optional.items() if v})
    return dict(scrub(item))


@dataclass(frozen=True)
class AuditQuery:
    actor: str | None = None
    operation: str | None = None
    target: str | None = None
    outcome: str | None = None
    start: str | None = None
    end: str | None = None
    limit: int = DEFAULT_PAGE
    next_token: str | None = None

    @property
    def index(self) -> tuple[str, str, str]:
        """(index, key attribute, key value): the most selective filter is served by an index."""
        if self.target:
            return "ByTarget", "targetKey", self.target
        if self.actor:
            return "ByActor", "actor", self.actor
        if self.operation:
            return "ByOperation", "operation", self.operation
        return "ByTime", "entityType", ENTITY

    @property
    def filters(self) -> dict[str, str]:
        """The filters the chosen index does not serve (attribute -> value)."""
        key = self.index[1]
        wanted = {"actor": self.actor, "operation": self.operation, "outcome": self.outcome}
        return {k: v for k, v in wanted.items() if v and k != key}


def _time(name: str, raw: str) -> str:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(f"{name} must be an ISO-8601 time, e.g. 2026-01-31T12:00:00Z",
                               code="INVALID_PARAMETER", details={"parameter": name}) from None
    if moment.tzinfo is None:
        raise ValidationFailed(f"{name} must carry a time zone (e.g. Z)", code="INVALID_PARAMETER",
                               details={"parameter": name})
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_query(params: Mapping[str, str]) -> AuditQuery:
    unknown = sorted(set(params) - QUERY_FIELDS)
    if unknown:
        raise ValidationFailed(f"unknown query parameter(s): {', '.join(unknown)}", code="UNKNOWN_FIELD",
                               details={"unknown": unknown, "allowed": sorted(QUERY_FIELDS)})
    limit = DEFAULT_PAGE
    if params.get("limit"):
        raw = params["limit"]
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
            raise ValidationFailed(f"limit must be an integer from 1 to {MAX_PAGE}", code="INVALID_PARAMETER",
                                   details={"parameter": "limit"})
        limit = int(raw)
    outcome = params.get("outcome") or None
    if outcome is not None and outcome.upper() not in OUTCOMES:
        raise ValidationFailed(f"outcome must be one of {', '.join(OUTCOMES)}", code="INVALID_PARAMETER",
                               details={"parameter": "outcome"})
    start = _time("from", params["from"]) if params.get("from") else None
    end = _time("to", params["to"]) if params.get("to") else None
    if start and end and start > end:
        raise ValidationFailed("from must not be after to", code="INVALID_PARAMETER", details={"parameter": "from"})
    return AuditQuery(actor=params.get("actor") or None, operation=params.get("operation") or None,
                      target=params.get("target") or None, outcome=outcome.upper() if outcome else None,
                      start=start, end=end, limit=limit, next_token=params.get("nextToken") or None)
