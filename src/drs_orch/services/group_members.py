"""Which servers a protection group holds, and what must be claimed and released to save it.

Resolution: explicit ``sourceServerIds`` must all exist in DRS in the group's account and region;
``serverSelectionTags`` are matched (the one matcher, ``domain.tags``) against the DRS source
servers' tags there, and the match is stored as the group's snapshot.

Ownership: a guard item per name and per (account, region, server) names the group that owns it.
A guard is live when its owner still exists and still holds the server (or name); otherwise it is
stale (left by a release that did not complete) and is purged, conditional on the owner not having
changed, before it is claimed again."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.data_rules import MAX_SERVERS_PER_GROUP
from drs_orch.domain.errors import Conflict, ValidationFailed
from drs_orch.domain.models import ProtectionGroup
from drs_orch.domain.statuses import ExecutionStatus
from drs_orch.domain.tags import select
from drs_orch.services.data_ports import (
    AccountContexts,
    AccountStore,
    DrsInventory,
    ExecutionReader,
    GroupStore,
    GroupWrite,
    GuardRef,
    Item,
)


def server_tags(server: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in (server.get("tags") or {}).items()}


@dataclass
class Members:
    server_ids: list[str]
    servers: list[Item]  # the DRS source servers, in server_ids order
    resolved: bool  # True for a tag selection


def resolve_members(drs: DrsInventory, ctx: AccountContext, explicit: Sequence[str] | None,
                    tags: Mapping[str, str] | None) -> Members:
    if tags is not None:
        matched = select(drs.source_servers(ctx), tags, server_tags)
        matched.sort(key=lambda s: str(s.get("sourceServerID")))
        return Members([str(s["sourceServerID"]) for s in matched], matched, True)
    ids = list(dict.fromkeys(explicit or []))
    found = {str(s.get("sourceServerID")): s for s in drs.source_servers(ctx, ids)} if ids else {}
    missing = [s for s in ids if s not in found]
    if missing:
        raise ValidationFailed(
            f"{len(missing)} source server(s) do not exist in DRS in account {ctx.account_id}, region "
            f"{ctx.region}: {', '.join(missing[:20])}",
            code="SERVERS_NOT_FOUND",
            details={"missingServerIds": missing, "accountId": ctx.account_id, "region": ctx.region},
        )
    return Members(ids, [found[s] for s in ids], False)


def check_size(server_ids: Sequence[str], resolved: bool) -> None:
    if len(server_ids) > MAX_SERVERS_PER_GROUP:
        hint = "narrow the tag selection" if resolved else "split the servers"
        raise ValidationFailed(
            f"a protection group holds at most {MAX_SERVERS_PER_GROUP} servers, this one would hold "
            f"{len(server_ids)}; {hint} into several groups (a wave may use several groups)",
            code="GROUP_TOO_LARGE",
            details={"serverCount": len(server_ids), "limit": MAX_SERVERS_PER_GROUP},
        )


def account_for(account_id: str | None, contexts: AccountContexts, accounts: AccountStore,
                extra_accounts: Iterable[str] = ()) -> str:
    """The group's account: the hub by default; otherwise it must be registered."""
    hub = contexts.hub_account_id
    if not account_id or account_id == hub:
        return hub
    if account_id in extra_accounts or accounts.get(account_id) is not None:
        return account_id
    raise ValidationFailed(
        f"account {account_id} is not a registered target account; register it under /accounts/targets first",
        code="UNKNOWN_ACCOUNT",
        details=[{"field": "accountId", "message": "not a registered target account"}],
    )


def blocking_executions(executions: ExecutionReader, group_id: str) -> list[Item]:
    """Active executions that use ``group_id`` and are not PAUSED."""
    return [
        e for e in executions.active()
        if group_id in (e.get("protectionGroupIds") or []) and e.get("status") != ExecutionStatus.PAUSED.value
    ]


def refuse_if_running(executions: ExecutionReader, group_id: str, what: str) -> None:
    running = blocking_executions(executions, group_id)
    if running:
        raise Conflict(
            f"cannot {what}: protection group {group_id} is used by active execution(s) "
            f"{', '.join(str(e.get('executionId')) for e in running)}; pause or finish them first",
            code="GROUP_IN_ACTIVE_EXECUTION",
            details={"executions": [{"executionId": e.get("executionId"), "status": e.get("status"),
                                     "planId": e.get("planId")} for e in running]},
        )


def _owner_name(owners: Mapping[str, ProtectionGroup], owner_id: str) -> str | None:
    owner = owners.get(owner_id)
    return owner.group_name if owner is not None else None


def _conflict_details(owners: Mapping[str, ProtectionGroup], by_owner: Mapping[str, list[str]]) -> list[Item]:
    return [
        {"groupId": owner_id, "groupName": _owner_name(owners, owner_id), "serverIds": sorted(ids)}
        for owner_id, ids in sorted(by_owner.items())
    ]


def server_conflict(owners: Mapping[str, ProtectionGroup], by_owner: Mapping[str, list[str]]) -> Conflict:
    parts = [
        f"{', '.join(sorted(ids))} already in group {_owner_name(owners, o) or o} ({o})"
        for o, ids in sorted(by_owner.items())
    ]
    return Conflict(
        "a server belongs to at most one protection group: " + "; ".join(parts),
        code="SERVER_CONFLICT",
        details={"conflicts": _conflict_details(owners, by_owner)},
    )


@dataclass
class Claims:
    claim_name: str | None = None
    claim_servers: list[str] = field(default_factory=list)
    releases: list[GuardRef] = field(default_factory=list)


def plan_claims(groups: GroupStore, group_id: str, new: ProtectionGroup, old: ProtectionGroup | None,
                ignore_owners: Callable[[str], bool] = lambda _: False, purge: bool = True) -> Claims:
    """Name and server guards to claim and release for ``group_id`` to become ``new``.

    Raises 409 GROUP_NAME_EXISTS or SERVER_CONFLICT naming the live owners. ``ignore_owners``
    marks owners whose claims are about to change (an import overwriting them), which are then
    not counted as conflicts here. ``purge`` False (a dry run) leaves stale guards in place."""
    claims = Claims()
    name_lower = new.group_name.lower()
    if old is None or old.group_name.lower() != name_lower:
        guard = groups.name_guard(name_lower)
        if guard is None:
            claims.claim_name = name_lower
        elif guard.owner != group_id:
            owner = groups.get(guard.owner)
            if owner is not None and owner.group_name.lower() == name_lower and not ignore_owners(guard.owner):
                raise Conflict(
                    f"a protection group named {owner.group_name!r} already exists",
                    code="GROUP_NAME_EXISTS",
                    details={"groupId": owner.group_id, "groupName": owner.group_name},
                )
            if owner is not None and owner.group_name.lower() == name_lower:
                claims.claim_name = name_lower  # the import renames the owner first
            else:
                if purge:
                    _purge(groups, guard, owner)
                claims.claim_name = name_lower
        if old is not None:
            old_guard = groups.name_guard(old.group_name)
            if old_guard is not None and old_guard.owner == group_id:
                claims.releases.append(old_guard)

    account, region = new.account_id, new.region
    wanted = list(dict.fromkeys(new.source_server_ids))
    guards = groups.server_guards(account, region, wanted)
    foreign: dict[str, list[str]] = {}
    for server_id in wanted:
        guard = guards.get(server_id)
        if guard is None:
            claims.claim_servers.append(server_id)
        elif guard.owner != group_id:
            foreign.setdefault(guard.owner, []).append(server_id)
    if foreign:
        owners = groups.get_many(foreign)
        live: dict[str, list[str]] = {}
        for owner_id, ids in foreign.items():
            owner = owners.get(owner_id)
            for server_id in ids:
                held = owner is not None and owner.holds(account, region, server_id)
                if held and not ignore_owners(owner_id):
                    live.setdefault(owner_id, []).append(server_id)
                elif held:
                    claims.claim_servers.append(server_id)
                else:
                    if purge:
                        _purge(groups, guards[server_id], owner)
                    claims.claim_servers.append(server_id)
        if live:
            raise server_conflict(owners, live)

    if old is not None:
        old_account, old_region = old.account_id, old.region
        kept = set(wanted) if (old_account, old_region) == (account, region) else set()
        dropped = [s for s in old.source_server_ids if s not in kept]
        old_guards = groups.server_guards(old_account, old_region, dropped)
        claims.releases.extend(g for g in old_guards.values() if g.owner == group_id)
    return claims


def _purge(groups: GroupStore, guard: GuardRef, owner: ProtectionGroup | None) -> None:
    if not groups.purge_guard(guard, owner.version if owner else None):
        raise Conflict(
            "another request changed the same protection groups at the same moment; retry",
            code="CONCURRENT_CHANGE",
        )


def write_for(group_id: str, item: ProtectionGroup | None, expected_version: int | None,
              claims: Claims) -> GroupWrite:
    return GroupWrite(group_id=group_id, item=item, expected_version=expected_version,
                      claim_name=claims.claim_name, claim_servers=list(claims.claim_servers),
                      releases=list(claims.releases))
