"""What an execution launches, fixed when it starts (seed 004: no tag query at run time).

Each wave's servers are the resolved ``sourceServerIds`` of its protection groups, in group order,
in the groups' account and region (the hub's account when a group names none). They are split per
scope (``"<accountId>#<region>"``) into jobs of at most 100 servers, keyed ``"<wave:04d>#<n:03d>"``
so that keys sort in launch order. A server may be in one wave only; a wave without servers is
SKIPPED from the start. The plan's waves must form a valid dependency graph.

Also here: the guard key that locks a server while an execution uses it, the request body of a
start, the tags that name a DRS job after its execution, wave and job, and the 409 body of a
refused start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import Field, model_validator

from drs_orch.domain.errors import Conflict, ValidationFailed
from drs_orch.domain.field_errors import FieldProblem
from drs_orch.domain.input_rules import PlainText
from drs_orch.domain.limits import MAX_SERVERS_PER_JOB, chunk_servers
from drs_orch.domain.models import InputModel
from drs_orch.domain.plan_graph import OnServerFailure, Wave, topological_levels
from drs_orch.domain.point_in_time import DEFAULT_TOLERANCE_SECONDS, MAX_TOLERANCE_SECONDS
from drs_orch.domain.statuses import WaveStatus

DEFAULT_POLL_SECONDS = 30
MIN_POLL_SECONDS = 5
MAX_POLL_SECONDS = 3600

TAG_EXECUTION = "drs-orch:execution-id"
TAG_WAVE = "drs-orch:wave"
TAG_JOB = "drs-orch:job"
TAG_PLAN = "drs-orch:plan-id"


PAIRED_EXECUTION_TYPES = frozenset({"FAILOVER", "FAILBACK"})  # launch into instance pairs (issue 14)

SNS_TOPIC_ARN_PATTERN = r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$"


class StartExecutionInput(InputModel):
    """Start (or, with ``dryRun``, predict) a run. The type is ``executionType`` or the seeds'
    ``isDrill`` (true: DRILL, false: RECOVERY); one of them is required and, when both are given,
    they must agree: a recovery is never started because a field was missing or contradicted."""

    plan_id: str = Field(min_length=1, max_length=128)
    execution_type: str | None = Field(default=None, pattern=r"^(DRILL|RECOVERY|FAILOVER|FAILBACK)$")
    is_drill: bool | None = None
    initiated_by: Annotated[str | None, PlainText] = Field(default=None, min_length=1, max_length=256)
    poll_interval_seconds: int = Field(default=DEFAULT_POLL_SECONDS, ge=MIN_POLL_SECONDS, le=MAX_POLL_SECONDS)
    dry_run: bool = False
    topic_arn: str | None = Field(default=None, pattern=SNS_TOPIC_ARN_PATTERN)
    consistent_point_in_time: bool = Field(
        default=False, description="launch each wave's servers from snapshots of one common point in time "
                                   "(the latest within the tolerance) instead of each server's most recent data")
    point_in_time_tolerance_seconds: int | None = Field(
        default=None, ge=0, le=MAX_TOLERANCE_SECONDS,
        description=f"how far apart a wave's snapshots may be (default {DEFAULT_TOLERANCE_SECONDS}); "
                    "only with consistentPointInTime")

    @model_validator(mode="after")
    def _one_execution_type(self) -> StartExecutionInput:
        if self.point_in_time_tolerance_seconds is not None and not self.consistent_point_in_time:
            raise FieldProblem("pointInTimeToleranceSeconds", "only applies with consistentPointInTime: true")
        if self.execution_type in PAIRED_EXECUTION_TYPES:
            # launches into instance pairs (issue 14): isDrill is a failover drill, which DRS allows;
            # a failback drill is not (DRS reverses replication only from a recovery instance)
            if self.execution_type == "FAILBACK" and self.is_drill:
                raise FieldProblem("isDrill", "a FAILBACK cannot be a drill: DRS reverses replication only from "
                                              "recovery (non-drill) instances; run a FAILOVER drill instead")
            return self
        if self.is_drill is not None:
            implied = "DRILL" if self.is_drill else "RECOVERY"
            if self.execution_type is not None and self.execution_type != implied:
                raise FieldProblem("isDrill", f"isDrill={str(self.is_drill).lower()} contradicts "
                                              f"executionType={self.execution_type}")
            self.execution_type = implied
        if self.execution_type is None:
            raise FieldProblem("executionType", "required: DRILL or RECOVERY (or isDrill: true/false)")
        return self

    @property
    def kind(self) -> str:
        return str(self.execution_type)

    @property
    def launches_drill(self) -> bool:
        """Whether DRS launches with isDrill: a DRILL, or a FAILOVER drill into the paired instances."""
        return self.kind == "DRILL" or (self.kind in PAIRED_EXECUTION_TYPES and bool(self.is_drill))


def scope_of(account_id: str, region: str) -> str:
    return f"{account_id}#{region}"


def split_scope(scope: str) -> tuple[str, str]:
    account_id, _, region = scope.partition("#")
    return account_id, region


def guard_key(account_id: str, region: str, server_id: str) -> str:
    return f"exec-server#{account_id}#{region}#{server_id}"


def job_key(wave: int, index: int) -> str:
    return f"{wave:04d}#{index:03d}"


def job_tags(execution_id: str, plan_id: str, wave: int, key: str) -> dict[str, str]:
    return {TAG_EXECUTION: execution_id, TAG_PLAN: plan_id, TAG_WAVE: str(wave), TAG_JOB: key}


@dataclass(frozen=True)
class GroupRef:
    group_id: str
    account_id: str  # resolved: the hub's account when the group names none
    region: str
    server_ids: tuple[str, ...]


@dataclass(frozen=True)
class JobPlan:
    key: str
    wave: int
    scope: str
    server_ids: tuple[str, ...]


@dataclass(frozen=True)
class WavePlan:
    wave: Wave
    servers: tuple[tuple[str, str], ...]  # (scope, server id) in launch order
    jobs: tuple[JobPlan, ...]

    @property
    def number(self) -> int:
        return self.wave.wave_number

    @property
    def initial_status(self) -> WaveStatus:
        return WaveStatus.PENDING if self.servers else WaveStatus.SKIPPED


@dataclass(frozen=True)
class Snapshot:
    waves: tuple[WavePlan, ...]
    scopes: tuple[str, ...]
    group_ids: tuple[str, ...]
    server_count: int
    problems: list[dict[str, Any]] = field(default_factory=list)

    def servers_by_scope(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for wave in self.waves:
            for scope, server in wave.servers:
                out.setdefault(scope, []).append(server)
        return out

    def guard_keys(self) -> list[str]:
        return sorted(guard_key(*split_scope(scope), server) for w in self.waves for scope, server in w.servers)


def build_snapshot(waves: Sequence[Wave], groups: Mapping[str, GroupRef]) -> Snapshot:
    """The launch snapshot of a plan. Raises :class:`ValidationFailed` for a plan without waves or
    servers, unknown groups, a server in several waves, or an invalid dependency graph."""
    if not waves:
        raise ValidationFailed("the recovery plan has no waves", code="PLAN_HAS_NO_WAVES")
    topological_levels(waves)  # raises INVALID_PLAN_GRAPH
    missing = sorted({g for w in waves for g in w.protection_group_ids if g not in groups})
    if missing:
        raise ValidationFailed(
            "the recovery plan uses protection groups that do not exist",
            code="PROTECTION_GROUPS_NOT_FOUND",
            details={"protectionGroupIds": missing},
        )
    owner: dict[tuple[str, str], int] = {}
    shared: dict[str, list[int]] = {}
    plans: list[WavePlan] = []
    scopes: dict[str, None] = {}
    group_ids: dict[str, None] = {}
    for wave in sorted(waves, key=lambda w: w.wave_number):
        members: dict[tuple[str, str], None] = {}
        for group_id in wave.protection_group_ids:
            group = groups[group_id]
            group_ids.setdefault(group_id, None)
            scope = scope_of(group.account_id, group.region)
            for server in group.server_ids:
                members.setdefault((scope, server), None)
        for member in members:
            first = owner.setdefault(member, wave.wave_number)
            if first != wave.wave_number:
                shared.setdefault(member[1], [first]).append(wave.wave_number)
        by_scope: dict[str, list[str]] = {}
        for scope, server in members:
            by_scope.setdefault(scope, []).append(server)
            scopes.setdefault(scope, None)
        jobs: list[JobPlan] = []
        for scope in by_scope:
            for chunk in chunk_servers(by_scope[scope], MAX_SERVERS_PER_JOB):
                jobs.append(JobPlan(job_key(wave.wave_number, len(jobs)), wave.wave_number, scope, tuple(chunk)))
        plans.append(WavePlan(wave=wave, servers=tuple(members), jobs=tuple(jobs)))
    if shared:
        raise ValidationFailed(
            "servers are in more than one wave of the plan",
            code="SERVER_IN_MULTIPLE_WAVES",
            details=[{"serverId": s, "waves": sorted(set(n))} for s, n in sorted(shared.items())],
        )
    total = sum(len(p.servers) for p in plans)
    if total == 0:
        raise ValidationFailed("the recovery plan's protection groups hold no servers", code="PLAN_HAS_NO_SERVERS")
    return Snapshot(waves=tuple(plans), scopes=tuple(scopes), group_ids=tuple(group_ids), server_count=total)


def on_failure_of(wave: Wave) -> OnServerFailure:
    return OnServerFailure(wave.on_server_failure)


@dataclass(frozen=True)
class ExecutionHolder:
    """A guard found on a server: the execution holding it."""

    server_id: str
    scope: str
    execution_id: str


@dataclass(frozen=True)
class JobHolder:
    """An active DRS job that already holds a server."""

    server_id: str
    scope: str
    job_id: str
    job_status: str
    execution_id: str | None  # when the job was started by this platform


def conflict_error(executions: Sequence[ExecutionHolder], jobs: Sequence[JobHolder]) -> Conflict:
    """The 409 of a refused start: every busy server with what holds it."""
    conflicts: list[dict[str, Any]] = []
    for e in sorted(executions, key=lambda h: h.server_id):
        account, region = split_scope(e.scope)
        conflicts.append({"serverId": e.server_id, "accountId": account, "region": region,
                          "conflictSource": "execution", "executionId": e.execution_id})
    for j in sorted(jobs, key=lambda h: h.server_id):
        account, region = split_scope(j.scope)
        entry: dict[str, Any] = {"serverId": j.server_id, "accountId": account, "region": region,
                                 "conflictSource": "drs_job", "jobId": j.job_id, "jobStatus": j.job_status}
        if j.execution_id:
            entry["executionId"] = j.execution_id
        conflicts.append(entry)
    servers = sorted({c["serverId"] for c in conflicts})
    return Conflict(
        f"{len(servers)} server(s) are in use by another execution or an active DRS job",
        code="SERVER_CONFLICT",
        details={
            "conflicts": conflicts,
            "servers": servers,
            "conflictingExecutions": sorted({e.execution_id for e in executions}),
            "conflictingDrsJobs": sorted({j.job_id for j in jobs}),
        },
    )


def drs_job_holders(jobs: Sequence[Mapping[str, Any]], scope: str, wanted: set[str]) -> list[JobHolder]:
    """Servers of ``wanted`` that take part in an active (PENDING/STARTED) job of any kind."""
    out: list[JobHolder] = []
    for job in jobs:
        if job.get("status") not in ("PENDING", "STARTED"):
            continue
        tags = job.get("tags") or {}
        for entry in job.get("participatingServers") or []:
            server = entry.get("sourceServerID")
            if server in wanted:
                out.append(JobHolder(server, scope, str(job.get("jobID")), str(job.get("status")),
                                     tags.get(TAG_EXECUTION) if isinstance(tags, Mapping) else None))
    return out
