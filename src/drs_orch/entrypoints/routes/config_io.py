"""Configuration export and import (data-management function)."""

from __future__ import annotations

from typing import Any

from drs_orch.domain.rbac import Permission as P
from drs_orch.entrypoints.routes.launch_settings import background_runs
from drs_orch.entrypoints.routing import Request, Route
from drs_orch.entrypoints.wiring import container

F = "data-management"


def export(_: Request) -> dict[str, Any]:
    return container().config_io.export()


def import_config(req: Request) -> dict[str, Any]:
    return container().config_io.import_config(req.body, req.principal.username, background=background_runs(req))


ROUTES: list[Route] = [
    Route("GET", "/config/export", "export_configuration", F, P.EXPORT_CONFIGURATION, export,
          summary="Accounts (without secrets), groups and plans as a versioned document"),
    Route("POST", "/config/import", "import_configuration", F, P.IMPORT_CONFIGURATION, import_config,
          summary="Import a document {config, dryRun, mode: skip|overwrite}; all or nothing"),
]
