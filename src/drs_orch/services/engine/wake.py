"""Event-driven wake-ups of the reconcile loop (issue 19).

Between ticks the state machine waits in a ``waitForTaskToken`` task whose timeout is the poll
interval (``WaitBeforeTick`` in infra/orchestration.asl.json): the orchestration Lambda stores the
task token on the execution's META item as ``waitToken`` (:func:`store_wait_token`), and the wait
ends either when the timeout expires (a normal poll) or when :meth:`Waker.wake` sends the token back.

DRS launch-result events (``aws.drs`` / ``DRS Source Server Launch Result``, best effort) reach
``entrypoints/drs_events.py``, which calls :meth:`Waker.handle_launch_result`: the event's job is
described in its account-region (DescribeJobs by id), the execution is the job's
``drs-orch:execution-id`` tag, and the execution is woken when the job has no launch left in flight
(the only moment a wave can end or the next one start). The token is claimed with a conditional
remove before it is sent, so a duplicate or concurrent event sends nothing; an event that arrives
while a tick runs finds no token and is dropped (the tick reads DRS itself); an event that arrives
during the next wait wakes it once more: one extra, idempotent tick. A lost event costs at most one
poll interval.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from drs_orch.domain.execution_snapshot import TAG_EXECUTION, scope_of
from drs_orch.services.engine.ports import Changes, ExecutionStore, StateMachine

log = logging.getLogger(__name__)

WAIT_TOKEN = "waitToken"
_ENDED = {"COMPLETED", "PARTIAL", "FAILED", "CANCELLED"}
_IN_FLIGHT = {"PENDING", "IN_PROGRESS"}


class JobReader(Protocol):
    def describe_jobs(self, scope: str, job_ids: list[str]) -> dict[str, dict[str, Any]]: ...


def store_wait_token(store: ExecutionStore, execution_id: str, task_token: str) -> None:
    """The wait between ticks began: keep its token (no version change: ticks do not race it)."""
    store.update_meta(execution_id, Changes(set={WAIT_TOKEN: task_token}))


@dataclass(frozen=True)
class WakeOutcome:
    """What one event did: ``woken`` (the wait was cut short), or why not."""

    result: str
    execution_id: str | None = None
    job_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in {"result": self.result, "executionId": self.execution_id,
                                  "jobId": self.job_id}.items() if v is not None}


class Waker:
    def __init__(self, store: ExecutionStore, jobs: JobReader, sfn: StateMachine) -> None:
        self._store = store
        self._jobs = jobs
        self._sfn = sfn

    def wake(self, execution_id: str, reason: Mapping[str, Any]) -> WakeOutcome:
        """Cut the execution's current wait short, at most once per wait."""
        meta = self._store.get_meta(execution_id)
        if meta is None:
            return WakeOutcome("UNKNOWN_EXECUTION", execution_id)
        token = meta.get(WAIT_TOKEN)
        if meta.get("status") in _ENDED or not token:
            return WakeOutcome("NOT_WAITING", execution_id)
        claimed = self._store.update_meta(execution_id, Changes(remove=[WAIT_TOKEN]), expect={WAIT_TOKEN: token})
        if claimed is None:  # another event (or a newer wait) took it first
            return WakeOutcome("NOT_WAITING", execution_id)
        if not self._sfn.send_success(str(token), {"wokenBy": dict(reason)}):
            return WakeOutcome("WAIT_ENDED", execution_id)  # it had just timed out: the poll ticks anyway
        return WakeOutcome("WOKEN", execution_id)

    def handle_launch_result(self, event: Mapping[str, Any]) -> WakeOutcome:
        detail = event.get("detail") if isinstance(event.get("detail"), Mapping) else {}
        job_id = str((detail or {}).get("job-id") or "")
        account, region = str(event.get("account") or ""), str(event.get("region") or "")
        if not job_id or not account or not region:
            return WakeOutcome("IGNORED")
        job = self._jobs.describe_jobs(scope_of(account, region), [job_id]).get(job_id)
        if job is None:
            return WakeOutcome("UNKNOWN_JOB", job_id=job_id)
        execution_id = (job.get("tags") or {}).get(TAG_EXECUTION)
        if not execution_id:
            return WakeOutcome("NOT_OURS", job_id=job_id)
        in_flight = [s for s in job.get("participatingServers") or [] if s.get("launchStatus") in _IN_FLIGHT]
        if job.get("status") != "COMPLETED" and in_flight:
            return WakeOutcome("JOB_IN_FLIGHT", str(execution_id), job_id)
        outcome = self.wake(str(execution_id), {"jobId": job_id, "state": (detail or {}).get("state")})
        log.info("DRS launch result", extra={"jobId": job_id, "executionId": execution_id,
                                             "result": outcome.result})
        return WakeOutcome(outcome.result, str(execution_id), job_id)
