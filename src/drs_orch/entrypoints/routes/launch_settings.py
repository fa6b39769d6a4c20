"""Launch settings of protection groups: per-server overrides, static IP checks, applying and status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.models import parse
from drs_orch.domain.rbac import Permission
from drs_orch.domain.requests import (
    ApplyLaunchConfigsInput,
    BulkLaunchInput,
    ServerLaunchInput,
    StaticIpInput,
    VersionInput,
)
from drs_orch.entrypoints.routing import Request, Route
from drs_orch.entrypoints.wiring import container

MODIFY = Permission.MODIFY_PROTECTION_GROUPS
VIEW = Permission.VIEW_PROTECTION_GROUPS
FUNCTION = "data-management"


def _actor(req: Request) -> str:
    return req.principal.email or req.principal.username


def background_runs(req: Request) -> Callable[[str, dict[str, str]], None] | None:
    """How a launch-settings apply that does not fit its budget queues its background runs: an
    asynchronous invocation of the serving function (as tag sync's ``async`` runs) with
    ``apply_launch_configs`` and a ``continuation``. None outside a Lambda function."""
    if not req.function_arn:
        return None
    arn = req.function_arn

    def dispatch(group_id: str, continuation: dict[str, str]) -> None:
        container().run_in_background(arn, {"operation": "apply_launch_configs", "pathParameters": {"groupId": group_id},
                                            "body": {"continuation": continuation},
                                            "invocationSource": "launch-settings-background"})

    return dispatch


def _flag(raw: Any, name: str) -> bool:
    if raw is None or isinstance(raw, bool):
        return bool(raw)
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise ValidationFailed(f"{name} must be true or false", details=[{"field": name, "message": "must be a boolean"}])


def put_server_config(req: Request) -> dict[str, Any]:
    parse(ServerLaunchInput, req.body)
    return container().launch_settings.put_server_config(
        req.path_param("groupId"), req.path_param("serverId"), req.body, _actor(req), background_runs(req))


def get_server_config(req: Request) -> dict[str, Any]:
    return container().launch_settings.get_server_config(req.path_param("groupId"), req.path_param("serverId"))


def delete_server_config(req: Request) -> dict[str, Any]:
    parse(VersionInput, req.body)
    version = req.query.get("version") or req.body.get("version")
    expected: Any = version
    if isinstance(version, str):
        if not version.isdigit():
            raise ValidationFailed("version must be an integer",
                                   details=[{"field": "version", "message": "must be an integer"}])
        expected = int(version)
    return container().launch_settings.delete_server_config(
        req.path_param("groupId"), req.path_param("serverId"), _actor(req), expected, background_runs(req))


def bulk_update(req: Request) -> dict[str, Any]:
    parse(BulkLaunchInput, req.body)
    return container().launch_settings.bulk_update(req.path_param("groupId"), req.body, _actor(req),
                                                   background_runs(req))


def validate_ip(req: Request) -> dict[str, Any]:
    parse(StaticIpInput, req.body)
    return container().launch_settings.validate_ip(req.path_param("groupId"), req.path_param("serverId"), req.body)


def apply_launch_configs(req: Request) -> dict[str, Any]:
    spec = parse(ApplyLaunchConfigsInput, req.body)
    service = container().launch_settings
    if spec.continuation is not None:  # a background run queued by an apply (background_runs)
        return service.continue_apply(req.path_param("groupId"), spec.continuation.model_dump(by_alias=True),
                                      background_runs(req))
    return service.apply_group(req.path_param("groupId"), _actor(req), force=spec.force,
                               background=background_runs(req))


def get_status(req: Request) -> dict[str, Any]:
    return container().launch_settings.get_status(
        req.path_param("groupId"), check_drift=_flag(req.query.get("checkDrift"), "checkDrift"))


_SERVER = "/protection-groups/{groupId}/servers/{serverId}"

ROUTES: list[Route] = [
    Route("PUT", f"{_SERVER}/launch-config", "update_server_launch_config", FUNCTION, MODIFY, put_server_config,
          summary="Set a server's launch settings override (validated, then applied)"),
    Route("GET", f"{_SERVER}/launch-config", "get_server_launch_config", FUNCTION, VIEW, get_server_config,
          summary="A server's override, effective launch settings, hash and status"),
    Route("DELETE", f"{_SERVER}/launch-config", "delete_server_launch_config", FUNCTION, MODIFY,
          delete_server_config, summary="Remove a server's override (back to the group defaults, applied)"),
    Route("POST", "/protection-groups/{groupId}/servers/bulk-launch-config", "bulk_update_server_configs", FUNCTION,
          MODIFY, bulk_update, summary="Set or remove several servers' overrides at once (all or nothing)"),
    Route("POST", f"{_SERVER}/validate-ip", "validate_static_ip", FUNCTION, VIEW, validate_ip,
          summary="Check a static private IP for a server: format, subnet, reserved, in use, duplicate"),
    Route("POST", "/protection-groups/{groupId}/apply-launch-configs", "apply_launch_configs", FUNCTION, MODIFY,
          apply_launch_configs, summary="Apply launch settings that changed, failed or drifted ({force} for all); "
                                        "what does not fit the time budget continues in the background"),
    Route("GET", "/protection-groups/{groupId}/launch-config-status", "get_launch_config_status", FUNCTION, VIEW,
          get_status, summary="Launch settings status per server (?checkDrift=true reads DRS and EC2)"),
]
