"""What a tick does with DRS jobs: observe the active ones, resolve the starting ones, call
StartRecovery. Every write is conditional on the status it was read with, so a tick that runs
again (retried by the state machine, or after a lost answer) repeats nothing.

Starting a job: the job item records ``startState=CALLING`` *before* StartRecovery is called, and
the DRS job carries the tags ``drs-orch:execution-id`` and ``drs-orch:job``. A tick that finds a
starting job in CALLING state does not know whether DRS created it, so it searches the account-
region's jobs for those tags and adopts the one it finds; only after two misses does it call again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from drs_orch.domain.data_age import data_age_seconds
from drs_orch.domain.engine_rules import (
    JobStatus,
    Refusal,
    StartAction,
    StartState,
    active_capacity,
    after_search_miss,
    classify_start_error,
    failure_reasons,
    job_matches_tags,
    next_server_status,
    server_statuses,
    starting_action,
)
from drs_orch.domain.execution_records import (
    ExecutionMeta,
    JobRecord,
    ServerRecord,
    WaveRecord,
    pending_batch,
    pending_batches,
    pending_launches,
)
from drs_orch.domain.execution_snapshot import TAG_EXECUTION, TAG_JOB, job_tags, scope_of
from drs_orch.domain.failover import Expectation, verify_launch
from drs_orch.domain.statuses import ServerStatus
from drs_orch.domain.time_limits import expired
from drs_orch.services import telemetry
from drs_orch.services.engine.context import EngineDeps
from drs_orch.services.engine.drill_tags import tag_drill_instances
from drs_orch.services.engine.ports import Changes, Item, StartRefused

log = logging.getLogger(__name__)

_S = ServerStatus
UNFINISHED_REASON = "DRS completed the job without launching this server"
JOB_NOTE_SECONDS = 14 * 86400  # how long a DRS job's launch events are tied to its execution
DETAILS_PENDING = "detailsPending"  # JOB and META: launched servers whose details are still to be read
# jobs whose launch details one tick reads at once (each job: an EC2 and a DRS read side by side, then
# the drill tags and the server items); the adapters retry a throttled call with backoff
DETAIL_WORKERS = 8
WAITING_FOR = "waitingFor"  # JOB: why a QUEUED job of a started wave has not started (DRS capacity);
# it means something only while the job is QUEUED, and the views show it only then


def scope_of_job(job: Mapping[str, Any]) -> str:
    return scope_of(str(job["accountId"]), str(job["region"]))


def iso_value(value: Any) -> Any:
    """A datetime from boto3 as ISO-8601; anything else unchanged."""
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else value


def launch_details(instance_id: str | None, instance: Mapping[str, Any] | None) -> dict[str, Any]:
    """Server attributes from the recovery instance's EC2 description."""
    out: dict[str, Any] = {}
    if instance_id:
        out["recoveryInstanceId"] = instance_id
    if not instance:
        return out
    out["ec2InstanceId"] = instance.get("InstanceId")
    out["privateIp"] = instance.get("PrivateIpAddress")
    out["instanceType"] = instance.get("InstanceType")
    out["launchTime"] = iso_value(instance.get("LaunchTime"))
    out["ec2State"] = (instance.get("State") or {}).get("Name")
    name = next((t.get("Value") for t in instance.get("Tags") or [] if t.get("Key") == "Name"), None)
    if name:
        out["name"] = name
    return {k: v for k, v in out.items() if v is not None}


def data_ages(job: Mapping[str, Any], details: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The job's ``dataAges`` with those of the launch ``details`` just read."""
    return {**(job.get("dataAges") or {}),
            **{s: d["dataAgeSeconds"] for s, d in details.items() if "dataAgeSeconds" in d}}


def server_item(meta: ExecutionMeta, job: JobRecord, server: str, status: ServerStatus, now: str,
                launching_at: str | None, details: Mapping[str, Any], reason: str | None) -> ServerRecord:
    """A server's complete record at its final status in this execution."""
    history = {_S.PENDING.value: str(meta["startTime"])}
    if launching_at:
        history[_S.LAUNCHING.value] = launching_at
    history[status.value] = now
    item: dict[str, Any] = {
        "waveNumber": job.wave_number, "jobKey": job.key,
        "accountId": job["accountId"], "region": job["region"], "status": status.value,
        "statusHistory": history, **dict(details),
    }
    if job.get("jobId"):
        item["jobId"] = job["jobId"]
    hostname = (job.get("hostnames") or {}).get(server)
    if hostname:
        item["hostname"] = hostname
    if reason:
        item["failureReason"] = reason
    return ServerRecord(meta.execution_id, server, item)


def verify_identity(job: Mapping[str, Any], changed: dict[str, ServerStatus],
                    details: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Launches into instance pairs (``job["identity"]``, FAILOVER/FAILBACK, issue 14): each server
    that just LAUNCHED must have come up as its paired instance with the source's private IP; one
    that did not is FAILED (``changed`` is updated in place) with the mismatch reason. Returns, per
    verified server, ``{"record": SERVER item attributes, "reason"?: failure reason}``."""
    identity = job.get("identity") or {}
    out: dict[str, dict[str, Any]] = {}
    for server, status in list(changed.items()):
        if status is not _S.LAUNCHED or server not in identity:
            continue
        expect = Expectation.from_item(identity[server])
        seen = details.get(server) or {}
        verdict = verify_launch(expect, seen.get("ec2InstanceId"), seen.get("privateIp"))
        entry: dict[str, Any] = {"record": {**verdict.record(expect), **({"recoveryPrivateIp": seen["privateIp"]}
                                                                         if seen.get("privateIp") else {})}}
        if not verdict.ok:
            changed[server] = _S.FAILED
            entry["reason"] = verdict.reason
        out[server] = entry
    return out


def wave_identity(jobs: Mapping[str, JobRecord], wave: int) -> dict[str, dict[str, Any]]:
    """Scope -> server -> expectation, for the jobs of ``wave`` that launch into instance pairs."""
    out: dict[str, dict[str, Any]] = {}
    for job in jobs.values():
        if job.wave_number == wave and job.get("identity"):
            out.setdefault(scope_of_job(job), {}).update(dict(job["identity"]))
    return out


class JobRunner:
    """One tick's view of an execution's jobs (``jobs``: job records by key; each change the tick
    makes to a job replaces its record there)."""

    def __init__(self, deps: EngineDeps, meta: ExecutionMeta, jobs: dict[str, JobRecord]) -> None:
        self.deps = deps
        self.meta = meta
        self.execution_id = meta.execution_id
        self.jobs = jobs
        self.is_drill = meta.get("executionType") == "DRILL" or meta.get("isDrill") is True
        self._listings: dict[str, list[Item]] = {}
        self.wave_job_ids: dict[int, set[str]] = {}

    # ------------------------------------------------------------------ DRS listings (one per scope and tick)
    def listing(self, scope: str) -> list[Item]:
        if scope not in self._listings:
            self._listings[scope] = self.deps.drs.list_jobs(scope)
        return self._listings[scope]

    def capacity(self, scope: str, in_flight: set[str]) -> Any:
        starting = [len(j.get("serverIds") or []) for k, j in self.jobs.items()
                    if k in in_flight and j["status"] == JobStatus.QUEUED.value and scope_of_job(j) == scope]
        listed = self._listings.get(scope)  # this tick's whole listing, when a search read it
        return active_capacity(listed if listed is not None else self.deps.drs.jobs_that_may_be_active(scope),
                               starting)

    # ------------------------------------------------------------------ observation
    def observe_active(self) -> None:
        active = [j for j in self.jobs.values() if j["status"] == JobStatus.ACTIVE.value and j.get("jobId")]
        by_scope: dict[str, list[JobRecord]] = {}
        for job in active:
            by_scope.setdefault(scope_of_job(job), []).append(job)
        for scope, jobs in by_scope.items():
            found = self.deps.drs.describe_jobs(scope, [str(j["jobId"]) for j in jobs])
            for job in jobs:
                drs_job = found.get(str(job["jobId"]))
                if drs_job is None:
                    log.warning("DRS does not list job %s of execution %s", job["jobId"], self.execution_id)
                    continue
                self.apply(job, drs_job)

    def apply(self, job: JobRecord, drs_job: Mapping[str, Any]) -> None:
        """Record what DRS says about ``job``. The job item keeps every server's live status (and
        when it started launching); a server's own item is written once, complete, when it reaches
        its final status (LAUNCHED with the launch details, or FAILED with the reason from the job
        log), in batches: 4 writes for a job of 100 servers."""
        scope = scope_of_job(job)
        completed = drs_job.get("status") == "COMPLETED"
        participating = list(drs_job.get("participatingServers") or [])
        observed = server_statuses(participating)
        instance_of = {str(p.get("sourceServerID")): p.get("recoveryInstanceID") for p in participating}
        current = {k: _S(v) for k, v in (job.get("servers") or {}).items()}
        changed: dict[str, _S] = {}
        for server, status in current.items():
            new = next_server_status(status, observed.get(server, status), completed)
            if new is not status:
                changed[server] = new
        now = self.deps.now()
        launched = {s: instance_of.get(s) for s, n in changed.items() if n is _S.LAUNCHED}
        requested_at = iso_value(drs_job.get("creationDateTime") or job.get("startedAt"))
        deferred: set[str] = set()
        if launched and not job.get("identity"):
            # The details of a launch (EC2 facts, point in time) decide nothing: they are read after
            # the tick has acted (:meth:`complete_details`), so a wave's end starts the next one
            # without waiting for them. Launches into instance pairs are verified here, before.
            deferred = set(launched)
            details: dict[str, dict[str, Any]] = {}
        else:
            details = self._launch_details(scope, launched, requested_at) if launched else {}
            self._tag_drill(scope, details)
        identity = verify_identity(job, changed, details)
        reasons: dict[str, str] = {}
        if any(n is _S.FAILED for n in changed.values()):
            reasons = failure_reasons(self.deps.drs.job_log(scope, str(job["jobId"])))
        launching_at = dict(job.get("launchingAt") or {})
        for server, new in changed.items():
            if new is _S.LAUNCHING or (new is _S.LAUNCHED and server not in launching_at):
                launching_at.setdefault(server, now)
        failed_reasons = {s: reasons.get(s) or (UNFINISHED_REASON if completed else "launch failed")
                          for s, n in changed.items() if n is _S.FAILED and s not in identity}
        failed_reasons.update({s: str(v["reason"]) for s, v in identity.items() if v.get("reason")})
        for server, reason in failed_reasons.items():
            telemetry.event("SERVER_FAILED", executionId=self.execution_id, sourceServerId=server, scope=scope,
                            waveNumber=job.get("waveNumber"), jobId=job.get("jobId"), reason=reason,
                            executionType=self.meta.get("executionType"))
        finals = [server_item(self.meta, job, s, n, now, launching_at.get(s),
                              {**({"recoveryInstanceId": instance_of[s]} if instance_of.get(s) else {}),
                               **details.get(s, {}), **identity.get(s, {}).get("record", {})}, failed_reasons.get(s))
                  for s, n in changed.items() if n in (_S.LAUNCHED, _S.FAILED) and s not in deferred]
        if finals:
            self.deps.store.put_children(finals)
        servers = {k: changed.get(k, v).value for k, v in current.items()}
        job_changes = Changes(set={"drsStatus": drs_job.get("status")})
        if changed:
            job_changes.set["servers"] = servers
        if launching_at != (job.get("launchingAt") or {}):
            job_changes.set["launchingAt"] = launching_at
        if deferred:
            job_changes.set[DETAILS_PENDING] = [*pending_batches(job.get(DETAILS_PENDING)), pending_batch(
                now, requested_at, {s: str(i) if i else None for s, i in launched.items()})]
        if failed_reasons:
            job_changes.set["failureReasons"] = {**(job.get("failureReasons") or {}), **failed_reasons}
        ages = data_ages(job, details)
        if ages != (job.get("dataAges") or {}):  # a wave's RPO summary is computed from these, not from its servers
            job_changes.set["dataAges"] = ages
        if completed:
            job_changes.set["status"] = JobStatus.COMPLETED.value
            job_changes.set["endedAt"] = drs_job.get("endDateTime") or now
        if job.get("drsStatus") == drs_job.get("status") and not changed:
            return
        self.deps.store.write_job(self.execution_id, job.key, job_changes, expect={"status": JobStatus.ACTIVE.value})
        self.jobs[job.key] = job.merged({**job_changes.whole_attributes(), "servers": servers})

    def pending_details(self) -> set[str]:
        """The loaded jobs whose launch details are still to be read."""
        return {key for key, job in self.jobs.items() if job.get(DETAILS_PENDING)}

    def complete_details(self, keys: Iterable[str] = ()) -> set[str]:
        """Read the launch details :meth:`apply` put off and write the launched servers' items;
        ``keys`` names jobs this tick did not load (a tick that ended before finishing this).
        Returns the jobs completed. Repeating it writes the same items again.

        Jobs are independent (their own items, their own instances): up to ``DETAIL_WORKERS`` are
        read at once, so a wave of 4,000 servers (40 jobs; each an EC2 and a DRS read side by side, the
        drill tags, four batch writes of its server items and an update) does not take the sum of its
        jobs' calls. A job that fails leaves its ``detailsPending`` for the next tick."""
        missing = [k for k in keys if k not in self.jobs]
        if missing:
            for loaded in self.deps.store.load_jobs(self.execution_id, missing):
                self.jobs[loaded.key] = loaded
        pending = sorted(self.pending_details())
        if len(pending) <= 1:
            finished = [self._complete_job(key) for key in pending]
        else:
            with ThreadPoolExecutor(max_workers=min(DETAIL_WORKERS, len(pending)),
                                    thread_name_prefix="launch-details") as pool:
                finished = list(pool.map(self._complete_job, pending))
        for record in finished:
            self.jobs[record.key] = record
        return {record.key for record in finished}

    def _complete_job(self, key: str) -> JobRecord:
        job = self.jobs[key]
        pending = pending_launches(job[DETAILS_PENDING])
        scope = scope_of_job(job)
        by_request: dict[str | None, dict[str, str | None]] = {}
        for server, launch in pending.items():
            by_request.setdefault(launch.requested_at, {})[server] = launch.recovery_instance_id
        details = {s: d for requested_at, launched in by_request.items()
                   for s, d in self._launch_details(scope, launched, requested_at).items()}
        self._tag_drill(scope, details)
        launching_at = job.get("launchingAt") or {}
        self.deps.store.put_children([
            server_item(self.meta, job, server, _S.LAUNCHED, launch.launched_at, launching_at.get(server),
                        {**({"recoveryInstanceId": launch.recovery_instance_id}
                            if launch.recovery_instance_id else {}), **details.get(server, {})}, None)
            for server, launch in pending.items()])
        ages = data_ages(job, details)
        self.deps.store.write_job(self.execution_id, key, Changes(
            set={"dataAges": ages} if ages else {}, remove=[DETAILS_PENDING]))
        return job.without(DETAILS_PENDING).merged({"dataAges": ages} if ages else {})

    def _tag_drill(self, scope: str, details: Mapping[str, Mapping[str, Any]]) -> None:
        if self.meta.get("executionType") == "DRILL" and details:  # never the paired instances of a failover drill
            tag_drill_instances(self.deps, self.meta, scope, details)

    def _launch_details(self, scope: str, launched: Mapping[str, Any],
                        requested_at: Any) -> dict[str, dict[str, Any]]:
        """EC2 details of the launched servers, and the point in time of the data each launched
        with (the recovery instance's ``pointInTimeSnapshotDateTime``) with its age at the request:
        a stalled server launches from its last snapshot, and its age is the risk to show."""
        instance_ids = [str(i) for i in launched.values() if i]
        if not instance_ids:
            instances: dict[str, Item] = {}
            points: dict[str, Any] = {}
        else:  # the EC2 and the DRS reads are independent: side by side, on the wave-ending path
            with ThreadPoolExecutor(max_workers=1) as pool:
                reading = pool.submit(self.deps.ec2.instances, scope, instance_ids)
                points = {str(r.get("recoveryInstanceID")): r.get("pointInTimeSnapshotDateTime")
                          for r in self.deps.drs.recovery_instances(scope, instance_ids=instance_ids)}
                instances = reading.result()
        out = {}
        for server, instance_id in launched.items():
            details = launch_details(str(instance_id) if instance_id else None,
                                     instances.get(str(instance_id)) if instance_id else None)
            point = points.get(str(instance_id)) if instance_id else None
            if point:
                details["pointInTime"] = point
                age = data_age_seconds(point, requested_at)
                if age is not None:
                    details["dataAgeSeconds"] = age
            out[server] = details
        return out

    # ------------------------------------------------------------------ starting jobs
    def resolve_starting(self, in_flight: set[str], stopping: bool) -> None:
        """Jobs whose start was decided by an earlier tick and whose DRS job id is not recorded."""
        for key in sorted(in_flight):
            job = self.jobs.get(key)
            if job is None or job["status"] != JobStatus.QUEUED.value:
                continue
            action = starting_action(StartState(job.get("startState") or StartState.NOT_CALLED.value), stopping)
            if action is StartAction.SEARCH:
                found = self.find(job)
                if found is not None:
                    self.adopt(job, found)
                    self.apply(self.jobs[key], found)
                    continue
                misses = int(job.get("searchMisses") or 0) + 1
                action = after_search_miss(misses, stopping)
                self.deps.store.write_job(self.execution_id, key, Changes(set={"searchMisses": misses}),
                                          expect={"status": JobStatus.QUEUED.value})
                job = self.jobs[key] = job.merged({"searchMisses": misses})
            if action is StartAction.CALL:
                # after a search that missed twice, no earlier call created the job
                self.call(job, prior=StartState.NOT_CALLED if job.get("searchMisses") else None)
            elif action is StartAction.ABANDON:
                self.abandon(job)

    def find(self, job: JobRecord) -> Item | None:
        tags = {TAG_EXECUTION: self.execution_id, TAG_JOB: job.key}
        matches = [j for j in self.listing(scope_of_job(job)) if job_matches_tags(j, tags)]
        return min(matches, key=lambda j: str(j.get("creationDateTime") or "")) if matches else None

    def call(self, job: JobRecord, prior: StartState | None = None) -> None:
        key = job.key
        before = prior or StartState(job.get("startState") or StartState.NOT_CALLED.value)
        scope = scope_of_job(job)
        claim = Changes(set={"startState": StartState.CALLING.value, "lastCallAt": self.deps.now(), "searchMisses": 0},
                        increment={"startAttempts": 1})
        # the attempt counter is the claim: of two ticks running at once, one calls
        if not self.deps.store.write_job(self.execution_id, key, claim, expect={
                "status": JobStatus.QUEUED.value, "startAttempts": job.get("startAttempts")}):
            return
        job = self.jobs[key] = job.merged({**claim.whole_attributes(),
                                           "startAttempts": int(job.get("startAttempts") or 0) + 1})
        tags = job_tags(self.execution_id, str(self.meta["planId"]), job.wave_number, key)
        try:
            drs_job = self.deps.drs.start_recovery(scope, list(job["serverIds"]), self.is_drill, tags,
                                                   snapshots=job.get("recoverySnapshots") or None)
        except StartRefused as refused:
            self._refused(job, refused, before)
            return
        self.adopt(job, drs_job)
        self.apply(self.jobs[key], drs_job)

    def _refused(self, job: JobRecord, refused: StartRefused, before: StartState) -> None:
        """A refusal proves this call created nothing, but not an earlier call whose outcome is
        unknown (``before`` CALLING); and a ConflictException may be our own job, created by a call
        whose answer was lost. In those cases the job stays CALLING: the next tick searches first."""
        key = job.key
        conflicts = int(job.get("conflictRefusals") or 0)
        outcome = classify_start_error(refused.code, refused.status, conflicts)
        error = f"{refused.code or 'NoAnswer'}: {refused.message}"
        log.warning("StartRecovery of job %s of %s: %s (%s)", key, self.execution_id, error, outcome.value)
        changes = Changes(set={"lastError": error})
        if refused.code == "ConflictException":
            changes.increment["conflictRefusals"] = 1
        if outcome is Refusal.AMBIGUOUS or before is StartState.CALLING or (
                outcome is Refusal.RETRY and refused.code == "ConflictException"):
            # It stays CALLING (as marked before the call): the next tick searches for the job by its tags.
            changes.set["startState"] = StartState.CALLING.value
        elif outcome is Refusal.RETRY:
            changes.set["startState"] = StartState.REFUSED.value
        else:
            servers = {s: _S.FAILED.value for s in job["serverIds"]}
            changes.set.update({"startState": StartState.REFUSED.value, "status": JobStatus.FAILED.value,
                                "servers": servers, "endedAt": self.deps.now()})
            now = self.deps.now()
            reason = f"DRS refused to start the job: {error}"
            self.deps.store.put_children([server_item(self.meta, job, s, _S.FAILED, now, None, {}, reason)
                                          for s in job["serverIds"]])
        updated = self.deps.store.update_job(self.execution_id, key, changes, expect={"status": JobStatus.QUEUED.value})
        if updated is not None:
            self.jobs[key] = updated

    def note_waiting(self, job: JobRecord, why: str) -> None:
        """Say on a job left QUEUED why it waits (DRS capacity), when that changed."""
        if job.get(WAITING_FOR) == why:
            return
        updated = self.deps.store.update_job(self.execution_id, job.key, Changes(set={WAITING_FOR: why}),
                                             expect={"status": JobStatus.QUEUED.value})
        if updated is not None:
            self.jobs[job.key] = updated

    def adopt(self, job: JobRecord, drs_job: Mapping[str, Any]) -> None:
        """Record the DRS job id of a started job (ACTIVE)."""
        job_id = str(drs_job["jobID"])
        changes = Changes(set={"status": JobStatus.ACTIVE.value, "jobId": job_id, "startState": "STARTED",
                               "drsStatus": drs_job.get("status"),
                               "startedAt": drs_job.get("creationDateTime") or self.deps.now()})
        updated = self.deps.store.update_job(self.execution_id, job.key, changes,
                                             expect={"status": JobStatus.QUEUED.value})
        if updated is not None:
            self.jobs[job.key] = updated
        self.deps.store.update_wave(self.execution_id, job.wave_number, Changes(add={"jobIds": {job_id}}))
        # for the launch-result events that wake the engine (services/engine/wake.py)
        self.deps.store.note_drs_job(job_id, self.execution_id, list(job.server_ids),
                                     int(self.deps.clock.now().timestamp()) + JOB_NOTE_SECONDS)
        self.wave_job_ids.setdefault(job.wave_number, set()).add(job_id)

    # ------------------------------------------------------------------ time limits
    def expire(self, waves: Sequence[WaveRecord], in_flight: set[str]) -> None:
        """End the jobs that passed their time limit (``jobTimeoutSeconds`` from our StartRecovery
        call) or whose wave passed its own (``waveTimeoutSeconds`` from the wave's start): TIMED_OUT,
        their unfinished servers FAILED with the reason. The DRS job cannot be stopped; it is no
        longer followed. Jobs whose start is under way (in flight, no DRS job id) are left to it."""
        for wave in waves:
            if wave.get("status") != "LAUNCHING":
                continue
            number = wave.number
            wave_limit = wave.get("waveTimeoutSeconds")
            wave_over = expired(self.deps.seconds_since(wave.get("startedAt")), wave_limit)
            for job in [j for j in self.jobs.values() if j.wave_number == number]:
                status = job["status"]
                job_limit = job.get("jobTimeoutSeconds") or wave.get("jobTimeoutSeconds")
                # our own clock at both ends (DRS's clock may differ from the Lambda's)
                called = job.get("lastCallAt") or job.get("startedAt")
                if status == JobStatus.ACTIVE.value and expired(self.deps.seconds_since(called), job_limit):
                    self.time_out(job, f"passed its time limit of {int(job_limit or 0)} s")
                elif status == JobStatus.ACTIVE.value and wave_over:
                    self.time_out(job, f"its wave {number} passed its time limit of {int(wave_limit or 0)} s")
                elif status == JobStatus.QUEUED.value and wave_over and job.key not in in_flight:
                    self.time_out(job, f"its wave {number} passed its time limit of {int(wave_limit or 0)} s "
                                       "before the job could start")

    def time_out(self, job: JobRecord, why: str) -> None:
        job_id = job.get("jobId")
        drs = f"DRS job {job_id}, last state {job.get('drsStatus') or 'unknown'}" if job_id else "not started in DRS"
        reason = f"job {job['jobKey']} ({drs}) {why}"
        now = self.deps.now()
        current = {k: _S(v) for k, v in (job.get("servers") or {}).items()}
        unfinished = [s for s, v in current.items() if v in (_S.PENDING, _S.LAUNCHING)]
        servers = {k: (_S.FAILED if k in unfinished else v).value for k, v in current.items()}
        changes = Changes(set={"status": JobStatus.TIMED_OUT.value, "endedAt": now, "timeoutReason": reason,
                               "servers": servers,
                               "failureReasons": {**(job.get("failureReasons") or {}),
                                                  **{s: f"timed out: {reason}" for s in unfinished}}})
        updated = self.deps.store.update_job(self.execution_id, job.key, changes, expect={"status": job["status"]})
        if updated is None:
            return
        launching_at = job.get("launchingAt") or {}
        self.deps.store.put_children([server_item(self.meta, job, s, _S.FAILED, now, launching_at.get(s), {},
                                                  f"timed out: {reason}") for s in unfinished])
        telemetry.event("JOB_TIMED_OUT", executionId=self.execution_id, jobKey=job["jobKey"], jobId=job_id,
                        waveNumber=job.get("waveNumber"), reason=reason, executionType=self.meta.get("executionType"))
        self.jobs[job.key] = updated

    def abandon(self, job: JobRecord) -> None:
        updated = self.deps.store.update_job(
            self.execution_id, job.key,
            Changes(set={"status": JobStatus.NOT_STARTED.value, "endedAt": self.deps.now()}),
            expect={"status": JobStatus.QUEUED.value})
        if updated is not None:
            self.jobs[job.key] = updated
