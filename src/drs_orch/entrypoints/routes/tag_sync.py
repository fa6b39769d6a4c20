"""Tag sync runs and their schedule (data-management function). The EventBridge rule invokes
``run_tag_sync`` directly."""

from __future__ import annotations

from typing import Any

from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.rbac import Permission as P
from drs_orch.entrypoints.routing import Request, Result, Route
from drs_orch.entrypoints.wiring import container

F = "data-management"


def run(req: Request) -> dict[str, Any] | Result:
    body = dict(req.body)
    if req.principal.via == "api":
        body["source"] = "api"
    c = container()
    if body.get("async") is True:
        if not req.function_arn:
            raise ValidationFailed("async runs need the serving Lambda function", code="ASYNC_UNAVAILABLE")
        arn = req.function_arn

        def dispatch(worker: dict[str, Any]) -> None:
            c.run_in_background(arn, {"operation": "run_tag_sync", "body": worker})

        return Result(202, c.tag_sync.start_async(body, req.principal.username, dispatch))
    return c.tag_sync.run(body, req.principal.username)


def last_run(req: Request) -> dict[str, Any]:
    if req.query.get("runId"):
        return container().tag_sync.run_status(req.query["runId"])
    return container().tag_sync.last_run()


def get_settings(_: Request) -> dict[str, Any]:
    return container().tag_sync.settings()


def put_settings(req: Request) -> dict[str, Any]:
    return container().tag_sync.update_settings(req.body, req.principal.username)


ROUTES: list[Route] = [
    Route("POST", "/drs/tag-sync", "run_tag_sync", F, P.MODIFY_PROTECTION_GROUPS, run,
          summary="Copy EC2 instance tags onto DRS source servers now; body accountId, region(s); "
                  "async: true answers 202 with a runId to poll"),
    Route("GET", "/drs/tag-sync", "get_tag_sync_status", F, P.VIEW_PROTECTION_GROUPS, last_run,
          summary="The last tag sync run and its counts; ?runId= one run (async runs)"),
    Route("GET", "/config/tag-sync", "get_tag_sync_settings", F, P.VIEW_PROTECTION_GROUPS, get_settings,
          summary="The tag sync schedule: enabled, intervalHours, regions"),
    Route("PUT", "/config/tag-sync", "update_tag_sync_settings", F, P.MODIFY_PROTECTION_GROUPS, put_settings,
          summary="Change the tag sync schedule (intervalHours 1-24)"),
]
