"""Target and staging accounts (external ids are never returned: ``hasExternalId`` says if one is set)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from drs_orch.entrypoints.contract.base import ApiModel


class StagingAccountView(ApiModel):
    account_id: str
    account_name: str | None = None
    role_arn: str | None = None
    has_external_id: bool


class TargetAccountView(ApiModel):
    account_id: str
    account_name: str | None = None
    role_arn: str | None = Field(default=None, description="absent for the hub (its own credentials)")
    staging_accounts: list[StagingAccountView]
    version: int
    created_at: str | None = None
    created_by: str | None = None
    created_date: str | None = None
    last_modified_at: str | None = None
    last_modified_by: str | None = None
    last_modified_date: str | None = None
    last_validated: str | None = None
    last_validation_status: str | None = None
    has_external_id: bool
    is_hub: bool


class TargetAccountList(ApiModel):
    accounts: list[TargetAccountView]
    count: int


class AccountDeleted(ApiModel):
    account_id: str
    deleted: bool
    deleted_by: str


class Check(ApiModel):
    check: str
    status: str = Field(description="PASS | FAIL | WARN")
    message: str


class AccountValidation(ApiModel):
    account_id: str
    valid: bool
    status: str
    checked_at: str
    regions: dict[str, list[Check]] = Field(description="region -> the checks made there")


class CombinedReplication(ApiModel):
    replicating_servers: int
    max_replicating_servers: int
    percent_used: float | None = None
    status: str | None = None


class StagingValidation(ApiModel):
    account_id: str
    region: str
    role_accessible: bool
    drs_initialized: bool
    checks: list[Check]
    current_servers: int
    replicating_servers: int
    total_after: int
    target_account_id: str | None = None
    combined_before: CombinedReplication | None = None
    combined_after: CombinedReplication | None = None
    unreachable_accounts: list[str] | None = None
    valid: bool
    error: dict[str, Any] | None = None


class ServerRef(ApiModel):
    arn: str | None = None
    hostname: str | None = None
    source_server_id: str | None = None
    replication_state: str | None = None


class Extension(ApiModel):
    status: str
    message: str


class StagingRegion(ApiModel):
    region: str
    extensible: list[ServerRef] = Field(default_factory=list)
    extended: list[ServerRef] = Field(default_factory=list)
    failed: list[dict[str, Any]] = Field(default_factory=list)
    region_status: dict[str, Any]
    source_servers: list[ServerRef] = Field(default_factory=list)
    source_server_count: int | None = None
    replicating_servers: int | None = None
    extended_into_target: list[str] = Field(default_factory=list, description="ARNs of the source servers extended into the target")
    extension: Extension | None = None


class StagingSync(ApiModel):
    account_id: str
    account_name: str | None = None
    account_type: str | None = None
    role_arn: str | None = None
    has_external_id: bool | None = None
    target_account_id: str | None = None
    reachable: bool
    valid: bool
    checks: list[Check]
    regions: list[StagingRegion]


class TargetRegion(ApiModel):
    region: str
    region_status: dict[str, Any]
    staging_account_ids: list[str]


class SyncSummary(ApiModel):
    staging_accounts: int
    reachable: int
    extended: int
    failed: int
    would_extend: int


class StagingSyncReport(ApiModel):
    target_account_id: str
    regions: list[str]
    dry_run: bool
    target_regions: list[TargetRegion]
    staging_accounts: list[StagingSync]
    summary: SyncSummary
