"""Query parameters of the routes that take any. They are checked before the handler runs (a bad
value is a 400 naming the parameter); parameters a route does not declare are ignored, as API
Gateway ignores undeclared ones."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from drs_orch.domain.data_rules import DRS_REGIONS, MAX_PAGE_SIZE
from drs_orch.domain.inventory import MAX_PAGE_SIZE as MAX_INVENTORY_PAGE
from drs_orch.domain.models import ACCOUNT_ID_PATTERN, Region

REGIONS_PATTERN = r"^[a-z0-9-]+(,[a-z0-9-]+)*$"


class Query(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore",
                              str_strip_whitespace=True)


class Paged(Query):
    limit: int | None = Field(default=None, ge=1, le=MAX_PAGE_SIZE, description="page size (default 50)")
    next_token: str | None = Field(default=None, max_length=4096, description="from the previous page")


class GroupListQuery(Paged):
    name: str | None = Field(default=None, max_length=64, description="name prefix, case-insensitive")
    account_id: str | None = Field(default=None, pattern=ACCOUNT_ID_PATTERN)
    region: Region | None = Field(default=None, description="a DRS region")


class PlanListQuery(Paged):
    name: str | None = Field(default=None, max_length=64, description="name prefix, case-insensitive")


class ExecutionListQuery(Paged):
    plan_id: str | None = Field(default=None, max_length=128)
    status: str | None = Field(default=None, pattern=r"^[A-Z_]+$")


class AccountRegionQuery(Query):
    account_id: str | None = Field(default=None, pattern=ACCOUNT_ID_PATTERN, description="default: the hub")
    region: Region | None = Field(default=None, description="a DRS region; default: the hub's region")


class RegionListQuery(Query):
    regions: str | None = Field(default=None, pattern=REGIONS_PATTERN, description="comma-separated DRS regions")

    @field_validator("regions")
    @classmethod
    def _drs_regions(cls, value: str | None) -> str | None:
        for region in (value or "").split(","):
            if region and region not in DRS_REGIONS:
                raise ValueError(f"{region!r} is not a region where AWS Elastic Disaster Recovery is available")
        return value


class RegionsQuery(RegionListQuery):
    account_id: str | None = Field(default=None, pattern=ACCOUNT_ID_PATTERN)
    region: Region | None = Field(default=None, description="a DRS region")


class SourceServerQuery(AccountRegionQuery, Paged):
    limit: int | None = Field(default=None, ge=1, le=MAX_INVENTORY_PAGE, description="page size (default 100)")
    tags: str | None = Field(default=None, max_length=4096, description='JSON object or Key=Value,Key2=Value2')
    replication_state: str | None = Field(default=None, max_length=512, description="comma-separated states")
    source_server_ids: str | None = Field(default=None, max_length=8192, description="comma-separated ids")
    current_protection_group_id: str | None = Field(default=None, max_length=128,
                                                    description="servers of this group stay selectable")


class VpcQuery(AccountRegionQuery):
    vpc_id: str | None = Field(default=None, pattern=r"^vpc-[0-9a-f]{8,17}$")


class InstanceTypeQuery(AccountRegionQuery):
    instance_family: str | None = Field(default=None, pattern=r"^[a-z0-9-]{1,16}$")


class JobLogQuery(Query):
    job_id: str | None = Field(default=None, pattern=r"^drsjob-[0-9a-zA-Z]{17}$")


class DeleteExecutionsQuery(Query):
    ids: str | None = Field(default=None, max_length=20000, description="comma-separated execution ids")


class LaunchStatusQuery(Query):
    check_drift: bool | None = Field(default=None, description="also compare with DRS and EC2 now")


class TagSyncStatusQuery(Query):
    run_id: str | None = Field(default=None, pattern=r"^[0-9a-f-]{36}$")


class RegionQuery(Query):
    region: Region | None = Field(default=None, description="a DRS region")


class VersionQuery(Query):
    version: int | None = Field(default=None, ge=0)


class ServerPageQuery(Query):
    wave: int | None = Field(default=None, ge=0)
    status: str | None = Field(default=None, pattern=r"^[A-Za-z]+$", description="PENDING, LAUNCHING, LAUNCHED, ...")
    limit: int | None = Field(default=None, ge=1, le=1000, description="page size (default 100)")
    next_token: str | None = Field(default=None, max_length=4096)
