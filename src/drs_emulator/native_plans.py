"""DRS native Recovery Plan executions, evaluated lazily against the emulator clock on the same job
lifecycle as StartRecovery.

An execution copies the plan's steps when it starts (later plan edits do not change it) and runs them
in order; its status goes CREATED -> IN_PROGRESS -> COMPLETED | FAILED, or CANCELLING -> CANCELLED.

* A SERVER step (EXECUTING) starts one LAUNCH job for its servers, exactly as StartRecovery would
  (``isDrill`` for DRILL mode, the execution's tags on the job, a ``recoverySnapshotID`` given at
  start for a server launches from that snapshot). Each server records its ``jobID``. When every job
  of the step has ended the step is COMPLETED, unless a CRITICAL server (the default impact level)
  did not launch: then the step is FAILED and so is the execution (errorDetail
  ``CRITICAL_SERVER_LAUNCH_FAILED``). OPTIONAL servers may fail without failing the step. A step still
  running ``Timings.plan_step_timeout_seconds`` after it started is TIMED_OUT and fails the execution.
  A step that cannot start its job (a server gone, already in an active job, a job quota) is FAILED
  with the DRS error code as ``errorDetail.code``.
* A WAIT step is WAITING for ``waitDurationMinutes`` then COMPLETED.
* SKIPPED steps are passed over. When no step is left the execution is COMPLETED.
* RetryRecoveryPlanExecutionStep relaunches the failed (or timed-out) step's servers that did not
  launch, with ``attempt`` + 1, and resumes the execution; skipping the failed step
  (UpdateRecoveryPlanExecutionStep status SKIPPED) resumes it with the next step.
* Cancelling while a SERVER step's jobs run is CANCELLING until they end (DRS jobs are not
  interrupted), then the rest is SKIPPED and the execution CANCELLED.

Every transition is stamped with the emulated time it happened (a job's end, a wait's end), not the
time it was observed, so the result does not depend on how often the clock is read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import ids
from . import snapshots as pit
from .errors import DrsError
from .resources import ExecutionStep, PlanExecution
from .state import RegionState, Store
from .wire import iso

if TYPE_CHECKING:
    from .emulator import Emulator

RUNNING_STEP_STATUSES = frozenset({"EXECUTING", "WAITING"})
FAILED_STEP_STATUSES = frozenset({"FAILED", "TIMED_OUT"})


def server_id_of(server_arn: str) -> str:
    return server_arn.rsplit("/", 1)[-1]


# ----------------------------------------------------------------------------- views


def execution_view(ex: PlanExecution) -> dict[str, Any]:
    return {
        "recoveryPlanExecutionArn": ex.arn,
        "recoveryPlanArn": ex.plan_arn,
        "mode": ex.mode,
        "status": ex.status,
        "startedAt": iso(ex.started_at),
        "completedAt": iso(ex.completed_at),
        "errorDetail": ex.error,
        "tags": dict(ex.tags),
    }


def execution_step_view(step: ExecutionStep) -> dict[str, Any]:
    if step.wait_minutes is not None:
        configuration: dict[str, Any] = {"waitStepConfiguration": {"waitDurationMinutes": step.wait_minutes}}
    else:
        configuration = {"executionServerStepConfiguration": {"servers": [dict(s) for s in step.servers]}}
    return {
        "recoveryPlanExecutionStepArn": step.arn,
        "stepIndex": step.index,
        "status": step.status,
        "stepName": step.name,
        "configuration": configuration,
        "errorDetail": step.error,
        "attempt": step.attempt,
        "createdAt": iso(step.created_at),
        "updatedAt": iso(step.updated_at),
    }


# ----------------------------------------------------------------------------- engine


class PlanRunner:
    """Advances every native plan execution; registered as a lifecycle tick hook."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def __call__(self, store: Store, now: float) -> bool:
        changed = False
        for state in list(store.regions.values()):
            for ex in list(state.plan_executions.values()):
                if not ex.terminal:
                    changed = self.advance(state, ex, now) or changed
        return changed

    # --- transitions

    def _set(self, step: ExecutionStep, status: str, at: float, error: dict[str, str] | None = None) -> None:
        step.status = status
        step.updated_at = at
        step.error = error

    def _finish(self, ex: PlanExecution, status: str, at: float, error: dict[str, str] | None = None) -> None:
        ex.status = status
        ex.completed_at = at
        ex.error = error
        ex.cursor = at

    def _fail(self, ex: PlanExecution, at: float, error: dict[str, str]) -> None:
        """A step failed: the execution FAILED, unless it is being cancelled (then it ends CANCELLED)."""
        ex.cursor = at
        if ex.status != "CANCELLING":
            self._finish(ex, "FAILED", at, error)

    def _skip_rest(self, ex: PlanExecution, at: float) -> None:
        for step in ex.steps:
            if step.status == "NOT_STARTED":
                self._set(step, "SKIPPED", at)

    def start_step(self, state: RegionState, ex: PlanExecution, step: ExecutionStep, at: float) -> None:
        """Start ``step`` at ``at``: WAITING, or EXECUTING with a launch job for its servers still to launch."""
        step.started_at = at
        if step.wait_minutes is not None:
            self._set(step, "WAITING", at)
            return
        pending = [s for s in step.servers if s.get("launched") is not True]
        try:
            job_id = self._launch(state, ex, [server_id_of(s["serverArn"]) for s in pending], at)
        except DrsError as exc:
            self._set(step, "FAILED", at, {"code": exc.error_type, "message": exc.message})
            self._fail(ex, at, {"code": "STEP_FAILED", "message": f"Step {step.name}: {exc.message}"})
            return
        for server in pending:
            server["jobID"] = job_id
        step.job_id = job_id
        self._set(step, "EXECUTING", at)

    def _launch(self, state: RegionState, ex: PlanExecution, server_ids: list[str], at: float) -> str:
        from .ops_recovery import _check_job_quotas as check_job_quotas
        from .registry import Ctx

        ctx = Ctx(self.emulator, state.account, state.region, state, at)
        servers = [ctx.server(sid) for sid in server_ids]
        for server in servers:
            ctx.ensure_not_busy(server.server_id)
        check_job_quotas(ctx, len(servers))
        snapshots: dict[str, dict[str, Any]] = {}
        for server in servers:
            snapshot_id = ex.snapshots.get(server.server_id)
            if snapshot_id:
                snap = pit.find_snapshot(server, snapshot_id, at)
                if snap is None:
                    raise DrsError(
                        "ResourceNotFoundException",
                        f"Recovery snapshot {snapshot_id} of {server.server_id} not found",
                    )
                snapshots[server.server_id] = snap
        job = self.emulator.lifecycle.create_launch_job(
            state, servers, snapshots, ex.mode == "DRILL", ex.tags, at
        )
        return job.job_id

    def advance(self, state: RegionState, ex: PlanExecution, now: float) -> bool:
        changed = False
        while not ex.terminal:
            if ex.status == "CREATED":
                ex.status = "IN_PROGRESS"
                changed = True
            running = next((s for s in ex.steps if s.status in RUNNING_STEP_STATUSES), None)
            if running is not None:
                done_at = self._step_done_at(state, running, now)
                if done_at is None:
                    return changed
                changed = True
                self._complete_step(state, ex, running, done_at)
                continue
            if ex.status == "CANCELLING":
                self._skip_rest(ex, ex.cursor)
                self._finish(ex, "CANCELLED", ex.cursor)
                return True
            upcoming = next((s for s in ex.steps if s.status == "NOT_STARTED"), None)
            if upcoming is None:
                self._finish(ex, "COMPLETED", ex.cursor)
                return True
            self.start_step(state, ex, upcoming, ex.cursor)
            # report the change: the lifecycle brings the new job up to now before the next look
            return True
        return changed

    def _step_done_at(self, state: RegionState, step: ExecutionStep, now: float) -> float | None:
        """When the running step ended (its wait elapsed, its jobs ended, or it timed out), else None."""
        start = step.started_at if step.started_at is not None else now
        if step.wait_minutes is not None:
            end = start + step.wait_minutes * 60.0
            return end if now >= end else None
        jobs = [state.jobs.get(j) for j in {s.get("jobID") for s in step.servers} if j]
        if any(job is not None and job.active for job in jobs):
            deadline = start + self.emulator.timings.plan_step_timeout_seconds
            return deadline if now >= deadline else None
        ends = [job.ended_at for job in jobs if job is not None and job.ended_at is not None]
        deadline = start + self.emulator.timings.plan_step_timeout_seconds
        return min(max(ends), deadline) if ends else start

    def _complete_step(self, state: RegionState, ex: PlanExecution, step: ExecutionStep, at: float) -> None:
        ex.cursor = at
        if step.wait_minutes is not None:
            self._set(step, "COMPLETED", at)
            return
        statuses = self._launch_statuses(state, step, at)
        if any(status is None for status in statuses.values()):
            message = "The step's launch jobs did not end in time"
            self._set(step, "TIMED_OUT", at, {"code": "STEP_TIMED_OUT", "message": message})
            self._fail(ex, at, {"code": "STEP_TIMED_OUT", "message": f"Step {step.name} timed out"})
            return
        failed_critical = []
        for server in step.servers:
            launched = statuses[server["serverArn"]] == "LAUNCHED"
            server["launched"] = launched
            if not launched and server.get("impactLevel", "CRITICAL") == "CRITICAL":
                failed_critical.append(server_id_of(server["serverArn"]))
        if failed_critical:
            message = f"Critical servers did not launch: {', '.join(failed_critical)}"
            self._set(step, "FAILED", at, {"code": "CRITICAL_SERVER_LAUNCH_FAILED", "message": message})
            self._fail(ex, at, {"code": "STEP_FAILED", "message": f"Step {step.name}: {message}"})
            return
        self._set(step, "COMPLETED", at)

    @staticmethod
    def _launch_statuses(state: RegionState, step: ExecutionStep, at: float) -> dict[str, str | None]:
        """serverArn -> its launch status in its job (None if the job had not ended by ``at``)."""
        out: dict[str, str | None] = {}
        for server in step.servers:
            job = state.jobs.get(server.get("jobID") or "")
            if job is None:
                out[server["serverArn"]] = "FAILED" if server.get("launched") is not True else "LAUNCHED"
                continue
            if job.active or (job.ended_at is not None and job.ended_at > at):
                out[server["serverArn"]] = None
                continue
            sid = server_id_of(server["serverArn"])
            part = next((p for p in job.participants if p.server_id == sid), None)
            out[server["serverArn"]] = part.launch_status if part is not None else "FAILED"
        return out


def new_execution_step_id(execution_id: str, index: int) -> str:
    return ids.derive("rpes-", "rpes", execution_id, index)
