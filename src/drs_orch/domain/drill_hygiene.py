"""Drill hygiene (pure): the expiry tags a drill's recovery instances get at launch, and which
tagged instances the sweeper may terminate.

An instance is swept only when every one of these holds: its ``drs-orch:execution-type`` tag says
DRILL, DRS itself lists it as a drill recovery instance (``isDrill``), its ``drs-orch:expires-at``
is past, and the execution that launched it is not active. A RECOVERY instance fails the first two
and is never touched, whatever its tags say."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

DEFAULT_DRILL_TTL_HOURS = 24
TAG_EXPIRES = "drs-orch:expires-at"
TAG_TYPE = "drs-orch:execution-type"
TAG_EXECUTION = "drs-orch:execution-id"
TAG_PLAN = "drs-orch:plan-id"
DRILL = "DRILL"
SCOPE_LOOKBACK_DAYS = 45  # drills whose instances may still be alive: more than the largest TTL (30 days)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def expiry_tags(meta: Mapping[str, Any], launched_at: datetime, default_ttl_hours: int) -> dict[str, str]:
    ttl = int(meta.get("drillTtlHours") or default_ttl_hours)
    return {
        TAG_TYPE: DRILL,
        TAG_EXPIRES: _iso(launched_at + timedelta(hours=ttl)),
        TAG_EXECUTION: str(meta["executionId"]),
        TAG_PLAN: str(meta.get("planId") or ""),
    }


@dataclass(frozen=True)
class TaggedInstance:
    instance_id: str
    tags: dict[str, str]
    state: str

    @property
    def execution_id(self) -> str:
        return self.tags.get(TAG_EXECUTION, "")

    @property
    def plan_id(self) -> str:
        return self.tags.get(TAG_PLAN, "")

    def expired(self, now: datetime) -> bool:
        raw = self.tags.get(TAG_EXPIRES, "")
        try:
            expires = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return False  # an unreadable expiry is not a licence to terminate
        return expires.tzinfo is not None and expires <= now


SKIP_NOT_EXPIRED = "NOT_EXPIRED"
SKIP_NOT_A_DRILL = "NOT_A_DRILL"
SKIP_ACTIVE_OWNER = "OWNED_BY_ACTIVE_EXECUTION"
SKIP_UNKNOWN_TO_DRS = "NOT_A_DRS_RECOVERY_INSTANCE"


def verdict(instance: TaggedInstance, now: datetime, drs_is_drill: bool | None, owner_active: bool) -> str | None:
    """None: sweep it; otherwise the reason to leave it alone."""
    if instance.tags.get(TAG_TYPE) != DRILL:
        return SKIP_NOT_A_DRILL
    if drs_is_drill is None:
        return SKIP_UNKNOWN_TO_DRS
    if not drs_is_drill:
        return SKIP_NOT_A_DRILL
    if not instance.expired(now):
        return SKIP_NOT_EXPIRED
    if owner_active:
        return SKIP_ACTIVE_OWNER
    return None
