"""Ports of the data-management use cases (protection groups, recovery plans, target accounts,
tag sync, configuration import/export). Adapters in ``drs_orch.adapters`` implement them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from drs_orch.domain.accounts import AccountContext, TargetAccount
from drs_orch.domain.models import ProtectionGroup, RecoveryPlan
from drs_orch.domain.paging import Page

Item = dict[str, Any]


@dataclass(frozen=True)
class GuardRef:
    """A guard item as read: who owns it and the token of the claim that wrote it. A release or a
    purge is conditional on both, so it can never remove a newer claim."""

    key: str
    owner: str
    token: str


class CommitConflict(Exception):
    """A transaction was cancelled by one of its conditions.

    ``kind``: ``VERSION`` (the item changed or vanished), ``EXISTS`` (the id is taken), ``NAME``
    (the name guard is owned), ``SERVER`` (a server guard is owned; ``key`` is the server id),
    ``IN_USE`` (the group is referenced by plans), ``GROUP_MISSING`` (a referenced group is gone;
    ``key`` is its id), ``UNKNOWN`` (the store could not tell)."""

    def __init__(self, kind: str, key: str | None = None) -> None:
        super().__init__(f"{kind}:{key}" if key else kind)
        self.kind = kind
        self.key = key


@dataclass
class GroupWrite:
    group_id: str
    item: ProtectionGroup | None  # None: delete the group
    expected_version: int | None  # None: the group must not exist yet
    claim_name: str | None = None  # lower-case name to claim
    claim_servers: list[str] = field(default_factory=list)  # in the item's account and region
    releases: list[GuardRef] = field(default_factory=list)


@dataclass
class PlanWrite:
    plan_id: str
    item: RecoveryPlan | None  # None: delete the plan
    expected_version: int | None
    claim_name: str | None = None
    releases: list[GuardRef] = field(default_factory=list)
    add_refs: list[str] = field(default_factory=list)  # group ids the plan starts to use
    remove_refs: list[str] = field(default_factory=list)  # group ids the plan stops using


class GroupStore(Protocol):
    """Protection groups as typed records; item shapes, guards and name claims stay in the adapter."""

    def get(self, group_id: str) -> ProtectionGroup | None: ...
    def get_many(self, group_ids: Iterable[str]) -> dict[str, ProtectionGroup]: ...
    def find_by_name(self, name: str) -> ProtectionGroup | None: ...
    def page(self, *, account_id: str | None, region: str | None, name_prefix: str | None,
             limit: int, token: str | None) -> Page[ProtectionGroup]: ...
    def all(self) -> Iterator[ProtectionGroup]: ...
    def server_guards(self, account_id: str, region: str, server_ids: Iterable[str]) -> dict[str, GuardRef]: ...
    def name_guard(self, name: str) -> GuardRef | None: ...
    def purge_guard(self, guard: GuardRef, owner_version: int | None) -> bool: ...
    def commit(self, write: GroupWrite) -> None: ...


class PlanStore(Protocol):
    """Recovery plans as typed records (stored waves upgraded to today's form by the adapter)."""

    def get(self, plan_id: str) -> RecoveryPlan | None: ...
    def get_many(self, plan_ids: Iterable[str]) -> dict[str, RecoveryPlan]: ...
    def find_by_name(self, name: str) -> RecoveryPlan | None: ...
    def page(self, *, name_prefix: str | None, limit: int, token: str | None) -> Page[RecoveryPlan]: ...
    def all(self) -> Iterator[RecoveryPlan]: ...
    def name_guard(self, name: str) -> GuardRef | None: ...
    def purge_guard(self, guard: GuardRef, owner_version: int | None) -> bool: ...
    def plans_using(self, group_id: str) -> set[str]: ...
    def commit(self, write: PlanWrite) -> None: ...


class AccountStore(Protocol):
    def get(self, account_id: str) -> TargetAccount | None: ...
    def all(self) -> list[TargetAccount]: ...
    def create(self, account: TargetAccount) -> None: ...
    def replace(self, account: TargetAccount, expected_version: int) -> None: ...
    def delete(self, account_id: str, expected_version: int) -> None: ...


class ExecutionReader(Protocol):
    def active(self) -> list[Item]:
        """META items of executions whose status is PENDING, RUNNING, PAUSED or CANCELLING."""
        ...

    def server_ids(self, execution_id: str) -> list[str]: ...

    def last_runs(self, plan_ids: Iterable[str]) -> dict[str, Item]:
        """planId -> ``{lastExecutionId, lastExecutionStatus, lastExecutionType, lastStartTime,
        lastEndTime}`` of the plan's latest ended execution (plans never run are absent)."""
        ...


class AccountContexts(Protocol):
    hub_account_id: str

    def context_for(self, account_id: str | None, region: str) -> AccountContext: ...


class DrsInventory(Protocol):
    def source_servers(self, ctx: AccountContext, server_ids: Iterable[str] | None = None) -> list[Item]: ...
    def tag(self, ctx: AccountContext, arn: str, tags: Mapping[str, str]) -> None: ...
    def untag(self, ctx: AccountContext, arn: str, keys: list[str]) -> None: ...
    def jobs(self, ctx: AccountContext) -> list[Item]: ...
    def recovery_instances(self, ctx: AccountContext) -> list[Item]: ...


class InstanceTags(Protocol):
    def tags_by_instance(self, ctx: AccountContext, instance_ids: list[str]) -> dict[str, dict[str, str]]:
        """EC2 tags of the instances that exist, in as few DescribeInstances calls as possible."""
        ...


class TagSyncStore(Protocol):
    def get(self, config_id: str) -> Item | None: ...
    def put(self, item: Item) -> None: ...
    def acquire_lock(self, owner: str, now_epoch: int, ttl_seconds: int) -> bool: ...
    def release_lock(self, owner: str) -> None: ...
    def synced_keys(self, keys: list[str]) -> dict[str, list[str]]: ...
    def remember(self, key: str, tag_keys: list[str]) -> None: ...


class Schedule(Protocol):
    def describe(self) -> Item:
        """``{"name", "scheduleExpression", "state"}`` of the tag-sync rule."""
        ...

    def update(self, expression: str, enabled: bool) -> None: ...


class AccountProbe(Protocol):
    def check(self, ctx: AccountContext) -> list[Item]:
        """``[{"check", "status" OK|WARNING|FAILED, "message"}]`` for one account and region."""
        ...


# queues a background run of a group's launch-settings apply: (group id, continuation)
BackgroundDispatch = Callable[[str, dict[str, str]], None]


class LaunchSettingsHook(Protocol):
    def validate(self, group: ProtectionGroup) -> None: ...
    def apply_after_save(self, group: ProtectionGroup, actor: str, *,
                         background: BackgroundDispatch | None = None) -> Item: ...
    def apply_group(self, group_id: str, actor: str, *, force: bool = False,
                    background: BackgroundDispatch | None = None, in_save: bool = False) -> Item: ...


class PlanSubscriptions(Protocol):
    """E-mail subscriptions to one plan's notifications (SNS, filtered on ``planId``)."""

    def subscribe_plan(self, plan_id: str, email: str) -> str: ...
    def unsubscribe(self, subscription_arn: str) -> None: ...


@dataclass
class AccountWrite:
    account: TargetAccount
    expected_version: int | None  # None: the account must not be registered yet


@dataclass
class ConfigWrite:
    """Everything one ``POST /config/import`` writes: applied all or nothing (a saga with an intent
    record; an unfinished one is rolled back by whoever finds it, see ``ConfigWriter.recover``)."""

    accounts: list[AccountWrite] = field(default_factory=list)
    groups: list[GroupWrite] = field(default_factory=list)
    plans: list[PlanWrite] = field(default_factory=list)


class ConfigWriter(Protocol):
    def apply(self, write: ConfigWrite) -> None:
        """Write it all, or (after rolling back what was applied) raise :class:`CommitConflict`.
        ``IMPORT_RUNNING``: another import is under way."""
        ...

    def finish_sagas(self, group_ids: Iterable[str], plan_ids: Iterable[str]) -> None:
        """Before the import computes its claims: a multi-transaction save of one of these groups or
        plans left unfinished is rolled back when stale; :class:`CommitConflict` while one runs."""
        ...

    def recover(self, *, stale_seconds: float | None = None) -> str:
        """Roll back an import found unfinished: ``NONE``, ``RUNNING`` (younger than the Lambda's
        timeout, or ``stale_seconds``) or ``ROLLED_BACK``."""
        ...
