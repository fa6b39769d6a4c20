"""What a start would do, predicted without launching anything (``dryRun: true``).

The prediction replays the engine's own rules on a simulated clock: a wave starts when every wave
it depends on has completed (:func:`drs_orch.domain.plan_graph.ready_waves`); its jobs (at most 100
servers each, as the engine splits them) queue per account-region and are admitted first come,
first served within DRS's 20 concurrent jobs and 500 servers in active jobs
(:func:`drs_orch.domain.limits.admit_jobs`); each job takes the launch time observed for its
account-region. Jobs already active in DRS hold capacity until they are expected to end. A pause
before a wave is not timed (it lasts as long as an operator takes): it is listed instead.
"""

from __future__ import annotations

import heapq
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from drs_orch.domain.limits import admit_jobs
from drs_orch.domain.plan_graph import Wave, effective_order

DEFAULT_LAUNCH_SECONDS = 1200.0
"""Assumed launch time of a DRS job where no launch of the account-region is known (20 minutes,
a typical drill launch including conversion)."""

RECENT_LAUNCHES = 20


@dataclass(frozen=True)
class JobSpec:
    key: str
    wave: int
    scope: str
    server_ids: tuple[str, ...]


@dataclass(frozen=True)
class ActiveUsage:
    """DRS jobs active in one account-region now, not started by this run."""

    jobs: int = 0
    servers: int = 0


@dataclass
class JobForecast:
    spec: JobSpec
    start: float = 0.0
    end: float = 0.0
    queued: float = 0.0


@dataclass
class Forecast:
    jobs: list[JobForecast]
    wave_start: dict[int, float] = field(default_factory=dict)
    wave_end: dict[int, float] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return max(self.wave_end.values(), default=0.0)


def launch_seconds(jobs: Iterable[Mapping[str, Any]]) -> float | None:
    """Median duration of the most recent finished launch jobs of one account-region (DRS
    ``DescribeJobs`` items), or None when none is known."""
    done: list[tuple[datetime, float]] = []
    for job in jobs:
        if job.get("type") != "LAUNCH" or job.get("status") != "COMPLETED":
            continue
        start, end = _when(job.get("creationDateTime")), _when(job.get("endDateTime"))
        if start is not None and end is not None and end >= start:
            done.append((end, (end - start).total_seconds()))
    if not done:
        return None
    recent = sorted(done, reverse=True)[:RECENT_LAUNCHES]
    return float(statistics.median(seconds for _, seconds in recent))


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def forecast(waves: Sequence[Wave], jobs: Sequence[JobSpec], active: Mapping[str, ActiveUsage],
             seconds: Mapping[str, float]) -> Forecast:
    """Simulate the run. ``seconds`` is the launch time per scope (missing: the default)."""
    by_wave: dict[int, list[JobForecast]] = {w.wave_number: [] for w in waves}
    out = Forecast(jobs=[])
    for spec in jobs:
        entry = JobForecast(spec)
        by_wave[spec.wave].append(entry)
        out.jobs.append(entry)

    def duration(scope: str) -> float:
        return float(seconds.get(scope, DEFAULT_LAUNCH_SECONDS))

    position = {id(entry): i for i, entry in enumerate(out.jobs)}
    running: list[tuple[float, int, str, int]] = []  # (end, tiebreak, scope, servers)
    usage: dict[str, list[int]] = {}
    counter = 0
    for scope, external in active.items():
        if external.jobs or external.servers:
            usage[scope] = [external.jobs, external.servers]
            # external jobs free their capacity one launch time from now (one entry for all of them)
            heapq.heappush(running, (duration(scope), counter, scope, -1))
            counter += 1
    queue: list[JobForecast] = []
    open_jobs: dict[int, int] = {n: len(entries) for n, entries in by_wave.items()}
    started: set[int] = set()
    completed: set[int] = set()
    now = 0.0
    order = sorted(waves, key=lambda w: w.wave_number)
    while True:
        changed = True
        while changed:  # start every wave whose dependencies completed (empty waves complete at once)
            changed = False
            for wave in order:
                n = wave.wave_number
                if n in started or not all(d in completed for d in wave.depends_on_waves):
                    continue
                started.add(n)
                changed = True
                out.wave_start[n] = now
                if not by_wave[n]:
                    out.wave_end[n] = now
                    completed.add(n)
                for entry in by_wave[n]:
                    entry.queued = now  # when it joined the queue; turned into a wait below
                    queue.append(entry)
        if len(completed) == len(order):
            break
        for scope in dict.fromkeys(e.spec.scope for e in queue):
            waiting = [e for e in queue if e.spec.scope == scope]
            held = usage.setdefault(scope, [0, 0])
            admitted = waiting[: admit_jobs([len(e.spec.server_ids) for e in waiting], held[0], held[1])]
            for entry in admitted:
                queue.remove(entry)
                entry.start, entry.queued = now, now - entry.queued
                entry.end = now + duration(scope)
                held[0] += 1
                held[1] += len(entry.spec.server_ids)
                heapq.heappush(running, (entry.end, counter, scope, position[id(entry)]))
                counter += 1
        if not running:  # nothing can run: only when a wave depends on one that never completes
            break
        now, _, scope, index = heapq.heappop(running)
        held = usage[scope]
        if index < 0:
            held[0] -= active[scope].jobs
            held[1] -= active[scope].servers
            continue
        entry = out.jobs[index]
        held[0] -= 1
        held[1] -= len(entry.spec.server_ids)
        open_jobs[entry.spec.wave] -= 1
        if open_jobs[entry.spec.wave] == 0:
            out.wave_end[entry.spec.wave] = now
            completed.add(entry.spec.wave)
    return out


def describe(waves: Sequence[Wave], result: Forecast) -> dict[str, Any]:
    """The API shape of a forecast: waves in the order they start, each with its jobs."""
    def split(scope: str) -> tuple[str, str]:
        account, _, region = scope.partition("#")
        return account, region

    by_wave: dict[int, list[dict[str, Any]]] = {}
    for job in result.jobs:
        account, region = split(job.spec.scope)
        by_wave.setdefault(job.spec.wave, []).append({
            "jobKey": job.spec.key, "accountId": account, "region": region,
            "serverCount": len(job.spec.server_ids), "serverIds": list(job.spec.server_ids),
            "predictedStartSeconds": round(job.start), "predictedEndSeconds": round(job.end),
            "queuedSeconds": round(job.queued),
        })
    ordered = sorted(waves, key=lambda w: (result.wave_start.get(w.wave_number, float("inf")), w.wave_number))
    out_waves = []
    for wave in ordered:
        n = wave.wave_number
        jobs = by_wave.get(n, [])
        out_waves.append({
            "waveNumber": n, "waveName": wave.wave_name, "dependsOnWaves": list(wave.depends_on_waves),
            "independent": wave.independent, "pauseBeforeWave": wave.pause_before_wave,
            "serverCount": sum(j["serverCount"] for j in jobs), "jobCount": len(jobs), "jobs": jobs,
            "predictedStartSeconds": round(result.wave_start[n]) if n in result.wave_start else None,
            "predictedEndSeconds": round(result.wave_end[n]) if n in result.wave_end else None,
            "queued": any(j["queuedSeconds"] > 0 for j in jobs),
        })
    jobs_per_scope: dict[str, dict[str, Any]] = {}
    for job in result.jobs:
        account, region = split(job.spec.scope)
        entry = jobs_per_scope.setdefault(job.spec.scope, {"accountId": account, "region": region, "jobs": 0,
                                                           "servers": 0})
        entry["jobs"] += 1
        entry["servers"] += len(job.spec.server_ids)
    return {
        "effectiveOrder": effective_order(waves),
        "waves": out_waves,
        "jobsPerAccountRegion": list(jobs_per_scope.values()),
        "predictedDurationSeconds": round(result.duration),
        "pausesNotTimed": [w.wave_number for w in waves if w.pause_before_wave],
    }
