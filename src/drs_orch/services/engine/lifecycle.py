"""Pause, resume, cancel and delete. Each writes the META item with a version check and retries
on a concurrent change, so it never overwrites a tick's decision (nor a tick one of these).

- pause: sets ``pauseRequested``; the loop starts no new wave and, once nothing is in flight, is
  PAUSED in a ``waitForTaskToken`` task (a pause before wave N of the plan works the same way).
- resume: PAUSED -> RUNNING, approves the waves it paused before, and sends task success with the
  stored token (or, if the pause task has not stored it yet, that task hands it back itself). A
  resume of a pause that has not happened yet withdraws the request.
- cancel: with nothing in flight the execution is CANCELLED at once (waves not started CANCELLED,
  locks released, the state machine run stopped); with DRS jobs in flight it is CANCELLING, the
  loop follows those jobs (DRS jobs cannot be stopped) and ends CANCELLED; the answer lists them.
- delete: only ended executions; active ones are refused and reported.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from drs_orch.domain.engine_rules import ExecutionView, JobStatus, decide
from drs_orch.domain.errors import Conflict, NotFound, ValidationFailed
from drs_orch.domain.execution_records import ExecutionMeta, JobRecord, WaveRecord
from drs_orch.domain.input_rules import MAX_EXECUTION_IDS_PER_DELETE
from drs_orch.domain.statuses import (
    ACTIVE_EXECUTION,
    ExecutionStatus,
    TerminationStatus,
    WaveStatus,
    check_transition,
)
from drs_orch.services.engine.context import EngineDeps
from drs_orch.services.engine.notify import notify_status
from drs_orch.services.engine.ports import Changes
from drs_orch.services.engine.reconcile import status_changes
from drs_orch.services.engine.records import execution_view, guard_keys_of_jobs, job_view, wave_view
from drs_orch.services.engine.termination import TERMINATION_BUSY

log = logging.getLogger(__name__)

_E = ExecutionStatus
MAX_ATTEMPTS = 5
MAX_DELETE = MAX_EXECUTION_IDS_PER_DELETE


def _meta(deps: EngineDeps, execution_id: str) -> ExecutionMeta:
    meta = deps.store.get_meta(execution_id)
    if meta is None:
        raise NotFound(f"execution {execution_id} not found", code="EXECUTION_NOT_FOUND")
    return meta


def _not_active(meta: Mapping[str, Any], action: str) -> Conflict:
    return Conflict(f"execution {meta['executionId']} is {meta['status']} and cannot be {action}",
                    code="EXECUTION_NOT_ACTIVE", details={"status": meta["status"]})


def _concurrent() -> Conflict:
    return Conflict("the execution kept changing; try again", code="CONCURRENT_UPDATE")


def pause_execution(deps: EngineDeps, execution_id: str) -> dict[str, Any]:
    for _ in range(MAX_ATTEMPTS):
        meta = _meta(deps, execution_id)
        status = meta["status"]
        if status == _E.PAUSED.value:
            raise Conflict(f"execution {execution_id} is already paused", code="ALREADY_PAUSED")
        if status not in (_E.PENDING.value, _E.RUNNING.value):
            raise _not_active(meta, "paused")
        if not meta.get("pauseRequested"):
            updated = deps.store.update_meta(execution_id, Changes(set={"pauseRequested": True},
                                                                   increment={"version": 1}),
                                             expect={"version": meta["version"]})
            if updated is None:
                continue
            meta = updated
        return {"executionId": execution_id, "status": meta["status"], "pauseRequested": True,
                "message": "the execution pauses before its next wave (waves in flight finish first)"}
    raise _concurrent()


def resume_execution(deps: EngineDeps, execution_id: str) -> dict[str, Any]:
    for _ in range(MAX_ATTEMPTS):
        meta = _meta(deps, execution_id)
        status = meta["status"]
        if status in (_E.PENDING.value, _E.RUNNING.value) and meta.get("pauseRequested"):
            updated = deps.store.update_meta(execution_id, Changes(set={"pauseRequested": False},
                                                                   increment={"version": 1}),
                                             expect={"version": meta["version"]})
            if updated is None:
                continue
            return {"executionId": execution_id, "status": status, "message": "pause request withdrawn"}
        if status != _E.PAUSED.value:
            raise Conflict(f"execution {execution_id} is {status}, not paused", code="NOT_PAUSED",
                           details={"status": status})
        waves = list(meta.get("pausedBeforeWaves") or [])
        changes = Changes(set={"pauseRequested": False, "pausedBeforeWaves": [],
                               "approvedWaves": sorted({*map(int, meta.get("approvedWaves") or []), *waves})},
                          remove=["taskToken"], increment={"version": 1})
        status_changes(deps, meta, _E.RUNNING, "resumed", changes)
        updated = deps.store.update_meta(execution_id, changes, expect={"version": meta["version"]})
        if updated is None:
            continue
        token = meta.get("taskToken")
        if token:
            deps.sfn.send_success(str(token), {"resumed": True, "waves": waves})
        return {"executionId": execution_id, "status": _E.RUNNING.value, "resumedBeforeWaves": waves,
                "message": "resumed"}
    raise _concurrent()


def cancel_execution(deps: EngineDeps, execution_id: str, actor: str) -> dict[str, Any]:
    for _ in range(MAX_ATTEMPTS):
        loaded = deps.store.load(execution_id)
        if loaded is None:
            raise NotFound(f"execution {execution_id} not found", code="EXECUTION_NOT_FOUND")
        meta = loaded.meta
        status = _E(meta["status"])
        if status not in ACTIVE_EXECUTION:
            raise _not_active(meta, "cancelled")
        view = execution_view(meta)
        in_flight = sorted(view.in_flight)
        running = [{"jobKey": j.key, "jobId": j.get("jobId"), "waveNumber": j["waveNumber"],
                    "accountId": j["accountId"], "region": j["region"], "drsStatus": j.get("drsStatus")}
                   for j in loaded.jobs if j.key in in_flight]
        if status is _E.CANCELLING:
            return _cancel_answer(meta, loaded.waves, running, "already cancelling")
        changes = Changes(set={"cancelRequested": True, "cancelledBy": actor}, increment={"version": 1})
        if in_flight:
            status_changes(deps, meta, _E.CANCELLING, f"cancelled by {actor}", changes)
            updated = deps.store.update_meta(execution_id, changes, expect={"version": meta["version"]})
            if updated is None:
                continue
            return _cancel_answer(updated, loaded.waves, running,
                                  "cancelling: no new wave starts; DRS jobs in flight are followed to their end")
        status_changes(deps, meta, _E.CANCELLED, f"cancelled by {actor}", changes)
        changes.set["pausedBeforeWaves"] = []
        updated = deps.store.update_meta(execution_id, changes, expect={"version": meta["version"]})
        if updated is None:
            continue
        waves = _settle_cancelled(deps, execution_id, loaded.waves, loaded.jobs, view)
        deps.store.release_guards(execution_id, guard_keys_of_jobs(loaded.jobs))
        arn = meta.get("stateMachineExecutionArn")
        if arn:
            deps.sfn.stop(str(arn), f"cancelled by {actor}")
        if meta.get("taskToken"):  # a run stopped while it waits: its token is void (AWS) or wakes it
            deps.sfn.send_success(str(meta["taskToken"]), {"cancelled": True})
        notify_status(deps, updated, "cancel")
        deps.store.record_plan_run(updated)
        return _cancel_answer(updated, waves, [], "cancelled")
    raise _concurrent()


def _settle_cancelled(deps: EngineDeps, execution_id: str, waves: list[WaveRecord], jobs: list[JobRecord],
                      view: ExecutionView) -> list[WaveRecord]:
    """Waves not started -> CANCELLED, queued jobs -> NOT_STARTED (the rules' stop step)."""
    in_flight = set(view.in_flight)
    decision = decide(replace(view, cancel_requested=True), [wave_view(w) for w in waves],
                      [job_view(j, in_flight) for j in jobs])
    now = deps.now()
    out = []
    for wave in waves:
        new = decision.wave_status.get(wave.number)
        if new is not None:
            check_transition(WaveStatus, str(wave["status"]), new)
            deps.store.update_wave(execution_id, wave.number,
                                   Changes(set={"status": new.value, ("statusHistory", new.value): now, "endedAt": now}),
                                   expect={"status": wave["status"]})
            wave = wave.merged({"status": new.value})
        out.append(wave)
    for key in decision.drop_jobs:
        deps.store.write_job(execution_id, key, Changes(set={"status": JobStatus.NOT_STARTED.value}),
                             expect={"status": JobStatus.QUEUED.value})
    return out


def _cancel_answer(meta: Mapping[str, Any], waves: list[WaveRecord], running: list[dict[str, Any]], message: str) -> dict[str, Any]:
    def numbers(group: str) -> list[int]:
        return [w.number for w in waves if WAVE_GROUP[WaveStatus(w["status"])] == group]

    return {
        "executionId": meta["executionId"],
        "status": meta["status"],
        "message": message,
        "details": {
            "completedWaves": numbers("completedWaves"),
            "inProgressWaves": numbers("inProgressWaves"),
            "cancelledWaves": numbers("cancelledWaves"),
            "pendingWaves": numbers("pendingWaves"),
            "runningJobs": running,
        },
    }


# Every wave status and the list of the cancel answer it is shown in (explicit for each status).
WAVE_GROUP: Mapping[WaveStatus, str] = {
    WaveStatus.PENDING: "pendingWaves",
    WaveStatus.QUEUED: "pendingWaves",
    WaveStatus.LAUNCHING: "inProgressWaves",
    WaveStatus.COMPLETED: "completedWaves",
    WaveStatus.PARTIAL: "completedWaves",
    WaveStatus.FAILED: "completedWaves",
    WaveStatus.TIMEOUT: "completedWaves",
    WaveStatus.SKIPPED: "completedWaves",
    WaveStatus.CANCELLED: "cancelledWaves",
}


def delete_executions(deps: EngineDeps, ids: list[str]) -> dict[str, Any]:
    wanted = list(dict.fromkeys(i.strip() for i in ids if i.strip()))
    if not wanted:
        raise ValidationFailed("give the executions to delete: ?ids=<id>,<id>", code="MISSING_PARAMETER")
    if len(wanted) > MAX_DELETE:
        raise ValidationFailed(f"at most {MAX_DELETE} executions per request", code="TOO_MANY_IDS")
    deleted: list[str] = []
    refused: list[dict[str, Any]] = []
    missing: list[str] = []
    for execution_id in wanted:
        meta = deps.store.get_meta(execution_id)
        if meta is None:
            missing.append(execution_id)
        elif meta["status"] in ACTIVE_EXECUTION:
            refused.append({"executionId": execution_id, "status": meta["status"],
                            "reason": "active executions cannot be deleted; cancel it first"})
        elif TERMINATION_BUSY[TerminationStatus((meta.get("termination") or {}).get("status") or "NOT_REQUESTED")]:
            refused.append({"executionId": execution_id, "status": meta["status"],
                            "reason": "its recovery instances are being terminated"})
        else:
            deps.store.delete_execution(execution_id)
            deleted.append(execution_id)
    return {"deleted": deleted, "refused": refused, "notFound": missing,
            "deletedCount": len(deleted), "refusedCount": len(refused)}

