"""Figures about one execution on the local stack, shared by ``make demo`` and bench/engine.py.

Time bases: the execution's own timestamps are wall-clock; DRS job and job-log times are the
emulator's clock, which runs ``speed`` times faster (:mod:`drs_emulator.clock`). Durations are
reported in emulated seconds unless named ``real``.

- launch time: emulated seconds during which at least one DRS job of the execution was active
  (the union of the jobs' creation -> end intervals);
- orchestration overhead: the execution's emulated duration (wall duration x speed, pauses
  excluded) minus its launch time: what the platform adds to what DRS takes;
- wave gap: from the end of a wave's last DRS job (its last server LAUNCHED) to the creation of the
  next wave's first job (its StartRecovery), on the emulator's clock; ``waveTransitions`` holds
  both instants of each gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any


def epoch(value: str | float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def union_seconds(intervals: Iterable[tuple[float, float]]) -> float:
    total = 0.0
    end = None
    for lo, hi in sorted(intervals):
        if end is None or lo > end:
            total += hi - lo
            end = hi
        elif hi > end:
            total += hi - end
            end = hi
    return total


def job_intervals(emulator_jobs: Iterable[Mapping[str, Any]], execution_id: str) -> list[tuple[float, float]]:
    out = []
    for job in emulator_jobs:
        if (job.get("tags") or {}).get("drs-orch:execution-id") != execution_id:
            continue
        start, end = epoch(job.get("creationDateTime")), epoch(job.get("endDateTime"))
        if start is not None and end is not None:
            out.append((start, end))
    return out


def execution_figures(details: Mapping[str, Any], emulator: Any, speed: float) -> dict[str, Any]:
    """Launch time, overhead and wave gaps of an ended execution (see the module docstring)."""
    execution_id = str(details["executionId"])
    jobs = [j for j in emulator.jobs() if (j.get("tags") or {}).get("drs-orch:execution-id") == execution_id]
    launch = union_seconds(job_intervals(jobs, execution_id))
    timings = details.get("timings") or {}
    wall = float(timings.get("elapsedSeconds") or 0.0)
    paused = float(timings.get("pausedSeconds") or 0.0)
    emulated = (wall - paused) * speed
    by_wave: dict[int, list[Mapping[str, Any]]] = {}
    for job in jobs:
        by_wave.setdefault(int((job.get("tags") or {}).get("drs-orch:wave", 0)), []).append(job)
    transitions = []  # (the earlier wave's last job end, the later wave's first job start), emulated
    waves = sorted(by_wave)
    for earlier, later in zip(waves, waves[1:], strict=False):
        ended = [e for e in (epoch(j.get("endDateTime")) for j in by_wave[earlier]) if e is not None]
        begun = [b for b in (epoch(j.get("creationDateTime")) for j in by_wave[later]) if b is not None]
        if ended and begun:
            transitions.append((max(ended), min(begun)))
    return {
        "wallSeconds": wall,
        "pausedSeconds": paused,
        "emulatedSeconds": emulated,
        "launchSeconds": launch,
        "overheadSeconds": max(emulated - launch, 0.0),
        "overheadRealSeconds": max(emulated - launch, 0.0) / speed,
        "waveGaps": [begun - ended for ended, begun in transitions],
        "waveTransitions": transitions,
        "jobs": len(jobs),
    }
