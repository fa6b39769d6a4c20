"""Plan readiness and recovery objectives (issue 21): findings, history, re-test required, and
what an execution measured against the objectives."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from drs_orch.entrypoints.contract.base import ApiModel


class ReadinessFinding(ApiModel):
    code: str
    severity: str = Field(description="HIGH (NOT_READY) | MEDIUM (AT_RISK) | LOW (information)")
    message: str
    action: str = Field(description="what to do")
    server_id: str | None = None
    wave_number: int | None = None
    account_id: str | None = None
    region: str | None = None


class FingerprintDifference(ApiModel):
    kind: str = Field(description="SERVERS_ADDED | SERVERS_REMOVED | SERVERS_MOVED | LAUNCH_SETTINGS_CHANGED | "
                                  "WAVES_CHANGED | ACCOUNTS_CHANGED | CHANGED")
    items: list[str]
    message: str


class Retest(ApiModel):
    required: bool
    reason: str | None = Field(default=None, description="NEVER_DRILLED | CHANGED_SINCE_DRILL")
    differences: list[FingerprintDifference]
    baseline_execution_id: str | None = Field(default=None, description="the last COMPLETED drill")
    baseline_at: str | None = None


class ReadinessSummaryCounts(ApiModel):
    wave_count: int
    server_count: int
    account_regions: list[str]
    predicted_duration_seconds: int | None = None
    rto_minutes: int | None = None
    rpo_minutes: int | None = None


class PlanReadinessSummary(ApiModel):
    """What plan lists show."""

    status: str = Field(description="READY | AT_RISK | NOT_READY")
    evaluated_at: str
    finding_count: int
    retest_required: bool
    trigger: str | None = None


class ReadinessEvaluation(ApiModel):
    plan_id: str
    plan_name: str | None = None
    status: str = Field(description="READY | AT_RISK | NOT_READY")
    previous_status: str | None = None
    evaluated_at: str
    trigger: str = Field(description="PLAN_SAVED | ON_DEMAND | SCHEDULE")
    findings: list[ReadinessFinding] = Field(description="worst first; at most 200 (findingCount has them all)")
    finding_count: int
    counts: dict[str, int] = Field(description="findings per code")
    summary: ReadinessSummaryCounts
    retest: Retest


class ReadinessHistoryEntry(ApiModel):
    evaluated_at: str
    status: str
    previous_status: str | None = None
    trigger: str
    finding_count: int
    counts: dict[str, int]
    retest_required: bool
    predicted_duration_seconds: int | None = None


class MeasuredRun(ApiModel):
    execution_id: str
    execution_type: str | None = None
    status: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    rto_minutes: int | None = None
    measured_rto_seconds: float | None = Field(default=None, description="start to last wave complete, "
                                                                         "pauses excluded")
    paused_seconds: float | None = None
    rto_met: bool | None = None


class PlanReadiness(ApiModel):
    plan_id: str
    rto_minutes: int | None = None
    rpo_minutes: int | None = None
    current: ReadinessEvaluation | None = Field(description="null until the plan is first evaluated")
    history: list[ReadinessHistoryEntry] = Field(description="status changes, newest first")
    executions: list[MeasuredRun] = Field(description="the plan's latest ended executions against the RTO")


class ReadinessRun(ApiModel):
    evaluated_at: str
    trigger: str
    plan_count: int
    status_counts: dict[str, int]
    changes: list[dict[str, Any]] = Field(description="plans whose readiness changed: planId, from, to")
    account_regions: list[str]
    drs_calls: dict[str, int] = Field(description="DRS requests of this run per operation")
    duration_seconds: float
    errors: list[dict[str, Any]]


class WaveObjectiveResult(ApiModel):
    wave_number: int
    rto_minutes: int | None = None
    rpo_minutes: int | None = None
    measured_rto_seconds: float | None = None
    rto_met: bool | None = None
    servers_measured: int = Field(default=0, description="servers whose data age at launch is known")
    worst_data_age_seconds: float | None = Field(default=None, description="the oldest data a server of the "
                                                                           "wave launched with")
    servers_over_rpo: int | None = Field(default=None, description="servers whose data was older than the "
                                                                   "wave's RPO (null without an RPO)")
    rpo_met: bool | None = None


class ObjectivesReport(ApiModel):
    """An execution against its plan's objectives (as they were when it started)."""

    rto_minutes: int | None = None
    rpo_minutes: int | None = None
    measured_rto_seconds: float | None = None
    paused_seconds: float | None = None
    rto_met: bool | None = None
    rpo_met: bool | None = None
    worst_data_age_seconds: float | None = None
    servers_over_rpo: int = Field(default=0, description="servers over their wave's RPO; each server's row "
                                                         "(dataAgeSeconds, rpoMet) is in /executions/{id}/servers")
    waves: list[WaveObjectiveResult] = Field(description="per wave: RTO measured and the RPO summary")
