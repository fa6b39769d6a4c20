"""Ports of the execution engine. Adapters in ``drs_orch.adapters`` implement them; tests may use
fakes. A *scope* is ``"<accountId>#<region>"`` (see :mod:`drs_orch.domain.execution_snapshot`)."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from drs_orch.domain.execution_records import WaveSummary
from drs_orch.domain.models import ProtectionGroup, RecoveryPlan
from drs_orch.domain.paging import Page

Item = dict[str, Any]


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
class ExecutionItems:
    meta: Item
    waves: list[Item]
    jobs: list[Item]
    servers: list[Item]
    # Waves summarised on META (ended); a tick's load (``settled_jobs=False``) reads none of their items.
    finished: dict[int, WaveSummary] = field(default_factory=dict)


class ExecutionStore(Protocol):
    def get_meta(self, execution_id: str) -> Item | None: ...
    def load(self, execution_id: str, *, servers: bool = False,
             settled_jobs: bool = True) -> ExecutionItems | None: ...
    def load_servers(self, execution_id: str) -> list[Item]: ...
    def load_jobs(self, execution_id: str, job_keys: Iterable[str]) -> list[Item]: ...
    def put_children(self, items: list[Item]) -> None: ...
    def delete_items(self, execution_id: str, sort_keys: Iterable[str]) -> None: ...
    def commit_start(self, meta: Item, claims: list[GuardClaim]) -> None: ...
    def update(self, execution_id: str, sort_key: str, changes: Changes, *,
               expect: Mapping[str, Any] | None = None) -> Item | None: ...
    def read_guards(self, keys: Iterable[str]) -> dict[str, Item]: ...
    def release_guards(self, execution_id: str, keys: Iterable[str]) -> None: ...
    def record_plan_run(self, meta: Item) -> None:
        """Remember ``meta`` (an execution that just ended) as its plan's latest ended run, unless a
        run that started later is already recorded."""
        ...
    def page(self, *, plan_id: str | None, status: str | None, limit: int, token: str | None) -> Page: ...
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
