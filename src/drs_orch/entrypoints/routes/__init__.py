"""THE route table: every use case once, with method, path, operation, function and permission.

Each area keeps its routes in its own module (``ROUTES`` there); ``AREAS`` names each module with
the functions its routes are served by. A Lambda function imports only the modules of its own
function (:func:`routes_for`), so a cold start pays for its own routes and nothing else; the whole
table (``ROUTES``, loaded on first use) drives OpenAPI, the template's API methods, RBAC and the
alias checks. Loading the whole table checks that every module's routes are served by the
functions ``AREAS`` names for it (a route added to a module under another function fails at once,
naming the module), and that operations and paths are unique.

Adding a route: add it to its area module's ``ROUTES``. A new area module, or a module whose routes
now reach another function: one entry here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drs_orch.entrypoints.routing import Route

# area module (in this package) -> the functions its routes are served by. Order = table order.
AREAS: dict[str, tuple[str, ...]] = {
    "system": ("query",),
    "protection_groups": ("data-management",),
    "launch_settings": ("data-management",),
    "recovery_plans": ("data-management",),
    "readiness": ("data-management",),
    "native_plans": ("data-management",),
    "target_accounts": ("data-management", "query"),
    "tag_sync": ("data-management",),
    "config_io": ("data-management",),
    "executions": ("execution",),
    "inventory": ("query",),
    "operations": ("execution", "query"),
    "failover": ("data-management", "query", "execution"),
}

_by_function: dict[str, list[Route]] = {}
_all: list[Route] | None = None


def _module_routes(area: str) -> list[Route]:
    routes: list[Route] = importlib.import_module(f"{__name__}.{area}").ROUTES
    return routes


def routes_for(function: str) -> list[Route]:
    """The routes ``function`` serves, importing only the area modules that serve it."""
    found = _by_function.get(function)
    if found is None:
        found = [r for area, functions in AREAS.items() if function in functions
                 for r in _module_routes(area) if r.function == function]
        _by_function[function] = found
    return found


def all_routes() -> list[Route]:
    """The whole table (every area module imported), checked once."""
    global _all
    if _all is None:
        table: list[Route] = []
        for area, functions in AREAS.items():
            for r in _module_routes(area):
                if r.function not in functions:
                    raise RuntimeError(f"route {r.operation} of routes/{area}.py is served by {r.function}, "
                                       f"which AREAS does not name for {area}: add it there")
                table.append(r)
        _check_unique(table)
        _all = table
    return _all


def _check_unique(table: list[Route]) -> None:
    seen_ops: set[str] = set()
    seen_paths: set[tuple[str, str]] = set()
    for r in table:
        if r.operation in seen_ops or (r.method, r.path) in seen_paths:
            raise RuntimeError(f"duplicate route {r.method} {r.path} / {r.operation}")
        seen_ops.add(r.operation)
        seen_paths.add((r.method, r.path))


def __getattr__(name: str) -> Any:
    """``ROUTES`` (``from drs_orch.entrypoints.routes import ROUTES``) is the whole table, loaded on
    first use; area modules stay importable as attributes."""
    if name == "ROUTES":
        return all_routes()
    if name in AREAS or name == "aliases":
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
