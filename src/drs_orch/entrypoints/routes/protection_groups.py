"""Protection groups: CRUD, tag preview and re-resolution (data-management function)."""

from __future__ import annotations

from typing import Any

from drs_orch.domain.models import parse
from drs_orch.domain.rbac import Permission as P
from drs_orch.domain.requests import TagPreviewInput
from drs_orch.entrypoints.routes.launch_settings import background_runs
from drs_orch.entrypoints.routing import Request, Route
from drs_orch.entrypoints.wiring import container

F = "data-management"


def list_groups(req: Request) -> dict[str, Any]:
    return container().protection_groups.list_page(req.query)


def create_group(req: Request) -> dict[str, Any]:
    return container().protection_groups.create(req.body, req.principal.username, background=background_runs(req))


def get_group(req: Request) -> dict[str, Any]:
    return container().protection_groups.get(req.path_param("groupId"))


def update_group(req: Request) -> dict[str, Any]:
    return container().protection_groups.update(req.path_param("groupId"), req.body, req.principal.username,
                                                background=background_runs(req))


def delete_group(req: Request) -> dict[str, Any]:
    return container().protection_groups.delete(req.path_param("groupId"), req.principal.username)


def preview_tags(req: Request) -> dict[str, Any]:
    parse(TagPreviewInput, req.body)
    return container().protection_groups.preview(req.body)


def refresh_group(req: Request) -> dict[str, Any]:
    return container().protection_groups.refresh(req.path_param("groupId"), req.principal.username,
                                                 background=background_runs(req))


ROUTES: list[Route] = [
    Route("GET", "/protection-groups", "list_protection_groups", F, P.VIEW_PROTECTION_GROUPS, list_groups,
          summary="Protection groups by name; filters accountId, region, name (prefix); limit, nextToken"),
    Route("POST", "/protection-groups", "create_protection_group", F, P.CREATE_PROTECTION_GROUPS, create_group,
          status=201, summary="Create a group from sourceServerIds or serverSelectionTags"),
    Route("POST", "/protection-groups/resolve", "resolve_protection_group_tags", F, P.VIEW_PROTECTION_GROUPS,
          preview_tags, summary="Preview the servers a tag selection matches (nothing is saved)"),
    Route("GET", "/protection-groups/{groupId}", "get_protection_group", F, P.VIEW_PROTECTION_GROUPS, get_group,
          summary="One protection group with the plans that use it"),
    Route("PUT", "/protection-groups/{groupId}", "update_protection_group", F, P.MODIFY_PROTECTION_GROUPS,
          update_group, summary="Change a group; the body carries the version it read"),
    Route("DELETE", "/protection-groups/{groupId}", "delete_protection_group", F, P.DELETE_PROTECTION_GROUPS,
          delete_group, summary="Delete a group no plan uses"),
    Route("POST", "/protection-groups/{groupId}/resolve", "refresh_protection_group", F, P.MODIFY_PROTECTION_GROUPS,
          refresh_group, summary="Re-resolve a tag group's selection and save the new server snapshot"),
]
