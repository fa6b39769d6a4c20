"""DRS capacity: one account and region (``GET /drs/service-limits``), one account over its regions
(``GET /drs/quotas``) and every known account (``GET /accounts/capacity``). Account-regions are
queried in parallel with a bounded pool; a region DRS cannot answer for, or an account whose role
cannot be assumed, is reported in place instead of failing the request."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.capacity import (
    RegionUsage,
    capacity_report,
    combined_replication,
    metric,
    usage_from,
    worst,
)
from drs_orch.domain.errors import DomainError, NotFound
from drs_orch.domain.inventory import RegionState, RegionUnavailable, region_status
from drs_orch.domain.limits import MAX_RECOVERY_INSTANCES, CapacityStatus
from drs_orch.services.accounts import AccountDirectory, AccountKind, KnownAccount
from drs_orch.services.query_ports import Readers

DEFAULT_WORKERS = 8


def _region_usage(readers: Readers, ctx: AccountContext) -> tuple[dict[str, Any], RegionUsage | None]:
    drs = readers.drs(ctx)
    try:
        usage = usage_from(drs.source_servers(), drs.jobs(), drs.recovery_instances())
    except RegionUnavailable as exc:
        return {"region": ctx.region, "regionStatus": region_status(exc.state, exc.reason), "status": None}, None
    return {"region": ctx.region, "regionStatus": region_status(RegionState.OK), **capacity_report(usage)}, usage


def region_capacity(readers: Readers, ctx: AccountContext) -> dict[str, Any]:
    entry, _ = _region_usage(readers, ctx)
    return {"accountId": ctx.account_id, **entry}


def _totals(usages: Sequence[RegionUsage]) -> dict[str, int]:
    keys = ("sourceServers", "replicatingServers", "activeJobs", "serversInActiveJobs", "recoveryInstances")
    return {k: sum(u.as_dict()[k] for u in usages) for k in keys}


def _overall(entries: Sequence[dict[str, Any]]) -> str | None:
    statuses = [CapacityStatus(e["status"]) for e in entries if e.get("status") in {s.value for s in CapacityStatus}]
    return worst(statuses).value if statuses else None


def _run_regions(
    readers: Readers, contexts: Sequence[AccountContext], pool: ThreadPoolExecutor
) -> list[tuple[dict[str, Any], RegionUsage | None]]:
    futures = [pool.submit(_region_usage, readers, ctx) for ctx in contexts]
    return [_result(f, ctx) for f, ctx in zip(futures, contexts, strict=True)]


def _result(
    future: Future[tuple[dict[str, Any], RegionUsage | None]], ctx: AccountContext
) -> tuple[dict[str, Any], RegionUsage | None]:
    try:
        return future.result()
    except DomainError as exc:
        status = region_status(RegionState.ERROR, exc.message)
        status["code"] = exc.code
        return {"region": ctx.region, "regionStatus": status, "status": None}, None


def account_capacity(
    readers: Readers, context_for: Callable[[str], AccountContext], regions: Sequence[str],
    workers: int = DEFAULT_WORKERS,
) -> dict[str, Any]:
    """One account over ``regions`` (the first context resolves and checks the account's role)."""
    contexts = [context_for(r) for r in regions]
    readers.check_access(contexts[0])
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(contexts)))) as pool:
        results = _run_regions(readers, contexts, pool)
    entries = [e for e, _ in results]
    usages = [u for _, u in results if u is not None]
    return {
        "accountId": contexts[0].account_id,
        "status": _overall(entries),
        "regions": entries,
        "totals": _totals(usages),
    }


def _access(readers: Readers, known: KnownAccount, region: str) -> dict[str, Any] | None:
    """None when the account is reachable, else the error to report for it."""
    try:
        readers.check_access(known.context(region))
    except DomainError as exc:
        return {"code": exc.code, "message": exc.message}
    return None


def _accounts_capacity(
    readers: Readers, accounts: Sequence[KnownAccount], regions: Sequence[str], workers: int
) -> tuple[list[dict[str, Any]], dict[str, list[tuple[dict[str, Any], RegionUsage | None]]]]:
    """Per account its entry (status, regions, totals; ``status: ERROR`` when its role cannot be
    assumed) and the region results of the reachable ones, queried in parallel."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        access_futures = [pool.submit(_access, readers, known, regions[0]) for known in accounts]
        errors = [f.result() for f in access_futures]
        reachable = [known for known, err in zip(accounts, errors, strict=True) if err is None]
        contexts = [known.context(region) for known in reachable for region in regions]
        results = iter(_run_regions(readers, contexts, pool))
    per_account: dict[str, list[tuple[dict[str, Any], RegionUsage | None]]] = {}
    for known in reachable:
        per_account[known.account_id] = [next(results) for _ in regions]
    entries: list[dict[str, Any]] = []
    for known, err in zip(accounts, errors, strict=True):
        entry = known.public()
        if err is not None:
            entries.append({**entry, "status": "ERROR", "error": err, "regions": []})
            continue
        region_results = per_account[known.account_id]
        region_entries = [e for e, _ in region_results]
        entries.append(
            {
                **entry,
                "status": _overall(region_entries),
                "regions": region_entries,
                "totals": _totals([u for _, u in region_results if u is not None]),
            }
        )
    return entries, per_account


def all_accounts_capacity(
    readers: Readers, directory: AccountDirectory, regions: Sequence[str], workers: int = DEFAULT_WORKERS
) -> dict[str, Any]:
    """Every known account (hub, targets, their staging accounts) over ``regions``; per target
    account the combined replication of the target and its staging accounts."""
    accounts = directory.known_accounts()
    entries, per_account = _accounts_capacity(readers, accounts, regions, workers)
    return {
        "regions": list(regions),
        "accounts": entries,
        "targets": _combined(accounts, per_account),
        "status": _overall([e for e in entries if e["status"] != "ERROR"]),
        "unreachableAccounts": [e["accountId"] for e in entries if e["status"] == "ERROR"],
    }


def target_capacity(
    readers: Readers, directory: AccountDirectory, target_account_id: str, regions: Sequence[str],
    workers: int = DEFAULT_WORKERS,
) -> dict[str, Any]:
    """One target account and its staging accounts over ``regions``: each account's capacity, their
    combined replication (each account-region may replicate 300 servers, so staging accounts add
    room), the target's recovery-instance headroom, and a warning per figure that needs attention."""
    known = directory.known_accounts()
    members = [a for a in known if a.account_id == target_account_id and a.kind is not AccountKind.STAGING]
    if not members or (members[0].kind is AccountKind.HUB
                       and not any(t.account_id == target_account_id for t in directory.targets())):
        raise NotFound(f"account {target_account_id} is not a registered target account", code="ACCOUNT_NOT_FOUND",
                       details={"accountId": target_account_id})
    members += [a for a in known if a.target_account_id == target_account_id]
    entries, per_account = _accounts_capacity(readers, members, regions, workers)
    usages = [u for m in members for _, u in per_account.get(m.account_id, []) if u is not None]
    target_usages = [u for _, u in per_account.get(target_account_id, []) if u is not None]
    recovery = metric("recoveryInstances", sum(u.recovery_instances for u in target_usages),
                      MAX_RECOVERY_INSTANCES * len(target_usages)) if target_usages else None
    return {
        "targetAccountId": target_account_id,
        "stagingAccountIds": [m.account_id for m in members[1:]],
        "regions": list(regions),
        "status": _overall([e for e in entries if e["status"] != "ERROR"]),
        "combined": combined_replication(usages, len(usages)),
        "recoveryCapacity": recovery,
        "accounts": entries,
        "warnings": _warnings(entries),
        "unreachableAccounts": [e["accountId"] for e in entries if e["status"] == "ERROR"],
    }


def _warnings(entries: Sequence[dict[str, Any]]) -> list[str]:
    out = []
    for entry in entries:
        account = entry["accountId"]
        if entry["status"] == "ERROR":
            out.append(f"account {account} cannot be reached: {entry['error']['message']}")
            continue
        for region in entry["regions"]:
            state = region["regionStatus"]
            if state.get("status") != RegionState.OK.value:
                out.append(f"account {account} in {region['region']}: {state.get('message') or state.get('status')}")
            for m in region.get("metrics") or []:
                if m["status"] != CapacityStatus.OK.value:
                    out.append(f"account {account} in {region['region']}: {m['metric']} {m['used']}/{m['limit']} "
                               f"({m['percentUsed']}%) is {m['status']}")
    return out


def _combined(
    accounts: Sequence[KnownAccount], per_account: dict[str, list[tuple[dict[str, Any], RegionUsage | None]]]
) -> list[dict[str, Any]]:
    out = []
    for target in accounts:
        if target.kind is AccountKind.STAGING:
            continue
        members = [target] + [a for a in accounts if a.target_account_id == target.account_id]
        usages = [u for m in members for _, u in per_account.get(m.account_id, []) if u is not None]
        out.append(
            {
                "targetAccountId": target.account_id,
                "stagingAccountIds": [m.account_id for m in members[1:]],
                "combined": combined_replication(usages, len(usages)),
            }
        )
    return out
