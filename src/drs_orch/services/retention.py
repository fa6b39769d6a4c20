"""Execution history retention: ``DELETE /executions?olderThanDays=N&status=...`` and the scheduled
housekeeping that puts a TTL (``expiresAt``) on finished executions and all their items.

Active executions are never deleted (they are counted in the answer). Deleting an execution removes
its items only: its audit entries live in the audit table and stay for the audit retention."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, Protocol

from drs_orch.domain.retention import (
    ENDED,
    MAX_DELETE_PER_REQUEST,
    expires_at,
    is_old_enough,
    parse_request,
)
from drs_orch.domain.statuses import ACTIVE_EXECUTION
from drs_orch.services import telemetry

Item = dict[str, Any]


class RetentionIndex(Protocol):
    def started_before(self, status: str, cutoff: str) -> Iterator[Item]: ...
    def without_ttl(self, status: str) -> Iterator[Item]: ...
    def set_ttl(self, execution_id: str, expires_at: int) -> int: ...


class RetentionService:
    def __init__(self, index: RetentionIndex, delete: Callable[[list[str]], dict[str, Any]], *,
                 now: Callable[[], datetime], retention_days: int) -> None:
        self._index = index
        self._delete = delete
        self._now = now
        self._retention = retention_days

    def delete_older_than(self, params: Mapping[str, str]) -> dict[str, Any]:
        request = parse_request(params)
        cutoff = request.cutoff(self._now())
        chosen: list[str] = []
        more = False
        for status in request.statuses:
            for meta in self._index.started_before(status, cutoff):
                if not is_old_enough(meta, cutoff):
                    continue
                if len(chosen) >= MAX_DELETE_PER_REQUEST:
                    more = True
                    break
                chosen.append(str(meta["executionId"]))
        active = sum(1 for s in sorted(a.value for a in ACTIVE_EXECUTION)
                     for _ in self._index.started_before(s, cutoff))
        out: dict[str, Any] = {"deleted": [], "refused": [], "notFound": [], "deletedCount": 0, "refusedCount": 0}
        for start in range(0, len(chosen), 100):
            part = self._delete(chosen[start:start + 100])
            for key in ("deleted", "refused", "notFound"):
                out[key] += part[key]
        out["deletedCount"] = len(out["deleted"])
        out["refusedCount"] = len(out["refused"])
        out.update({"olderThanDays": request.older_than_days, "statuses": list(request.statuses),
                    "cutoff": cutoff, "activeKept": active, "more": more})
        if out["deletedCount"]:
            telemetry.count(telemetry.EXECUTIONS_EXPIRED, out["deletedCount"], how="REQUEST")
        return out

    def stamp_ttl(self, limit: int = 200) -> dict[str, Any]:
        """Put ``expiresAt`` (end + retention) on up to ``limit`` finished executions without one."""
        now = self._now()
        executions = items = 0
        more = False
        for status in ENDED:
            for meta in self._index.without_ttl(status):
                if executions >= limit:
                    more = True
                    break
                items += self._index.set_ttl(str(meta["executionId"]), expires_at(meta, self._retention, now))
                executions += 1
        return {"executionsStamped": executions, "itemsStamped": items, "retentionDays": self._retention,
                "more": more}
