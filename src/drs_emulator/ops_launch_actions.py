"""Launch actions (SSM documents run after launch) on a source server (``s-``) or a launch
configuration template (``lct-``).

* The resource must exist in the caller's account-region (ResourceNotFoundException).
* ``PutLaunchAction`` creates or replaces the action with that ``actionId``; two actions of one
  resource cannot share an ``order`` (ConflictException). At most
  ``Quotas.max_launch_actions_per_resource`` (200, the model's list maximum) actions per resource
  (ServiceQuotaExceededException).
* Runs (DescribeJobs ``participatingServers[].launchActionsStatus``): when a LAUNCH job launched a
  server whose launch configuration has ``postLaunchEnabled``, the SSM agent is discovered
  ``SSM_DISCOVERY_SECONDS`` after the launch and the server's active actions then run one after
  another in ``order``, ``ACTION_RUN_SECONDS`` each: IN_PROGRESS, then SUCCEEDED. The actions are
  the server's at the time of the read. Drills run them too.
* The action ``type`` follows the SSM document kind: ``AWS-Run*`` command documents (and any document
  whose name contains ``RunCommand``/``RunShellScript``/``RunPowerShellScript``) are SSM_COMMAND, other
  documents are SSM_AUTOMATION.
"""

from __future__ import annotations

from typing import Any

from . import errors, ids
from .pagination import paginate
from .registry import Ctx, operation
from .state import Job, Participant
from .wire import iso

SSM_DISCOVERY_SECONDS = 60.0
ACTION_RUN_SECONDS = 120.0

ACTION_FIELDS = (
    "actionId",
    "actionCode",
    "name",
    "active",
    "order",
    "actionVersion",
    "optional",
    "parameters",
    "description",
    "category",
)


def _document_type(action_code: str) -> str:
    name = action_code.rsplit("/", 1)[-1]
    command_markers = ("RunCommand", "RunShellScript", "RunPowerShellScript")
    if name.startswith("AWS-Run") or any(m in name for m in command_markers):
        return "SSM_COMMAND"
    return "SSM_AUTOMATION"


def _actions(ctx: Ctx, resource_id: str) -> dict[str, dict[str, Any]]:
    if resource_id.startswith("s-"):
        ctx.server(resource_id)
    elif resource_id not in ctx.state.templates:
        raise errors.not_found("LAUNCH_CONFIGURATION_TEMPLATE", resource_id)
    return ctx.state.launch_actions.setdefault(resource_id, {})


@operation("PutLaunchAction")
def put_launch_action(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    resource_id = p["resourceId"]
    actions = _actions(ctx, resource_id)
    action_id = p["actionId"]
    clash = next(
        (a for a in actions.values() if a["order"] == p["order"] and a["actionId"] != action_id), None
    )
    if clash is not None:
        raise errors.conflict(
            "LAUNCH_ACTION",
            action_id,
            f"Launch action {clash['actionId']} of {resource_id} already has order {p['order']}",
        )
    limit = ctx.emulator.quotas.max_launch_actions_per_resource
    if action_id not in actions and len(actions) >= limit:
        raise errors.quota_exceeded(
            "LAUNCH_ACTION", "MaxLaunchActionsPerResource", f"At most {limit} launch actions per resource"
        )
    action = {k: p[k] for k in ACTION_FIELDS if k in p}
    action["type"] = _document_type(p["actionCode"])
    actions[action_id] = action
    return {"resourceId": resource_id, **action}


@operation("ListLaunchActions")
def list_launch_actions(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    actions = _actions(ctx, p["resourceId"])
    wanted = set((p.get("filters") or {}).get("actionIds") or [])
    items = sorted(
        (a for a in actions.values() if not wanted or a["actionId"] in wanted), key=lambda a: a["order"]
    )
    page, token = paginate(items, p, "ListLaunchActions", ctx.account, ctx.region)
    return {"items": page, "nextToken": token}


@operation("DeleteLaunchAction")
def delete_launch_action(ctx: Ctx, p: dict[str, Any]) -> None:
    actions = _actions(ctx, p["resourceId"])
    if actions.pop(p["actionId"], None) is None:
        raise errors.not_found("LAUNCH_ACTION", p["actionId"], f"Launch action {p['actionId']} not found")
    return None


def launch_actions_status(ctx: Ctx, job: Job, part: Participant) -> dict[str, Any] | None:
    """The post-launch action runs of one participant of a LAUNCH job, as of ``ctx.now``."""
    server = ctx.state.servers.get(part.server_id)
    if (
        job.job_type != "LAUNCH"
        or job.initiated_by == "FAILBACK"
        or part.launch_status != "LAUNCHED"
        or part.finished_at is None
        or server is None
        or not server.launch_config.get("postLaunchEnabled")
    ):
        return None
    discovered = part.finished_at + SSM_DISCOVERY_SECONDS
    if ctx.now < discovered:
        return {"runs": []}
    actions = sorted(
        (a for a in ctx.state.launch_actions.get(server.server_id, {}).values() if a.get("active")),
        key=lambda a: a["order"],
    )
    runs = []
    for k, action in enumerate(actions):
        begins = discovered + k * ACTION_RUN_SECONDS
        if ctx.now < begins:
            break
        runs.append(
            {
                "action": action,
                "runId": ids.uuid_for(f"{job.job_id}/{part.server_id}/{action['actionId']}"),
                "status": "SUCCEEDED" if ctx.now >= begins + ACTION_RUN_SECONDS else "IN_PROGRESS",
            }
        )
    return {"ssmAgentDiscoveryDatetime": iso(discovered), "runs": runs}
