import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drs_orch.domain.limits import (
    MAX_CONCURRENT_JOBS,
    MAX_RECOVERY_INSTANCES,
    MAX_REPLICATING_SERVERS,
    MAX_SERVERS_IN_ACTIVE_JOBS,
    MAX_SERVERS_PER_JOB,
    CapacityStatus,
    admit_jobs,
    capacity_status,
    chunk_servers,
    jobs_needed,
    lint_plan_limits,
)


def test_quota_values():
    assert (MAX_SERVERS_PER_JOB, MAX_CONCURRENT_JOBS, MAX_SERVERS_IN_ACTIVE_JOBS) == (100, 20, 500)
    assert (MAX_REPLICATING_SERVERS, MAX_RECOVERY_INSTANCES) == (300, 4000)


@pytest.mark.parametrize(
    ("used", "limit", "expected"),
    [
        (0, 300, "OK"),
        (239, 300, "OK"),
        (240, 300, "WARNING"),
        (278, 300, "WARNING"),
        (279, 300, "CRITICAL"),
        (300, 300, "CRITICAL"),
        (350, 300, "CRITICAL"),
        (399, 500, "OK"),
        (400, 500, "WARNING"),
        (465, 500, "CRITICAL"),
    ],
)
def test_capacity_status(used, limit, expected):
    assert capacity_status(used, limit) == expected
    assert isinstance(capacity_status(used, limit), CapacityStatus)


def test_capacity_status_needs_positive_limit():
    with pytest.raises(ValueError):
        capacity_status(1, 0)


def test_chunk_servers():
    ids = [f"s-{i}" for i in range(250)]
    chunks = chunk_servers(ids)
    assert [len(c) for c in chunks] == [100, 100, 50]
    assert chunks[1][0] == "s-100"
    assert chunk_servers([]) == []
    assert chunk_servers(["a", "b", "c"], size=2) == [["a", "b"], ["c"]]


@pytest.mark.parametrize("size", [0, -1, 101])
def test_chunk_size_bounds(size):
    with pytest.raises(ValueError):
        chunk_servers(["a"], size=size)


def test_jobs_needed():
    assert [jobs_needed(n) for n in (0, 1, 100, 101, 250)] == [0, 1, 1, 2, 3]


def test_admit_jobs_examples():
    assert admit_jobs([100, 100, 100], 0, 0) == 3
    assert admit_jobs([100] * 6, 0, 0) == 5
    assert admit_jobs([50, 100, 10], 0, 420) == 1
    assert admit_jobs([1] * 30, 0, 0) == 20
    assert admit_jobs([1] * 5, 18, 0) == 2
    assert admit_jobs([10], 20, 0) == 0
    assert admit_jobs([10], 25, 600) == 0
    assert admit_jobs([], 0, 0) == 0


def test_admit_jobs_is_first_come_first_served():
    # the big job at the head of the queue is not overtaken by the small one behind it
    assert admit_jobs([100, 1], 0, 450) == 0


@pytest.mark.parametrize("size", [0, 101])
def test_admit_jobs_rejects_invalid_job_sizes(size):
    with pytest.raises(ValueError):
        admit_jobs([size], 0, 0)


def test_lint_plan_limits():
    assert lint_plan_limits([[1], [2]], {1: 100, 2: 3}) == []
    [split] = lint_plan_limits([[1]], {1: 250})
    assert split.code == "WAVE_SPLIT" and split.wave == 1 and "3 DRS jobs" in split.message
    problems = lint_plan_limits([[1, 2, 3]], {1: 200, 2: 200, 3: 150})
    assert [p.code for p in problems] == ["WAVE_SPLIT", "WAVE_SPLIT", "WAVE_SPLIT", "LEVEL_QUEUED"]
    many = lint_plan_limits([list(range(1, 22))], dict.fromkeys(range(1, 22), 1))
    assert [p.code for p in many] == ["LEVEL_QUEUED"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(1, MAX_SERVERS_PER_JOB), max_size=40),
    st.integers(0, 25),
    st.integers(0, 600),
)
def test_admit_jobs_never_exceeds_limits_and_admits_a_maximal_prefix(pending, active_jobs, active_servers):
    admitted = admit_jobs(pending, active_jobs, active_servers)
    assert 0 <= admitted <= len(pending)
    if admitted:
        assert active_jobs + admitted <= MAX_CONCURRENT_JOBS
        assert active_servers + sum(pending[:admitted]) <= MAX_SERVERS_IN_ACTIVE_JOBS
    if admitted < len(pending):
        next_jobs = active_jobs + admitted + 1
        next_servers = active_servers + sum(pending[: admitted + 1])
        assert next_jobs > MAX_CONCURRENT_JOBS or next_servers > MAX_SERVERS_IN_ACTIVE_JOBS


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=5), max_size=450), st.integers(1, MAX_SERVERS_PER_JOB))
def test_chunking_preserves_order_and_covers_all(ids, size):
    chunks = chunk_servers(ids, size)
    assert [i for chunk in chunks for i in chunk] == ids
    assert all(1 <= len(chunk) <= size for chunk in chunks)
    assert all(len(chunk) == size for chunk in chunks[:-1])
    assert len(chunks) == -(-len(ids) // size)
