"""AWS Elastic Disaster Recovery service quotas and the pure arithmetic around them.

Quota codes (Service Quotas, service ``drs``):

- ``MAX_SERVERS_PER_JOB`` 100 (L-B827C881): source servers in one StartRecovery job;
- ``MAX_CONCURRENT_JOBS`` 20 (L-D88FAC3A): jobs that are PENDING or STARTED at once;
- ``MAX_SERVERS_IN_ACTIVE_JOBS`` 500 (L-05AFA8C6): source servers across all active jobs;
- ``MAX_REPLICATING_SERVERS`` 300 (L-C1D14A2B): replicating source servers per account and region;
- ``MAX_RECOVERY_INSTANCES`` 4000 (L-E28BE5E0): source servers / recovery instances per account
  and region.

Capacity ladder (:func:`capacity_status`): OK below 80 % of a limit, WARNING from 80 %,
CRITICAL from 93 %. For the 300 replicating servers that is WARNING at 240 and CRITICAL at 279;
for the 500 servers in active jobs WARNING at 400 and CRITICAL at 465.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

from drs_orch.domain.plan_graph import Problem

MAX_SERVERS_PER_JOB = 100
MAX_CONCURRENT_JOBS = 20
MAX_SERVERS_IN_ACTIVE_JOBS = 500
MAX_REPLICATING_SERVERS = 300
MAX_RECOVERY_INSTANCES = 4000

WARNING_PERCENT = 80
CRITICAL_PERCENT = 93


class CapacityStatus(StrEnum):
    OK = "OK"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"


def capacity_status(used: int, limit: int) -> CapacityStatus:
    """OK / WARNING (>= 80 % of ``limit``) / CRITICAL (>= 93 %, or over the limit)."""
    if limit <= 0:
        raise ValueError(f"limit must be positive, got {limit}")
    # Integer arithmetic so that e.g. 279 of 300 (93.0 %) is CRITICAL exactly.
    if used * 100 >= limit * CRITICAL_PERCENT:
        return CapacityStatus.CRITICAL
    if used * 100 >= limit * WARNING_PERCENT:
        return CapacityStatus.WARNING
    return CapacityStatus.OK


def chunk_servers(ids: Sequence[str], size: int = MAX_SERVERS_PER_JOB) -> list[list[str]]:
    """Split ``ids`` into consecutive chunks of at most ``size`` (1..100), keeping their order.

    Ids are not de-duplicated here; callers pass a de-duplicated list.
    """
    if not 1 <= size <= MAX_SERVERS_PER_JOB:
        raise ValueError(f"chunk size must be between 1 and {MAX_SERVERS_PER_JOB}, got {size}")
    return [list(ids[start : start + size]) for start in range(0, len(ids), size)]


def jobs_needed(server_count: int) -> int:
    """DRS jobs needed to launch ``server_count`` servers."""
    return -(-server_count // MAX_SERVERS_PER_JOB)


def admit_jobs(pending_jobs: Sequence[int], active_jobs: int, active_servers: int) -> int:
    """How many of ``pending_jobs`` (server counts, in queue order) may start now.

    Jobs are admitted first come, first served: admission stops at the first job that does not
    fit, so a large job is never starved by smaller ones behind it. The result never takes the
    account over 20 active jobs or 500 servers in active jobs.
    """
    jobs = active_jobs
    servers = active_servers
    admitted = 0
    for size in pending_jobs:
        if not 1 <= size <= MAX_SERVERS_PER_JOB:
            raise ValueError(f"a job holds 1 to {MAX_SERVERS_PER_JOB} servers, got {size}")
        if jobs + 1 > MAX_CONCURRENT_JOBS or servers + size > MAX_SERVERS_IN_ACTIVE_JOBS:
            break
        jobs += 1
        servers += size
        admitted += 1
    return admitted


def lint_plan_limits(levels: Sequence[Sequence[int]], wave_sizes: Mapping[int, int]) -> list[Problem]:
    """Warnings (not errors) about a plan against the DRS quotas.

    ``levels`` are the plan's topological levels (waves of one level become ready together) and
    ``wave_sizes`` the number of servers per wave. Reported:

    - ``WAVE_SPLIT``: a wave over 100 servers is launched as several DRS jobs;
    - ``LEVEL_QUEUED``: waves that become ready together need more than 500 servers or more than
      20 jobs in flight, so some of their jobs wait in the queue for capacity.
    """
    warnings: list[Problem] = []
    for level in levels:
        for wave in level:
            size = wave_sizes.get(wave, 0)
            if size > MAX_SERVERS_PER_JOB:
                warnings.append(
                    Problem(
                        "WAVE_SPLIT",
                        f"wave {wave} has {size} servers and is launched as {jobs_needed(size)} DRS jobs "
                        f"of at most {MAX_SERVERS_PER_JOB} servers",
                        wave,
                    )
                )
        servers = sum(wave_sizes.get(wave, 0) for wave in level)
        jobs = sum(jobs_needed(wave_sizes.get(wave, 0)) for wave in level)
        if servers > MAX_SERVERS_IN_ACTIVE_JOBS or jobs > MAX_CONCURRENT_JOBS:
            listed = ", ".join(str(wave) for wave in level)
            warnings.append(
                Problem(
                    "LEVEL_QUEUED",
                    f"waves {listed} start together with {servers} servers in {jobs} jobs; DRS allows "
                    f"{MAX_SERVERS_IN_ACTIVE_JOBS} servers in {MAX_CONCURRENT_JOBS} active jobs, so some "
                    "jobs wait for capacity",
                    level[0] if level else None,
                )
            )
    return warnings
