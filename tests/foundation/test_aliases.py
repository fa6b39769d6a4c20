"""The earlier system's operation names: every alias resolves to an operation of the route table,
and direct invocation answers a name sent to the wrong function with the function that serves it."""

from __future__ import annotations

from typing import Any

import pytest

from drs_orch.entrypoints import lambdas
from drs_orch.entrypoints.routes import ROUTES
from drs_orch.entrypoints.routes.aliases import ALIASES, RETIRED, resolve
from drs_orch.entrypoints.routing import FUNCTIONS

OPERATIONS = {r.operation: r for r in ROUTES}


def test_every_alias_resolves_to_an_existing_operation_and_shadows_none() -> None:
    assert ALIASES, "the alias table is empty"
    for name, alias in ALIASES.items():
        route = resolve(name)
        assert route is not None and route is OPERATIONS[alias.operation], name
        assert name not in OPERATIONS
    for name in OPERATIONS:
        assert resolve(name) is OPERATIONS[name]
    assert not set(RETIRED) & (set(ALIASES) | set(OPERATIONS))


def test_the_names_the_seeds_use_are_accepted() -> None:
    expected = {
        "poll_execution_status": "get_execution_status", "get_drs_account_capacity": "get_drs_quotas",
        "get_execution": "get_execution_details", "start_execution": "execute_recovery_plan",
        "list_protection_groups": "list_protection_groups",
        "resolve_protection_group_tags": "resolve_protection_group_tags", "trigger_tag_sync": "run_tag_sync",
        "handle_drs_tag_sync": "run_tag_sync", "get_target_accounts": "get_drs_accounts",
        "get_current_account_id": "get_current_account_info", "execute_recovery_plan": "execute_recovery_plan",
        "get_execution_details": "get_execution_details", "get_drs_source_servers": "get_drs_source_servers",
        "create_protection_group": "create_protection_group", "create_recovery_plan": "create_recovery_plan",
        "sync_staging_accounts": "sync_staging_accounts", "validate_staging_account": "validate_staging_account",
    }
    for name, operation in expected.items():
        route = resolve(name)
        assert route is not None and route.operation == operation, name


@pytest.mark.parametrize("name", sorted(set(ALIASES) | {"export_configuration", "list_protection_groups"}))
def test_a_name_sent_to_the_wrong_function_names_the_right_one(name: str) -> None:
    route = resolve(name)
    assert route is not None
    for function in FUNCTIONS:
        if function == route.function:
            continue
        answer: Any = lambdas._handle(function, {"operation": name}, None)
        assert answer["error"] == "WRONG_FUNCTION", answer
        assert answer["details"]["function"] == route.function and route.function in answer["message"]
        assert answer["details"]["operation"] == route.operation


def test_retired_and_unknown_names_say_so() -> None:
    answer = lambdas._handle("query", {"operation": "sync_source_server_inventory"}, None)
    assert answer["error"] == "OPERATION_RETIRED" and "get_drs_source_servers" in answer["message"]
    answer = lambdas._handle("query", {"operation": "no_such_thing"}, None)
    assert answer["error"] == "UNKNOWN_OPERATION" and "get_drs_quotas" in answer["details"]["operations"]
