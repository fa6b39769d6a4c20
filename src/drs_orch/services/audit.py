"""The audit trail: record one entry per audited request (the dispatch layer calls
:meth:`AuditTrail.record` for REST and direct invocation alike) and page through them
(``GET /audit-log``). Recording never fails the request it describes: a write that fails is logged
and counted (metric ``AuditWriteFailed``, alarmed in the template)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from drs_orch.domain.audit import DEFAULT_RETENTION_DAYS, Actor, AuditQuery, Origin, entry, parse_query
from drs_orch.domain.paging import Page
from drs_orch.services import telemetry

log = logging.getLogger(__name__)


class AuditStore(Protocol):
    def append(self, item: dict[str, Any]) -> None: ...
    def page(self, query: AuditQuery) -> Page: ...


class AuditTrail:
    def __init__(self, store: AuditStore, *, now: Callable[[], datetime],
                 retention_days: int = DEFAULT_RETENTION_DAYS) -> None:
        self._store = store
        self._now = now
        self._retention = retention_days

    def record(self, *, actor: Actor, operation: str, method: str, route: str, targets: list[str], status: int,
               error_code: str | None, origin: Origin) -> dict[str, Any] | None:
        at = self._now()
        item = entry(entry_id=f"{at.strftime('%Y%m%dT%H%M%S.%f')}-{uuid.uuid4().hex[:12]}", at=at, actor=actor,
                     operation=operation, method=method, route=route, targets=targets, status=status,
                     error_code=error_code, origin=origin, retention_days=self._retention)
        try:
            self._store.append(item)
        except Exception:  # noqa: BLE001 - the request already happened; losing its entry is alarmed
            log.exception("audit entry for %s by %s not written", operation, actor.name)
            telemetry.count(telemetry.AUDIT_WRITE_FAILED)
            return None
        return item

    def list(self, params: dict[str, str]) -> dict[str, Any]:
        query = parse_query(params)
        found = self._store.page(query)
        out: dict[str, Any] = {"entries": found.items, "count": len(found.items)}
        if found.next_token:
            out["nextToken"] = found.next_token
        return out
