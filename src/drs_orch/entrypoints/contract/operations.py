"""Operating the platform: the audit trail, housekeeping (retention TTL, long pauses) and the
drill-instance sweeper."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from drs_orch.entrypoints.contract.base import ApiModel


class AuditEntry(ApiModel):
    audit_id: str
    entity_type: str
    timestamp: str
    actor: str
    actor_type: str = Field(description="cognito | iam")
    groups: list[str]
    operation: str
    method: str
    route: str
    targets: list[str]
    target_key: str | None = None
    status: int
    outcome: str
    error_code: str | None = None
    channel: str = Field(description="api | direct")
    invocation_source: str | None = None
    source_ip: str | None = None
    function: str
    request_id: str
    expires_at: int


class AuditLog(ApiModel):
    entries: list[AuditEntry]
    count: int
    next_token: str | None = None


class TtlStamp(ApiModel):
    executions_stamped: int
    items_stamped: int
    retention_days: int
    more: bool


class Housekeeping(ApiModel):
    ttl: TtlStamp
    paused_alerts: list[str]
    paused_alert_minutes: int


class DrillSweep(ApiModel):
    checked_at: str
    scopes: list[str] = Field(description='account#region scopes looked at')
    terminated_instance_ids: list[str]
    unverified_instance_ids: list[str]
    skipped: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    terminated_count: int | None = None
    status: str | None = None
