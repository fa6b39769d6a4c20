"""In-memory implementations of the data-management ports, with the same all-or-nothing and
conditional semantics as the DynamoDB adapters (every condition checked before anything is
written), for fast service tests and a truly empty store. Like DynamoDB, ``Db`` holds items
(camelCase dicts, so tests may seed or inspect them); the stores take and return typed records."""

from __future__ import annotations

import copy
import itertools
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from drs_orch.domain.accounts import AccountContext, TargetAccount
from drs_orch.domain.errors import NotFound
from drs_orch.domain.models import ProtectionGroup, RecoveryPlan
from drs_orch.domain.paging import Page
from drs_orch.services.data_ports import CommitConflict, ConfigWrite, GroupWrite, GuardRef, PlanWrite

HUB = "123456789012"


@dataclass
class Guard:
    owner: str
    token: str


@dataclass
class Db:
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    plans: dict[str, dict[str, Any]] = field(default_factory=dict)
    guards: dict[str, Guard] = field(default_factory=dict)
    refs: dict[str, set[str]] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    commits: int = 0


def _page(items: list[Any], limit: int, token: str | None) -> Page[Any]:
    start = int(token or 0)
    chunk = items[start:start + limit]
    nxt = str(start + limit) if start + limit < len(items) else None
    return Page(chunk, nxt)


def _group(item: dict[str, Any] | None) -> ProtectionGroup | None:
    return None if item is None else ProtectionGroup.from_item(copy.deepcopy(item))


def _plan(item: dict[str, Any] | None) -> RecoveryPlan | None:
    return None if item is None else RecoveryPlan.from_item(copy.deepcopy(item))


def _claim(db: Db, key: str, owner: str, staged: dict[str, Guard | None], label: tuple[str, str | None]) -> None:
    if key in db.guards or staged.get(key) is not None:
        raise CommitConflict(*label)
    staged[key] = Guard(owner, uuid.uuid4().hex)


def _release(db: Db, guard: GuardRef, staged: dict[str, Guard | None]) -> None:
    current = db.guards.get(guard.key)
    if current is None or (current.owner, current.token) != (guard.owner, guard.token):
        raise CommitConflict("VERSION")
    staged[guard.key] = None


class FakeGroupStore:
    def __init__(self, db: Db) -> None:
        self.db = db

    def get(self, group_id: str) -> ProtectionGroup | None:
        return _group(self.db.groups.get(group_id))

    def get_many(self, group_ids: Iterable[str]) -> dict[str, ProtectionGroup]:
        return {g: ProtectionGroup.from_item(copy.deepcopy(self.db.groups[g])) for g in group_ids if g in self.db.groups}

    def find_by_name(self, name: str) -> ProtectionGroup | None:
        for g in self.db.groups.values():
            if g["groupName"].lower() == name.strip().lower():
                return _group(g)
        return None

    def _sorted(self) -> list[dict[str, Any]]:
        return sorted(self.db.groups.values(), key=lambda g: g["groupName"].lower())

    def page(self, *, account_id: str | None, region: str | None, name_prefix: str | None, limit: int,
             token: str | None) -> Page:
        items = [g for g in self._sorted()
                 if (not account_id or g["accountId"] == account_id) and (not region or g["region"] == region)
                 and (not name_prefix or g["groupName"].lower().startswith(name_prefix.lower()))]
        return _page([ProtectionGroup.from_item(copy.deepcopy(g)) for g in items], limit, token)

    def all(self) -> Iterator[ProtectionGroup]:
        yield from (ProtectionGroup.from_item(g) for g in copy.deepcopy(self._sorted()))

    def server_guards(self, account_id: str, region: str, server_ids: Iterable[str]) -> dict[str, GuardRef]:
        out = {}
        for s in server_ids:
            key = f"group-server#{account_id}#{region}#{s}"
            if key in self.db.guards:
                out[s] = GuardRef(key, self.db.guards[key].owner, self.db.guards[key].token)
        return out

    def name_guard(self, name: str) -> GuardRef | None:
        key = f"group-name#{name.strip().lower()}"
        guard = self.db.guards.get(key)
        return GuardRef(key, guard.owner, guard.token) if guard else None

    def purge_guard(self, guard: GuardRef, owner_version: int | None) -> bool:
        current = self.db.guards.get(guard.key)
        owner = self.db.groups.get(guard.owner)
        if current is None or (current.owner, current.token) != (guard.owner, guard.token):
            return False
        if (owner is None) != (owner_version is None) or (owner and owner["version"] != owner_version):
            return False
        del self.db.guards[guard.key]
        return True

    def commit(self, write: GroupWrite) -> None:
        db = self.db
        staged: dict[str, Guard | None] = {}
        current = db.groups.get(write.group_id)
        if write.item is None:
            if current is None or current["version"] != write.expected_version:
                raise CommitConflict("VERSION")
            if db.refs.get(write.group_id):
                raise CommitConflict("IN_USE")
        elif write.expected_version is None:
            if current is not None:
                raise CommitConflict("EXISTS")
        elif current is None or current["version"] != write.expected_version:
            raise CommitConflict("VERSION")
        if write.item is not None:
            if write.claim_name:
                _claim(db, f"group-name#{write.claim_name}", write.group_id, staged, ("NAME", write.claim_name))
            for s in write.claim_servers:
                _claim(db, f"group-server#{write.item.account_id}#{write.item.region}#{s}", write.group_id,
                       staged, ("SERVER", s))
        for guard in write.releases:
            _release(db, guard, staged)
        for key, value in staged.items():
            if value is None:
                db.guards.pop(key, None)
            else:
                db.guards[key] = value
        if write.item is None:
            del db.groups[write.group_id]
            db.refs.pop(write.group_id, None)
        else:
            keep = {k: v for k, v in (current or {}).items() if k == "launchConfigStatus"}
            db.groups[write.group_id] = {**keep, **write.item.to_item()}
        db.commits += 1


class FakePlanStore:
    def __init__(self, db: Db) -> None:
        self.db = db

    def get(self, plan_id: str) -> RecoveryPlan | None:
        return _plan(self.db.plans.get(plan_id))

    def get_many(self, plan_ids: Iterable[str]) -> dict[str, RecoveryPlan]:
        return {p: RecoveryPlan.from_item(copy.deepcopy(self.db.plans[p])) for p in plan_ids if p in self.db.plans}

    def find_by_name(self, name: str) -> RecoveryPlan | None:
        for p in self.db.plans.values():
            if p["planName"].lower() == name.strip().lower():
                return _plan(p)
        return None

    def page(self, *, name_prefix: str | None, limit: int, token: str | None) -> Page:
        items = sorted((p for p in self.db.plans.values()
                        if not name_prefix or p["planName"].lower().startswith(name_prefix.lower())),
                       key=lambda p: p["planName"].lower())
        return _page([RecoveryPlan.from_item(copy.deepcopy(p)) for p in items], limit, token)

    def all(self) -> Iterator[RecoveryPlan]:
        for p in copy.deepcopy(sorted(self.db.plans.values(), key=lambda p: p["planName"].lower())):
            yield RecoveryPlan.from_item(p)

    def name_guard(self, name: str) -> GuardRef | None:
        key = f"plan-name#{name.strip().lower()}"
        guard = self.db.guards.get(key)
        return GuardRef(key, guard.owner, guard.token) if guard else None

    def purge_guard(self, guard: GuardRef, owner_version: int | None) -> bool:
        del self.db.guards[guard.key]
        return True

    def plans_using(self, group_id: str) -> set[str]:
        return set(self.db.refs.get(group_id, set()))

    def commit(self, write: PlanWrite) -> None:
        db = self.db
        staged: dict[str, Guard | None] = {}
        current = db.plans.get(write.plan_id)
        if write.expected_version is None:
            if current is not None:
                raise CommitConflict("EXISTS")
        elif current is None or current["version"] != write.expected_version:
            raise CommitConflict("VERSION")
        if write.claim_name:
            _claim(db, f"plan-name#{write.claim_name}", write.plan_id, staged, ("NAME", write.claim_name))
        for guard in write.releases:
            _release(db, guard, staged)
        for g in write.add_refs:
            if g not in db.groups:
                raise CommitConflict("GROUP_MISSING", g)
        for key, value in staged.items():
            if value is None:
                db.guards.pop(key, None)
            else:
                db.guards[key] = value
        for g in write.add_refs:
            db.refs.setdefault(g, set()).add(write.plan_id)
        for g in write.remove_refs:
            db.refs.get(g, set()).discard(write.plan_id)
        if write.item is None:
            del db.plans[write.plan_id]
        else:
            db.plans[write.plan_id] = write.item.to_item()
        db.commits += 1


class FakeAccountStore:
    """Accounts kept as the items DynamoDB would hold (so tests may seed them as dicts)."""

    def __init__(self, db: Db) -> None:
        self.db = db

    def get(self, account_id: str) -> TargetAccount | None:
        item = self.db.accounts.get(account_id)
        return TargetAccount.from_item(item) if item else None

    def all(self) -> list[TargetAccount]:
        return [TargetAccount.from_item(i) for i in sorted(self.db.accounts.values(), key=lambda a: a["accountId"])]

    def create(self, account: TargetAccount) -> None:
        if account.account_id in self.db.accounts:
            raise CommitConflict("EXISTS")
        self.db.accounts[account.account_id] = account.to_item()

    def replace(self, account: TargetAccount, expected_version: int) -> None:
        current = self.db.accounts.get(account.account_id)
        if current is None or current.get("version") != expected_version:
            raise CommitConflict("VERSION")
        self.db.accounts[account.account_id] = account.to_item()

    def delete(self, account_id: str, expected_version: int) -> None:
        current = self.db.accounts.get(account_id)
        if current is None or current.get("version") != expected_version:
            raise CommitConflict("VERSION")
        del self.db.accounts[account_id]


class FakeConfigWriter:
    """An import written all or nothing, as the DynamoDB saga: the writes in order over the stores;
    a refused one puts the whole store back as it was."""

    def __init__(self, db: Db, groups: FakeGroupStore, plans: FakePlanStore, accounts: FakeAccountStore) -> None:
        self.db, self.groups, self.plans, self.accounts = db, groups, plans, accounts

    def apply(self, write: ConfigWrite) -> None:
        before = copy.deepcopy(self.db.__dict__)
        try:
            for a in write.accounts:
                if a.expected_version is None:
                    self.accounts.create(a.account)
                else:
                    self.accounts.replace(a.account, a.expected_version)
            for g in write.groups:
                self.groups.commit(g)
            for p in write.plans:
                self.plans.commit(p)
        except CommitConflict:
            self.db.__dict__.update(before)
            raise

    def finish_sagas(self, group_ids: Iterable[str], plan_ids: Iterable[str]) -> None:
        return None  # every write of the in-memory stores is atomic: nothing is ever left unfinished

    def recover(self, *, stale_seconds: float | None = None) -> str:
        return "NONE"


class FakeExecutions:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.servers: dict[str, list[str]] = {}

    def active(self) -> list[dict[str, Any]]:
        return [e for e in self.items if e["status"] in ("PENDING", "RUNNING", "PAUSED", "CANCELLING")]

    def server_ids(self, execution_id: str) -> list[str]:
        return list(self.servers.get(execution_id, []))

    def last_runs(self, plan_ids: Any) -> dict[str, dict[str, Any]]:
        wanted = set(plan_ids)
        ended = sorted((e for e in self.items if e["status"] not in ("PENDING", "RUNNING", "PAUSED", "CANCELLING")
                        and e.get("planId") in wanted), key=lambda e: str(e.get("startTime") or ""))
        return {str(e["planId"]): {"lastExecutionId": e["executionId"], "lastExecutionStatus": e["status"],
                                   "lastStartTime": e.get("startTime"), "lastEndTime": e.get("endTime")}
                for e in ended}


class FakeContexts:
    hub_account_id = HUB

    def __init__(self, db: Db) -> None:
        self.db = db

    def context_for(self, account_id: str | None, region: str) -> AccountContext:
        if not account_id or account_id == HUB:
            return AccountContext(HUB, region)
        item = self.db.accounts.get(account_id)
        if item is None:
            raise NotFound(f"account {account_id} is not registered", code="ACCOUNT_NOT_FOUND")
        return AccountContext(account_id, region, role_arn=item["roleArn"], external_id=item.get("externalId"))


_ids = itertools.count(1)


def server(tags: Mapping[str, str], state: str = "CONTINUOUS", server_id: str | None = None) -> dict[str, Any]:
    sid = server_id or f"s-{next(_ids):017d}"
    return {"sourceServerID": sid, "arn": f"arn:aws:drs:us-east-1:{HUB}:source-server/{sid}", "tags": dict(tags),
            "dataReplicationInfo": {"dataReplicationState": state},
            "sourceProperties": {"identificationHints": {"hostname": sid}}}


class FakeDrs:
    def __init__(self) -> None:
        self.fleet: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.job_list: list[dict[str, Any]] = []
        self.instance_list: list[dict[str, Any]] = []

    def add(self, account: str, region: str, *servers: dict[str, Any]) -> list[str]:
        self.fleet.setdefault((account, region), []).extend(servers)
        return [s["sourceServerID"] for s in servers]

    def source_servers(self, ctx: AccountContext, server_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
        fleet = self.fleet.get((ctx.account_id, ctx.region), [])
        wanted = None if server_ids is None else set(server_ids)
        return [copy.deepcopy(s) for s in fleet if wanted is None or s["sourceServerID"] in wanted]

    def tag(self, ctx: AccountContext, arn: str, tags: Mapping[str, str]) -> None:
        for s in self.fleet[(ctx.account_id, ctx.region)]:
            if s["arn"] == arn:
                s["tags"].update(tags)

    def untag(self, ctx: AccountContext, arn: str, keys: list[str]) -> None:
        for s in self.fleet[(ctx.account_id, ctx.region)]:
            if s["arn"] == arn:
                for k in keys:
                    s["tags"].pop(k, None)

    def jobs(self, ctx: AccountContext) -> list[dict[str, Any]]:
        return list(self.job_list)

    def recovery_instances(self, ctx: AccountContext) -> list[dict[str, Any]]:
        return list(self.instance_list)


class Clock:
    def __init__(self) -> None:
        self.t = datetime(2025, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.t += timedelta(seconds=1)
        return self.t


def services(db: Db | None = None, drs: FakeDrs | None = None) -> Any:
    """The data-management services over one in-memory store."""
    from types import SimpleNamespace

    from drs_orch.services.config_io import ConfigService
    from drs_orch.services.protection_groups import ProtectionGroupService
    from drs_orch.services.recovery_plans import RecoveryPlanService
    from drs_orch.services.target_accounts import TargetAccountService

    db = db or Db()
    drs = drs or FakeDrs()
    groups, plans, accounts = FakeGroupStore(db), FakePlanStore(db), FakeAccountStore(db)
    execs, contexts, clock = FakeExecutions(), FakeContexts(db), Clock()
    pg = ProtectionGroupService(groups, plans, accounts, contexts, drs, execs, clock)
    rp = RecoveryPlanService(plans, groups, execs, contexts, clock)
    ta = TargetAccountService(accounts, groups, contexts, probe=None, now=clock, hub_region="us-east-1")  # type: ignore[arg-type]
    io = ConfigService(pg, rp, ta, execs, clock, "us-east-1",
                       writer=FakeConfigWriter(db, groups, plans, accounts))
    return SimpleNamespace(db=db, drs=drs, groups=pg, plans=rp, accounts=ta, config=io, executions=execs)
