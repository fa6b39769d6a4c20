"""THE route table: every use case once, with method, path, operation, function and permission.
Each area keeps its routes in its own module; this list is their union."""

from __future__ import annotations

from drs_orch.entrypoints.routes import (
    config_io,
    executions,
    failover,
    inventory,
    launch_settings,
    native_plans,
    operations,
    protection_groups,
    readiness,
    recovery_plans,
    system,
    tag_sync,
    target_accounts,
)
from drs_orch.entrypoints.routing import Route

ROUTES: list[Route] = [
    *system.ROUTES,
    *protection_groups.ROUTES,
    *launch_settings.ROUTES,
    *recovery_plans.ROUTES,
    *readiness.ROUTES,
    *native_plans.ROUTES,
    *target_accounts.ROUTES,
    *tag_sync.ROUTES,
    *config_io.ROUTES,
    *executions.ROUTES,
    *inventory.ROUTES,
    *operations.ROUTES,
    *failover.ROUTES,
]


def routes_for(function: str) -> list[Route]:
    return [r for r in ROUTES if r.function == function]


def _check_unique() -> None:
    seen_ops: set[str] = set()
    seen_paths: set[tuple[str, str]] = set()
    for r in ROUTES:
        if r.operation in seen_ops or (r.method, r.path) in seen_paths:
            raise RuntimeError(f"duplicate route {r.method} {r.path} / {r.operation}")
        seen_ops.add(r.operation)
        seen_paths.add((r.method, r.path))


_check_unique()
