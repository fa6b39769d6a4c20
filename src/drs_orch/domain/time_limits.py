"""Time limits of a wave and of each of its DRS jobs (issue 15).

A job (one StartRecovery of at most 100 servers) that has not finished within its limit, or a wave
whose jobs have not all finished within the wave's limit, ends the wave with TIMEOUT; the reason
names the DRS job and the last state DRS reported. The DRS job itself cannot be stopped: the
engine stops following it, and its unfinished servers are FAILED in the execution.

Limits are set per wave (``jobTimeoutMinutes``, ``waveTimeoutMinutes``), else per plan (same
names), else derived from the servers' launch times: a job may take :data:`JOB_LIMIT_FACTOR` times
the median launch time of its account-region's recent launch jobs (20 minutes when none is known),
at least :data:`MIN_JOB_LIMIT_SECONDS`; a wave as many job limits as it needs admission rounds
(within 20 active jobs and 500 servers in active jobs per account-region).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from drs_orch.domain.limits import MAX_CONCURRENT_JOBS, MAX_SERVERS_IN_ACTIVE_JOBS

JOB_LIMIT_FACTOR = 3
MIN_JOB_LIMIT_SECONDS = 1800
MAX_TIMEOUT_MINUTES = 7 * 24 * 60


@dataclass(frozen=True)
class TimeLimits:
    job_seconds: int
    wave_seconds: int
    source: str  # WAVE | PLAN | LAUNCH_TIMES (where the job limit came from)


def default_job_seconds(launch_seconds: float) -> int:
    return max(MIN_JOB_LIMIT_SECONDS, math.ceil(JOB_LIMIT_FACTOR * launch_seconds))


def admission_rounds(job_sizes_by_scope: Mapping[str, Iterable[int]]) -> int:
    """How many times a wave's jobs must be admitted one after the other at most, per scope."""
    rounds = 1
    for sizes in job_sizes_by_scope.values():
        listed = list(sizes)
        rounds = max(rounds, math.ceil(len(listed) / MAX_CONCURRENT_JOBS),
                     math.ceil(sum(listed) / MAX_SERVERS_IN_ACTIVE_JOBS))
    return rounds


def wave_time_limits(*, wave_job_minutes: int | None, wave_minutes: int | None, plan_job_minutes: int | None,
                     plan_wave_minutes: int | None, launch_seconds: float, rounds: int) -> TimeLimits:
    if wave_job_minutes:
        job, source = wave_job_minutes * 60, "WAVE"
    elif plan_job_minutes:
        job, source = plan_job_minutes * 60, "PLAN"
    else:
        job, source = default_job_seconds(launch_seconds), "LAUNCH_TIMES"
    minutes = wave_minutes or plan_wave_minutes
    wave = minutes * 60 if minutes else job * max(1, rounds)
    return TimeLimits(job_seconds=job, wave_seconds=max(wave, job) if not minutes else wave, source=source)


def expired(started_at_seconds_ago: float | None, limit_seconds: int | None) -> bool:
    """True when something started ``started_at_seconds_ago`` seconds ago has passed its limit."""
    return bool(limit_seconds) and started_at_seconds_ago is not None and started_at_seconds_ago > float(
        limit_seconds or 0)
