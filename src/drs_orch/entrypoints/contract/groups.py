"""Protection groups and their launch settings."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from drs_orch.domain.launch_config import LaunchConfig, ServerLaunchOverride
from drs_orch.entrypoints.contract.base import ApiModel, Deleted, ErrorRef


class ServerConfigState(ApiModel):
    status: str = Field(description="not_configured | pending | applying | ready | partial | failed")
    config_hash: str | None = None
    last_applied: str | None = None
    errors: list[str] = Field(default_factory=list)
    launch_template_id: str | None = None


class BackgroundApply(ApiModel):
    """The apply continues in background runs (the group is ``applying`` meanwhile)."""

    apply_id: str
    settings_hash: str = Field(description="the settings being applied; a run stops when they changed")
    runs: int = Field(description="background runs done so far")
    queued_at: str
    lease_until: str | None = Field(default=None, description="while a run applies: when it ends at the latest")
    ready_servers: int
    pending_servers: int
    failed_servers: int
    waiting_for: str = Field(description="what the apply waits for, in words")


class LaunchStatus(ApiModel):
    """``launchConfigStatus`` of a group: the last apply and each server's state."""

    status: str
    last_applied: str | None = None
    applied_by: str | None = None
    server_configs: dict[str, ServerConfigState] = Field(default_factory=dict)
    errors: list[str] = Field(default_factory=list)
    revision: int | None = None
    apply_id: str | None = None
    apply_started_at: str | None = None
    background: BackgroundApply | None = Field(
        default=None, description="present while the apply continues in the background")


class ApplyResult(LaunchStatus):
    """The outcome of an apply (POST apply-launch-configs, or after a save)."""

    group_id: str | None = None
    applied_servers: int | None = None
    failed_servers: int | None = None
    pending_servers: int | None = None
    skipped_servers: int | None = None
    applied: list[str] | None = None
    failed: list[str] | None = None
    pending: list[str] | None = None
    skipped: list[str] | None = None
    calls: dict[str, int] | None = Field(default=None, description="AWS calls made, by service:operation")
    duration_ms: int | None = None
    persisted: bool | None = None
    stopped: str | None = Field(default=None, description="a background run that stopped: SUPERSEDED (a newer "
                                                          "save or apply took over) | SETTINGS_CHANGED | REQUEUED "
                                                          "(queued again behind a run still applying)")


class PlanRef(ApiModel):
    plan_id: str
    plan_name: str | None = None


class Group(ApiModel):
    group_id: str
    group_name: str
    description: str = ""
    region: str
    account_id: str
    source_server_ids: list[str] = Field(description="explicit members, or the tag selection resolved at save")
    server_selection_tags: dict[str, str] | None = None
    resolved_at: str | None = None
    launch_config: LaunchConfig | None = None
    servers: dict[str, ServerLaunchOverride] | None = Field(default=None, description="per-server overrides")
    launch_config_status: ApplyResult | None = None
    launch_config_error: dict[str, Any] | None = Field(default=None, description="the apply after a save failed")
    version: int
    created_date: str
    created_by: str | None = None
    last_modified_date: str
    last_modified_by: str | None = None
    selection_mode: str = Field(description="EXPLICIT | TAGS")
    server_count: int
    recovery_plans: list[PlanRef] | None = Field(default=None, description="GET only: the plans using it")


class GroupChanges(ApiModel):
    added: list[str]
    removed: list[str]


class RefreshedGroup(Group):
    changes: GroupChanges


class GroupList(ApiModel):
    groups: list[Group]
    count: int
    next_token: str | None = None


class GroupDeleted(Deleted):
    group_id: str
    group_name: str


class Hardware(ApiModel):
    total_cores: int | None = None
    cpu_model: str | None = None
    ram_gi_b: int | None = None
    total_disk_gi_b: int | None = None
    disks: list[dict[str, Any]] | None = None


class LastLaunch(ApiModel):
    job_id: str | None = None
    type: str | None = None
    initiated_at: str | None = None
    status: str | None = None


class Owner(ApiModel):
    group_id: str
    group_name: str | None = None


class SourceServer(ApiModel):
    """A DRS source server as listings show it."""

    source_server_id: str = Field(alias="sourceServerID")
    arn: str
    hostname: str | None = None
    fqdn: str | None = None
    name_tag: str | None = None
    source_instance_id: str | None = None
    source_ip: str | None = None
    os: str | None = None
    replication_state: str | None = None
    lifecycle_state: str | None = None
    lag_duration: str | None = None
    replication_error: str | None = None
    last_launch_result: str | None = None
    last_launch: LastLaunch | None = None
    recovery_instance_id: str | None = None
    recommended_instance_type: str | None = None
    hardware: Hardware | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    staging_account_id: str | None = None
    replication_direction: str | None = None
    protection_group: Owner | None = None
    selectable: bool


class ResolvePreview(ApiModel):
    region: str
    account_id: str
    server_selection_tags: dict[str, str]
    source_server_ids: list[str]
    resolved_servers: list[str]
    servers: list[SourceServer]
    server_count: int
    resolved_at: str


class ServerLaunchView(ApiModel):
    group_id: str
    server_id: str
    version: int
    override: ServerLaunchOverride | None = None
    use_group_defaults: bool
    effective_config: dict[str, Any] = Field(description="group defaults merged with the override")
    config_hash: str
    managed: bool
    status: ServerConfigState
    up_to_date: bool


class BulkLaunchResult(ApiModel):
    group_id: str
    version: int
    servers: dict[str, ServerLaunchView]
    launch_config_status: LaunchStatus


class StaticIpCheck(ApiModel):
    group_id: str
    server_id: str
    ip: str
    subnet_id: str | None = None
    cidr: str | None = None
    valid: bool
    problems: list[str]


class LaunchStatusView(LaunchStatus):
    group_id: str
    outdated_servers: dict[str, str] = Field(default_factory=dict)
    drifted_servers: dict[str, list[str]] | None = None
    drift_check_calls: dict[str, int] | None = None
    drift_check_error: ErrorRef | None = None
