"""Small request bodies of the launch-settings and group routes (the large ones are in
``models.py``, ``data_models.py`` and ``execution_snapshot.py``). Unknown fields are refused."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from drs_orch.domain.input_rules import (
    MAX_EXECUTION_IDS_PER_DELETE,
    MAX_OVERRIDES_PER_GROUP,
    MAX_REGIONS,
    MAX_TAGS,
    Name,
    PlainText,
    max_items,
)
from drs_orch.domain.launch_config import ServerLaunchOverride
from drs_orch.domain.models import AccountId, InputModel, Region, StagingAccount


class ApplyContinuation(InputModel):
    """Names the background apply a run continues: the ``applyId`` and ``settingsHash`` of the
    group's ``launchConfigStatus.background`` when the run was queued."""

    apply_id: str = Field(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")
    settings_hash: str = Field(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")


class ApplyLaunchConfigsInput(InputModel):
    force: bool = Field(default=False, strict=True, description="re-apply every server, changed or not")
    continuation: ApplyContinuation | None = Field(
        default=None, description="a background run of the apply (queued by the apply itself): applies the next "
                                  "servers if the status still names this apply and these settings, else stops")


class StaticIpInput(InputModel):
    static_private_ip: str | None = Field(default=None, max_length=45)
    ip: str | None = Field(default=None, max_length=45, description="alias of staticPrivateIp")
    subnet_id: str | None = Field(default=None, max_length=64, description="default: the server's subnet")


class ServerLaunchInput(ServerLaunchOverride):
    """PUT of one server's override; ``version`` is the group version read (optimistic lock)."""

    version: int | None = Field(default=None, ge=0)


class BulkLaunchInput(InputModel):
    servers: Annotated[dict[str, ServerLaunchOverride | None], max_items(MAX_OVERRIDES_PER_GROUP)] = Field(
        min_length=1, description="serverId -> override, or null to remove the override")
    version: int | None = Field(default=None, ge=0)


class TagPreviewInput(InputModel):
    region: Region | None = None
    account_id: AccountId | None = None
    server_selection_tags: Annotated[dict[str, str] | None, max_items(MAX_TAGS)] = None
    tags: Annotated[dict[str, str] | None, max_items(MAX_TAGS)] = Field(default=None,
                                                                        description="alias of serverSelectionTags")
    protection_group_id: str | None = Field(default=None, max_length=128,
                                            description="preview this group's selection (tags may override)")
    group_id: str | None = Field(default=None, max_length=128, description="alias of protectionGroupId")


class VersionInput(InputModel):
    version: int | None = Field(default=None, ge=0)


class DeleteExecutionsInput(InputModel):
    ids: Annotated[list[str] | None, max_items(MAX_EXECUTION_IDS_PER_DELETE)] = None


class RegionsInput(InputModel):
    """Where to check an account: ``regions``, or one ``region`` (default: its groups' regions)."""

    region: Region | None = None
    regions: Annotated[list[Region] | None, max_items(MAX_REGIONS)] = None


class StagingAccountBody(InputModel):
    """The earlier console wraps the staging account: ``{"stagingAccount": {...}}``; a bare
    staging account (accountId, accountName, roleArn, externalId) is accepted as well."""

    staging_account: Annotated[dict[str, str] | None, max_items(len(StagingAccount.model_fields))] = None
    target_account_id: AccountId | None = Field(default=None, description="if given, must be the path's account")
    added_by: Annotated[str | None, PlainText] = Field(default=None, max_length=256,
                                 description="accepted for the earlier console; the authenticated caller is recorded")
    account_id: AccountId | None = None
    account_name: Name | None = None
    role_arn: str | None = Field(default=None, max_length=2048)
    external_id: str | None = Field(default=None, max_length=1224)


class StagingValidationInput(StagingAccount):
    """POST /staging-accounts/validate: a staging account as it would be added (accountId, roleArn,
    externalId?, accountName?), the region to check, and optionally the target it would join."""

    region: Region
    target_account_id: AccountId | None = Field(default=None, description="report the target's combined "
                                                                          "replication before and after adding it")


class StagingSyncInput(InputModel):
    """POST /accounts/targets/{accountId}/staging-accounts/sync."""

    regions: Annotated[list[Region] | None, max_items(MAX_REGIONS)] = Field(default=None,
                                                                             description="default: DRS_REGIONS")
    dry_run: bool = Field(default=False, strict=True, description="report what would be extended; change nothing")


class MaintenanceInput(InputModel):
    """Housekeeping and the drill sweeper take no options; ``source`` says who started them."""

    source: str | None = Field(default=None, max_length=64)
