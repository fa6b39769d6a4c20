"""Recovery plans: the plan, its waves and effective order, the lint."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from drs_orch.entrypoints.contract.base import ApiModel, CapacityMetric, CapacityReport, Deleted
from drs_orch.entrypoints.contract.readiness import PlanReadinessSummary


class OrderStep(ApiModel):
    step: int
    waves: list[int]
    run_together: bool
    waits_for: dict[str, list[int]] = Field(description="wave number -> the waves it waits for")


class WaveView(ApiModel):
    wave_number: int
    wave_name: str
    wave_description: str | None = None
    protection_group_ids: list[str]
    depends_on_waves: list[int] = Field(description="explicit: an empty input means the previous wave")
    independent: bool
    pause_before_wave: bool
    on_server_failure: str = Field(description="STOP | CONTINUE")
    job_timeout_minutes: int | None = Field(default=None, description="time limit of each DRS job of the wave")
    wave_timeout_minutes: int | None = Field(default=None, description="time limit of the wave")
    server_ids: list[str] = Field(description="what the wave would launch now (its groups' servers)")
    server_count: int
    rto_minutes: int | None = Field(default=None, description="this wave's RTO (time from the start until it "
                                                              "completes); else the plan's")
    rpo_minutes: int | None = Field(default=None, description="the RPO of this wave's servers; else the plan's")


class ConflictServer(ApiModel):
    server_id: str
    execution_id: str | None = None
    job_id: str | None = None
    conflict_source: str


class ConflictExecution(ApiModel):
    execution_id: str
    plan_id: str
    plan_name: str | None = None
    status: str
    execution_type: str | None = None
    protection_group_ids: list[str] = Field(description="the groups this plan shares with that execution")
    server_ids: list[str]
    server_count: int


class ConflictInfo(ApiModel):
    server_ids: list[str] = Field(description="this plan's servers held by other plans' active executions")
    server_count: int
    executions: list[ConflictExecution]
    reason: str


class Plan(ApiModel):
    plan_id: str
    plan_name: str
    description: str = ""
    waves: list[WaveView]
    effective_order: list[OrderStep]
    schema_version: int
    version: int
    created_date: str
    created_by: str | None = None
    last_modified_date: str
    last_modified_by: str | None = None
    wave_count: int
    total_servers: int
    account_id: str | None = None
    region: str | None = None
    notification_email: str | None = None
    drill_ttl_hours: int | None = Field(default=None, description="drill instances older than this are swept")
    job_timeout_minutes: int | None = Field(default=None, description="time limit of each DRS job (waves may "
                                                                      "set their own)")
    wave_timeout_minutes: int | None = Field(default=None, description="time limit of each wave")
    notification_subscription_arn: str | None = None
    last_execution_status: str | None = Field(default=None, description="plan lists: the active execution's, "
                                                                        "else the latest ended one's")
    last_execution_id: str | None = None
    last_execution_type: str | None = None
    last_start_time: str | None = None
    last_end_time: str | None = None
    active_execution_id: str | None = None
    has_server_conflict: bool | None = Field(default=None, description="plan lists: servers held by another "
                                                                       "plan's active execution")
    conflict_info: ConflictInfo | None = None
    rto_minutes: int | None = Field(default=None, description="recovery time objective of the whole run")
    rpo_minutes: int | None = Field(default=None, description="recovery point objective (data age at launch)")
    readiness: PlanReadinessSummary | None = Field(default=None, description="plan lists: the latest readiness "
                                                                             "evaluation (null: never evaluated)")


class PlanList(ApiModel):
    recovery_plans: list[Plan]
    count: int
    next_token: str | None = None


class PlanDeleted(Deleted):
    plan_id: str
    plan_name: str


class LintSummary(ApiModel):
    waves: int
    groups: int
    servers: int
    account_id: str | None = None
    region: str | None = None
    levels: list[list[int]] | None = None


class Finding(ApiModel):
    code: str
    message: str
    wave: int | None = None
    server_ids: list[str] | None = None


class LintCapacity(CapacityReport):
    after_plan: dict[str, CapacityMetric]


class PlanLint(ApiModel):
    plan_id: str
    plan_name: str
    summary: LintSummary
    effective_order: list[OrderStep]
    valid: bool
    errors: list[Finding]
    warnings: list[Finding]
    capacity: LintCapacity | None = None


class NativeExport(ApiModel):
    plan_id: str
    plan_version: int
    dry_run: bool
    recovery_plan_arn: str | None = None
    native_plan: dict[str, Any] = Field(description="the DRS CreateRecoveryPlan input, as sent")
    not_exported: list[dict[str, Any]]
    adjustments: list[dict[str, Any]]


class NativeSource(ApiModel):
    recovery_plan_arn: str
    account_id: str
    region: str
    name: str | None = None


class NativeImport(ApiModel):
    source: NativeSource
    dry_run: bool
    not_imported: list[dict[str, Any]]
    plan: dict[str, Any] = Field(description="the plan created (or, dry run, the body it would be created from)")
    new_groups: list[dict[str, Any]] | None = None
    created_group_ids: list[str] | None = None
    adjustments: list[dict[str, Any]] = Field(default_factory=list)
    reused_group_ids: list[str] = Field(default_factory=list)
