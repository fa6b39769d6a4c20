"""Executions: start (and dry run), follow, control, terminate, history."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from drs_orch.entrypoints.contract.base import ApiModel, ServerCounts
from drs_orch.entrypoints.contract.plans import OrderStep
from drs_orch.entrypoints.contract.readiness import ObjectivesReport


class Warning(ApiModel):
    code: str
    message: str | None = None
    servers: list[Any] | None = None
    waves: list[int] | None = None
    wave: int | None = None


class Started(ApiModel):
    execution_id: str
    status: str
    message: str
    status_url: str
    wave_count: int
    server_count: int
    warnings: list[Warning] | None = None


class PredictedJob(ApiModel):
    job_key: str
    account_id: str
    region: str
    server_count: int
    server_ids: list[str]
    predicted_start_seconds: int
    predicted_end_seconds: int
    queued_seconds: int


class PredictedWave(ApiModel):
    wave_number: int
    wave_name: str
    depends_on_waves: list[int]
    independent: bool
    pause_before_wave: bool
    server_count: int
    job_count: int
    jobs: list[PredictedJob]
    predicted_start_seconds: int | None = None
    predicted_end_seconds: int | None = None
    queued: bool


class ScopeJobs(ApiModel):
    account_id: str
    region: str
    jobs: int
    servers: int


class LaunchTime(ApiModel):
    account_id: str
    region: str
    launch_seconds: int
    source: str = Field(description="RECENT_LAUNCHES (median of the account-region's launch jobs) | DEFAULT")
    active_jobs: int
    servers_in_active_jobs: int


class WaveLaunchSettings(ApiModel):
    wave_number: int
    path: str | None = Field(default=None, description="FAST | FALLBACK | NONE")
    reason: str | None = None
    would_apply: dict[str, str]


class DryRunProblem(ApiModel):
    code: str
    message: str
    wave: int | None = None
    servers: list[Any] | None = None
    conflicts: list[dict[str, Any]] | None = None
    conflicting_executions: list[str] | None = None
    conflicting_drs_jobs: list[str] | None = None


class ServerReadiness(ApiModel):
    server_id: str
    wave_number: int
    account_id: str
    region: str
    can_launch: bool
    data_source: str = Field(description="NEW_SNAPSHOT | LAST_SNAPSHOT | NONE")
    replication_state: str | None = None
    data_age_seconds: float | None = Field(default=None, description="how old its data would be (RPO)")
    reason: str | None = None


class WavePointInTime(ApiModel):
    """A wave's consistent point in time (execution option ``consistentPointInTime``)."""

    point_in_time: str | None = Field(default=None, description="consistentPointInTime: the wave's data time")
    point_in_time_spread_seconds: float | None = Field(
        default=None, description="between the oldest and newest snapshot the wave's servers launch from")
    point_in_time_tolerance_seconds: int | None = None
    point_in_time_reason: str | None = Field(default=None, description="why the wave had no consistent point")


class WavePointInTimeForecast(WavePointInTime):
    wave_number: int


class DryRun(ApiModel):
    dry_run: bool
    would_start: bool
    plan_id: str
    plan_name: str | None = None
    execution_type: str
    wave_count: int
    server_count: int
    effective_order: list[OrderStep]
    waves: list[PredictedWave]
    jobs_per_account_region: list[ScopeJobs]
    predicted_duration_seconds: int
    pauses_not_timed: list[int]
    launch_times: list[LaunchTime]
    launch_settings: list[WaveLaunchSettings]
    points_in_time: list[WavePointInTimeForecast] | None = Field(
        default=None, description="consistentPointInTime: the point each wave would launch from if it started now")
    servers: list[ServerReadiness]
    errors: list[DryRunProblem]
    warnings: list[Warning]


class TerminationJob(ApiModel):
    job_id: str
    account_id: str
    region: str
    count: int


class Termination(ApiModel):
    status: str = Field(description="IN_PROGRESS | COMPLETED | FAILED")
    requested_at: str
    requested_by: str
    attempt: int
    jobs: list[TerminationJob]
    requested_count: int
    errors: list[Any]
    completed_at: str | None = None
    verified_at: str | None = None
    terminated_count: int | None = None
    verify_attempts: int | None = None
    still_running: list[str] | None = None
    failed_servers: list[str] | None = None
    skipped: list[Any] | None = None


class HistoryEntry(ApiModel):
    status: str
    at: str
    reason: str | None = None


class PointInTimeOption(ApiModel):
    tolerance_seconds: int


class ExecutionSummary(ApiModel):
    """An execution's own record (lists, and the top of the details)."""

    execution_id: str
    plan_id: str
    plan_name: str | None = None
    plan_version: int | None = None
    execution_type: str
    status: str
    start_time: str
    end_time: str | None = None
    initiated_by: str | None = None
    started_by: str | None = None
    account_id: str
    region: str
    scopes: list[str]
    protection_group_ids: list[str]
    poll_interval_seconds: int
    wave_count: int
    server_count: int
    server_counts: ServerCounts
    pause_requested: bool
    cancel_requested: bool
    approved_waves: list[int]
    paused_before_waves: list[int]
    status_history: list[HistoryEntry] | None = None
    state_machine_execution_arn: str | None = None
    last_decision_at: str | None = None
    duration_seconds: float | None = None
    is_paused: bool
    termination: Termination | None = None
    instances_terminated: bool | None = None
    topic_arn: str | None = None
    drill_ttl_hours: int | None = None
    expires_at: int | None = Field(default=None, description="retention: when DynamoDB deletes it (epoch seconds)")
    cancelled_by: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    warnings: list[Warning] | None = None
    consistent_point_in_time: PointInTimeOption | None = None
    objectives: dict[str, Any] | None = Field(default=None, description="the plan's rtoMinutes / rpoMinutes (and "
                                                                        "per-wave ones) when it started")
    measured_rto_seconds: float | None = Field(default=None, description="start to last wave complete, pauses "
                                                                         "excluded (ended executions)")
    paused_seconds: float | None = None
    is_drill: bool | None = Field(default=None, description="FAILOVER: a drill into the paired instances")


class ExecutionList(ApiModel):
    items: list[ExecutionSummary]
    count: int
    next_token: str | None = None


class JobView(ApiModel):
    job_key: str
    status: str
    account_id: str
    region: str
    server_count: int
    start_attempts: int | None = None
    job_id: str | None = None
    drs_status: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    last_error: str | None = None
    timeout_reason: str | None = Field(default=None, description="TIMED_OUT: why the job is no longer followed")
    waiting_for: str | None = Field(default=None, description="QUEUED in a started wave: why it has not started "
                                    "(DRS capacity: 20 concurrent jobs, 500 servers in active jobs)")


class ServerView(ApiModel):
    source_server_id: str
    hostname: str | None = None
    name: str | None = None
    status: str
    account_id: str
    region: str
    status_history: dict[str, str]
    job_id: str | None = None
    recovery_instance_id: str | None = None
    ec2_instance_id: str | None = None
    instance_id: str | None = None
    private_ip: str | None = None
    instance_type: str | None = None
    launch_time: str | None = None
    ec2_state: str | None = None
    failure_reason: str | None = None
    point_in_time: str | None = Field(default=None, description="the snapshot the server launched from")
    data_age_seconds: float | None = Field(default=None, description="how old its data was at launch (RPO)")
    rpo_minutes: int | None = Field(default=None, description="its wave's RPO (with dataAgeSeconds)")
    rpo_met: bool | None = Field(default=None, description="dataAgeSeconds within the RPO (null without one)")
    termination_requested_at: str | None = None
    terminated_at: str | None = None
    # launches into instance pairs (FAILOVER, issue 14)
    pair_id: str | None = None
    expected_instance_id: str | None = Field(default=None, description="the paired instance DRS had to launch into")
    identity_verified: bool | None = Field(default=None, description="the recovery instance is the paired instance "
                                                                     "with the source's private IP (when asked)")
    source_private_ip: str | None = None
    target_private_ip: str | None = Field(default=None, description="the paired instance's IP when paired")
    recovery_private_ip: str | None = Field(default=None, description="the recovery instance's IP after the launch")
    staging_account_id: str | None = None
    failure_code: str | None = Field(default=None, description="PRIVATE_IP_MISMATCH, INSTANCE_IDENTITY_MISMATCH")
    remediation: str | None = None


class WaveDetails(WavePointInTime):
    wave_number: int
    wave_name: str
    wave_description: str | None = None
    status: str
    protection_group_ids: list[str]
    depends_on_waves: list[int]
    independent: bool | None = None
    pause_before_wave: bool
    on_server_failure: str
    status_history: dict[str, str]
    server_count: int
    server_counts: ServerCounts
    account_id: str | None = None
    region: str | None = None
    jobs: list[JobView]
    job_ids: list[str]
    job_id: str | None = Field(default=None, description="the first job, as the seeds read it")
    servers: list[ServerView]
    started_at: str | None = None
    ended_at: str | None = None
    launch_config_path: str | None = None
    launch_config_reason: str | None = None
    launch_config_applied_count: int | None = None
    job_timeout_seconds: int | None = Field(default=None, description="time limit of each DRS job of the wave")
    wave_timeout_seconds: int | None = Field(default=None, description="time limit of the wave")
    time_limit_source: str | None = Field(default=None, description="WAVE | PLAN | LAUNCH_TIMES")
    reason: str | None = Field(default=None, description="TIMEOUT: the DRS job that passed its limit and its "
                                                         "last state")
    servers_truncated: bool | None = Field(default=None, description="more servers: see serversUrl")


class Timings(ApiModel):
    start_time: str
    end_time: str | None = None
    elapsed_seconds: float
    paused_seconds: float


class TerminationMetadata(ApiModel):
    can_terminate: bool
    reason: str
    has_recovery_instances: bool
    termination_status: str | None = None


class ExecutionDetails(ExecutionSummary):
    waves: list[WaveDetails]
    wave_counts: dict[str, int]
    timings: Timings
    termination_metadata: TerminationMetadata
    can_terminate: bool
    servers_total: int
    servers_included: int
    servers_url: str | None = Field(default=None, description="where all the servers are paged (by wave and "
                                                              "status) when not all are included")
    objectives_report: ObjectivesReport | None = Field(default=None, description="measured RTO and the data age "
                                                                                 "at launch against the objectives")


class PagedServer(ServerView):
    wave_number: int


class ServerPage(ApiModel):
    execution_id: str
    servers: list[PagedServer]
    count: int
    total: int = Field(description="servers matching the filters, from the stored counts")
    next_token: str | None = None


class Paused(ApiModel):
    execution_id: str
    status: str
    pause_requested: bool
    message: str


class Resumed(ApiModel):
    execution_id: str
    status: str
    resumed_before_waves: list[int]
    message: str


class RunningJob(ApiModel):
    job_key: str
    job_id: str | None = None
    wave_number: int
    account_id: str
    region: str
    drs_status: str | None = None


class CancelDetails(ApiModel):
    completed_waves: list[int]
    in_progress_waves: list[int]
    cancelled_waves: list[int]
    pending_waves: list[int]
    running_jobs: list[RunningJob]


class Cancelled(ApiModel):
    execution_id: str
    status: str
    message: str
    details: CancelDetails


class TerminationAnswer(ApiModel):
    execution_id: str
    termination: Termination
    message: str


class LogEvent(ApiModel):
    log_date_time: str
    event: str
    source_server_id: str | None = None
    target_instance_id: str | None = None
    conversion_server_id: str | None = None
    raw: dict[str, Any] | None = None


class JobLog(ApiModel):
    job_id: str
    job_key: str
    wave_number: int
    account_id: str
    region: str
    events: list[LogEvent]
    error: dict[str, Any] | None = None


class JobLogs(ApiModel):
    execution_id: str
    jobs: list[JobLog]


class RecoveryInstance(ApiModel):
    recovery_instance_id: str
    ec2_instance_id: str | None = None
    ec2_instance_state: str | None = None
    source_server_id: str | None = None
    job_id: str | None = None
    is_drill: bool | None = None
    point_in_time_snapshot_date_time: str | None = None
    private_ip: str | None = None
    instance_type: str | None = None
    launch_time: str | None = None
    exists: bool | None = None
    server_status: str | None = None
    hostname: str | None = None
    wave_number: int | None = None
    account_id: str
    region: str
    execution_id: str | None = None


class RecoveryInstances(ApiModel):
    execution_id: str
    instances: list[RecoveryInstance]
    count: int
    existing_count: int
    errors: list[dict[str, Any]] | None = None


class Refused(ApiModel):
    execution_id: str
    status: str
    reason: str


class ExecutionsDeleted(ApiModel):
    deleted: list[str]
    refused: list[Refused]
    not_found: list[str]
    deleted_count: int
    refused_count: int
    older_than_days: int | None = None
    statuses: list[str] | None = None
    cutoff: str | None = None
    active_kept: int | None = None
    more: bool | None = None


class ExistingInstances(ApiModel):
    plan_id: str
    has_existing_instances: bool
    instance_count: int
    existing_instances: list[RecoveryInstance]
    errors: list[dict[str, Any]] | None = None


class LiveJob(ApiModel):
    job_id: str | None = None
    found: bool
    job_key: str
    stored_status: str
    status: str | None = None
    type: str | None = None
    initiated_by: str | None = None
    creation_date_time: str | None = None
    end_date_time: str | None = None
    server_count: int | None = None


class LiveServer(ApiModel):
    source_server_id: str
    wave_number: int
    status: str
    live_status: str | None = None
    launch_status: str | None = None
    changed: bool
    job_id: str | None = None
    recovery_instance_id: str | None = None
    is_drill: bool | None = None
    ec2_instance_id: str | None = None
    ec2_instance_state: str | None = None
    instance_state: str | None = None
    instance_type: str | None = None
    private_ip_address: str | None = None
    launch_time: str | None = None


class LiveWave(ApiModel):
    wave_number: int
    wave_name: str
    status: str
    live_status: str
    changed: bool
    jobs: list[LiveJob]
    servers: list[LiveServer]


class LiveSummary(ApiModel):
    waves: int
    servers: int
    by_live_status: dict[str, int]
    changed_servers: int
    changed_waves: int


class LiveSource(ApiModel):
    account_id: str
    region: str
    job_ids: list[str]
    status: dict[str, Any]
    api_calls: dict[str, int]


class Realtime(ApiModel):
    execution_id: str
    plan_id: str
    plan_name: str | None = None
    execution_type: str
    status: str
    account_id: str
    region: str
    scopes: list[str]
    live_status: str
    changed: bool
    waves: list[LiveWave]
    summary: LiveSummary
    reconciled_at: str
    data_source: str
    live_sources: list[LiveSource]
    api_calls: dict[str, int] | None = None


class WaveRef(ApiModel):
    wave_number: int
    wave_name: str | None = None
    status: str


class ExecutionStatusView(ApiModel):
    """GET /executions/{id}/status: the compact status and what may be done next."""

    execution_id: str
    plan_id: str
    plan_name: str | None = None
    execution_type: str
    status: str
    is_paused: bool
    pause_requested: bool
    is_terminal: bool
    start_time: str
    end_time: str | None = None
    server_counts: ServerCounts
    wave_counts: dict[str, int]
    total_waves: int
    completed_waves: int = Field(description="waves in a terminal status")
    current_waves: list[WaveRef] = Field(description="waves QUEUED or LAUNCHING now")
    current_wave: int | None = None
    next_wave: int | None = Field(default=None, description="the first wave not started (none once ended)")
    paused_before_waves: list[int]
    timings: Timings
    hint: str
    can_pause: bool
    can_resume: bool
    can_cancel: bool
    next: list[str] = Field(description="the calls allowed now, e.g. POST /executions/{id}/resume")


class WaveProgress(WavePointInTime):
    wave_number: int
    wave_name: str
    status: str
    depends_on_waves: list[int]
    independent: bool | None = None
    pause_before_wave: bool
    on_server_failure: str
    status_history: dict[str, str]
    started_at: str | None = None
    ended_at: str | None = None
    duration_seconds: float | None = Field(default=None, description="until now while in flight")
    server_count: int
    server_counts: ServerCounts
    account_id: str | None = None
    region: str | None = None
    job_ids: list[str]
    job_count: int
    launch_config_path: str | None = None
    launch_config_reason: str | None = None


class ExecutionWaves(ApiModel):
    execution_id: str
    status: str
    waves: list[WaveProgress]
    count: int


class JobServer(ApiModel):
    source_server_id: str
    status: str | None = None
    hostname: str | None = None
    recovery_instance_id: str | None = None
    ec2_instance_id: str | None = None
    failure_reason: str | None = None


class ExecutionJob(JobView):
    wave_number: int
    wave_name: str | None = None
    execution_type: str | None = None
    servers: list[JobServer]


class ExecutionJobs(ApiModel):
    execution_id: str
    status: str
    jobs: list[ExecutionJob] = Field(description="one per wave and account-region (at most 100 servers); "
                                                 "jobId once DRS started it")
    count: int
    job_ids: list[str]
