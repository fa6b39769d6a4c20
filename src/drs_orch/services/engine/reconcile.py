"""The reconcile loop's steps, called by the state machine through the orchestration Lambda.

``begin`` (PENDING -> RUNNING, then a tick), ``tick``, ``store_task_token`` (the pause task) and
``abort`` (the state machine caught an error it could not retry away). A tick:

1. loads the execution (META, WAVE and JOB items; never the per-server items);
2. observes DRS: the active jobs (DescribeJobs by id), the jobs an earlier tick was starting
   (found again by their tags, or started), recovery instances and EC2 for launched servers, job
   logs for failed ones; what it learns is written to the JOB and SERVER items;
3. decides (:func:`drs_orch.domain.engine_rules.decide`), with the DRS capacity of the scopes that
   have jobs to admit, after applying launch settings to the waves that start (issue 7);
4. commits the decision on the META item with a version check (a pause, resume or cancel written
   meanwhile makes it start over from 1), then updates the WAVE and JOB items;
5. acts: StartRecovery for the admitted jobs; and when the execution ended, releases its server
   locks and notifies.

It returns ``{"next": CONTINUE|PAUSE|DONE, "waitSeconds": pollIntervalSeconds}``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from drs_orch.domain.engine_rules import (
    Capacity,
    Decision,
    JobStatus,
    Next,
    WaveView,
    admission_scopes,
    decide,
    is_stopping,
)
from drs_orch.domain.errors import UpstreamError
from drs_orch.domain.execution_records import ExecutionMeta, JobRecord, PlannedWave, WaveRecord, WaveSummary
from drs_orch.domain.execution_snapshot import PAIRED_EXECUTION_TYPES
from drs_orch.domain.objectives import measured_rto, wave_rpo_minutes
from drs_orch.domain.statuses import (
    TERMINAL_EXECUTION,
    TERMINAL_WAVE,
    ExecutionStatus,
    WaveStatus,
    check_transition,
)
from drs_orch.services.engine.context import EngineDeps
from drs_orch.services.engine.jobs import DETAILS_PENDING, JobRunner, wave_identity
from drs_orch.services.engine.notify import EXECUTION_EVENT, WAVE_EVENT_OUTCOME, notify_status
from drs_orch.services.engine.observe import launch_settings_path, wave_ended
from drs_orch.services.engine.point_in_time import choose_wave_point, job_refs, record_job_snapshots
from drs_orch.services.engine.ports import Changes
from drs_orch.services.engine.records import (
    TERMINAL_WAVE_VALUES,
    execution_view,
    guard_keys_of_jobs,
    history_entry,
    job_view,
    planned_view,
    server_counts,
    summary_of,
    summary_view,
    unread_waves,
    wave_rpo,
    wave_view,
)
from drs_orch.services.engine.termination import termination_tick

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
MAX_TICK_ERRORS = 10
_E = ExecutionStatus
_W = WaveStatus


@dataclass(frozen=True)
class TickResult:
    next: Next
    wait_seconds: int

    def to_dict(self) -> dict[str, Any]:
        return {"next": self.next.value, "waitSeconds": self.wait_seconds}


def _poll(meta: Mapping[str, Any]) -> int:
    return int(meta.get("pollIntervalSeconds") or 30)


def status_changes(deps: EngineDeps, meta: Mapping[str, Any], new: ExecutionStatus, reason: str | None,
                   changes: Changes) -> None:
    """Add a status change (checked against the transition table) to ``changes``."""
    check_transition(ExecutionStatus, str(meta["status"]), new)
    now = deps.now()
    changes.set["status"] = new.value
    changes.append["statusHistory"] = [history_entry(new.value, now, reason)]
    if new in TERMINAL_EXECUTION:
        changes.set["endTime"] = now
        seconds = deps.seconds_since(str(meta.get("startTime")))
        if seconds is not None:
            changes.set["durationSeconds"] = round(seconds, 3)
        measured = measured_rto(meta.get("startTime"), now, [*(meta.get("statusHistory") or []),
                                                            *changes.append["statusHistory"]])
        if measured is not None:  # issue 21: start to the end of the last wave, pauses apart
            changes.set["measuredRtoSeconds"], changes.set["pausedSeconds"] = measured
        if reason and new in (_E.FAILED,):
            changes.set.setdefault("errorMessage", reason)
        changes.remove.append("taskToken")


def _rpo_summary(jobs: Iterable[JobRecord], objectives: Mapping[str, Any] | None, number: int) -> dict[str, Any]:
    """Wave ``number``'s RPO summary from the data ages on its jobs (among ``jobs``)."""
    return wave_rpo([j for j in jobs if j.wave_number == number], wave_rpo_minutes(objectives, number))


class Engine:
    def __init__(self, deps: EngineDeps) -> None:
        self.deps = deps

    # ------------------------------------------------------------------ state machine actions
    def begin(self, execution_id: str, run: str | None = None) -> TickResult:
        """A state machine run begins: the execution starts if it has not (PENDING -> RUNNING), the
        run is named on META as the execution's (``run``: its ARN; a run that took over from another
        replaces it there, so a cancel stops the run that is going on), then a first tick."""
        for _ in range(MAX_ATTEMPTS):
            meta = self.deps.store.get_meta(execution_id)
            if meta is None:
                log.warning("execution %s not found", execution_id)
                return TickResult(Next.DONE, 0)
            if run and meta.get("stateMachineExecutionArn") != run:
                self.deps.store.update_meta(execution_id, Changes(set={"stateMachineExecutionArn": run}))
            if meta["status"] != _E.PENDING.value:
                break
            changes = Changes(increment={"version": 1})
            status_changes(self.deps, meta, _E.RUNNING, "orchestration started", changes)
            updated = self.deps.store.update_meta(execution_id, changes, expect={"version": meta["version"]})
            if updated is not None:
                notify_status(self.deps, updated, "start")
                break
        return self.tick(execution_id)

    def tick(self, execution_id: str) -> TickResult:
        """One reconcile step. An AWS failure that is not ours (throttling beyond the retries, an
        endpoint down) skips this tick instead of failing the execution: DRS jobs in flight go on
        whether or not we watch them, so the loop keeps watching. After :data:`MAX_TICK_ERRORS`
        failed ticks in a row the error propagates (state machine retries, then abort)."""
        try:
            return self._tick(execution_id)
        except UpstreamError as exc:
            meta = self.deps.store.get_meta(execution_id)
            if meta is None:
                raise
            errors = int(meta.get("tickErrors") or 0) + 1
            self.deps.store.update_meta(execution_id, Changes(set={
                "tickErrors": errors, "lastTickError": f"{exc.code}: {exc.message}"[:1000]}))
            if errors >= MAX_TICK_ERRORS:
                raise
            log.warning("tick %s of %s failed (%s); trying again at the next poll", errors, execution_id, exc)
            return TickResult(Next.CONTINUE, _poll(meta))

    def _tick(self, execution_id: str) -> TickResult:
        for _ in range(MAX_ATTEMPTS):
            loaded = self.deps.store.load(execution_id, settled_jobs=False)
            if loaded is None:
                return TickResult(Next.DONE, 0)
            meta = loaded.meta
            jobs = self._finish_details(meta, loaded.jobs)
            if meta["status"] in TERMINAL_EXECUTION:
                return TickResult(termination_tick(self.deps, meta), _poll(meta))
            result = self._reconcile(meta, loaded.waves, jobs, loaded.finished)
            if result is not None:
                return result
        log.warning("execution %s kept changing during the tick; trying again later", execution_id)
        return TickResult(Next.CONTINUE, 1)

    def store_task_token(self, execution_id: str, task_token: str) -> None:
        """The pause task: keep the token while PAUSED; otherwise (resumed or cancelled meanwhile)
        hand the token straight back so the loop goes on."""
        for _ in range(MAX_ATTEMPTS):
            meta = self.deps.store.get_meta(execution_id)
            if meta is None or meta["status"] != _E.PAUSED.value:
                self.deps.sfn.send_success(task_token, {"resumed": True})
                return
            # The version moves with the token: a resume or cancel that read the execution before
            # the token was stored must fail its version check and read it again, or it would
            # resume without the token and leave the run waiting forever.
            stored = self.deps.store.update_meta(execution_id, Changes(set={"taskToken": task_token},
                                                                       increment={"version": 1}),
                                                 expect={"version": meta["version"]})
            if stored is not None:
                return
        self.deps.sfn.send_success(task_token, {"resumed": True})

    def _finish_details(self, meta: ExecutionMeta, jobs: list[JobRecord]) -> list[JobRecord]:
        """Launch details an earlier tick put off and did not read (it ended after acting): read
        them now. Returns ``jobs`` as they are after that."""
        leftover = set(meta.get(DETAILS_PENDING) or ())
        if not leftover:
            return jobs
        done = JobRunner(self.deps, meta, {}).complete_details(leftover)
        self.deps.store.update_meta(meta.execution_id, Changes(delete={DETAILS_PENDING: leftover}))
        return [j.without(DETAILS_PENDING) if j.key in done else j for j in jobs]

    def abort(self, execution_id: str, error: Mapping[str, Any] | None) -> None:
        cause = str((error or {}).get("Cause") or (error or {}).get("Error") or "unknown error")[:2000]
        for _ in range(MAX_ATTEMPTS):
            loaded = self.deps.store.load(execution_id)
            if loaded is None:
                return
            meta = loaded.meta
            try:  # the servers that launched keep their details, whatever failed the run
                JobRunner(self.deps, meta, {j.key: j for j in self._finish_details(meta, loaded.jobs)}
                          ).complete_details()
            except Exception as exc:  # noqa: BLE001 - the abort must end the execution all the same
                log.warning("launch details of %s not read at abort: %s", execution_id, exc)
            if meta["status"] in TERMINAL_EXECUTION:
                termination = meta.get("termination") or {}
                if termination.get("status") in ("STARTING", "IN_PROGRESS"):
                    self.deps.store.update_meta(execution_id, Changes(set={
                        ("termination", "status"): "FAILED", ("termination", "error"): cause,
                        ("termination", "endedAt"): self.deps.now()}))
                return
            changes = Changes(set={"errorCode": "ORCHESTRATION_ABORTED", "errorMessage": cause},
                              increment={"version": 1})
            status_changes(self.deps, meta, _E.FAILED, "orchestration aborted", changes)
            updated = self.deps.store.update_meta(execution_id, changes, expect={"version": meta["version"]})
            if updated is None:
                continue
            now = self.deps.now()
            for wave in loaded.waves:
                status = _W(wave["status"])
                new = {_W.PENDING: _W.CANCELLED, _W.QUEUED: _W.CANCELLED, _W.LAUNCHING: _W.FAILED}.get(status)
                if new is not None:
                    self._wave_status(execution_id, wave, new, now)
            self._release(execution_id, loaded.jobs)
            notify_status(self.deps, updated, "fail")
            self.deps.store.record_plan_run(updated)
            return

    # ------------------------------------------------------------------ the tick
    def _reconcile(self, meta: ExecutionMeta, waves: list[WaveRecord], jobs: list[JobRecord],
                   finished: Mapping[int, WaveSummary]) -> TickResult | None:
        execution_id = meta.execution_id
        view = execution_view(meta)
        in_flight = set(view.in_flight)
        runner = JobRunner(self.deps, meta, {j.key: j for j in jobs})
        waves = list(waves)
        unread = unread_waves(meta, waves, finished)  # PENDING waves that cannot start now (not read)
        prep_failed: set[int] = set()

        def views() -> list[WaveView]:
            return ([WaveView(w.number, _W.FAILED, w.depends_on, w.pause_before, w.on_failure)
                     if w.number in prep_failed else w for w in map(wave_view, waves)]
                    + [summary_view(s) for s in finished.values()] + [planned_view(p) for p in unread.values()])

        def decided(capacity: Mapping[str, Capacity]) -> Decision:
            """The decision; a wave it moves that the tick did not read is read, and it decides again."""
            while True:
                decision = decide(view, views(), job_views, capacity)
                touched = sorted(unread.keys() & decision.wave_status.keys())
                if not touched:
                    return decision
                waves.extend(self.deps.store.load_waves(execution_id, touched))
                for number in touched:
                    del unread[number]

        wave_views = views()

        runner.observe_active()
        runner.expire(waves, in_flight)
        stopping = is_stopping(view, wave_views, [job_view(j, in_flight) for j in runner.jobs.values()])
        runner.resolve_starting(in_flight, stopping)
        job_views = [job_view(j, in_flight) for j in runner.jobs.values()]
        # The jobs of waves that have not started were not read: read those of the waves that start now.
        starting = decide(view, wave_views, job_views, {}).started_waves
        wanted = [k for w in waves if w.number in starting for k in w.job_keys if k not in runner.jobs]
        if wanted:
            for job in self.deps.store.load_jobs(execution_id, wanted):
                runner.jobs[job.key] = job
            job_views = [job_view(j, in_flight) for j in runner.jobs.values()]

        scopes = admission_scopes(view, wave_views, job_views)
        capacity: dict[str, Capacity] = {s: runner.capacity(s, in_flight) for s in sorted(scopes)}
        decision = decided(capacity)
        prepared: dict[int, dict[str, Any]] = {}
        for _ in range(len(waves) + len(unread) + 1):
            failed = self._prepare_waves(meta, waves, runner.jobs, decision, prepared)
            if not failed:
                break
            prep_failed |= failed
            decision = decided(capacity)
        for number in prep_failed:
            decision.wave_status[number] = _W.FAILED

        counts = self._counts(waves, runner.jobs, finished, unread)
        changes = Changes()
        new_status = decision.execution_status
        if not decision.start_jobs or new_status in TERMINAL_EXECUTION:
            runner.complete_details()  # nothing to start: no reason to put the details off
        pending = runner.pending_details()  # read after the starts; named on META until then
        if pending:
            changes.add[DETAILS_PENDING] = pending
        if new_status.value != meta["status"]:
            status_changes(self.deps, meta, new_status, decision.reason, changes)
        if decision.in_flight_changes:  # the whole set under the version check (ADD+DELETE cannot mix)
            flying = (in_flight - set(decision.finished_jobs)) | set(decision.start_jobs)
            if flying:
                changes.set["inFlight"] = flying
            else:
                changes.remove.append("inFlight")
        if list(decision.paused_before) != list(meta.get("pausedBeforeWaves") or []):
            changes.set["pausedBeforeWaves"] = list(decision.paused_before)
        if counts != meta.get("serverCounts"):
            changes.set["serverCounts"] = counts
        if decision.wave_status:  # wave moves are decisions too: commit them against pause/cancel
            changes.set["lastDecisionAt"] = self.deps.now()
            opened = {str(n) for n in decision.wave_status} - {str(n) for n in meta.get("openedWaves") or ()}
            if opened and meta.get("wavePlan") is not None:  # read by every tick from now on
                changes.add["openedWaves"] = opened
        if meta.get("tickErrors"):
            changes.remove.append("tickErrors")
        # Facts first (waves that ended, jobs that will never start), so that a reader never sees
        # the execution end or pause with waves still running; starts only after the commit.
        ended = self._write_waves(execution_id, waves, runner.jobs, decision, prepared, starts=False,
                                  kind=str(meta.get("executionType")), objectives=meta.get("objectives"))
        self._summarise(meta, waves, ended, changes)
        for key in decision.drop_jobs:
            job = runner.jobs[key]
            if job["status"] == JobStatus.QUEUED.value:
                runner.abandon(job)
        updated = meta
        if changes:
            changes.increment["version"] = 1
            expect = {"version": meta["version"]}
            if new_status.value == meta["status"]:  # the item after the commit is needed only to announce a new status
                if not self.deps.store.write_meta(execution_id, changes, expect=expect):
                    return None
            else:
                result = self.deps.store.update_meta(execution_id, changes, expect=expect)
                if result is None:
                    return None
                updated = result

        self._write_waves(execution_id, waves, runner.jobs, decision, prepared, starts=True,
                          kind=str(meta.get("executionType")))
        for key in decision.start_jobs:
            runner.call(runner.jobs[key])
        for key, why in decision.waiting_jobs.items():
            runner.note_waiting(runner.jobs[key], why)
        if pending:
            runner.complete_details()
            self.deps.store.update_meta(execution_id, Changes(delete={DETAILS_PENDING: pending}))
            for number in ended:  # their RPO summaries waited for the data ages
                if any(runner.jobs[k].wave_number == number for k in pending):
                    self.deps.store.update_wave(execution_id, number, Changes(set={"rpoSummary": _rpo_summary(
                        runner.jobs.values(), meta.get("objectives"), number)}))

        if new_status.value != meta["status"]:
            if new_status in TERMINAL_EXECUTION:
                self._release(execution_id, self.deps.store.lock_jobs(execution_id))  # every server lock
                notify_status(self.deps, updated, str(EXECUTION_EVENT[new_status]))
                self.deps.store.record_plan_run(updated)
            elif new_status is _E.PAUSED:
                notify_status(self.deps, updated, "pause")
        return TickResult(decision.next, _poll(meta))

    def _prepare_waves(self, meta: ExecutionMeta, waves: list[WaveRecord], jobs: dict[str, JobRecord],
                       decision: Decision,
                       prepared: dict[int, dict[str, Any]]) -> set[int]:
        """Apply launch settings to the waves that start now and, with ``consistentPointInTime``,
        choose their snapshots. Returns the waves that failed."""
        failed: set[int] = set()
        for number in decision.started_waves:
            if number in prepared:
                continue
            wave = next(w for w in waves if w.number == number)
            mine = [j for j in jobs.values() if j.wave_number == number]
            record = self._launch_settings(meta, wave, [s for j in mine for s in j.get("serverIds") or []])
            prepared[number] = record
            if record.get("launchConfigPath") == "FAILED":
                failed.add(number)
                continue
            if self.deps.pairing is not None and meta.get("executionType") in PAIRED_EXECUTION_TYPES:
                try:  # a drift that dropped a launch-into target fails the wave before anything launches
                    self.deps.pairing.check_wave(wave_identity(jobs, number))
                except Exception as exc:  # noqa: BLE001 - as for launch settings: the wave fails, not the tick
                    code = getattr(exc, "code", None)
                    reason = f"{code}: {exc}" if code else str(exc)
                    prepared[number] = {"launchConfigPath": "FAILED", "launchConfigReason": reason[:1000]}
                    failed.add(number)
                    continue
            pit = meta.get("consistentPointInTime")
            if pit:
                try:
                    chosen = choose_wave_point(self.deps, float(pit["toleranceSeconds"]), job_refs(mine))
                except UpstreamError as exc:  # DRS did not answer: the wave cannot know its point
                    record["pointInTimeReason"] = f"recovery snapshots could not be read: {exc}"
                    failed.add(number)
                    continue
                record.update(chosen.record)
                if chosen.failed:
                    failed.add(number)
                    continue
                record_job_snapshots(self.deps, meta.execution_id, jobs, chosen)
        return failed

    def _launch_settings(self, meta: ExecutionMeta, wave: WaveRecord, servers: list[str]) -> dict[str, Any]:
        """Apply launch settings to one starting wave; the wave's record of it."""
        preparer = self.deps.preparer
        if preparer is None:
            return {}
        number = wave.number
        try:
            outcome = dict(preparer.prepare_wave(list(wave.get("protectionGroupIds") or []), servers,
                                                 str(meta.get("initiatedBy") or "orchestration")))
        except Exception as exc:  # noqa: BLE001 - any failure to apply settings fails the wave, not the tick
            log.warning("launch settings of wave %s of %s failed: %s", number, meta["executionId"], exc)
            launch_settings_path("FAILED")
            return {"launchConfigPath": "FAILED", "launchConfigReason": str(exc)[:1000]}
        applied = outcome.get("applied") or []
        record: dict[str, Any] = {"launchConfigPath": str(outcome.get("path") or "NONE"),
                                  "launchConfigReason": str(outcome.get("reason") or ""),
                                  "launchConfigAppliedCount": len(applied)}
        if len(applied) <= 100:
            record["launchConfigApplied"] = applied
        launch_settings_path(record["launchConfigPath"])
        return record

    @staticmethod
    def _counts(waves: list[WaveRecord], jobs: Mapping[str, JobRecord], finished: Mapping[int, WaveSummary],
                unread: Mapping[int, PlannedWave]) -> dict[str, int]:
        """The execution's server counts: live from the loaded jobs, stored for waves that ended
        (on the wave item, or in the wave's summary on META), every server pending in the waves
        not read."""
        loaded = {j.wave_number for j in jobs.values()}
        statuses = [s for j in jobs.values() for s in (j.get("servers") or {}).values()]
        counts = server_counts(statuses)
        stored = [w.get("serverCounts") or {} for w in waves if w.number not in loaded]
        stored += [s.server_counts for n, s in finished.items() if n not in loaded]
        stored += [{"total": p.servers, "pending": p.servers} for p in unread.values()]
        for wave_counts in stored:
            for key, value in wave_counts.items():
                counts[key] = counts.get(key, 0) + int(value)
        return counts

    @staticmethod
    def _summarise(meta: ExecutionMeta, waves: list[WaveRecord], ended: Mapping[int, WaveRecord],
                   changes: Changes) -> None:
        """Summarise on META every loaded wave that has ended (now, or at a tick whose commit lost
        the race), so later ticks never read its WAVE and JOB items again. Committed with the
        decision under the version check."""
        known = meta.get("finishedWaves")
        summaries: dict[str, Any] = {}
        for wave in waves:
            item = ended.get(wave.number, wave)
            if item.get("status") not in TERMINAL_WAVE_VALUES or str(item.number) in (known or {}):
                continue
            summaries[str(item.number)] = summary_of(item).to_attributes()
        if not summaries:
            return
        if known is None:  # started before summaries: the whole map at once
            changes.set["finishedWaves"] = summaries
        else:
            for number, attributes in summaries.items():
                changes.set[("finishedWaves", number)] = attributes

    def _write_waves(self, execution_id: str, waves: list[WaveRecord], jobs: Mapping[str, JobRecord],
                     decision: Decision, prepared: Mapping[int, dict[str, Any]], *, starts: bool,
                     kind: str = "UNKNOWN", objectives: Mapping[str, Any] | None = None) -> dict[int, WaveRecord]:
        """Write the waves' new statuses and counts: ``starts`` selects the moves into QUEUED or
        LAUNCHING (decisions, written after the commit) or all others (facts, written before).
        Returns the waves that ended now, as written."""
        now = self.deps.now()
        ended: dict[int, WaveRecord] = {}
        for wave in waves:
            number = wave.number
            new = decision.wave_status.get(number)
            if (new in (_W.QUEUED, _W.LAUNCHING)) is not starts:
                continue
            changes = Changes(set={k: v for k, v in prepared.get(number, {}).items()})
            mine = [j for j in jobs.values() if j.wave_number == number]
            if mine:  # the jobs of waves that had ended were not loaded: their counts are final
                counts = server_counts(s for j in mine for s in (j.get("servers") or {}).values())
                if counts != wave.get("serverCounts"):
                    changes.set["serverCounts"] = counts
            if new is not None and new.value != wave["status"]:
                check_transition(WaveStatus, str(wave["status"]), new)
                changes.set.update({"status": new.value, ("statusHistory", new.value): now})
                if new is _W.LAUNCHING:
                    changes.set["startedAt"] = now
                if new in TERMINAL_WAVE:
                    changes.set["endedAt"] = now
                    if not any(j.get(DETAILS_PENDING) for j in mine):  # else once the details are read
                        changes.set["rpoSummary"] = _rpo_summary(mine, objectives, number)
                if new is _W.TIMEOUT:
                    changes.set["reason"] = "; ".join(str(j["timeoutReason"]) for j in mine
                                                      if j.get("timeoutReason"))[:2000]
            if changes:
                written = self.deps.store.update_wave(execution_id, number, changes,
                                                      expect={"status": wave["status"]})
                if written is not None and "endedAt" in changes.set:
                    wave_ended(kind, wave, str(WAVE_EVENT_OUTCOME[new] if new else ""), now)
                    ended[number] = written
        return ended

    def _wave_status(self, execution_id: str, wave: WaveRecord, new: WaveStatus, now: str) -> None:
        check_transition(WaveStatus, str(wave["status"]), new)
        self.deps.store.update_wave(execution_id, wave.number,
                                    Changes(set={"status": new.value, ("statusHistory", new.value): now,
                                                 "endedAt": now}),
                                    expect={"status": wave["status"]})

    def _release(self, execution_id: str, jobs: list[JobRecord]) -> None:
        self.deps.store.release_guards(execution_id, guard_keys_of_jobs(jobs))
        for job in jobs:
            if job["status"] == JobStatus.QUEUED.value:
                self.deps.store.write_job(execution_id, job.key,
                                          Changes(set={"status": JobStatus.NOT_STARTED.value}),
                                          expect={"status": JobStatus.QUEUED.value})
