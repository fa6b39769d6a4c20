"""Tag sync (runs and schedule) and configuration export / import."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from drs_orch.domain.launch_config import LaunchConfig, ServerLaunchOverride
from drs_orch.entrypoints.contract.base import ApiModel, ErrorRef


class SyncCounts(ApiModel):
    servers: int
    with_instance: int
    no_instance_hint: int
    instance_not_found: int
    updated: int
    tags_set: int
    tags_removed: int
    failed: int


class SyncResult(SyncCounts):
    account_id: str
    region: str
    error: ErrorRef | None = None


class TagSyncRun(ApiModel):
    run_id: str | None = None
    source: str | None = None
    started_by: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    status: str = Field(description="RUNNING | COMPLETED | PARTIAL | FAILED | REFUSED | NEVER_RUN")
    accounts: list[str] | None = None
    regions: list[str] | None = None
    totals: SyncCounts | None = None
    results: list[SyncResult] | None = None
    status_url: str | None = Field(default=None, description="async runs: where to poll")
    last_sync: str | None = None
    error: dict[str, Any] | None = None


class TagSyncSettings(ApiModel):
    enabled: bool
    interval_hours: int
    schedule_expression: str
    rule_name: str
    regions: list[str] | None = None
    last_modified: str | None = None
    last_modified_by: str | None = None


class ExportSource(ApiModel):
    account_id: str
    region: str


class ExportStaging(ApiModel):
    account_id: str
    account_name: str | None = None
    role_arn: str


class ExportAccount(ApiModel):
    account_id: str
    account_name: str | None = None
    role_arn: str | None = None
    staging_accounts: list[ExportStaging] = Field(default_factory=list)


class ExportGroup(ApiModel):
    group_name: str
    description: str = ""
    region: str
    account_id: str | None = None
    source_server_ids: list[str] | None = None
    server_selection_tags: dict[str, str] | None = None
    launch_config: LaunchConfig | None = None
    servers: dict[str, ServerLaunchOverride] | None = None


class ExportWave(ApiModel):
    wave_number: int
    wave_name: str
    wave_description: str | None = None
    depends_on_waves: list[int]
    independent: bool | None = None
    pause_before_wave: bool
    on_server_failure: str
    job_timeout_minutes: int | None = None
    wave_timeout_minutes: int | None = None
    protection_group_names: list[str]
    rto_minutes: int | None = None
    rpo_minutes: int | None = None


class ExportPlan(ApiModel):
    plan_name: str
    description: str = ""
    waves: list[ExportWave]
    rto_minutes: int | None = None
    rpo_minutes: int | None = None


class ExportDocument(ApiModel):
    schema_version: str
    exported_at: str
    source: ExportSource
    target_accounts: list[ExportAccount]
    protection_groups: list[ExportGroup]
    recovery_plans: list[ExportPlan]


class ImportCounts(ApiModel):
    created: int
    updated: int
    skipped: int
    failed: int


class ImportSummary(ApiModel):
    target_accounts: ImportCounts
    protection_groups: ImportCounts
    recovery_plans: ImportCounts


class ImportItem(ApiModel):
    type: str
    name: str
    action: str | None = None
    reason: str | None = None
    details: Any = None
    warnings: list[str] | None = None


class ImportWritten(ApiModel):
    target_accounts: dict[str, str]
    protection_groups: dict[str, str]
    recovery_plans: dict[str, str]


class ImportReport(ApiModel):
    success: bool
    dry_run: bool
    mode: str
    schema_version: str
    summary: ImportSummary
    items: list[ImportItem]
    created: list[ImportItem]
    updated: list[ImportItem]
    skipped: list[ImportItem]
    failed: list[ImportItem]
    written: ImportWritten | None = None
