"""DRS native Recovery Plans: the 20 plan, step and execution operations (executions run on the job
lifecycle, see :mod:`drs_emulator.native_plans`).

Rules (errors where the model lists them):

* ARNs name a resource of the caller's account and region: another account's ARN is
  AccessDeniedException, another region's or an unknown id ResourceNotFoundException, an ARN of
  another resource kind ValidationException.
* Plans: names are unique per account-region, case-insensitively (ConflictException); at most
  ``Quotas.max_recovery_plans`` plans (ServiceQuotaExceededException). A ``clientToken`` repeated
  with the same request returns the first answer; with another request it is a ConflictException.
  A plan is INVALID while one of its steps names a source server that no longer exists, else ACTIVE.
* Steps: at most 20 per plan (ServiceQuotaExceededException); a step is SERVER (1-100 servers) or WAIT
  (exactly one configuration, ValidationException otherwise) and keeps its type; step names are
  unique in a plan and a server is in at most one step of a plan (ConflictException); servers must
  be source servers of the plan's account-region (ValidationException if the ARN names another
  one, ResourceNotFoundException if the server does not exist). ``stepOrder`` inserts at that
  position (1..n+1). ReorderRecoveryPlanSteps takes every step of the plan exactly once.
* A plan with an execution in a non-terminal status (CREATED, IN_PROGRESS, CANCELLING) cannot be
  changed, deleted or started again (ConflictException). Starting needs an ACTIVE plan with at least
  one SERVER step (ValidationException); ``sourceServers`` pins servers of the plan to a recovery
  snapshot (ValidationException for a server not in the plan, ResourceNotFoundException for an
  unknown snapshot); a server of the plan already in an active job is a ConflictException; a first
  SERVER step whose job would break a job quota is a ServiceQuotaExceededException (later steps that
  do, fail when they start).
* Execution steps: RetryRecoveryPlanExecutionStep needs a FAILED or TIMED_OUT SERVER step of a FAILED
  execution that is the plan's latest; UpdateRecoveryPlanExecutionStep sets status SKIPPED (from
  NOT_STARTED, or from FAILED/TIMED_OUT, which resumes a FAILED execution), or changes the servers /
  wait duration of a NOT_STARTED step of that type (ConflictException otherwise). Cancel needs a
  non-terminal execution, delete a terminal one (ConflictException).
"""

from __future__ import annotations

from typing import Any

from . import errors, ids
from . import snapshots as pit
from .native_plans import (
    FAILED_STEP_STATUSES,
    PlanRunner,
    execution_step_view,
    execution_view,
    new_execution_step_id,
    server_id_of,
)
from .ops_recovery import _check_job_quotas as check_job_quotas
from .pagination import paginate
from .registry import Ctx, operation
from .resources import ExecutionStep, NativePlan, PlanExecution, PlanStep
from .wire import iso

MAX_STEPS = 20


# ----------------------------------------------------------------------------- lookups


def _resolve(ctx: Ctx, arn: str, kind: str, field: str) -> str:
    parsed = ids.parse_arn(arn)
    if parsed is None or parsed[2] != kind:
        raise errors.field_error(field, f"not a {kind} ARN")
    region, account, _, resource_id = parsed
    if account != ctx.account:
        raise errors.access_denied(f"Account {ctx.account} is not authorized to access {arn}")
    if region != ctx.region:
        raise errors.not_found(kind.upper().replace("-", "_"), arn, f"{arn} is not in {ctx.region}")
    return resource_id


def _plan(ctx: Ctx, arn: str, field: str = "recoveryPlanArn") -> NativePlan:
    plan = ctx.state.recovery_plans.get(_resolve(ctx, arn, "recovery-plan", field))
    if plan is None:
        raise errors.not_found("RECOVERY_PLAN", arn, f"Recovery plan {arn} not found")
    return plan


def _step(ctx: Ctx, arn: str) -> tuple[NativePlan, PlanStep]:
    step_id = _resolve(ctx, arn, "recovery-plan-step", "recoveryPlanStepArn")
    for plan in ctx.state.recovery_plans.values():
        for step in plan.steps:
            if step.step_id == step_id:
                return plan, step
    raise errors.not_found("RECOVERY_PLAN_STEP", arn, f"Recovery plan step {arn} not found")


def _execution(ctx: Ctx, arn: str) -> PlanExecution:
    ex = ctx.state.plan_executions.get(
        _resolve(ctx, arn, "recovery-plan-execution", "recoveryPlanExecutionArn")
    )
    if ex is None:
        raise errors.not_found("RECOVERY_PLAN_EXECUTION", arn, f"Recovery plan execution {arn} not found")
    return ex


def _execution_step(ctx: Ctx, arn: str) -> tuple[PlanExecution, ExecutionStep]:
    step_id = _resolve(ctx, arn, "recovery-plan-execution-step", "recoveryPlanExecutionStepArn")
    for ex in ctx.state.plan_executions.values():
        for step in ex.steps:
            if step.step_id == step_id:
                return ex, step
    raise errors.not_found("RECOVERY_PLAN_EXECUTION_STEP", arn, f"Execution step {arn} not found")


def _active_execution(ctx: Ctx, plan: NativePlan) -> PlanExecution | None:
    return next(
        (e for e in ctx.state.plan_executions.values() if e.plan_id == plan.plan_id and not e.terminal), None
    )


def _ensure_idle(ctx: Ctx, plan: NativePlan) -> None:
    active = _active_execution(ctx, plan)
    if active is not None:
        raise errors.conflict(
            "RECOVERY_PLAN", plan.arn, f"Recovery plan has execution {active.arn} in status {active.status}"
        )


# ----------------------------------------------------------------------------- views


def _plan_status(ctx: Ctx, plan: NativePlan) -> str:
    for step in plan.steps:
        for server in (step.configuration.get("serverStepConfiguration") or {}).get("servers", []):
            if server_id_of(server["serverArn"]) not in ctx.state.servers:
                return "INVALID"
    return "ACTIVE"


def _plan_view(ctx: Ctx, plan: NativePlan) -> dict[str, Any]:
    return {
        "recoveryPlanArn": plan.arn,
        "name": plan.name,
        "description": plan.description,
        "status": _plan_status(ctx, plan),
        "createdAt": iso(plan.created_at),
        "updatedAt": iso(plan.updated_at),
        "tags": dict(plan.tags),
    }


def _step_view(plan: NativePlan, step: PlanStep) -> dict[str, Any]:
    return {
        "recoveryPlanStepArn": step.arn,
        "stepOrder": plan.steps.index(step) + 1,
        "stepName": step.name,
        "configuration": step.configuration,
        "createdAt": iso(step.created_at),
        "updatedAt": iso(step.updated_at),
    }


# ----------------------------------------------------------------------------- plans


def _check_name(ctx: Ctx, name: str, except_id: str | None = None) -> None:
    for other in ctx.state.recovery_plans.values():
        if other.plan_id != except_id and other.name.lower() == name.lower():
            raise errors.conflict(
                "RECOVERY_PLAN", other.arn, f"A recovery plan named {other.name} already exists"
            )


@operation("CreateRecoveryPlan")
def create_recovery_plan(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    token = p.get("clientToken")
    if token:
        earlier = next((x for x in ctx.state.recovery_plans.values() if x.client_token == token), None)
        if earlier is not None:
            if earlier.name != p["name"] or earlier.description != p.get("description"):
                raise errors.conflict(
                    "RECOVERY_PLAN", earlier.arn, "clientToken was used for another request"
                )
            return {"recoveryPlan": _plan_view(ctx, earlier)}
    _check_name(ctx, p["name"])
    limit = ctx.emulator.quotas.max_recovery_plans
    if len(ctx.state.recovery_plans) >= limit:
        raise errors.quota_exceeded(
            "RECOVERY_PLAN", "MaxRecoveryPlans", f"At most {limit} recovery plans per account and region"
        )
    plan_id = ids.derive("rp-", "rp", ctx.account, ctx.region, ctx.state.next_serial("rp"))
    plan = NativePlan(
        plan_id, ctx.account, ctx.region, p["name"], p.get("description"), ctx.now, ctx.now,
        dict(p.get("tags") or {}), client_token=token,
    )  # fmt: skip
    ctx.state.recovery_plans[plan_id] = plan
    return {"recoveryPlan": _plan_view(ctx, plan)}


@operation("GetRecoveryPlan")
def get_recovery_plan(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return {"recoveryPlan": _plan_view(ctx, _plan(ctx, p["recoveryPlanArn"]))}


@operation("ListRecoveryPlans")
def list_recovery_plans(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    page, token = paginate(
        list(ctx.state.recovery_plans.values()), p, "ListRecoveryPlans", ctx.account, ctx.region
    )
    return {"recoveryPlans": [_plan_view(ctx, x) for x in page], "nextToken": token}


@operation("UpdateRecoveryPlan")
def update_recovery_plan(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    plan = _plan(ctx, p["recoveryPlanArn"])
    _ensure_idle(ctx, plan)
    if "name" in p:
        _check_name(ctx, p["name"], plan.plan_id)
        plan.name = p["name"]
    if "description" in p:
        plan.description = p["description"]
    plan.updated_at = ctx.now
    return {"recoveryPlan": _plan_view(ctx, plan)}


@operation("DeleteRecoveryPlan")
def delete_recovery_plan(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    plan = _plan(ctx, p["recoveryPlanArn"])
    _ensure_idle(ctx, plan)
    del ctx.state.recovery_plans[plan.plan_id]
    return {"recoveryPlanArn": plan.arn}


# ----------------------------------------------------------------------------- steps


def _checked_servers(ctx: Ctx, servers: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    out = []
    seen: set[str] = set()
    for i, server in enumerate(servers):
        arn = server["serverArn"]
        parsed = ids.parse_arn(arn)
        if parsed is None or (parsed[1], parsed[0]) != (ctx.account, ctx.region):
            raise errors.field_error(
                f"{field}[{i}].serverArn", f"must be a source server of {ctx.account} in {ctx.region}"
            )
        if arn in seen:
            raise errors.field_error(f"{field}[{i}].serverArn", "a server can appear once in a step")
        seen.add(arn)
        ctx.server(parsed[3])
        out.append({"serverArn": arn, "impactLevel": server.get("impactLevel", "CRITICAL")})
    return out


def _checked_configuration(
    ctx: Ctx, plan: NativePlan, configuration: dict[str, Any], step: PlanStep | None
) -> dict[str, Any]:
    kinds = [
        k for k in ("serverStepConfiguration", "waitStepConfiguration") if configuration.get(k) is not None
    ]
    if len(kinds) != 1:
        raise errors.field_error(
            "configuration", "exactly one of serverStepConfiguration or waitStepConfiguration is required"
        )
    if step is not None and (kinds[0] == "waitStepConfiguration") != step.is_wait:
        raise errors.field_error("configuration", "the type of a step cannot change")
    if kinds[0] == "waitStepConfiguration":
        return {
            "waitStepConfiguration": {
                "waitDurationMinutes": configuration["waitStepConfiguration"]["waitDurationMinutes"]
            }
        }
    servers = _checked_servers(
        ctx,
        configuration["serverStepConfiguration"]["servers"],
        "configuration.serverStepConfiguration.servers",
    )
    elsewhere = {
        s["serverArn"]: other.name
        for other in plan.steps
        if other is not step
        for s in (other.configuration.get("serverStepConfiguration") or {}).get("servers", [])
    }
    for server in servers:
        if server["serverArn"] in elsewhere:
            raise errors.conflict(
                "RECOVERY_PLAN_STEP",
                server["serverArn"],
                f"Server {server['serverArn']} is already in step {elsewhere[server['serverArn']]}",
            )
    return {"serverStepConfiguration": {"servers": servers}}


def _check_step_name(plan: NativePlan, name: str, step: PlanStep | None = None) -> None:
    if any(s is not step and s.name.lower() == name.lower() for s in plan.steps):
        raise errors.conflict("RECOVERY_PLAN_STEP", name, f"Plan {plan.name} already has a step named {name}")


@operation("CreateRecoveryPlanStep")
def create_recovery_plan_step(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    plan = _plan(ctx, p["recoveryPlanArn"])
    token = p.get("clientToken")
    if token:
        earlier = next(
            (s for s in plan.steps if s.step_id == ids.derive("rps-", "token", plan.plan_id, token)), None
        )
        if earlier is not None:
            return {"recoveryPlanStep": _step_view(plan, earlier)}
    _ensure_idle(ctx, plan)
    if len(plan.steps) >= MAX_STEPS:
        raise errors.quota_exceeded(
            "RECOVERY_PLAN_STEP", "MaxStepsPerRecoveryPlan", f"A recovery plan has at most {MAX_STEPS} steps"
        )
    order = p.get("stepOrder") or len(plan.steps) + 1
    if order > len(plan.steps) + 1:
        raise errors.field_error("stepOrder", f"must be between 1 and {len(plan.steps) + 1}")
    _check_step_name(plan, p["stepName"])
    configuration = _checked_configuration(ctx, plan, p["configuration"], None)
    step_id = (
        ids.derive("rps-", "token", plan.plan_id, token)
        if token
        else ids.derive("rps-", "rps", plan.plan_id, ctx.state.next_serial("rps"))
    )
    step = PlanStep(
        step_id, plan.plan_id, ctx.account, ctx.region, p["stepName"], configuration, ctx.now, ctx.now
    )
    plan.steps.insert(order - 1, step)
    plan.updated_at = ctx.now
    return {"recoveryPlanStep": _step_view(plan, step)}


@operation("GetRecoveryPlanStep")
def get_recovery_plan_step(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    plan, step = _step(ctx, p["recoveryPlanStepArn"])
    return {"recoveryPlanStep": _step_view(plan, step)}


@operation("ListRecoveryPlanSteps")
def list_recovery_plan_steps(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    plan = _plan(ctx, p["recoveryPlanArn"])
    page, token = paginate(plan.steps, p, "ListRecoveryPlanSteps", ctx.account, ctx.region)
    return {"recoveryPlanSteps": [_step_view(plan, s) for s in page], "nextToken": token}


@operation("UpdateRecoveryPlanStep")
def update_recovery_plan_step(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    plan, step = _step(ctx, p["recoveryPlanStepArn"])
    _ensure_idle(ctx, plan)
    if "stepName" in p:
        _check_step_name(plan, p["stepName"], step)
    configuration = (
        _checked_configuration(ctx, plan, p["configuration"], step) if "configuration" in p else None
    )
    if "stepName" in p:
        step.name = p["stepName"]
    if configuration is not None:
        step.configuration = configuration
    step.updated_at = plan.updated_at = ctx.now
    return {"recoveryPlanStep": _step_view(plan, step)}


@operation("DeleteRecoveryPlanStep")
def delete_recovery_plan_step(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    plan, step = _step(ctx, p["recoveryPlanStepArn"])
    _ensure_idle(ctx, plan)
    plan.steps.remove(step)
    plan.updated_at = ctx.now
    return {"recoveryPlanStepArn": step.arn}


@operation("ReorderRecoveryPlanSteps")
def reorder_recovery_plan_steps(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    plan = _plan(ctx, p["recoveryPlanArn"])
    _ensure_idle(ctx, plan)
    arns = p["orderedStepArns"]
    by_arn = {s.arn: s for s in plan.steps}
    if len(arns) != len(set(arns)) or set(arns) != set(by_arn):
        raise errors.field_error("orderedStepArns", "must list every step of the plan exactly once")
    plan.steps = [by_arn[a] for a in arns]
    plan.updated_at = ctx.now
    return {"recoveryPlanSteps": [_step_view(plan, s) for s in plan.steps]}


# ----------------------------------------------------------------------------- executions


def _runner(ctx: Ctx) -> PlanRunner:
    return next(h for h in ctx.emulator.lifecycle.hooks if isinstance(h, PlanRunner))


@operation("StartRecoveryPlanExecution")
def start_recovery_plan_execution(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    plan = _plan(ctx, p["recoveryPlanArn"])
    token = p.get("clientToken")
    if token:
        earlier = next(
            (
                e
                for e in ctx.state.plan_executions.values()
                if e.plan_id == plan.plan_id and e.client_token == token
            ),
            None,
        )
        if earlier is not None:
            return {"recoveryPlanExecution": execution_view(earlier)}
    _ensure_idle(ctx, plan)
    if _plan_status(ctx, plan) != "ACTIVE":
        raise errors.validation(
            "The recovery plan is INVALID: a step names a source server that no longer exists", reason="other"
        )
    if not any(not s.is_wait for s in plan.steps):
        raise errors.validation("The recovery plan has no SERVER step", reason="other")
    in_plan = {
        server_id_of(s["serverArn"])
        for step in plan.steps
        for s in (step.configuration.get("serverStepConfiguration") or {}).get("servers", [])
    }
    snapshots: dict[str, str] = {}
    for i, entry in enumerate(p.get("sourceServers") or []):
        server_id = entry["sourceServerID"]
        if server_id not in in_plan:
            raise errors.field_error(f"sourceServers[{i}].sourceServerID", "the server is not in the plan")
        if pit.find_snapshot(ctx.server(server_id), entry["recoverySnapshotID"], ctx.now) is None:
            raise errors.not_found("RECOVERY_SNAPSHOT", entry["recoverySnapshotID"])
        snapshots[server_id] = entry["recoverySnapshotID"]
    for server_id in sorted(in_plan):
        ctx.ensure_not_busy(server_id)
    first = next(s for s in plan.steps if not s.is_wait)
    check_job_quotas(ctx, len(first.configuration["serverStepConfiguration"]["servers"]))
    execution_id = ids.derive("rpe-", "rpe", ctx.account, ctx.region, ctx.state.next_serial("rpe"))
    steps = []
    for index, step in enumerate(plan.steps, start=1):
        wait = (step.configuration.get("waitStepConfiguration") or {}).get("waitDurationMinutes")
        servers = [
            dict(s) for s in (step.configuration.get("serverStepConfiguration") or {}).get("servers", [])
        ]
        steps.append(
            ExecutionStep(
                new_execution_step_id(execution_id, index),
                execution_id,
                ctx.account,
                ctx.region,
                index,
                step.name,
                wait,
                servers,
                ctx.now,
                ctx.now,
            )  # fmt: skip
        )
    ex = PlanExecution(
        execution_id, plan.plan_id, plan.arn, ctx.account, ctx.region, p["mode"], ctx.now, steps,
        snapshots=snapshots, tags=dict(p.get("tags") or {}), client_token=token, cursor=ctx.now,
    )  # fmt: skip
    ctx.state.plan_executions[execution_id] = ex
    return {"recoveryPlanExecution": execution_view(ex)}


@operation("GetRecoveryPlanExecution")
def get_recovery_plan_execution(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return {"recoveryPlanExecution": execution_view(_execution(ctx, p["recoveryPlanExecutionArn"]))}


@operation("ListRecoveryPlanExecutions")
def list_recovery_plan_executions(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    plan_arn, status = p.get("recoveryPlanArn"), p.get("status")
    items = [
        e
        for e in ctx.state.plan_executions.values()
        if (not plan_arn or e.plan_arn == plan_arn) and (not status or e.status == status)
    ]
    page, token = paginate(items, p, "ListRecoveryPlanExecutions", ctx.account, ctx.region)
    return {"recoveryPlanExecutions": [execution_view(e) for e in page], "nextToken": token}


@operation("ListRecoveryPlanExecutionSteps")
def list_recovery_plan_execution_steps(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    ex = _execution(ctx, p["recoveryPlanExecutionArn"])
    status = (p.get("filter") or {}).get("status")
    items = [s for s in ex.steps if not status or s.status == status]
    page, token = paginate(items, p, "ListRecoveryPlanExecutionSteps", ctx.account, ctx.region)
    return {"recoveryPlanExecutionSteps": [execution_step_view(s) for s in page], "nextToken": token}


@operation("GetRecoveryPlanExecutionStep")
def get_recovery_plan_execution_step(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    _, step = _execution_step(ctx, p["recoveryPlanExecutionStepArn"])
    return {"recoveryPlanExecutionStep": execution_step_view(step)}


def _ensure_latest_failed(ctx: Ctx, ex: PlanExecution, step: ExecutionStep, action: str) -> None:
    if ex.status != "FAILED" or step.status not in FAILED_STEP_STATUSES:
        raise errors.conflict(
            "RECOVERY_PLAN_EXECUTION_STEP", step.arn,
            f"Only the failed step of a FAILED execution can be {action} (execution {ex.status}, step {step.status})",
        )  # fmt: skip
    later = [
        e
        for e in ctx.state.plan_executions.values()
        if e.plan_id == ex.plan_id and e.started_at > ex.started_at
    ]
    if later or any(not e.terminal for e in ctx.state.plan_executions.values() if e.plan_id == ex.plan_id):
        raise errors.conflict("RECOVERY_PLAN_EXECUTION", ex.arn, "The plan has a later execution")


def _resume(ex: PlanExecution, now: float) -> None:
    ex.status = "IN_PROGRESS"
    ex.completed_at = None
    ex.error = None
    ex.cursor = now


@operation("RetryRecoveryPlanExecutionStep")
def retry_recovery_plan_execution_step(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    ex, step = _execution_step(ctx, p["recoveryPlanExecutionStepArn"])
    if step.wait_minutes is not None:
        raise errors.conflict("RECOVERY_PLAN_EXECUTION_STEP", step.arn, "Only SERVER steps can be retried")
    _ensure_latest_failed(ctx, ex, step, "retried")
    _resume(ex, ctx.now)
    step.attempt += 1
    _runner(ctx).start_step(ctx.state, ex, step, ctx.now)
    return {"recoveryPlanExecutionStep": execution_step_view(step)}


@operation("UpdateRecoveryPlanExecutionStep")
def update_recovery_plan_execution_step(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    ex, step = _execution_step(ctx, p["recoveryPlanExecutionStepArn"])
    changes = [k for k in ("status", "servers", "waitDurationMinutes") if k in p]
    if len(changes) != 1:
        raise errors.validation("Give exactly one of status, servers or waitDurationMinutes", reason="other")
    if ex.status in ("COMPLETED", "CANCELLED", "CANCELLING"):
        raise errors.conflict("RECOVERY_PLAN_EXECUTION", ex.arn, f"The execution is {ex.status}")
    if "status" in p:
        if p["status"] != "SKIPPED":
            raise errors.field_error("status", "only SKIPPED can be set")
        if step.status in FAILED_STEP_STATUSES:
            _ensure_latest_failed(ctx, ex, step, "skipped")
            _resume(ex, ctx.now)
        elif step.status != "NOT_STARTED":
            raise errors.conflict(
                "RECOVERY_PLAN_EXECUTION_STEP", step.arn, f"A {step.status} step cannot be skipped"
            )
        step.status = "SKIPPED"
    else:
        if step.status != "NOT_STARTED":
            raise errors.conflict(
                "RECOVERY_PLAN_EXECUTION_STEP", step.arn, f"The step is already {step.status}"
            )
        if ("servers" in p) == (step.wait_minutes is not None):
            raise errors.field_error(changes[0], "does not apply to this type of step")
        if "servers" in p:
            servers = _checked_servers(ctx, p["servers"], "servers")
            elsewhere = {s["serverArn"]: o.name for o in ex.steps if o is not step for s in o.servers}
            for server in servers:
                if server["serverArn"] in elsewhere:
                    raise errors.conflict(
                        "RECOVERY_PLAN_EXECUTION_STEP",
                        server["serverArn"],
                        f"Server {server['serverArn']} is already in step {elsewhere[server['serverArn']]}",
                    )
            step.servers = servers
        else:
            step.wait_minutes = int(p["waitDurationMinutes"])
    step.updated_at = ctx.now
    return {"recoveryPlanExecutionStep": execution_step_view(step)}


@operation("CancelRecoveryPlanExecution")
def cancel_recovery_plan_execution(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    ex = _execution(ctx, p["recoveryPlanExecutionArn"])
    if ex.terminal or ex.status == "CANCELLING":
        raise errors.conflict("RECOVERY_PLAN_EXECUTION", ex.arn, f"The execution is already {ex.status}")
    for step in ex.steps:
        if step.status == "WAITING":
            step.status, step.updated_at = "SKIPPED", ctx.now
    ex.status = "CANCELLING"
    ex.cursor = ctx.now
    _runner(ctx).advance(ctx.state, ex, ctx.now)
    return {"recoveryPlanExecution": execution_view(ex)}


@operation("DeleteRecoveryPlanExecution")
def delete_recovery_plan_execution(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    ex = _execution(ctx, p["recoveryPlanExecutionArn"])
    if not ex.terminal:
        raise errors.conflict("RECOVERY_PLAN_EXECUTION", ex.arn, f"The execution is {ex.status}")
    del ctx.state.plan_executions[ex.execution_id]
    return {"recoveryPlanExecutionArn": ex.arn}
