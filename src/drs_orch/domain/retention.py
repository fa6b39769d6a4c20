"""Execution history retention (pure): which executions a retention delete may remove, and when a
finished execution's items expire (DynamoDB TTL ``expiresAt``, epoch seconds).

Active executions (PENDING, RUNNING, PAUSED, CANCELLING) are never removed, whatever their age."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.statuses import TERMINAL_EXECUTION

DEFAULT_RETENTION_DAYS = 365
MAX_DAYS = 36500
MAX_DELETE_PER_REQUEST = 500
ENDED = tuple(sorted(s.value for s in TERMINAL_EXECUTION))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class RetentionRequest:
    older_than_days: int
    statuses: tuple[str, ...]

    def cutoff(self, now: datetime) -> str:
        """Executions that ended (and so started) before this ISO time are old enough."""
        return _iso(now - timedelta(days=self.older_than_days))


def parse_request(params: Mapping[str, str]) -> RetentionRequest:
    allowed = {"olderThanDays", "status"}
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ValidationFailed(f"unknown query parameter(s) with olderThanDays: {', '.join(unknown)}",
                               code="UNKNOWN_FIELD", details={"unknown": unknown, "allowed": sorted(allowed)})
    raw = str(params.get("olderThanDays") or "")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        raise ValidationFailed(f"olderThanDays must be an integer from 1 to {MAX_DAYS}", code="INVALID_PARAMETER",
                               details={"parameter": "olderThanDays"})
    statuses = tuple(dict.fromkeys(s.strip().upper() for s in str(params.get("status") or "").split(",")
                                   if s.strip())) or ENDED
    bad = sorted(set(statuses) - set(ENDED))
    if bad:
        raise ValidationFailed(f"status may name ended statuses only ({', '.join(ENDED)}); active executions "
                               f"are never deleted: {', '.join(bad)}", code="INVALID_PARAMETER",
                               details={"parameter": "status", "invalid": bad})
    return RetentionRequest(int(raw), statuses)


def is_old_enough(meta: Mapping[str, Any], cutoff: str) -> bool:
    """An ended execution whose end (or, lacking it, start) is before ``cutoff``."""
    if meta.get("status") not in ENDED:
        return False
    ended = str(meta.get("endTime") or meta.get("startTime") or "")
    return bool(ended) and ended < cutoff


def expires_at(meta: Mapping[str, Any], retention_days: int, now: datetime) -> int:
    """TTL of a finished execution's items: its end (or now, lacking one) plus the retention."""
    raw = str(meta.get("endTime") or "")
    try:
        ended = datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw else now
    except ValueError:
        ended = now
    return int((ended + timedelta(days=retention_days)).timestamp())
