"""Operation names of the earlier system (seed 003's examples, its three handlers' direct
invocation) and what they are here. Direct invocation accepts an alias as if it were our name; an
alias (or one of our names) sent to the wrong function is answered with an error naming the
function that serves it; a name whose operation no longer exists is answered with what to use
instead. REST is unaffected: it is routed by method and path."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from drs_orch.entrypoints.routes import all_routes, routes_for

if TYPE_CHECKING:
    from drs_orch.entrypoints.routing import Route


@dataclass(frozen=True)
class Alias:
    operation: str  # ours
    note: str = ""


ALIASES: dict[str, Alias] = {
    # data-management handler
    "list_protection_group": Alias("list_protection_groups"),
    "list_recovery_plan": Alias("list_recovery_plans"),
    "sync_launch_configs": Alias("apply_launch_configs", "the earlier asynchronous worker; here the apply itself"),
    "handle_drs_tag_sync": Alias("run_tag_sync"),
    "trigger_tag_sync": Alias("run_tag_sync"),
    "sync_extended_source_servers": Alias("sync_staging_accounts"),
    # execution handler
    "start_execution": Alias("execute_recovery_plan"),
    "get_execution": Alias("get_execution_details"),
    "poll_execution_status": Alias("get_execution_status"),
    "poll": Alias("get_execution_status", "the earlier legacy form {operation: poll, executionId}"),
    # query handler
    "get_drs_account_capacity": Alias("get_drs_quotas", "one account over its regions (?accountId&regions)"),
    "get_drs_account_capacity_all_regions": Alias("get_drs_quotas"),
    "get_drs_regional_capacity": Alias("get_drs_service_limits", "one account and region (?accountId&region)"),
    "get_combined_capacity": Alias("get_target_account_capacity", "one target and its staging accounts"),
    "get_target_accounts": Alias("get_drs_accounts"),
    "get_staging_accounts": Alias("get_drs_accounts", "each staging account is listed with its targetAccountId"),
    "get_current_account_id": Alias("get_current_account_info"),
    "get_source_server_inventory": Alias("get_drs_source_servers", "read live from DRS, per account and region"),
}

# Names of the earlier system with no operation here, and what to use instead.
RETIRED: dict[str, str] = {
    "sync_recovery_instances": "recovery instances are read live: get_recovery_instances (execution function) "
                               "or check_existing_instances",
    "get_recovery_instance_sync_status": "recovery instances are read live; there is no cache to sync",
    "sync_source_server_inventory": "source servers are read live from DRS: get_drs_source_servers (query function)",
    "discover_staging_accounts": "staging accounts are registered explicitly: add_staging_account; check one first "
                                 "with validate_staging_account (query function)",
    "get_server_config_history": "not kept; get_server_launch_config shows the settings and their apply status",
    "get_drs_capacity_conflicts": "capacity problems are reported by get_target_account_capacity (warnings) and "
                                  "refused at start with the servers and limits named",
    "find": "the engine follows its own executions; list_executions with ?status=RUNNING lists the active ones",
    "finalize": "the engine ends its own executions",
}

@cache
def by_operation() -> dict[str, Route]:
    """Every operation of the whole table (loads every area module; checks the aliases once)."""
    table = {r.operation: r for r in all_routes()}
    _check(table)
    return table


def resolve_in(function: str, name: str) -> Route | None:
    """The route ``name`` (ours or an alias) stands for among ``function``'s own routes, without
    loading the other functions' modules (the cold-start path of direct invocation)."""
    alias = ALIASES.get(name)
    wanted = alias.operation if alias is not None else name
    return next((r for r in routes_for(function) if r.operation == wanted), None)


def resolve(name: str) -> Route | None:
    """The route an operation name (ours or an alias) stands for, whichever function serves it."""
    table = by_operation()
    route = table.get(name)
    if route is not None:
        return route
    alias = ALIASES.get(name)
    return table.get(alias.operation) if alias is not None else None


def _check(table: dict[str, Route]) -> None:
    for name, alias in ALIASES.items():
        if name in table:
            raise RuntimeError(f"alias {name} shadows an operation of the route table")
        if alias.operation not in table:
            raise RuntimeError(f"alias {name} names no operation: {alias.operation}")
    for name in RETIRED:
        if name in table or name in ALIASES:
            raise RuntimeError(f"retired name {name} is also an operation or alias")
