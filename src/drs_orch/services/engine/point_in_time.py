"""Consistent point in time at wave start (execution option ``consistentPointInTime``).

When a wave starts, its servers' recovery snapshots are read (DescribeRecoverySnapshots, a few
reads at a time), :func:`drs_orch.domain.point_in_time.consistent_point` picks the wave's point,
and each job of the wave records the snapshot of each of its servers (``recoverySnapshots``), which
the job's StartRecovery names. The wave records its data time and spread; without a consistent
point the wave fails with the reason, and launches nothing from a mix of points in time.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from drs_orch.domain.data_age import parse_time
from drs_orch.domain.engine_rules import JobStatus
from drs_orch.domain.execution_records import JobRecord
from drs_orch.domain.point_in_time import ConsistentPoint, PitSnapshot, consistent_point
from drs_orch.services.engine.context import EngineDeps
from drs_orch.services.engine.jobs import scope_of_job
from drs_orch.services.engine.ports import Changes, Item

PARALLEL_READS = 8


@dataclass
class WavePoint:
    record: dict[str, Any]  # attributes of the wave item
    failed: bool = False
    snapshots_by_job: dict[str, dict[str, str]] = field(default_factory=dict)


def _snapshots(items: list[Item]) -> list[PitSnapshot]:
    out = []
    for item in items:
        at = parse_time(item.get("timestamp") or item.get("expectedTimestamp"))
        if at is not None and item.get("snapshotID"):
            out.append(PitSnapshot(at, str(item["snapshotID"])))
    return out


def choose_wave_point(deps: EngineDeps, tolerance_seconds: float,
                      jobs: Sequence[tuple[str, str, Sequence[str]]]) -> WavePoint:
    """Pick the consistent point of one wave's servers; ``jobs``: (job key, scope, server ids)."""
    wanted = [(scope, str(server)) for _, scope, servers in jobs for server in servers]
    with ThreadPoolExecutor(max_workers=PARALLEL_READS) as pool:
        read = list(pool.map(lambda pair: deps.drs.recovery_snapshots(*pair), wanted))
    found = {server: _snapshots(items) for (_, server), items in zip(wanted, read, strict=True)}
    point = consistent_point(found, tolerance_seconds)
    record: dict[str, Any] = {"pointInTimeToleranceSeconds": int(tolerance_seconds)}
    if not isinstance(point, ConsistentPoint):
        record["pointInTimeReason"] = f"no consistent point in time: {point.reason}"
        return WavePoint(record, failed=True)
    record["pointInTime"] = point.at.isoformat()
    record["pointInTimeSpreadSeconds"] = point.spread_seconds
    by_job = {key: {str(s): point.chosen[str(s)].snapshot_id for s in servers} for key, _, servers in jobs}
    return WavePoint(record, snapshots_by_job=by_job)


def job_refs(jobs: Sequence[JobRecord]) -> list[tuple[str, str, Sequence[str]]]:
    """(job key, scope, server ids) of job records."""
    return [(j.key, scope_of_job(j), j.server_ids) for j in jobs]


def record_job_snapshots(deps: EngineDeps, execution_id: str, jobs: dict[str, JobRecord], chosen: WavePoint) -> None:
    """Write each job's snapshots before its start (a later tick's start reads them back)."""
    for key, snapshots in chosen.snapshots_by_job.items():
        job = jobs[key]
        if job.get("recoverySnapshots") == snapshots or job["status"] != JobStatus.QUEUED.value:
            continue
        written = deps.store.update_job(execution_id, key, Changes(set={"recoverySnapshots": snapshots}),
                                        expect={"status": JobStatus.QUEUED.value})
        if written is not None:
            jobs[key] = job.merged({"recoverySnapshots": snapshots})

