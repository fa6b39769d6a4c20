"""Routes of this area (filled by its issue)."""

from __future__ import annotations

from drs_orch.entrypoints.routing import Route

ROUTES: list[Route] = []
