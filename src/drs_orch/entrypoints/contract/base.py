"""Shared pieces of the API contract: the response base model, the error body, and the small
shapes several areas answer with (server counts, per-region status, capacity)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    """A response body (or part of one): camelCase on the wire, and nothing it does not describe,
    so that the contract test fails when a handler answers with an undocumented field."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class ErrorBody(ApiModel):
    """Every 4xx/5xx answer."""

    error: str = Field(description="stable error code, e.g. VALIDATION_ERROR, PLAN_NOT_FOUND")
    message: str = Field(description="what went wrong, for a person")
    details: Any = Field(default=None, description="the problems, field by field, or what conflicts")
    correlation_id: str | None = Field(default=None, description="only on 500: quote it when reporting")


class ServerCounts(ApiModel):
    total: int
    pending: int = 0
    launching: int | None = None
    launched: int | None = None
    failed: int | None = None
    terminated: int | None = None


class RegionStatus(ApiModel):
    """Whether an account-region answered (OK) or why not (DRS_NOT_INITIALIZED, ACCESS_DENIED, ...)."""

    status: str
    message: str | None = None


class ErrorRef(ApiModel):
    code: str
    message: str


class CapacityUsage(ApiModel):
    source_servers: int
    replicating_servers: int
    active_jobs: int
    servers_in_active_jobs: int
    recovery_instances: int


class CapacityLimits(ApiModel):
    replicating_servers: int
    active_jobs: int
    servers_in_active_jobs: int
    recovery_instances: int
    servers_per_job: int


class CapacityMetric(ApiModel):
    metric: str
    used: int
    limit: int
    available: int
    percent_used: float
    status: str = Field(description="OK | WARNING | CRITICAL")


class CapacityReport(ApiModel):
    status: str = Field(description="OK | WARNING | CRITICAL: the worst metric")
    current_usage: CapacityUsage
    limits: CapacityLimits
    metrics: list[CapacityMetric]


class Deleted(ApiModel):
    deleted: bool
    deleted_by: str
