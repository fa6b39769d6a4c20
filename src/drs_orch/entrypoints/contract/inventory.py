"""Inventory across the hub and spokes: DRS source servers, quotas and capacity, EC2 lookups."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from drs_orch.entrypoints.contract.accounts import Check
from drs_orch.entrypoints.contract.base import (
    ApiModel,
    CapacityLimits,
    CapacityMetric,
    CapacityUsage,
    ErrorRef,
    RegionStatus,
)
from drs_orch.entrypoints.contract.groups import SourceServer


class SourceServerPage(ApiModel):
    servers: list[SourceServer]
    server_count: int
    total_count: int
    region: str
    account_id: str
    region_status: RegionStatus
    next_token: str | None = None


class RegionCapacity(ApiModel):
    region: str
    region_status: RegionStatus
    status: str | None = None
    current_usage: CapacityUsage | None = None
    limits: CapacityLimits | None = None
    metrics: list[CapacityMetric] | None = None


class ServiceLimits(RegionCapacity):
    account_id: str


class Quotas(ApiModel):
    account_id: str
    status: str
    regions: list[RegionCapacity]
    totals: CapacityUsage


class DrsAccount(ApiModel):
    account_id: str
    account_name: str | None = None
    account_type: str = Field(description="HUB | TARGET | STAGING")
    role_arn: str | None = None
    has_external_id: bool
    is_current_account: bool
    target_account_id: str | None = None


class DrsAccounts(ApiModel):
    accounts: list[DrsAccount]
    count: int
    hub_account_id: str


class AccountCapacity(ApiModel):
    account_id: str
    account_name: str | None = None
    account_type: str
    role_arn: str | None = None
    has_external_id: bool
    status: str | None = None
    regions: list[RegionCapacity]
    totals: CapacityUsage | None = None
    target_account_id: str | None = None
    error: ErrorRef | None = None


class Combined(ApiModel):
    replicating_servers: int
    max_replicating_servers: int
    percent_used: float | None = None
    status: str | None = None


class TargetCapacity(ApiModel):
    target_account_id: str
    staging_account_ids: list[str]
    combined: Combined


class AccountsCapacity(ApiModel):
    regions: list[str]
    accounts: list[AccountCapacity]
    targets: list[TargetCapacity]
    status: str
    unreachable_accounts: list[str]


class OneTargetCapacity(ApiModel):
    """GET /accounts/targets/{accountId}/capacity."""

    target_account_id: str
    staging_account_ids: list[str]
    regions: list[str]
    status: str | None = None
    combined: Combined = Field(description="the target and its staging accounts: 300 replicating servers "
                                           "per account-region that answered")
    recovery_capacity: CapacityMetric | None = Field(default=None, description="the target's recovery instances")
    accounts: list[AccountCapacity]
    warnings: list[str]
    unreachable_accounts: list[str]


class UnreachableAccount(ApiModel):
    account_id: str
    code: str
    message: str


class StagingValidation(ApiModel):
    """POST /staging-accounts/validate."""

    account_id: str
    region: str
    valid: bool
    role_accessible: bool
    drs_initialized: bool
    current_servers: int
    replicating_servers: int
    total_after: int = Field(description="replicating servers after adding it (the target's combined total "
                                         "when targetAccountId is given)")
    checks: list[Check]
    target_account_id: str | None = None
    combined_before: Combined | None = None
    combined_after: Combined | None = None
    unreachable_accounts: list[UnreachableAccount] | None = None


class CurrentAccount(ApiModel):
    account_id: str
    account_name: str | None = None
    region: str
    is_current_account: bool
    registered_targets: int


class Subnet(ApiModel):
    subnet_id: str
    vpc_id: str
    cidr_block: str
    availability_zone: str
    available_ip_address_count: int
    default_for_az: bool
    name: str | None = None


class Ec2Listing(ApiModel):
    count: int
    region: str
    account_id: str
    region_status: RegionStatus


class Subnets(Ec2Listing):
    subnets: list[Subnet]
    vpc_id: str | None = None


class SecurityGroup(ApiModel):
    group_id: str
    group_name: str
    description: str
    vpc_id: str | None = None
    name: str | None = None


class SecurityGroups(Ec2Listing):
    security_groups: list[SecurityGroup]
    vpc_id: str | None = None


class InstanceType(ApiModel):
    instance_type: str
    family: str
    v_cpus: int
    memory_mi_b: int
    architectures: list[str]
    current_generation: bool


class InstanceTypes(Ec2Listing):
    instance_types: list[InstanceType]
    instance_family: str | None = None


class InstanceProfile(ApiModel):
    instance_profile_name: str
    instance_profile_id: str
    arn: str
    path: str
    roles: list[Any]
    create_date: str


class InstanceProfiles(Ec2Listing):
    instance_profiles: list[InstanceProfile]


class TargetAccountCapacity(ApiModel):
    target_account_id: str
    staging_account_ids: list[str]
    regions: list[str]
    status: str
    combined: Combined
    recovery_capacity: CapacityMetric
    accounts: list[AccountCapacity]
    warnings: list[Any]
    unreachable_accounts: list[str]
