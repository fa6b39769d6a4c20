"""The execution engine's decisions: pure functions from what is stored and observed to what to do.

Vocabulary. A *wave* launches the servers of its protection groups, split per account-region
(*scope*, ``"<accountId>#<region>"``) into *jobs* of at most 100 servers, one DRS StartRecovery
each. A job is QUEUED until the engine decides to start it. From that decision until its DRS job id
is recorded it is *starting* (STARTING); then ACTIVE until DRS reports it COMPLETED. A job that
never started because the execution stopped first is NOT_STARTED; one DRS refused for good is
FAILED (its servers FAILED). The execution item keeps the keys of starting and active jobs (its
*in-flight* set), so pause and cancel, which read only that item, know whether DRS work is under way.

Rules of :func:`decide`, applied on every tick:

1. A terminal execution does nothing (DONE).
2. A LAUNCHING wave whose jobs are all finished gets its outcome: COMPLETED (every server
   LAUNCHED), FAILED (none) or PARTIAL.
3. *Stopping*: a cancel was requested, or a finished wave has servers that did not launch and its
   ``onServerFailure`` is STOP. Then nothing starts any more: waves not started become CANCELLED
   and the queued jobs of launching waves NOT_STARTED. Jobs in flight are followed to their end
   (DRS jobs cannot be stopped); meanwhile the execution is CANCELLING (cancel) or stays RUNNING
   (failure); then it ends CANCELLED or FAILED.
4. Otherwise a PENDING wave is *ready* when each wave it depends on is COMPLETED or SKIPPED, or
   PARTIAL/FAILED with ``onServerFailure`` CONTINUE. A ready wave is *held* when it pauses before
   itself and was not approved, and every ready wave is held while a pause is requested. Ready
   waves that are not held start: QUEUED, and LAUNCHING as soon as one of their jobs is admitted.
5. Admission per scope, first come first served by (wave number, job key), within 20 active jobs
   and 500 servers in active jobs (:func:`drs_orch.domain.limits.admit_jobs`), counting every
   active DRS job of the scope (this execution's, other executions', jobs started outside).
6. Nothing in flight and nothing queued: when every wave is terminal the execution ends COMPLETED
   (every server launched), PARTIAL (some launched) or FAILED (none); when waves are held it is
   PAUSED before them (next: PAUSE, the state machine waits for a resume).

Jobs in the STARTING state are resolved by :func:`starting_action` (call, search, adopt, abandon)
and DRS refusals are classified by :func:`classify_start_error`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from drs_orch.domain.execution_snapshot import split_scope
from drs_orch.domain.limits import MAX_CONCURRENT_JOBS, MAX_SERVERS_IN_ACTIVE_JOBS, admit_jobs
from drs_orch.domain.plan_graph import OnServerFailure
from drs_orch.domain.statuses import (
    TERMINAL_EXECUTION,
    TERMINAL_WAVE,
    ExecutionStatus,
    ServerStatus,
    WaveStatus,
)

_E = ExecutionStatus
_W = WaveStatus
_S = ServerStatus

# Conflict refusals of StartRecovery tolerated before a job's servers are failed.
MAX_CONFLICT_REFUSALS = 3
# Searches for a job whose StartRecovery outcome is unknown that may miss before it is started again.
MAX_SEARCH_MISSES = 2


class JobStatus(StrEnum):
    QUEUED = "QUEUED"
    STARTING = "STARTING"
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    NOT_STARTED = "NOT_STARTED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"  # passed its (or its wave's) time limit; DRS may still be running it


TERMINAL_JOB = frozenset({JobStatus.COMPLETED, JobStatus.NOT_STARTED, JobStatus.FAILED, JobStatus.TIMED_OUT})


class WaveOutcome(StrEnum):
    """What a wave status means to the rules."""

    OPEN = "OPEN"  # not started or under way
    SUCCEEDED = "SUCCEEDED"  # every server launched, or nothing to launch
    FAILED = "FAILED"  # some server did not launch: ``onServerFailure`` decides what follows
    NOT_RUN = "NOT_RUN"  # cancelled before it started


# Every wave status, explicitly: a new status must be placed here (a test checks the table is whole).
WAVE_OUTCOME: Mapping[WaveStatus, WaveOutcome] = {
    _W.PENDING: WaveOutcome.OPEN,
    _W.QUEUED: WaveOutcome.OPEN,
    _W.LAUNCHING: WaveOutcome.OPEN,
    _W.COMPLETED: WaveOutcome.SUCCEEDED,
    _W.SKIPPED: WaveOutcome.SUCCEEDED,
    _W.PARTIAL: WaveOutcome.FAILED,
    _W.FAILED: WaveOutcome.FAILED,
    _W.TIMEOUT: WaveOutcome.FAILED,
    _W.CANCELLED: WaveOutcome.NOT_RUN,
}
IN_FLIGHT_JOB = frozenset({JobStatus.STARTING, JobStatus.ACTIVE})
LAUNCHED_SERVER = frozenset({_S.LAUNCHED, _S.TERMINATED})


class Next(StrEnum):
    """What the state machine does after a tick."""

    CONTINUE = "CONTINUE"
    PAUSE = "PAUSE"
    DONE = "DONE"
    RENEW = "RENEW"  # go on in a new state machine run (this run's history is getting long)


RENEW_RETRY_TICKS = 50  # a run whose renewal failed asks again this many ticks later


def after_tick(decided: Next, run_ticks: int, renew_after: int) -> Next:
    """What the state machine does after the ``run_ticks``-th tick of its run: a run that goes on
    hands the execution to a new run once it has ticked ``renew_after`` times (a Standard workflow
    fails, skipping every Catch, when its history reaches 25,000 events), and asks again every
    :data:`RENEW_RETRY_TICKS` ticks if that start failed. A pause, or the end, is never put off."""
    if decided is Next.CONTINUE and run_ticks >= renew_after and (run_ticks - renew_after) % RENEW_RETRY_TICKS == 0:
        return Next.RENEW
    return decided


def renewal_name(run: str | None, execution_id: str, ticks: int) -> str:
    """The name of the run that takes over from ``run`` (its ARN or name) after ``ticks`` ticks in
    all: the name of the loop's first run (the execution id, or ``<id>-terminate-<n>`` for a
    termination loop) and ``-t<ticks>``. The total only grows within a loop, and loops have their own
    first names, so no two runs get one name (Step Functions keeps a name for 90 days)."""
    name = (run or "").rpartition(":")[2] or execution_id
    return f"{re.sub(r'-t[0-9]+$', '', name)}-t{ticks}"


def job_status(stored: str, key: str, in_flight: Iterable[str]) -> JobStatus:
    """A job's status from its item and the execution's in-flight set: a QUEUED job in the set is
    STARTING (its start was decided, its DRS job id is not recorded yet)."""
    status = JobStatus(stored)
    if status is JobStatus.QUEUED and key in set(in_flight):
        return JobStatus.STARTING
    return status


@dataclass(frozen=True)
class WaveView:
    number: int
    status: WaveStatus
    depends_on: tuple[int, ...] = ()
    pause_before: bool = False
    on_failure: OnServerFailure = OnServerFailure.STOP


@dataclass(frozen=True)
class JobView:
    key: str
    wave: int
    scope: str
    status: JobStatus
    servers: Mapping[str, ServerStatus] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.servers)


@dataclass(frozen=True)
class ExecutionView:
    status: ExecutionStatus
    pause_requested: bool = False
    cancel_requested: bool = False
    approved_waves: frozenset[int] = frozenset()
    in_flight: frozenset[str] = frozenset()  # keys of the jobs in the execution's in-flight set


@dataclass(frozen=True)
class Capacity:
    """Active DRS jobs of a scope and the servers in them."""

    active_jobs: int = 0
    active_servers: int = 0


@dataclass
class Decision:
    execution_status: ExecutionStatus
    wave_status: dict[int, WaveStatus] = field(default_factory=dict)  # changes only
    start_jobs: list[str] = field(default_factory=list)  # QUEUED -> STARTING
    drop_jobs: list[str] = field(default_factory=list)  # QUEUED -> NOT_STARTED
    waiting_jobs: dict[str, str] = field(default_factory=dict)  # QUEUED jobs of started waves left waiting: why
    finished_jobs: list[str] = field(default_factory=list)  # leave the in-flight set
    started_waves: list[int] = field(default_factory=list)  # PENDING -> QUEUED | LAUNCHING
    paused_before: tuple[int, ...] = ()
    next: Next = Next.CONTINUE
    reason: str | None = None

    @property
    def in_flight_changes(self) -> bool:
        return bool(self.start_jobs or self.finished_jobs)


def wave_outcome(servers: Iterable[ServerStatus]) -> WaveStatus:
    """COMPLETED when every server launched, FAILED when none did, PARTIAL otherwise. A server that
    never launched (its job did not start, or DRS left it unfinished) counts as not launched."""
    statuses = list(servers)
    launched = sum(1 for s in statuses if s in LAUNCHED_SERVER)
    if statuses and launched == len(statuses):
        return _W.COMPLETED
    if launched == 0:
        return _W.FAILED
    return _W.PARTIAL


def _satisfies(wave: WaveView, status: WaveStatus) -> bool:
    outcome = WAVE_OUTCOME[status]
    if outcome is WaveOutcome.SUCCEEDED:
        return True
    return outcome is WaveOutcome.FAILED and wave.on_failure is OnServerFailure.CONTINUE


def _stops(wave: WaveView, status: WaveStatus) -> bool:
    return WAVE_OUTCOME[status] is WaveOutcome.FAILED and wave.on_failure is OnServerFailure.STOP


@dataclass
class _Work:
    execution: ExecutionView
    waves: dict[int, WaveView]
    status: dict[int, WaveStatus]
    jobs: list[JobView]
    job_status: dict[str, JobStatus]
    decision: Decision

    def jobs_of(self, wave: int) -> list[JobView]:
        return [j for j in self.jobs if j.wave == wave]

    def set_wave(self, number: int, status: WaveStatus) -> None:
        if self.status[number] is not status:
            self.status[number] = status
            self.decision.wave_status[number] = status

    def settle_launching(self) -> None:
        for number, status in sorted(self.status.items()):
            if status is not _W.LAUNCHING:
                continue
            jobs = self.jobs_of(number)
            if jobs and all(self.job_status[j.key] in TERMINAL_JOB for j in jobs):
                if any(self.job_status[j.key] is JobStatus.TIMED_OUT for j in jobs):
                    self.set_wave(number, _W.TIMEOUT)
                else:
                    self.set_wave(number, wave_outcome(s for j in jobs for s in j.servers.values()))

    def in_flight(self) -> list[str]:
        return [k for k, s in self.job_status.items() if s in IN_FLIGHT_JOB]


def _prepare(execution: ExecutionView, waves: Sequence[WaveView], jobs: Sequence[JobView]) -> _Work:
    decision = Decision(execution_status=execution.status)
    work = _Work(
        execution=execution,
        waves={w.number: w for w in waves},
        status={w.number: w.status for w in waves},
        jobs=sorted(jobs, key=lambda j: (j.wave, j.key)),
        job_status={j.key: j.status for j in jobs},
        decision=decision,
    )
    work.settle_launching()
    return work


def _stopping(work: _Work) -> bool:
    return work.execution.cancel_requested or any(
        _stops(work.waves[n], s) for n, s in work.status.items()
    )


def _queue(work: _Work) -> dict[str, list[JobView]]:
    """Jobs waiting for admission per scope, in admission order, after the ready waves started."""
    queue: dict[str, list[JobView]] = {}
    for job in work.jobs:
        if work.job_status[job.key] is JobStatus.QUEUED and work.status[job.wave] in (_W.QUEUED, _W.LAUNCHING):
            queue.setdefault(job.scope, []).append(job)
    return queue


def _start_ready_waves(work: _Work) -> list[int]:
    """Move ready, unheld waves to QUEUED; return the held wave numbers."""
    held: list[int] = []
    for number in sorted(work.status):
        if work.status[number] is not _W.PENDING:
            continue
        wave = work.waves[number]
        if not all(d in work.status and _satisfies(work.waves[d], work.status[d]) for d in wave.depends_on):
            continue
        needs_approval = wave.pause_before and number not in work.execution.approved_waves
        if work.execution.pause_requested or needs_approval:
            held.append(number)
            continue
        work.set_wave(number, _W.QUEUED)
        work.decision.started_waves.append(number)
    return held


def is_stopping(execution: ExecutionView, waves: Sequence[WaveView], jobs: Sequence[JobView]) -> bool:
    """True when nothing may start any more (rule 3): starting jobs that never reached DRS are
    then abandoned instead of started."""
    if execution.status in TERMINAL_EXECUTION:
        return True
    return _stopping(_prepare(execution, waves, jobs))


def admission_scopes(execution: ExecutionView, waves: Sequence[WaveView], jobs: Sequence[JobView]) -> set[str]:
    """Scopes with jobs that :func:`decide` may admit now: the caller observes their capacity."""
    if execution.status in TERMINAL_EXECUTION:
        return set()
    work = _prepare(execution, waves, jobs)
    if _stopping(work):
        return set()
    _start_ready_waves(work)
    return set(_queue(work))


def _final_status(work: _Work) -> ExecutionStatus:
    """From the waves alone (a tick does not read the jobs of ended waves): a COMPLETED or PARTIAL
    wave launched servers, a FAILED one none."""
    statuses = set(work.status.values())
    if not any(WAVE_OUTCOME[s] is WaveOutcome.FAILED for s in statuses):
        return _E.COMPLETED
    return _E.PARTIAL if statuses & {_W.COMPLETED, _W.PARTIAL} else _E.FAILED


def decide(
    execution: ExecutionView,
    waves: Sequence[WaveView],
    jobs: Sequence[JobView],
    capacity: Mapping[str, Capacity] | None = None,
) -> Decision:
    """What to do now (rules in the module docstring). ``jobs`` must hold every job of the waves
    that are not terminal (jobs of ended waves may be left out). ``capacity`` must hold every
    scope of :func:`admission_scopes`; a scope without capacity admits nothing this time."""
    if execution.status in TERMINAL_EXECUTION:
        return Decision(execution_status=execution.status, next=Next.DONE)
    work = _prepare(execution, waves, jobs)
    decision = work.decision
    decision.finished_jobs = [
        j.key for j in work.jobs if j.key in execution.in_flight and work.job_status[j.key] in TERMINAL_JOB
    ]

    if _stopping(work):
        return _stop(work)

    held = _start_ready_waves(work)
    for job in work.jobs:  # e.g. a wave failed before it started (its launch settings could not be applied)
        if work.job_status[job.key] is JobStatus.QUEUED and work.status[job.wave] in TERMINAL_WAVE:
            work.job_status[job.key] = JobStatus.NOT_STARTED
            decision.drop_jobs.append(job.key)
    queue = _queue(work)
    for scope, queued in queue.items():
        cap = (capacity or {}).get(scope)
        if cap is None:
            why = f"the DRS capacity of {_where(scope)} could not be read; tried again next tick"
            decision.waiting_jobs.update({job.key: why for job in queued})
            continue
        count = admit_jobs([j.size for j in queued], cap.active_jobs, cap.active_servers)
        for job in queued[:count]:
            work.job_status[job.key] = JobStatus.STARTING
            decision.start_jobs.append(job.key)
            if work.status[job.wave] is _W.QUEUED:
                work.set_wave(job.wave, _W.LAUNCHING)
        if count < len(queued):
            taken = Capacity(cap.active_jobs + count, cap.active_servers + sum(j.size for j in queued[:count]))
            first = queued[count]
            decision.waiting_jobs[first.key] = capacity_wait(scope, taken, first.size)
            for job in queued[count + 1:]:  # first come, first served: behind the first that waits
                decision.waiting_jobs[job.key] = (f"queued behind an earlier job of this execution waiting for DRS "
                                                  f"capacity in {_where(scope)}")

    waiting = any(s in (_W.QUEUED, _W.LAUNCHING) for s in work.status.values())
    if work.in_flight() or waiting:
        decision.execution_status = _E.RUNNING
        decision.next = Next.CONTINUE
        return decision
    if all(s in TERMINAL_WAVE for s in work.status.values()):
        decision.execution_status = _final_status(work)
        decision.next = Next.DONE
        return decision
    if held:
        if execution.status is _E.PENDING:
            decision.execution_status = _E.RUNNING  # PENDING cannot pause; the next tick does
            decision.next = Next.CONTINUE
            return decision
        decision.execution_status = _E.PAUSED
        decision.paused_before = tuple(n for n in held if work.waves[n].pause_before
                                       and n not in execution.approved_waves)
        decision.next = Next.PAUSE
        decision.reason = (
            "pause requested" if execution.pause_requested and not decision.paused_before
            else "paused before wave " + ", ".join(str(n) for n in decision.paused_before)
        )
        return decision
    # Pending waves whose dependencies can never be satisfied; cannot happen with a valid graph.
    blocked = sorted(n for n, s in work.status.items() if s is _W.PENDING)
    for number in blocked:
        work.set_wave(number, _W.CANCELLED)
    decision.execution_status = _E.FAILED
    decision.next = Next.DONE
    decision.reason = "waves " + ", ".join(map(str, blocked)) + " can never start"
    return decision


def _stop(work: _Work) -> Decision:
    decision = work.decision
    cancel = work.execution.cancel_requested
    for number, status in sorted(work.status.items()):
        if status in (_W.PENDING, _W.QUEUED):
            work.set_wave(number, _W.CANCELLED)
    for job in work.jobs:
        if work.job_status[job.key] is JobStatus.QUEUED:
            work.job_status[job.key] = JobStatus.NOT_STARTED
            decision.drop_jobs.append(job.key)
    work.settle_launching()
    failed = sorted(n for n, s in work.status.items() if _stops(work.waves[n], s))
    # the wave's own status (a PARTIAL wave launched some servers): its badge and this reason agree
    decision.reason = "cancelled" if cancel else (f"wave {failed[0]} ended {work.status[failed[0]].value} "
                                                  "and stops the plan (onServerFailure STOP)")
    if work.in_flight():
        decision.execution_status = _E.CANCELLING if cancel else _E.RUNNING
        if not cancel and work.execution.status is _E.PAUSED:
            decision.execution_status = _E.RUNNING
        decision.next = Next.CONTINUE
        return decision
    decision.execution_status = _E.CANCELLED if cancel else _E.FAILED
    decision.next = Next.DONE
    return decision


# ------------------------------------------------------------------ starting jobs


class StartAction(StrEnum):
    CALL = "CALL"  # call StartRecovery
    SEARCH = "SEARCH"  # an earlier call may have created the job: look for it by its tags
    ABANDON = "ABANDON"  # the execution is stopping and the job never started: NOT_STARTED
    WAIT = "WAIT"  # the search missed once: look again next tick before starting anew


class StartState(StrEnum):
    """What is known about a starting job's StartRecovery call (stored on the job item)."""

    NOT_CALLED = "NOT_CALLED"
    CALLING = "CALLING"  # called; the outcome is unknown (no answer, or an answer that was lost)
    REFUSED = "REFUSED"  # DRS refused, nothing was created


def starting_action(state: StartState, stopping: bool) -> StartAction:
    if state is StartState.CALLING:
        return StartAction.SEARCH
    return StartAction.ABANDON if stopping else StartAction.CALL


def after_search_miss(misses: int, stopping: bool) -> StartAction:
    """``misses`` counts this miss too. A job created by a call whose answer was lost may take a
    moment to be listed, so the first miss waits a tick."""
    if misses < MAX_SEARCH_MISSES:
        return StartAction.WAIT
    return StartAction.ABANDON if stopping else StartAction.CALL


class Refusal(StrEnum):
    RETRY = "RETRY"  # nothing was created; try again on a later tick
    FINAL = "FINAL"  # nothing was created and trying again cannot help: the job's servers fail
    AMBIGUOUS = "AMBIGUOUS"  # the job may exist: search before starting again


_RETRY_CODES = frozenset({"ThrottlingException", "ServiceQuotaExceededException", "ConflictException",
                          "TooManyRequestsException", "RequestLimitExceeded"})
_FINAL_CODES = frozenset({"ValidationException", "AccessDeniedException", "UninitializedAccountException",
                          "ResourceNotFoundException", "UnauthorizedOperation", "AccessDenied"})


def classify_start_error(code: str | None, http_status: int | None, conflicts_so_far: int = 0) -> Refusal:
    """How a failed StartRecovery call is handled. ``code`` is the AWS error code (None for a
    connection error or timeout: the request may have been processed)."""
    if code == "ConflictException" and conflicts_so_far + 1 >= MAX_CONFLICT_REFUSALS:
        return Refusal.FINAL
    if code in _RETRY_CODES:
        return Refusal.RETRY
    if code in _FINAL_CODES:
        return Refusal.FINAL
    if code is not None and http_status is not None and 400 <= http_status < 500:
        return Refusal.FINAL
    return Refusal.AMBIGUOUS


# ------------------------------------------------------------------ observations


_FAILURE_EVENTS = ("LAUNCH_FAILED", "CONVERSION_FAIL", "SNAPSHOT_FAIL", "USING_PREVIOUS_SNAPSHOT_FAILED",
                   "CLEANUP_FAIL", "SERVER_SKIPPED", "NETWORK_RECOVERY_FAIL", "UPDATE_LAUNCH_TEMPLATE_FAILED",
                   "DEPLOY_NETWORK_CONFIGURATION_FAILED", "UPDATE_NETWORK_CONFIGURATION_FAILED")


def failure_reasons(log_items: Iterable[Mapping[str, object]]) -> dict[str, str]:
    """Server id -> the last failure message of a DRS job log (``rawError``, else the event name)."""
    reasons: dict[str, str] = {}
    for item in log_items:
        event = str(item.get("event") or "")
        if event not in _FAILURE_EVENTS:
            continue
        data = item.get("eventData")
        if not isinstance(data, Mapping):
            continue
        server = data.get("sourceServerID")
        if isinstance(server, str):
            raw = data.get("rawError")
            reasons[server] = str(raw) if raw else event
    return reasons


def _where(scope: str) -> str:
    """A scope as the reasons name it: ``account / region``."""
    return " / ".join(split_scope(scope))


def capacity_wait(scope: str, taken: Capacity, size: int) -> str:
    """Why a job of ``size`` servers cannot start in ``scope`` now (``taken``: what the scope's
    active jobs use, this tick's starts included), in the words of DRS's quotas."""
    where = _where(scope)
    if taken.active_jobs + 1 > MAX_CONCURRENT_JOBS:
        return (f"waiting for DRS capacity in {where}: {taken.active_jobs} of {MAX_CONCURRENT_JOBS} "
                "concurrent jobs are active")
    return (f"waiting for DRS capacity in {where}: {taken.active_servers} of {MAX_SERVERS_IN_ACTIVE_JOBS} "
            f"servers are in active jobs; this job needs {size}")


def active_capacity(jobs: Iterable[Mapping[str, object]], extra: Iterable[int] = ()) -> Capacity:
    """Capacity used in a scope from its DRS jobs (PENDING/STARTED count) plus ``extra`` sizes of
    jobs this execution is starting whose DRS job is not listed yet."""
    count = 0
    servers = 0
    for job in jobs:
        if job.get("status") in ("PENDING", "STARTED"):
            count += 1
            participating = job.get("participatingServers")
            servers += len(participating) if isinstance(participating, list) else 0
    for size in extra:
        count += 1
        servers += size
    return Capacity(active_jobs=count, active_servers=servers)


def job_matches_tags(job: Mapping[str, object], tags: Mapping[str, str]) -> bool:
    """True when a DRS job carries every ``tags`` pair (how a started job is found again)."""
    found = job.get("tags")
    if not isinstance(found, Mapping):
        return False
    return all(found.get(k) == v for k, v in tags.items())


def server_statuses(participating: Iterable[Mapping[str, object]]) -> dict[str, ServerStatus]:
    """Server id -> status from a DRS job's ``participatingServers``."""
    from drs_orch.domain.statuses import server_status_from_drs

    out: dict[str, ServerStatus] = {}
    for entry in participating:
        server = entry.get("sourceServerID")
        status = entry.get("launchStatus")
        if isinstance(server, str) and isinstance(status, str):
            out[server] = server_status_from_drs(status)
    return out


def next_server_status(current: ServerStatus, observed: ServerStatus, job_completed: bool) -> ServerStatus:
    """The stored status after an observation. Statuses only move forward (a late or reordered
    answer never moves a server back); when DRS finished the job, a server it left unfinished is
    FAILED."""
    order = {_S.PENDING: 0, _S.LAUNCHING: 1, _S.LAUNCHED: 2, _S.FAILED: 2, _S.TERMINATED: 3}
    if current in (_S.LAUNCHED, _S.FAILED, _S.TERMINATED):
        return current
    target = observed
    if job_completed and target in (_S.PENDING, _S.LAUNCHING):
        target = _S.FAILED
    if target is _S.TERMINATED:  # terminated by DRS before we saw it launched: it did launch
        target = _S.LAUNCHED
    return target if order[target] >= order[current] else current
