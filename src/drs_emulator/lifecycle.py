"""Job lifecycle: jobs are planned when created and evaluated lazily against the emulator clock.

A LAUNCH job (StartRecovery) stays PENDING for ``job_pending_seconds``, then STARTED (``JOB_START``).
Each participating server goes PENDING -> IN_PROGRESS -> LAUNCHED | FAILED through a timeline fixed
at creation (``D`` = the server's launch duration, ``x`` = injected slow-conversion seconds):

=========================  =================================================================
S                          IN_PROGRESS; an earlier recovery instance of the server is cleaned up
                           (``CLEANUP_START``/``CLEANUP_END``, its EC2 instance terminated). A
                           server deleted since the request is skipped (``SERVER_SKIPPED``).
                           Where the data comes from (:func:`drs_emulator.snapshots.launch_source`):
                           healthy replication takes a new snapshot (``SNAPSHOT_START``); a STALLED,
                           PAUSED or recently DISCONNECTED server that completed its initial sync
                           launches from its last snapshot (``USING_PREVIOUS_SNAPSHOT``), as does a
                           request naming a ``recoverySnapshotID``; a server with no snapshot
                           (initial sync not completed, STOPPED, DISCONNECTED > 90 min) fails here:
                           ``SNAPSHOT_FAIL`` + ``LAUNCH_FAILED``
S + 0.1 D                  ``SNAPSHOT_END`` (a new snapshot: the point in time), ``CONVERSION_START``
                           (``conversionProperties.dataTimestamp``: when the snapshot being
                           converted was taken, API Reference ``ConversionProperties``)
S + 0.6 D + x              ``CONVERSION_END`` (or ``CONVERSION_FAIL``: planned conversion failure),
                           ``LAUNCH_START``: the EC2 instance is run in moto, or launched into
S + D + x                  LAUNCHED, or FAILED with ``LAUNCH_FAILED`` (planned outcome / fault)
=========================  =================================================================

When every server is terminal the job is COMPLETED (``JOB_END``) even if some servers FAILED; a job
cancelled with :meth:`Lifecycle.cancel_job` logs ``JOB_CANCEL``, fails its unfinished servers and
ends. Events are applied in time order whatever the tick frequency, so the job log is chronological
and the same call sequence gives the same log. TERMINATE jobs log ``CLEANUP_START`` then
``CLEANUP_END`` (TERMINATED) or ``CLEANUP_FAIL`` (FAILED, the instance stays), or ``SERVER_SKIPPED``
when the EC2 instance was already terminated outside DRS; failback jobs
(StartFailbackLaunch, Failback Client path) take ``D`` and set the recovery instance's failback
state to FAILBACK_COMPLETED or FAILBACK_ERROR. An in-AWS failback is a launch of the reversed
source server: when it launches, the recovery instance it was reversed from is FAILBACK_COMPLETED.

Launch into an existing instance (User Guide, "Launch into instance" in the launch settings and
"Launch into source instance" in the default launch settings): the target must carry the tag
``AWSDRS=AllowLaunchingIntoThisInstance`` and be stopped (unless it is the server's own current
recovery instance, which DRS stops itself); otherwise the server fails with ``LAUNCH_FAILED`` and
the reason. The instance keeps its id, type, network and tags (copy private IP, transfer server tags
and right-sizing do not apply to it; UpdateLaunchConfiguration refuses the first two with it).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

from . import ids, replication, snapshots
from .ec2bridge import Ec2Bridge, LaunchFailed
from .events import LaunchResult
from .faults import FaultInjector
from .state import (
    Job,
    JobEvent,
    Participant,
    RecoveryInstance,
    RegionState,
    SourceServer,
    Store,
    Timings,
)
from .wire import iso


def _launch_into_target(server: SourceServer) -> str | None:
    props = server.launch_config.get("launchIntoInstanceProperties") or {}
    target = props.get("launchIntoEC2InstanceID")
    return str(target) if target else None


class Lifecycle:
    def __init__(self, ec2: Ec2Bridge, faults: FaultInjector, timings: Timings, seed: int = 0) -> None:
        self.ec2 = ec2
        self.faults = faults
        self.timings = timings
        self.seed = seed
        self._job_counter = 0
        self._store: Store | None = None
        self.hooks: list[Callable[[Store, float], bool]] = []
        # launch results for the EventBridge publisher (drs_emulator.events), kept only while it runs
        self.emit_events = False
        self._outbox: list[LaunchResult] = []

    def take_outbox(self) -> list[LaunchResult]:
        out, self._outbox = self._outbox, []
        return out

    def reset(self) -> None:
        self._job_counter = 0

    def new_job_id(self, account: str, region: str) -> str:
        self._job_counter += 1
        return ids.derive("drsjob-", "job", self.seed, account, region, self._job_counter)

    # ------------------------------------------------------------------ creation

    def _new_job(
        self,
        state: RegionState,
        job_type: str,
        initiated_by: str,
        now: float,
        tags: dict[str, str],
        is_drill: bool,
    ) -> Job:
        job = Job(
            job_id=self.new_job_id(state.account, state.region),
            account=state.account,
            region=state.region,
            job_type=job_type,
            initiated_by=initiated_by,
            created_at=now,
            start_at=now + self.timings.job_pending_seconds,
            is_drill=is_drill,
            tags=dict(tags),
        )
        state.jobs[job.job_id] = job
        return job

    def create_launch_job(
        self,
        state: RegionState,
        servers: list[SourceServer],
        snapshots: dict[str, dict[str, Any]],
        is_drill: bool,
        tags: dict[str, str],
        now: float,
    ) -> Job:
        job = self._new_job(
            state, "LAUNCH", "START_DRILL" if is_drill else "START_RECOVERY", now, tags, is_drill
        )
        s = job.start_at
        for server in servers:
            failure, extra, phase = self.faults.launch_faults(
                "StartRecovery", state.account, state.region, server.server_id
            )
            if failure is None and server.launch.outcome == "FAILED":
                failure = server.launch.reason or "Recovery instance launch failed"
                phase = server.launch.phase
            d = server.launch.duration_seconds or self.timings.default_launch_seconds
            part = Participant(
                server_id=server.server_id, planned_failure=failure, planned_failure_phase=phase
            )
            snap = snapshots.get(server.server_id)
            if snap is not None:
                part.snapshot_id = snap["snapshotID"]
            part.events = [
                JobEvent(s, "begin"),
                JobEvent(s, "source"),
                JobEvent(s + 0.1 * d, "snapshot_end"),
                JobEvent(s + 0.1 * d, "conversion_start"),
                JobEvent(s + 0.6 * d + extra, "conversion_end"),
                JobEvent(s + 0.6 * d + extra, "launch_start"),
                JobEvent(s + d + extra, "finish"),
            ]
            job.participants.append(part)
            server.last_launch = {
                "jobID": job.job_id,
                "type": "DRILL" if is_drill else "RECOVERY",
                "apiCallDateTime": now,
                "status": "PENDING",
            }
            server.last_launch_result = "PENDING"
        return job

    def create_terminate_job(self, state: RegionState, instances: list[RecoveryInstance], now: float) -> Job:
        job = self._new_job(state, "TERMINATE", "TERMINATE_RECOVERY_INSTANCES", now, {}, False)
        s = job.start_at
        for ri in instances:
            part = Participant(
                server_id=ri.source_server_id,
                recovery_instance_id=ri.instance_id,
                planned_failure=self.faults.cleanup_fault(
                    "TerminateRecoveryInstances", state.account, state.region, ri.source_server_id
                ),
            )
            part.events = [
                JobEvent(s, "cleanup_start"),
                JobEvent(s + self.timings.terminate_seconds, "cleanup_end"),
            ]
            job.participants.append(part)
        return job

    def create_failback_job(
        self, state: RegionState, instances: list[RecoveryInstance], tags: dict[str, str], now: float
    ) -> Job:
        job = self._new_job(state, "LAUNCH", "FAILBACK", now, tags, False)
        s = job.start_at
        for ri in instances:
            failure, extra, _ = self.faults.launch_faults(
                "StartFailbackLaunch", state.account, state.region, ri.source_server_id
            )
            server = state.servers.get(ri.source_server_id)
            d = (server.launch.duration_seconds if server else None) or self.timings.default_launch_seconds
            part = Participant(
                server_id=ri.source_server_id, recovery_instance_id=ri.instance_id, planned_failure=failure
            )
            part.events = [
                JobEvent(s, "begin"),
                JobEvent(s + 0.5 * d + extra, "failback_launch_start"),
                JobEvent(s + d + extra, "failback_finish"),
            ]
            job.participants.append(part)
            ri.failback_job_id = job.job_id
            ri.failback_initiated_at = now
            ri.failback_launch_type = "RECOVERY"
        return job

    # ------------------------------------------------------------------ evaluation

    def tick(self, store: Store, now: float) -> None:
        """Apply what is due by ``now``; then let each hook (native plan executions) react, and
        repeat while a hook changed something (it may have started jobs that are already due)."""
        self._store = store
        self._tick_once(store, now)
        while [hook(store, now) for hook in self.hooks].count(True):
            self._tick_once(store, now)

    def _tick_once(self, store: Store, now: float) -> None:
        for state in list(store.regions.values()):
            for server in state.servers.values():
                if server.transitions:
                    replication.apply_transitions(server, now)
            for ri in state.recovery_instances.values():
                if ri.failback_transitions:
                    self._apply_failback_transitions(ri, now)
            for job in list(state.jobs.values()):
                if job.active:
                    self._advance_job(state, job, now)

    def _advance_job(self, state: RegionState, job: Job, now: float) -> None:
        if job.status == "PENDING":
            if now < job.start_at:
                return
            job.status = "STARTED"
            self._log(job, job.start_at, "JOB_START")
        # Every due event in time order, the first participant first on a tie (a heap of each
        # participant's next event; a job of 100 servers has some 600 of them).
        due = [(p.events[p.next_event].at, i) for i, p in enumerate(job.participants)
               if not p.finished and p.next_event < len(p.events) and p.events[p.next_event].at <= now]
        heapq.heapify(due)
        while due:
            _, index = heapq.heappop(due)
            part = job.participants[index]
            if part.finished or part.next_event >= len(part.events):
                continue
            event = part.events[part.next_event]
            part.next_event += 1
            self._apply(state, job, part, event)
            if not part.finished and part.next_event < len(part.events) and part.events[part.next_event].at <= now:
                heapq.heappush(due, (part.events[part.next_event].at, index))
        if job.participants and all(p.finished for p in job.participants):
            job.status = "COMPLETED"
            job.ended_at = max((p.finished_at or job.start_at) for p in job.participants)
            self._log(job, job.ended_at, "JOB_END")
        elif not job.participants:
            job.status = "COMPLETED"
            job.ended_at = job.start_at
            self._log(job, job.ended_at, "JOB_END")

    @staticmethod
    def _log(job: Job, at: float, event: str, **data: Any) -> None:
        job.log.append(
            {"at": at, "event": event, "eventData": {k: v for k, v in data.items() if v is not None}}
        )

    def _apply(self, state: RegionState, job: Job, part: Participant, event: JobEvent) -> None:
        handler = getattr(self, f"_on_{event.kind}")
        handler(state, job, part, event.at)

    # --- launch job phases

    def _on_begin(self, state: RegionState, job: Job, part: Participant, at: float) -> None:
        part.launch_status = "IN_PROGRESS"
        server = state.servers.get(part.server_id)
        if server is None:
            # DRS documents SERVER_SKIPPED without saying when; the emulator skips a server that no
            # longer exists when the job starts
            self._log(job, at, "SERVER_SKIPPED", sourceServerID=part.server_id,
                      rawError=f"Source server {part.server_id} no longer exists")
            self._finish(state, job, part, "FAILED", at)
            return
        if job.initiated_by == "FAILBACK":
            return
        if server.last_launch and server.last_launch.get("jobID") == job.job_id:
            server.last_launch["status"] = "IN_PROGRESS"
        previous = server.recovery_instance_id
        if previous and previous != _launch_into_target(server) and previous in state.recovery_instances:
            self._log(job, at, "CLEANUP_START", sourceServerID=server.server_id, targetInstanceID=previous)
            self.ec2.terminate(state.account, state.region, previous)
            del state.recovery_instances[previous]
            server.recovery_instance_id = None
            self._log(job, at, "CLEANUP_END", sourceServerID=server.server_id, targetInstanceID=previous)

    def _on_source(self, state: RegionState, job: Job, part: Participant, at: float) -> None:
        """Where the launch takes its data from (see :func:`snapshots.launch_source`)."""
        server = state.servers[part.server_id]
        if part.snapshot_id is not None:
            snap = snapshots.find_snapshot(server, part.snapshot_id, at)
            if snap is None:
                gone = f"Recovery snapshot {part.snapshot_id} of {server.server_id} no longer exists"
                self._log(job, at, "USING_PREVIOUS_SNAPSHOT_FAILED", sourceServerID=server.server_id,
                          rawError=gone)
                self._fail(state, job, part, at, gone)
                return
            self._use_snapshot(server, job, part, snap, at)
            return
        source, snap, problem = snapshots.launch_source(server, at)
        if source == "NEW":
            part.data_source = "NEW"
            self._log(job, at, "SNAPSHOT_START", sourceServerID=server.server_id)
        elif snap is not None:
            self._use_snapshot(server, job, part, snap, at)
        else:
            self._log(job, at, "SNAPSHOT_START", sourceServerID=server.server_id)
            self._log(job, at, "SNAPSHOT_FAIL", sourceServerID=server.server_id, rawError=problem)
            self._fail(state, job, part, at, problem or "no snapshot")

    def _use_snapshot(
        self, server: SourceServer, job: Job, part: Participant, snap: dict[str, Any], at: float
    ) -> None:
        part.data_source = "PREVIOUS"
        part.snapshot_id = snap["snapshotID"]
        part.point_in_time = snap["timestamp"]
        self._log(job, at, "USING_PREVIOUS_SNAPSHOT", sourceServerID=server.server_id)

    def _on_snapshot_end(self, state: RegionState, job: Job, part: Participant, at: float) -> None:
        if part.data_source != "NEW":
            return
        part.point_in_time = at
        self._log(job, at, "SNAPSHOT_END", sourceServerID=part.server_id)

    def _on_conversion_start(self, state: RegionState, job: Job, part: Participant, at: float) -> None:
        self._log(job, at, "CONVERSION_START", sourceServerID=part.server_id,
                  conversionProperties={"dataTimestamp": iso(part.point_in_time)})

    def _on_conversion_end(self, state: RegionState, job: Job, part: Participant, at: float) -> None:
        if part.planned_failure and part.planned_failure_phase == "CONVERSION":
            self._log(job, at, "CONVERSION_FAIL", sourceServerID=part.server_id, rawError=part.planned_failure)
            self._finish(state, job, part, "FAILED", at)
            return
        self._log(job, at, "CONVERSION_END", sourceServerID=part.server_id,
                  conversionProperties={"dataTimestamp": iso(part.point_in_time)})

    def _on_launch_start(self, state: RegionState, job: Job, part: Participant, at: float) -> None:
        server = state.servers.get(part.server_id)
        if server is None:
            self._fail(state, job, part, at, f"Source server {part.server_id} no longer exists")
            return
        if part.planned_failure:
            self._log(job, at, "LAUNCH_START", sourceServerID=server.server_id)
            return
        target = _launch_into_target(server)
        try:
            if target:
                info = self.ec2.launch_into(server, target, own=target == server.recovery_instance_id)
            else:
                info = self.ec2.launch(server)
        except LaunchFailed as exc:
            self._log(job, at, "LAUNCH_START", sourceServerID=server.server_id)
            self._fail(state, job, part, at, str(exc))
            return
        part.recovery_instance_id = info.instance_id
        source_cloud = server.source_cloud or {}
        ri = RecoveryInstance(
            instance_id=info.instance_id,
            account=state.account,
            region=state.region,
            source_server_id=server.server_id,
            job_id=job.job_id,
            is_drill=job.is_drill,
            point_in_time=part.point_in_time,
            created_at=at,
            origin_environment="AWS" if server.source_cloud else "ON_PREMISES",
            origin_az=source_cloud.get("originAvailabilityZone"),
            launched_into_existing=bool(target),
            hostname=server.hostname,
            failback_config={
                "name": server.hostname,
                "bandwidthThrottling": 0,
                "usePrivateIP": False,
                "internetProtocol": "IPV4",
            },
            source_snapshot={
                "disks": [dict(d) for d in server.disks],
                "cpus": [dict(c) for c in server.cpus],
                "ramBytes": server.ram_bytes,
                "os": server.os_name,
                "agentVersion": server.agent_version,
            },
        )
        state.recovery_instances[ri.instance_id] = ri
        self._log(job, at, "LAUNCH_START", sourceServerID=server.server_id, targetInstanceID=info.instance_id)

    def _on_finish(self, state: RegionState, job: Job, part: Participant, at: float) -> None:
        if part.planned_failure:
            self._fail(state, job, part, at, part.planned_failure)
        else:
            self._finish(state, job, part, "LAUNCHED", at)

    def _fail(self, state: RegionState, job: Job, part: Participant, at: float, reason: str) -> None:
        self._log(job, at, "LAUNCH_FAILED", sourceServerID=part.server_id, rawError=reason)
        self._finish(state, job, part, "FAILED", at)

    def _finish(self, state: RegionState, job: Job, part: Participant, status: str, at: float) -> None:
        part.launch_status = status
        part.finished_at = at
        server = state.servers.get(part.server_id)
        if server is None or job.initiated_by == "FAILBACK":
            return
        if server.last_launch and server.last_launch.get("jobID") == job.job_id:
            server.last_launch["status"] = status
            server.last_launch_result = "SUCCEEDED" if status == "LAUNCHED" else "FAILED"
        if self.emit_events and job.job_type == "LAUNCH" and job.initiated_by in ("START_RECOVERY", "START_DRILL"):
            self._outbox.append(LaunchResult(at, state.account, state.region, server.arn, server.server_id,
                                             job.job_id, job.is_drill, status == "LAUNCHED"))
        if status == "LAUNCHED" and part.recovery_instance_id:
            server.recovery_instance_id = part.recovery_instance_id
            if server.replication_direction == "FAILBACK":
                self._failback_completed(server, job)

    def _failback_completed(self, reversed_server: SourceServer, job: Job) -> None:
        """An in-AWS failback: the reversed source server launched in the origin region, so the
        recovery instance it replicates from has failed back (User Guide, cross-Region and cross-AZ
        failback: a recovery launched from the reversed source server)."""
        ri_id = reversed_server.aws_instance_id or ""
        ri = self._store.find_recovery_instance(ri_id) if self._store is not None else None
        if ri is None or ri.reversed_server_arn != reversed_server.arn:
            return
        ri.failback_state = "FAILBACK_COMPLETED"
        ri.failback_job_id = job.job_id
        ri.failback_initiated_at = job.created_at
        ri.failback_launch_type = "DRILL" if job.is_drill else "RECOVERY"

    # --- cancel

    def cancel_job(self, state: RegionState, job: Job, now: float, reason: str | None = None) -> None:
        """Cancel an active job: ``JOB_CANCEL``, unfinished servers FAILED, then ``JOB_END``.

        The DRS API has no operation that cancels a job; DRS cancels jobs itself (and recovery plan
        executions cancel theirs). The job log event is documented (JobLogEvent JOB_CANCEL)."""
        if not job.active:
            return
        self._advance_job(state, job, now)
        if not job.active:
            return
        self._log(job, now, "JOB_CANCEL", rawError=reason)
        for part in job.participants:
            if not part.finished:
                self._finish(state, job, part, "FAILED", now)
        job.status = "COMPLETED"
        job.ended_at = now
        self._log(job, now, "JOB_END")

    # --- terminate job phases

    def _on_cleanup_start(self, state: RegionState, job: Job, part: Participant, at: float) -> None:
        part.launch_status = "IN_PROGRESS"
        ri_id = part.recovery_instance_id
        if ri_id and not self.ec2.instance_exists(state.account, state.region, ri_id):
            # the EC2 instance was terminated outside DRS: nothing to clean up. DRS documents
            # SERVER_SKIPPED without saying when; the emulator uses it here
            self._log(job, at, "SERVER_SKIPPED", sourceServerID=part.server_id, targetInstanceID=ri_id,
                      rawError=f"EC2 instance {ri_id} is already terminated")
            part.planned_failure = None
            self._forget_instance(state, part, at)
            return
        self._log(
            job,
            at,
            "CLEANUP_START",
            sourceServerID=part.server_id,
            targetInstanceID=part.recovery_instance_id,
        )
        if part.recovery_instance_id and not part.planned_failure:
            self.ec2.terminate(state.account, state.region, part.recovery_instance_id)

    def _on_cleanup_end(self, state: RegionState, job: Job, part: Participant, at: float) -> None:
        ri_id = part.recovery_instance_id
        if part.planned_failure:
            self._log(job, at, "CLEANUP_FAIL", sourceServerID=part.server_id, targetInstanceID=ri_id,
                      rawError=part.planned_failure)
            part.launch_status = "FAILED"
            part.finished_at = at
            return
        self._log(job, at, "CLEANUP_END", sourceServerID=part.server_id, targetInstanceID=ri_id)
        self._forget_instance(state, part, at)

    @staticmethod
    def _forget_instance(state: RegionState, part: Participant, at: float) -> None:
        ri_id = part.recovery_instance_id
        if ri_id:
            state.recovery_instances.pop(ri_id, None)
        server = state.servers.get(part.server_id)
        if server is not None and ri_id and server.recovery_instance_id == ri_id:
            server.recovery_instance_id = None
            if server.last_launch:
                server.last_launch["status"] = "TERMINATED"
        part.launch_status = "TERMINATED"
        part.finished_at = at

    # --- failback job phases

    def _on_failback_launch_start(self, state: RegionState, job: Job, part: Participant, at: float) -> None:
        self._log(job, at, "LAUNCH_START", sourceServerID=part.server_id)

    def _on_failback_finish(self, state: RegionState, job: Job, part: Participant, at: float) -> None:
        ri = state.recovery_instances.get(part.recovery_instance_id or "")
        if part.planned_failure:
            self._log(job, at, "LAUNCH_FAILED", sourceServerID=part.server_id, rawError=part.planned_failure)
            part.launch_status = "FAILED"
            if ri is not None and ri.failback_job_id == job.job_id:
                ri.failback_state = "FAILBACK_ERROR"
        else:
            part.launch_status = "LAUNCHED"
            if ri is not None and ri.failback_job_id == job.job_id:
                ri.failback_state = "FAILBACK_COMPLETED"
        part.finished_at = at

    # ------------------------------------------------------------------ failback replication

    def start_failback_sync(self, ri: RecoveryInstance, now: float) -> None:
        """FAILBACK_IN_PROGRESS while failback replication syncs, then FAILBACK_READY_FOR_LAUNCH."""
        ri.failback_state = "FAILBACK_IN_PROGRESS"
        ri.failback_replication_state = "INITIATING"
        sync_at = now + self.timings.initiating_seconds
        ri.failback_transitions = [
            (sync_at, "INITIAL_SYNC"),
            (sync_at + self.timings.reverse_sync_seconds, "CONTINUOUS"),
        ]

    @staticmethod
    def _apply_failback_transitions(ri: RecoveryInstance, now: float) -> None:
        while ri.failback_transitions and ri.failback_transitions[0][0] <= now:
            _, state = ri.failback_transitions.pop(0)
            ri.failback_replication_state = state
            if state == "CONTINUOUS" and ri.failback_state == "FAILBACK_IN_PROGRESS":
                ri.failback_state = "FAILBACK_READY_FOR_LAUNCH"
