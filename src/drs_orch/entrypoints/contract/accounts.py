"""Target and staging accounts (external ids are never returned: ``hasExternalId`` says if one is set)."""

from __future__ import annotations

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
