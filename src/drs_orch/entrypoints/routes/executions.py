"""Executions: start (drill or recovery), follow, pause/resume/cancel, terminate the recovery
instances, job logs, delete (execution function)."""

from __future__ import annotations

from typing import Any

from drs_orch.domain.models import parse
from drs_orch.domain.rbac import Permission as P
from drs_orch.domain.requests import DeleteExecutionsInput
from drs_orch.entrypoints.routing import Request, Result, Route
from drs_orch.entrypoints.wiring import container
from drs_orch.services.engine import lifecycle, progress, queries, termination
from drs_orch.services.engine.start import start_execution

F = "execution"


def _deps() -> Any:
    return container().engine_deps


def _started(out: dict[str, Any]) -> Result:
    """202 for a run that was started; 200 for a dry run (nothing was started)."""
    return Result(200 if out.get("dryRun") else 202, out)


def execute(req: Request) -> Result:
    return _started(start_execution(_deps(), req.body, req.principal.username))


def execute_plan(req: Request) -> Result:
    body = {**req.body, "planId": req.path_param("planId")}
    return _started(start_execution(_deps(), body, req.principal.username))


def list_executions(req: Request) -> dict[str, Any]:
    return queries.list_executions(_deps(), req.query)


def get_execution(req: Request) -> dict[str, Any]:
    return queries.get_execution(_deps(), req.path_param("executionId"))


def execution_servers(req: Request) -> dict[str, Any]:
    return queries.execution_servers(_deps(), req.path_param("executionId"), req.query)


def execution_status(req: Request) -> dict[str, Any]:
    return progress.execution_status(_deps(), req.path_param("executionId"))


def execution_waves(req: Request) -> dict[str, Any]:
    return progress.execution_waves(_deps(), req.path_param("executionId"))


def execution_jobs(req: Request) -> dict[str, Any]:
    return progress.execution_jobs(_deps(), req.path_param("executionId"))


def pause(req: Request) -> dict[str, Any]:
    return lifecycle.pause_execution(_deps(), req.path_param("executionId"))


def resume(req: Request) -> dict[str, Any]:
    return lifecycle.resume_execution(_deps(), req.path_param("executionId"))


def cancel(req: Request) -> dict[str, Any]:
    return lifecycle.cancel_execution(_deps(), req.path_param("executionId"), req.principal.username)


def terminate(req: Request) -> Result:
    status, body = termination.request_termination(_deps(), req.path_param("executionId"), req.principal.username)
    return Result(status, body)


def job_logs(req: Request) -> dict[str, Any]:
    return queries.job_logs(_deps(), req.path_param("executionId"), req.query.get("jobId") or None)


def recovery_instances(req: Request) -> dict[str, Any]:
    return queries.recovery_instances(_deps(), req.path_param("executionId"))


def delete(req: Request) -> dict[str, Any]:
    parse(DeleteExecutionsInput, req.body)
    if "olderThanDays" in req.query:  # retention: by age (issue 16)
        return container().retention.delete_older_than(req.query)
    raw = req.query.get("ids") or ",".join(req.multi_query.get("ids", []))
    if not raw and isinstance(req.body.get("ids"), list):
        raw = ",".join(str(i) for i in req.body["ids"])
    return lifecycle.delete_executions(_deps(), raw.split(","))


def check_existing(req: Request) -> dict[str, Any]:
    return queries.check_existing_instances(_deps(), req.path_param("planId"))


ROUTES: list[Route] = [
    Route("POST", "/executions", "execute_recovery_plan", F, P.START_RECOVERY, execute, status=202,
          summary="Start a DRILL or RECOVERY of a plan: body planId, executionType (or isDrill), initiatedBy?, "
                  "pollIntervalSeconds?, topicArn?; dryRun: true answers 200 with the prediction and starts "
                  "nothing; 409 lists servers held by other executions or DRS jobs"),
    Route("POST", "/recovery-plans/{planId}/execute", "execute_plan", F, P.START_RECOVERY, execute_plan,
          status=202, summary="Start a DRILL or RECOVERY of this plan (body executionType or isDrill, initiatedBy?, "
                            "topicArn?, dryRun?)"),
    Route("GET", "/executions", "list_executions", F, P.VIEW_EXECUTIONS, list_executions,
          summary="Executions, newest first; filters planId, status; limit, nextToken"),
    Route("GET", "/executions/{executionId}", "get_execution_details", F, P.VIEW_EXECUTIONS, get_execution,
          summary="One execution: waves, jobs, timings, counts, canTerminate and up to 500 servers "
                  "(the rest: /executions/{executionId}/servers)"),
    Route("GET", "/executions/{executionId}/servers", "get_execution_servers", F, P.VIEW_EXECUTIONS,
          execution_servers, summary="The execution's servers a page at a time; filters wave, status"),
    Route("GET", "/executions/{executionId}/status", "get_execution_status", F, P.VIEW_EXECUTIONS, execution_status,
          summary="Compact status: execution status, waves in flight, counts, what may be done next "
                  "(pause/resume/cancel)"),
    Route("GET", "/executions/{executionId}/waves", "get_execution_waves", F, P.VIEW_EXECUTIONS, execution_waves,
          summary="The execution's waves: status, timings, server counts, DRS job ids"),
    Route("GET", "/executions/{executionId}/jobs", "get_execution_jobs", F, P.VIEW_EXECUTIONS, execution_jobs,
          summary="The execution's DRS jobs: id, wave, account and region, status, servers"),
    Route("POST", "/executions/{executionId}/pause", "pause_execution", F, P.STOP_RECOVERY, pause,
          summary="Pause before the next wave (waves in flight finish first)"),
    Route("POST", "/executions/{executionId}/resume", "resume_execution", F, P.START_RECOVERY, resume,
          summary="Resume a paused execution"),
    Route("POST", "/executions/{executionId}/cancel", "cancel_execution", F, P.STOP_RECOVERY, cancel,
          summary="Stop launching; completed waves are kept, DRS jobs in flight are reported and followed"),
    Route("POST", "/executions/{executionId}/terminate-instances", "terminate_instances", F,
          P.TERMINATE_INSTANCES, terminate, status=202,
          summary="Terminate an ended execution's recovery instances and verify they are gone"),
    Route("GET", "/executions/{executionId}/job-logs", "get_job_logs", F, P.VIEW_EXECUTIONS, job_logs,
          summary="The DRS job logs of the execution's jobs (optional jobId)"),
    Route("GET", "/executions/{executionId}/recovery-instances", "get_recovery_instances", F, P.VIEW_EXECUTIONS,
          recovery_instances, summary="The execution's recovery instances as DRS and EC2 report them now"),
    Route("DELETE", "/executions", "delete_executions", F, P.STOP_RECOVERY, delete,
          summary="Delete ended executions: ?ids=a,b, or by age ?olderThanDays=N&status=COMPLETED,FAILED "
                  "(active ones are never deleted; counts returned)"),
    Route("GET", "/recovery-plans/{planId}/check-existing-instances", "check_existing_instances", F,
          P.VIEW_RECOVERY_PLANS, check_existing,
          summary="Recovery instances left by earlier runs of the plan's servers"),
]
