"""The read side (query function): DRS inventory, capacity and quotas, EC2 pickers, the accounts the
hub knows, and the live status of an execution."""

from __future__ import annotations

import re
from typing import Any

from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.inventory import (
    ServerFilter,
    parse_limit,
    parse_replication_states,
    parse_server_ids,
    parse_tag_filter,
)
from drs_orch.domain.models import ACCOUNT_ID_PATTERN, REGION_PATTERN
from drs_orch.domain.rbac import Permission
from drs_orch.entrypoints.routing import Request, Route
from drs_orch.entrypoints.wiring import container
from drs_orch.services import capacity, ec2_queries, inventory, realtime

P = Permission
MAX_REGIONS = 32


def _region(req: Request) -> str:
    region = (req.query.get("region") or "").strip() or container().settings.region
    if not re.match(REGION_PATTERN, region):
        raise ValidationFailed(f"region {region!r} is not an AWS region name", code="INVALID_PARAMETER")
    return region


def _regions(req: Request) -> list[str]:
    raw = (req.query.get("regions") or req.query.get("region") or "").strip()
    if not raw:
        return list(container().drs_regions)
    regions = list(dict.fromkeys(r.strip() for r in raw.split(",") if r.strip()))
    bad = [r for r in regions if not re.match(REGION_PATTERN, r)]
    if bad or not regions or len(regions) > MAX_REGIONS:
        raise ValidationFailed(f"regions must be 1 to {MAX_REGIONS} AWS region names; invalid: {', '.join(bad)}",
                               code="INVALID_PARAMETER")
    return regions


def _account_id(req: Request) -> str | None:
    account_id = (req.query.get("accountId") or "").strip() or None
    if account_id is not None and not re.match(ACCOUNT_ID_PATTERN, account_id):
        raise ValidationFailed(f"accountId {account_id!r} is not a 12-digit AWS account id", code="INVALID_PARAMETER")
    return account_id


def _context(req: Request) -> AccountContext:
    return container().accounts.context_for(_account_id(req), _region(req))


# ------------------------------------------------------------------ DRS


def source_servers(req: Request) -> dict[str, Any]:
    q = req.query
    server_filter = ServerFilter(
        tags=parse_tag_filter(q.get("tags")),
        replication_states=parse_replication_states(q.get("replicationState")),
        server_ids=parse_server_ids(q.get("sourceServerIds")),
    )
    limit = parse_limit(q.get("limit"))
    ctx = _context(req)
    c = container()
    return inventory.list_source_servers(
        c.readers, c.groups_by_account_region, ctx, server_filter, limit=limit,
        next_token=q.get("nextToken") or None, current_group_id=q.get("currentProtectionGroupId") or None,
    )


def service_limits(req: Request) -> dict[str, Any]:
    c = container()
    ctx = _context(req)
    c.readers.check_access(ctx)
    return capacity.region_capacity(c.readers, ctx)


def quotas(req: Request) -> dict[str, Any]:
    c = container()
    account_id = _account_id(req)
    regions = _regions(req)
    return capacity.account_capacity(c.readers, lambda region: c.accounts.context_for(account_id, region), regions)


def accounts_capacity(req: Request) -> dict[str, Any]:
    c = container()
    return capacity.all_accounts_capacity(c.readers, c.accounts, _regions(req))


def target_capacity(req: Request) -> dict[str, Any]:
    c = container()
    account_id = req.path_param("accountId")
    if not re.match(ACCOUNT_ID_PATTERN, account_id):
        raise ValidationFailed(f"accountId {account_id!r} is not a 12-digit AWS account id", code="INVALID_PARAMETER")
    return capacity.target_capacity(c.readers, c.accounts, account_id, _regions(req))


def drs_accounts(_: Request) -> dict[str, Any]:
    return inventory.list_accounts(container().accounts)


def current_account(req: Request) -> dict[str, Any]:
    return inventory.current_account(container().accounts, _region(req))


# ------------------------------------------------------------------ EC2 / IAM


def ec2_subnets(req: Request) -> dict[str, Any]:
    return ec2_queries.subnets(container().readers, _context(req), req.query.get("vpcId"))


def ec2_security_groups(req: Request) -> dict[str, Any]:
    return ec2_queries.security_groups(container().readers, _context(req), req.query.get("vpcId"))


def ec2_instance_types(req: Request) -> dict[str, Any]:
    return ec2_queries.instance_types(container().readers, _context(req), req.query.get("instanceFamily"))


def ec2_instance_profiles(req: Request) -> dict[str, Any]:
    return ec2_queries.instance_profiles(container().readers, _context(req))


# ------------------------------------------------------------------ executions


def execution_realtime(req: Request) -> dict[str, Any]:
    c = container()
    return realtime.execution_realtime(
        c.execution_items, c.accounts.context_for, c.readers, req.path_param("executionId"),
        default_region=c.settings.region, now=c.clock.now(),
    )


ROUTES: list[Route] = [
    Route("GET", "/drs/source-servers", "get_drs_source_servers", "query", P.VIEW_PROTECTION_GROUPS, source_servers,
          summary="DRS source servers of one account and region: ?region&accountId&tags&replicationState"
                  "&sourceServerIds&currentProtectionGroupId&limit&nextToken"),
    Route("GET", "/drs/service-limits", "get_drs_service_limits", "query", P.VIEW_ACCOUNTS, service_limits,
          summary="DRS limits and current usage of one account and region (?accountId&region)"),
    Route("GET", "/drs/quotas", "get_drs_quotas", "query", P.VIEW_ACCOUNTS, quotas,
          summary="DRS capacity of one account over its regions (?accountId&regions)"),
    Route("GET", "/drs/accounts", "get_drs_accounts", "query", P.VIEW_ACCOUNTS, drs_accounts,
          summary="The hub, the target accounts and their staging accounts"),
    Route("GET", "/accounts/capacity", "get_accounts_capacity", "query", P.VIEW_ACCOUNTS, accounts_capacity,
          summary="DRS capacity of every target and staging account, queried in parallel (?regions)"),
    Route("GET", "/accounts/targets/{accountId}/capacity", "get_target_account_capacity", "query", P.VIEW_ACCOUNTS,
          target_capacity, summary="DRS capacity of one target account and its staging accounts: combined "
                                   "replication, recovery headroom, warnings (?regions)"),
    Route("GET", "/accounts/current", "get_current_account_info", "query", P.VIEW_ACCOUNTS, current_account,
          summary="The hub account this API runs in"),
    Route("GET", "/ec2/subnets", "get_ec2_subnets", "query", P.VIEW_PROTECTION_GROUPS, ec2_subnets,
          summary="Subnets of one account and region (?region&accountId&vpcId)"),
    Route("GET", "/ec2/security-groups", "get_ec2_security_groups", "query", P.VIEW_PROTECTION_GROUPS,
          ec2_security_groups, summary="Security groups of one account and region (?region&accountId&vpcId)"),
    Route("GET", "/ec2/instance-types", "get_ec2_instance_types", "query", P.VIEW_PROTECTION_GROUPS,
          ec2_instance_types, summary="EC2 instance types (?region&accountId&instanceFamily)"),
    Route("GET", "/ec2/instance-profiles", "get_ec2_instance_profiles", "query", P.VIEW_PROTECTION_GROUPS,
          ec2_instance_profiles, summary="IAM instance profiles of one account (?accountId)"),
    Route("GET", "/executions/{executionId}/realtime", "get_execution_realtime", "query", P.VIEW_EXECUTIONS,
          execution_realtime, summary="Stored execution status reconciled with live DRS and EC2 in one batched pass"),
]
