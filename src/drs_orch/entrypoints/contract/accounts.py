"""Target and staging accounts (external ids are never returned: ``hasExternalId`` says if one is set)."""

from __future__ import annotations

from pydantic import Field

from drs_orch.entrypoints.contract.base import ApiModel, RegionStatus


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


class StagingServer(ApiModel):
    source_server_id: str | None = None
    hostname: str | None = None
    arn: str | None = None
    replication_state: str | None = None


class ExtensibleServer(ApiModel):
    arn: str
    hostname: str | None = None


class ExtendedServer(ApiModel):
    arn: str
    hostname: str | None = None
    source_server_id: str | None = Field(default=None, description="the new source server in the target")


class ExtendFailure(ApiModel):
    arn: str
    code: str
    message: str


class Extension(ApiModel):
    status: str = Field(description="OK | FAILED | DRY_RUN | NOT_A_STAGING_ACCOUNT | TARGET_UNAVAILABLE | ERROR")
    message: str | None = None
    code: str | None = None


class StagingRegionSync(ApiModel):
    region: str
    region_status: RegionStatus = Field(description="whether the staging account answered in this region")
    source_servers: list[StagingServer] = Field(description="what the staging account holds now")
    source_server_count: int
    replicating_servers: int
    extended_into_target: list[str] = Field(description="ARNs of its servers already extended into the target")
    extensible: list[ExtensibleServer] = Field(description="not extended yet (after a sync: none left)")
    extended: list[ExtendedServer]
    failed: list[ExtendFailure]
    extension: Extension | None = None


class StagingSyncReport(ApiModel):
    account_id: str
    account_name: str | None = None
    account_type: str
    role_arn: str | None = None
    has_external_id: bool
    target_account_id: str | None = None
    reachable: bool
    valid: bool
    checks: list[Check]
    regions: list[StagingRegionSync]


class TargetRegion(ApiModel):
    region: str
    region_status: RegionStatus
    staging_account_ids: list[str] = Field(description="the staging accounts DRS in the target accepts")


class SyncSummary(ApiModel):
    staging_accounts: int
    reachable: int
    extended: int
    failed: int
    would_extend: int


class StagingSync(ApiModel):
    """POST /accounts/targets/{accountId}/staging-accounts/sync."""

    target_account_id: str
    regions: list[str]
    dry_run: bool
    target_regions: list[TargetRegion]
    staging_accounts: list[StagingSyncReport]
    summary: SyncSummary
