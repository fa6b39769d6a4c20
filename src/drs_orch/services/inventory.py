"""DRS source server inventory of one account and region (``GET /drs/source-servers``) and the
accounts the hub knows (``GET /drs/accounts``, ``GET /accounts/current``)."""

from __future__ import annotations

from typing import Any

from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.inventory import (
    RegionState,
    RegionUnavailable,
    ServerFilter,
    decode_token,
    group_index,
    page,
    region_status,
    summarize_source_server,
)
from drs_orch.services.accounts import AccountDirectory
from drs_orch.services.query_ports import GroupsByAccountRegion, Readers


def list_source_servers(
    readers: Readers,
    groups: GroupsByAccountRegion,
    ctx: AccountContext,
    server_filter: ServerFilter,
    *,
    limit: int,
    next_token: str | None = None,
    current_group_id: str | None = None,
) -> dict[str, Any]:
    """Servers of one account and region, filtered first, then paged (sorted by server id so
    that pages are stable). A region DRS cannot answer for gives an empty list and its status."""
    fingerprint = server_filter.fingerprint(ctx.account_id, ctx.region)
    decode_token(next_token, fingerprint)  # refuse a foreign token before calling DRS
    status = region_status(RegionState.OK)
    drs = readers.drs(ctx)
    try:
        ids = sorted(server_filter.server_ids) if server_filter.server_ids else None
        raw = drs.source_servers(ids)
    except RegionUnavailable as exc:
        raw = []
        status = region_status(exc.state, exc.reason)
    matching = sorted((s for s in raw if server_filter.accepts(s)), key=lambda s: str(s.get("sourceServerID")))
    chunk, token = page(matching, limit, next_token, fingerprint)
    index = group_index(groups.groups_in(ctx.account_id, ctx.region)) if chunk else {}
    servers = [
        summarize_source_server(s, index.get(str(s.get("sourceServerID"))), current_group_id) for s in chunk
    ]
    out: dict[str, Any] = {
        "servers": servers,
        "serverCount": len(servers),
        "totalCount": len(matching),
        "region": ctx.region,
        "accountId": ctx.account_id,
        "regionStatus": status,
    }
    if token:
        out["nextToken"] = token
    return out


def list_accounts(directory: AccountDirectory) -> dict[str, Any]:
    accounts = []
    for known in directory.known_accounts():
        entry = known.public()
        entry["isCurrentAccount"] = known.account_id == directory.hub_account_id
        accounts.append(entry)
    return {"accounts": accounts, "count": len(accounts), "hubAccountId": directory.hub_account_id}


def current_account(directory: AccountDirectory, region: str) -> dict[str, Any]:
    return {
        "accountId": directory.hub_account_id,
        "accountName": directory.account_name(directory.hub_account_id),
        "region": region,
        "isCurrentAccount": True,
        "registeredTargets": len(directory.targets()),
    }
