"""Contract of the instance-pair, failover and failback routes (issue 14)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from drs_orch.entrypoints.contract.base import ApiModel
from drs_orch.entrypoints.contract.queries import Query


class PairMatch(ApiModel):
    source_server_id: str
    hostname: str | None = None
    target_instance_id: str
    target_name: str | None = None
    matched_by: str = Field(description="NAME_TAG, HOSTNAME or SHORT_HOSTNAME")
    source_private_ip: str | None = None
    target_private_ip: str | None = None
    private_ip_matches: bool
    target_state: str
    has_launch_into_tag: bool


class PairUnmatched(ApiModel):
    source_server_id: str
    hostname: str | None = None
    reason: str


class PairAmbiguous(ApiModel):
    source_server_id: str
    hostname: str | None = None
    matched_by: str
    candidates: list[str]
    reason: str | None = None


class MatchResult(ApiModel):
    account_id: str
    region: str
    group_id: str | None = None
    matches: list[PairMatch]
    unmatched: list[PairUnmatched]
    ambiguous: list[PairAmbiguous]
    server_count: int
    instance_count: int
    elapsed_ms: float


class Pair(ApiModel):
    pair_id: str
    group_id: str
    source_server_id: str
    target_instance_id: str
    account_id: str
    region: str
    preserve_private_ip: bool
    copy_tags: bool
    source_hostname: str | None = None
    source_private_ip: str | None = None
    target_private_ip: str | None = Field(default=None, description="the target's private IP when paired")
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str
    cycle_state: str = Field(description="PAIRED, CONFIGURED, FAILED_OVER, FAILOVER_FAILED, REVERSE_REPLICATING, "
                                         "READY_FOR_FAILBACK, FAILED_BACK")
    configured_at: str | None = None
    reversed_source_server_arn: str | None = None
    recovery_instance_id: str | None = None
    last_failover_execution_id: str | None = None
    staging_account_id: str | None = None
    reverse_started_at: str | None = None
    reverse_started_by: str | None = None
    last_failback_execution_id: str | None = None
    protection_source_server_arn: str | None = Field(default=None, description="after failback: the replication "
                                                                               "that protects the instance again")
    failed_back_at: str | None = None
    failed_back_by: str | None = None
    agent_step_since: str | None = None


class PairList(ApiModel):
    group_id: str
    account_id: str
    region: str
    pairs: list[Pair]
    count: int
    written: int | None = None
    removed: int | None = None


class PairDeleted(ApiModel):
    group_id: str
    pair_id: str
    deleted: bool


class PairProblem(ApiModel):
    code: str
    message: str
    remediation: str


class PairValidation(ApiModel):
    pair_id: str
    source_server_id: str
    target_instance_id: str
    valid: bool
    source_private_ip: str | None = None
    target_private_ip: str | None = None
    target_state: str | None = None
    problems: list[PairProblem]


class PairsValidation(ApiModel):
    group_id: str
    valid: bool
    pair_count: int
    invalid_count: int
    results: list[PairValidation]


class ConfigureResult(ApiModel):
    group_id: str
    dry_run: bool
    servers: dict[str, dict[str, Any]] = Field(description="the launch-settings override written per paired server")
    configured: int
    launch_config_status: dict[str, Any] | None = None


class ReverseServer(ApiModel):
    source_server_id: str
    recovery_instance_id: str | None = None
    status: str = Field(description="STARTED, SKIPPED, AGENT_REQUIRED (Failback Client needed), REFUSED")
    reversed_source_server_arn: str | None = None
    reason: str | None = None
    remediation: str | None = None


class ReverseResult(ApiModel):
    execution_id: str
    started: int
    servers: list[ReverseServer]


class Replication(ApiModel):
    state: str | None = None
    lag_seconds: float | None = None
    account_id: str
    region: str
    ready: bool


class AgentStep(ApiModel):
    status: str = Field(description="AGENT_REQUIRED, AGENT_REPLICATING, AGENT_READY, AGENT_DONE, AGENT_ERROR")
    failback_state: str | None = Field(default=None, description="the recovery instance's DRS failback state")
    since: str


class CycleServer(ApiModel):
    source_server_id: str
    cycle_state: str
    pair_id: str | None = None
    target_instance_id: str | None = None
    server_status: str | None = None
    recovery_instance_id: str | None = None
    ec2_instance_id: str | None = None
    source_private_ip: str | None = None
    target_private_ip: str | None = None
    recovery_private_ip: str | None = None
    identity_verified: bool | None = None
    failure_code: str | None = None
    failure_reason: str | None = None
    staging_account_id: str | None = None
    reversed_source_server_arn: str | None = None
    reverse_replication: Replication | None = None
    agent_step: AgentStep | None = Field(default=None, description="origins outside EC2: the DRS Failback Client")


class CycleStatus(ApiModel):
    execution_id: str
    execution_type: str | None = None
    status: str | None = None
    is_drill: bool
    lag_threshold_seconds: int
    cycle_counts: dict[str, int]
    ready_for_failback: bool
    servers: list[CycleServer]


class CycleStatusQuery(Query):
    lag_threshold_seconds: int | None = Field(default=None, ge=0, le=86400,
                                              description="reverse replication is ready within this lag (60)")
