"""In-memory emulator state, one :class:`RegionState` per (account, region).

Times are emulated epoch seconds (see :mod:`drs_emulator.clock`). Nothing here is thread-safe on its
own: the :class:`~drs_emulator.emulator.Emulator` holds one lock around every read and write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import ids
from .resources import NativePlan, PlanExecution, ReplicationConfigurationTemplate, SourceNetwork

# Replication states from which a point-in-time snapshot can be taken and a launch succeed.
LAUNCHABLE_STATES = frozenset({"CONTINUOUS", "BACKLOG", "CREATING_SNAPSHOT", "RESCAN"})
# States that do not count against the "replicating source servers" quota.
NOT_REPLICATING_STATES = frozenset({"STOPPED", "DISCONNECTED"})
ACTIVE_JOB_STATUSES = frozenset({"PENDING", "STARTED"})
TERMINAL_LAUNCH_STATUSES = frozenset({"LAUNCHED", "FAILED", "TERMINATED"})


@dataclass
class Quotas:
    """DRS service quotas per account-region; the defaults are the documented AWS defaults
    (AWS General Reference, "AWS Elastic Disaster Recovery endpoints and quotas"):

    * ``max_servers_per_job`` 100: source servers in one job;
    * ``max_active_jobs`` 20: concurrent jobs in progress;
    * ``max_servers_in_active_jobs`` 500: source servers in all jobs in progress;
    * ``max_replicating_servers`` 300: replicating source servers;
    * ``max_source_servers`` 4,000: source servers in total (replicating or not). This is the
      documented 4,000; DRS documents no quota on recovery instances.

    Accounts get increases, so a fleet file may override any of them globally (top-level
    ``quotas``) or per account-region (``quotas`` on an account or region entry).
    """

    max_servers_per_job: int = 100
    max_active_jobs: int = 20
    max_servers_in_active_jobs: int = 500
    max_replicating_servers: int = 300
    max_source_servers: int = 4000
    max_source_networks: int = 50
    max_recovery_plans: int = 100
    max_launch_actions_per_resource: int = 200

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


DEFAULT_QUOTA_CODES = {
    "max_servers_per_job": "MaxServersPerJob",
    "max_active_jobs": "MaxActiveJobs",
    "max_servers_in_active_jobs": "MaxServersInActiveJobs",
    "max_replicating_servers": "MaxReplicatingServers",
    "max_source_servers": "MaxSourceServers",
}
BUSY_ERRORS = ("ConflictException", "ValidationException")


@dataclass
class Conventions:
    """Answers the DRS documentation leaves open, configurable (fleet file ``conventions``):

    * ``busy_error``: the error for a server or recovery instance already in an active job
      (ConflictException by default; ValidationException is the other candidate);
    * ``quota_codes``: the ``quotaCode`` of each ServiceQuotaExceededException, by quota (the
      documentation names none; the defaults are descriptive names, a fleet may use Service Quotas
      codes such as ``L-D88FAC3A``).
    """

    busy_error: str = "ConflictException"
    quota_codes: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_QUOTA_CODES))


@dataclass
class Timings:
    """Emulated durations in seconds."""

    job_pending_seconds: float = 10.0
    default_launch_seconds: float = 300.0
    terminate_seconds: float = 60.0
    initiating_seconds: float = 60.0
    initial_sync_seconds: float = 600.0
    reverse_sync_seconds: float = 600.0
    network_replication_seconds: float = 300.0
    plan_step_timeout_seconds: float = 4 * 3600.0

    def to_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


@dataclass
class LaunchBehaviour:
    """How launches of one server go: duration and planned outcome (``LAUNCHED`` or ``FAILED``)."""

    duration_seconds: float | None = None
    outcome: str = "LAUNCHED"
    reason: str | None = None
    phase: str = "LAUNCH"  # where a planned failure happens: LAUNCH or CONVERSION


@dataclass
class SourceServer:
    server_id: str
    account: str
    region: str
    hostname: str
    tags: dict[str, str] = field(default_factory=dict)
    os_name: str = "Linux"
    cpus: list[dict[str, Any]] = field(default_factory=list)
    ram_bytes: int = 0
    disks: list[dict[str, Any]] = field(default_factory=list)
    recommended_instance_type: str = "t3.medium"
    architecture: str = "x86_64"
    private_ip: str | None = None
    mac_address: str | None = None
    vmware_uuid: str | None = None
    aws_instance_id: str | None = None
    source_cloud: dict[str, str] | None = None
    replication_state: str = "CONTINUOUS"
    lag_seconds: float = 0.0
    replication_error: dict[str, str] | None = None
    state_since: float = 0.0
    transitions: list[tuple[float, str]] = field(default_factory=list)
    # replication history: windows [start, end) of healthy replication (see snapshots.py)
    pit_windows: list[tuple[float, float | None]] = field(default_factory=list)
    pit_policy: list[dict[str, Any]] = field(default_factory=list)
    added_at: float = 0.0
    first_byte_at: float | None = None
    launch: LaunchBehaviour = field(default_factory=LaunchBehaviour)
    launch_config: dict[str, Any] = field(default_factory=dict)
    ec2_launch_template_id: str | None = None
    recovery_instance_id: str | None = None
    last_launch: dict[str, Any] | None = None
    last_launch_result: str = "NOT_STARTED"
    replication_direction: str = "FAILOVER"
    reversed_direction_arn: str | None = None
    staging: dict[str, str] | None = None
    agent_version: str = "4.7.1"

    @property
    def arn(self) -> str:
        return ids.arn("source-server", self.account, self.region, self.server_id)


@dataclass
class JobEvent:
    at: float
    kind: str


@dataclass
class Participant:
    server_id: str
    launch_status: str = "PENDING"
    recovery_instance_id: str | None = None
    events: list[JobEvent] = field(default_factory=list)
    next_event: int = 0
    planned_failure: str | None = None
    planned_failure_phase: str = "LAUNCH"
    data_source: str | None = None
    snapshot_id: str | None = None
    point_in_time: float | None = None
    finished_at: float | None = None

    @property
    def finished(self) -> bool:
        return self.launch_status in TERMINAL_LAUNCH_STATUSES


@dataclass
class Job:
    job_id: str
    account: str
    region: str
    job_type: str
    initiated_by: str
    created_at: float
    start_at: float
    status: str = "PENDING"
    is_drill: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    participants: list[Participant] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)
    ended_at: float | None = None
    resources: list[str] = field(default_factory=list)  # source network ids (network recovery jobs)

    @property
    def arn(self) -> str:
        return ids.arn("job", self.account, self.region, self.job_id)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_JOB_STATUSES


@dataclass
class RecoveryInstance:
    instance_id: str
    account: str
    region: str
    source_server_id: str
    job_id: str
    is_drill: bool
    point_in_time: float | None
    created_at: float
    tags: dict[str, str] = field(default_factory=dict)
    origin_environment: str = "ON_PREMISES"
    origin_az: str | None = None
    launched_into_existing: bool = False
    disconnected: bool = False
    failback_state: str = "FAILBACK_NOT_STARTED"
    failback_replication_state: str = "NOT_STARTED"
    failback_transitions: list[tuple[float, str]] = field(default_factory=list)
    failback_job_id: str | None = None
    failback_initiated_at: float | None = None
    failback_launch_type: str | None = None
    failback_config: dict[str, Any] = field(default_factory=dict)
    reversed_server_arn: str | None = None
    hostname: str | None = None
    source_snapshot: dict[str, Any] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return ids.arn("recovery-instance", self.account, self.region, self.instance_id)


@dataclass
class LaunchConfigurationTemplate:
    template_id: str
    account: str
    region: str
    settings: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return ids.arn("launch-configuration-template", self.account, self.region, self.template_id)


@dataclass
class RegionState:
    account: str
    region: str
    initialized: bool = False
    servers: dict[str, SourceServer] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    recovery_instances: dict[str, RecoveryInstance] = field(default_factory=dict)
    templates: dict[str, LaunchConfigurationTemplate] = field(default_factory=dict)
    staging_accounts: list[str] = field(default_factory=list)
    # quota increases of this account-region (fleet file), over the emulator's quotas
    quota_overrides: dict[str, int] = field(default_factory=dict)

    def quotas(self, defaults: Quotas) -> Quotas:
        """The quotas in force here: ``defaults`` with this account-region's overrides."""
        if not self.quota_overrides:
            return defaults
        return Quotas(**{**defaults.to_dict(), **self.quota_overrides})
    replication_templates: dict[str, ReplicationConfigurationTemplate] = field(default_factory=dict)
    replication_configs: dict[str, dict[str, Any]] = field(default_factory=dict)  # server id -> settings
    source_networks: dict[str, SourceNetwork] = field(default_factory=dict)
    launch_actions: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=dict
    )  # resource -> id -> action
    recovery_plans: dict[str, NativePlan] = field(default_factory=dict)
    plan_executions: dict[str, PlanExecution] = field(default_factory=dict)
    serials: dict[str, int] = field(default_factory=dict)

    def next_serial(self, kind: str) -> int:
        """A per-kind counter that never repeats, so ids stay unique after deletions."""
        self.serials[kind] = self.serials.get(kind, 0) + 1
        return self.serials[kind]

    def active_jobs(self) -> list[Job]:
        return [j for j in self.jobs.values() if j.active]

    def busy_server_ids(self) -> set[str]:
        return {p.server_id for j in self.jobs.values() if j.active for p in j.participants}

    def busy_instance_ids(self) -> set[str]:
        return {
            p.recovery_instance_id
            for j in self.jobs.values()
            if j.active
            for p in j.participants
            if p.recovery_instance_id
        }

    def replicating_count(self) -> int:
        return sum(1 for s in self.servers.values() if s.replication_state not in NOT_REPLICATING_STATES)


class Store:
    """All account-regions."""

    def __init__(self) -> None:
        self.regions: dict[tuple[str, str], RegionState] = {}

    def get(self, account: str, region: str) -> RegionState:
        key = (account, region)
        state = self.regions.get(key)
        if state is None:
            state = self.regions[key] = RegionState(account, region)
        return state

    def find_server(self, server_id: str) -> SourceServer | None:
        for state in self.regions.values():
            if server_id in state.servers:
                return state.servers[server_id]
        return None

    def find_recovery_instance(self, instance_id: str) -> RecoveryInstance | None:
        for state in self.regions.values():
            if instance_id in state.recovery_instances:
                return state.recovery_instances[instance_id]
        return None
