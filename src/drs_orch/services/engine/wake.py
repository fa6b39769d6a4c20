"""Event-driven wake-ups of the reconcile loop (issue 19).

Between ticks the state machine waits in a ``waitForTaskToken`` task whose timeout is the poll
interval (``WaitBeforeTick`` in infra/orchestration.asl.json): the orchestration Lambda stores the
task token on the execution's META item as ``waitToken`` (:func:`store_wait_token`), and the wait
ends either when the timeout expires (a normal poll) or when :meth:`Waker.wake` sends the token back.

DRS launch-result events (``aws.drs`` / ``DRS Source Server Launch Result``, best effort) reach
``entrypoints/drs_events.py``, which calls :meth:`Waker.handle_launch_result`. When the engine adopts a
DRS job it notes the job's execution and server count (:meth:`ExecutionStore.note_drs_job`); each
event counts its server once against that note (one conditional DynamoDB update, no DRS call: a
wave of 100 servers ending at once sends 100 events, which must not become 100 DescribeJobs
calls competing with the engine's own under DRS's rate limits). The event that completes the count
wakes the execution: the job has no launch left in flight, the only moment a wave can end or the
next one start. The token is taken with a conditional remove before it is sent, so of two events
one sends it; a token whose wait had just timed out is refused by Step Functions, and the event then
leaves the wake-up for the next wait (the tick that the timeout began may have read DRS too early);
a duplicate event is not counted twice; an event of a job not noted (not ours, or older than the
note's expiry) is dropped. An event that completes a job while a tick runs finds no
token: it leaves ``wakePending`` on META, and the next wait ends as soon as it begins (that tick may
have read DRS just before the last launch ended). A lost event costs at most one poll interval.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drs_orch.services.engine.ports import ExecutionStore, StateMachine

log = logging.getLogger(__name__)

WAIT_TOKEN = "waitToken"
WAKE_PENDING = "wakePending"  # META: a launch result completed a job while a tick ran


def store_wait_token(store: ExecutionStore, sfn: StateMachine, execution_id: str, task_token: str) -> bool:
    """The wait between ticks began: keep its token (no version change: ticks do not race it), or,
    when a job's last launch result came while the previous tick ran, end the wait at once.
    Returns whether the wait goes on."""
    if store.keep_wait_token(execution_id, task_token):
        return True
    sfn.send_success(task_token, {"wokenBy": {"pending": True}})
    return False


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
    def __init__(self, store: ExecutionStore, sfn: StateMachine) -> None:
        self._store = store
        self._sfn = sfn

    def wake(self, execution_id: str, reason: Mapping[str, Any]) -> WakeOutcome:
        """Cut the execution's current wait short, at most once per wait.

        A token whose wait has already ended (it timed out: the poll's tick is running, and may have
        read DRS just before this launch ended) is not the end of it: taking the token again finds
        none and leaves the wake-up for the next wait, or finds the token of a wait begun meanwhile
        and ends that one. Either way the launch result is not lost until the next poll."""
        for _ in range(3):
            token = self._store.take_wait_token(execution_id)
            if token is None:  # not waiting (the wake-up is left for the next wait), ended, or unknown
                return WakeOutcome("NOT_WAITING", execution_id)
            if self._sfn.send_success(token, {"wokenBy": dict(reason)}):
                return WakeOutcome("WOKEN", execution_id)
        return WakeOutcome("WAIT_ENDED", execution_id)  # waits kept ending under it: the polls tick anyway

    def handle_launch_result(self, event: Mapping[str, Any]) -> WakeOutcome:
        detail = event.get("detail") if isinstance(event.get("detail"), Mapping) else {}
        job_id = str((detail or {}).get("job-id") or "")
        resources = event.get("resources") or []
        server_id = str(resources[0]).rpartition("/")[2] if resources else ""
        if not job_id or not server_id:
            return WakeOutcome("IGNORED")
        tally = self._store.tally_launch_result(job_id, server_id)
        if tally is None:
            return WakeOutcome("NOT_COUNTED", job_id=job_id)  # not our job, or a duplicate
        if not tally.complete:
            return WakeOutcome("JOB_IN_FLIGHT", tally.execution_id, job_id)
        outcome = self.wake(tally.execution_id, {"jobId": job_id, "state": (detail or {}).get("state")})
        log.info("DRS launch result", extra={"jobId": job_id, "executionId": tally.execution_id,
                                             "result": outcome.result})
        return WakeOutcome(outcome.result, tally.execution_id, job_id)
