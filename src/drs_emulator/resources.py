"""State records of the DRS resources beyond servers, jobs and recovery instances: replication
configuration templates, source networks, launch actions and native Recovery Plans with their
executions. Held per account-region on :class:`~drs_emulator.state.RegionState`; times are emulated
epoch seconds.

ARNs (the model's ``StrictDRSARN``): ``arn:aws:drs:<region>:<account>:<kind>/<id>`` with kinds
``replication-configuration-template`` (``rct-``), ``source-network`` (``sn-``), ``recovery-plan``
(``rp-``), ``recovery-plan-step`` (``rps-``), ``recovery-plan-execution`` (``rpe-``) and
``recovery-plan-execution-step`` (``rpes-``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import ids

TERMINAL_EXECUTION_STATUSES = frozenset({"COMPLETED", "FAILED", "CANCELLED"})


@dataclass
class ReplicationConfigurationTemplate:
    template_id: str
    account: str
    region: str
    settings: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return ids.arn("replication-configuration-template", self.account, self.region, self.template_id)


@dataclass
class SourceNetwork:
    network_id: str
    account: str
    region: str
    vpc_id: str
    origin_account: str
    origin_region: str
    tags: dict[str, str] = field(default_factory=dict)
    # replication: STOPPED, or IN_PROGRESS from ``replication_started_at`` until ``protected_at``
    replication_started_at: float | None = None
    protected_at: float | None = None
    template: dict[str, Any] | None = None  # the CloudFormation template captured by replication
    cfn_stack_name: str | None = None
    launched_vpc_id: str | None = None
    stacks: dict[str, str] = field(default_factory=dict)  # deployed stack name -> VPC id
    last_recovery: dict[str, Any] | None = None

    @property
    def arn(self) -> str:
        return ids.arn("source-network", self.account, self.region, self.network_id)

    def replication_status(self, now: float) -> str:
        if self.replication_started_at is None:
            return "STOPPED"
        if self.protected_at is not None and now >= self.protected_at:
            return "PROTECTED"
        return "IN_PROGRESS"


@dataclass
class PlanStep:
    step_id: str
    plan_id: str
    account: str
    region: str
    name: str
    configuration: dict[str, Any]
    created_at: float
    updated_at: float

    @property
    def arn(self) -> str:
        return ids.arn("recovery-plan-step", self.account, self.region, self.step_id)

    @property
    def is_wait(self) -> bool:
        return "waitStepConfiguration" in self.configuration


@dataclass
class NativePlan:
    plan_id: str
    account: str
    region: str
    name: str
    description: str | None
    created_at: float
    updated_at: float
    tags: dict[str, str] = field(default_factory=dict)
    steps: list[PlanStep] = field(default_factory=list)
    client_token: str | None = None

    @property
    def arn(self) -> str:
        return ids.arn("recovery-plan", self.account, self.region, self.plan_id)


@dataclass
class ExecutionStep:
    step_id: str
    execution_id: str
    account: str
    region: str
    index: int
    name: str
    wait_minutes: int | None
    servers: list[dict[str, Any]]  # {serverArn, impactLevel, jobID?}
    created_at: float
    updated_at: float
    status: str = "NOT_STARTED"
    attempt: int = 1
    started_at: float | None = None
    job_id: str | None = None
    error: dict[str, str] | None = None

    @property
    def arn(self) -> str:
        return ids.arn("recovery-plan-execution-step", self.account, self.region, self.step_id)


@dataclass
class PlanExecution:
    execution_id: str
    plan_id: str
    plan_arn: str
    account: str
    region: str
    mode: str
    started_at: float
    steps: list[ExecutionStep]
    snapshots: dict[str, str] = field(default_factory=dict)  # server id -> recoverySnapshotID
    tags: dict[str, str] = field(default_factory=dict)
    status: str = "CREATED"
    completed_at: float | None = None
    error: dict[str, str] | None = None
    client_token: str | None = None
    cursor: float = 0.0  # when the next step starts (the end of the last one)

    @property
    def arn(self) -> str:
        return ids.arn("recovery-plan-execution", self.account, self.region, self.execution_id)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_EXECUTION_STATUSES
