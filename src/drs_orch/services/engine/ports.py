"""Ports of the execution engine. Adapters in ``drs_orch.adapters`` implement them; tests may use
fakes. A *scope* is ``"<accountId>#<region>"`` (see :mod:`drs_orch.domain.execution_snapshot`)."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from drs_orch.domain.execution_records import (
    ChildRecord,
    ExecutionMeta,
    ExecutionRecords,
    JobRecord,
    ServerRecord,
    WaveRecord,
)
from drs_orch.domain.models import ProtectionGroup, RecoveryPlan
from drs_orch.domain.paging import Page

Item = dict[str, Any]  # what DRS, EC2 and the plan and guard tables answer (not the execution's records)


@dataclass
class Changes:
    """One item update: ``set`` attributes (nested paths as tuples of names), ``remove`` them,
    ``add``/``delete`` members of string sets, ``append`` to lists, ``increment`` numbers."""

    set: dict[str | tuple[str, ...], Any] = field(default_factory=dict)
    remove: list[str] = field(default_factory=list)
    add: dict[str, builtins.set[str]] = field(default_factory=dict)
    delete: dict[str, builtins.set[str]] = field(default_factory=dict)
    append: dict[str, list[Any]] = field(default_factory=dict)
    increment: dict[str, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.set or self.remove or self.add or self.delete or self.append or self.increment)

    def whole_attributes(self) -> dict[str, Any]:
        """What ``set`` writes to whole attributes (not to nested paths): what a record read before
        the update takes on after it."""
        return {k: v for k, v in self.set.items() if isinstance(k, str)}


@dataclass(frozen=True)
class GuardClaim:
    key: str
    take_over_from: str | None = None  # the stale holder a claim replaces (None: the key must be free)


class GuardsTaken(Exception):
    """A start transaction was refused because guards are held (``keys``; empty when unknown)."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(f"{len(keys)} guard(s) taken")
        self.keys = keys


@dataclass(frozen=True)
class LaunchTally:
    """The launch results counted so far for one DRS job of an execution."""

    execution_id: str
    reported: int
    servers: int

    @property
    def complete(self) -> bool:
        return self.reported >= self.servers


class ExecutionStore(Protocol):
    """An execution's records (``domain/execution_records.py``) and the per-server guards. How
    they are keyed is the store's business: the services name a record by its execution id and
    its wave number, job key or server id. Every ``update_*`` applies ``changes`` if the record
    exists and its attributes match ``expect`` (None: the attribute must be absent; a list: one of
    them), and answers the record as written, or None when the condition failed."""

    def get_meta(self, execution_id: str) -> ExecutionMeta | None: ...
    def load(self, execution_id: str, *, servers: bool = False,
             settled_jobs: bool = True) -> ExecutionRecords | None:
        """The execution. ``servers``: with its servers; ``settled_jobs=False``: a tick's working
        set (META, the waves not summarised on it, the jobs of the waves under way)."""
        ...
    def load_servers(self, execution_id: str) -> list[ServerRecord]: ...
    def page_servers(self, execution_id: str, *, statuses: Collection[str] | None = None, limit: int,
                     token: str | None) -> Page[ServerRecord]:
        """One page of the execution's servers by id, optionally of some stored statuses (a filter
        that matches nothing reads on until the page is full or the servers end). The
        ``next_token`` is bound to the filter: given with another it is refused (400
        ``INVALID_NEXT_TOKEN``)."""
        ...
    def wave_server_ids(self, execution_id: str, waves: Collection[int]) -> list[str]:
        """The ids of the servers of ``waves``, sorted."""
        ...
    def get_servers(self, execution_id: str, server_ids: Iterable[str]) -> list[ServerRecord]:
        """The stored servers of ``server_ids`` (unknown ids are absent), by id."""
        ...
    def load_jobs(self, execution_id: str, job_keys: Iterable[str]) -> list[JobRecord]: ...
    def load_waves(self, execution_id: str, numbers: Iterable[int]) -> list[WaveRecord]: ...
    def lock_jobs(self, execution_id: str) -> list[JobRecord]:
        """Every job of the execution with only what names its server locks (account, region,
        servers) and its status: what the end of an execution releases, without reading every
        job's per-server progress."""
        ...

    def put_children(self, records: Sequence[ChildRecord]) -> None: ...
    def delete_children(self, execution_id: str, records: Iterable[ChildRecord]) -> None: ...
    def commit_start(self, meta: ExecutionMeta, claims: list[GuardClaim]) -> None: ...
    def update_meta(self, execution_id: str, changes: Changes, *,
                    expect: Mapping[str, Any] | None = None) -> ExecutionMeta | None: ...
    def write_meta(self, execution_id: str, changes: Changes, *,
                   expect: Mapping[str, Any] | None = None) -> bool:
        """:meth:`update_meta` without reading the item back: whether ``expect`` held."""
        ...
    def update_wave(self, execution_id: str, number: int, changes: Changes, *,
                    expect: Mapping[str, Any] | None = None) -> WaveRecord | None: ...
    def update_job(self, execution_id: str, key: str, changes: Changes, *,
                   expect: Mapping[str, Any] | None = None) -> JobRecord | None: ...
    def write_job(self, execution_id: str, key: str, changes: Changes, *,
                  expect: Mapping[str, Any] | None = None) -> bool:
        """:meth:`update_job` without reading the item back: whether ``expect`` held."""
        ...
    def read_guards(self, keys: Iterable[str]) -> dict[str, Item]: ...
    def note_drs_job(self, drs_job_id: str, execution_id: str, server_ids: list[str], expires_at: int) -> None:
        """Remember which execution a DRS job belongs to and its servers, for the launch-result
        events (``services/engine/wake.py``); gone after ``expires_at`` (epoch seconds)."""
        ...

    def tally_launch_result(self, drs_job_id: str, server_id: str) -> LaunchTally | None:
        """Count one server's launch result of a noted job, once per server: ``None`` when the job
        was not noted (not ours) or this server's result was already counted (a duplicate)."""
        ...

    def take_wait_token(self, execution_id: str) -> str | None:
        """Remove and return the task token of the execution's current wait between ticks. When it
        is not waiting (a tick runs), leave a wake-up for its next wait instead and return ``None``;
        ``None`` too when it has ended or does not exist. Of two callers, one gets the token."""
        ...

    def keep_wait_token(self, execution_id: str, task_token: str) -> bool:
        """Keep the token of the wait that begins; ``False`` (the token not kept, the wake-up taken)
        when a wake-up was left while no wait was on: the wait must end at once."""
        ...
    def release_guards(self, execution_id: str, keys: Iterable[str]) -> None: ...
    def record_plan_run(self, meta: ExecutionMeta) -> None:
        """Remember ``meta`` (an execution that just ended) as its plan's latest ended run, unless a
        run that started later is already recorded."""
        ...
    def page(self, *, plan_id: str | None, status: str | None, limit: int, token: str | None) -> Page[ExecutionMeta]: ...
    def delete_execution(self, execution_id: str) -> None: ...


class PlanReader(Protocol):
    def get_plan(self, plan_id: str) -> RecoveryPlan | None: ...
    def get_groups(self, group_ids: Iterable[str]) -> dict[str, ProtectionGroup]: ...


class StartRefused(Exception):
    """DRS answered StartRecovery with an error (``code``/``status``) or did not answer
    (``code`` None: the request may or may not have been processed)."""

    def __init__(self, code: str | None, status: int | None, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message


class DrsGateway(Protocol):
    def source_servers(self, scope: str, server_ids: list[str]) -> dict[str, Item]: ...
    def list_jobs(self, scope: str) -> list[Item]: ...
    def jobs_that_may_be_active(self, scope: str) -> list[Item]:
        """Every job of ``scope`` that is or may become PENDING or STARTED; COMPLETED ones may be
        among them (a capacity count must skip those)."""
        ...
    def describe_jobs(self, scope: str, job_ids: list[str]) -> dict[str, Item]: ...
    def start_recovery(self, scope: str, server_ids: list[str], is_drill: bool, tags: Mapping[str, str],
                       snapshots: Mapping[str, str] | None = None) -> Item:
        """``snapshots``: server id -> the recoverySnapshotID it launches from (default: most recent data)."""
    def recovery_snapshots(self, scope: str, server_id: str) -> list[Item]:
        """DescribeRecoverySnapshots of one server (``snapshotID``, ``timestamp``/``expectedTimestamp``)."""
    def job_log(self, scope: str, job_id: str) -> list[Item]: ...
    def recovery_instances(self, scope: str, *, instance_ids: list[str] | None = None,
                           server_ids: list[str] | None = None) -> list[Item]: ...
    def terminate_recovery_instances(self, scope: str, instance_ids: list[str]) -> Item: ...


class Ec2Gateway(Protocol):
    def instances(self, scope: str, instance_ids: list[str]) -> dict[str, Item]: ...


class StateMachine(Protocol):
    def start(self, name: str, payload: Mapping[str, Any]) -> str: ...
    def stop(self, execution_arn: str, cause: str) -> None: ...
    def send_success(self, task_token: str, output: Mapping[str, Any]) -> bool: ...


class Notifier(Protocol):
    def publish(self, event_type: str, plan_id: str, subject: str, message: Mapping[str, Any],
                topic_arn: str | None = None) -> None: ...
    def topic_exists(self, topic_arn: str) -> bool: ...


class WavePreparer(Protocol):
    """Launch settings applied before a wave's StartRecovery (issue 7)."""

    def prepare_wave(self, group_ids: list[str], server_ids: list[str], actor: str, *,
                     dry_run: bool = False) -> dict[str, Any]: ...


class Pairing(Protocol):
    """Instance pairs for executions that launch into them (FAILOVER/FAILBACK, issue 14)."""

    def expectations(self, kind: str, group_ids: list[str], servers_by_scope: Mapping[str, list[str]],
                     described: Mapping[str, Item], *, dry_run: bool = False) -> dict[str, dict[str, Any]]:
        """Server id -> what its launch must give (``Expectation.to_item``); raises a DomainError
        when a server has no pair or DRS does not hold its launch-into target."""
        ...

    def failback_refs(self, refs: Mapping[str, Any]) -> dict[str, Any]:
        """FAILBACK: each group's servers replaced by their reversed source servers, in the origin
        account-region (``GroupRef``s)."""
        ...

    def check_wave(self, identity_by_scope: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> None:
        """At a wave's start: DRS still launches each server into its paired instance (raises)."""
        ...
