"""Where the next listing of a scope's DRS jobs may start (domain/capacity.py ``listing_start``): it
never leaves out a job that may be active, and it moves on once jobs have COMPLETED."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from drs_orch.domain.capacity import LISTING_MARGIN, listing_start
from drs_orch.domain.data_age import parse_time

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _job(minute: int, status: str) -> dict[str, Any]:
    return {"jobID": f"drsjob-{minute}", "status": status,
            "creationDateTime": (T0 + timedelta(minutes=minute)).isoformat()}


_jobs = st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(["PENDING", "STARTED", "COMPLETED"])),
                 max_size=30).map(lambda js: [_job(m, s) for m, s in js])


@given(jobs=_jobs, since_minute=st.none() | st.integers(-100, 10_000))
def test_no_job_that_may_be_active_is_left_out(jobs: list[dict[str, Any]], since_minute: int | None) -> None:
    since = None if since_minute is None else (T0 + timedelta(minutes=since_minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
    listed = [j for j in jobs if since is None or parse_time(j["creationDateTime"]) >= parse_time(since)]
    start = listing_start(listed, since)
    if start is None:
        assert since is None and not listed
        return
    begins = parse_time(start)
    assert begins is not None
    margin = LISTING_MARGIN if start != since else timedelta(0)  # a start that moves keeps the margin
    assert all(parse_time(j["creationDateTime"]) >= begins + margin for j in listed if j["status"] != "COMPLETED")
    if since is not None:
        assert begins >= parse_time(since)  # never back before what was already known to be over


def test_the_start_moves_to_the_oldest_active_job_less_the_margin() -> None:
    jobs = [_job(0, "COMPLETED"), _job(10, "COMPLETED"), _job(20, "STARTED"), _job(30, "PENDING")]
    assert listing_start(jobs, None) == "2026-11-30T12:15:00.000000Z"


def test_with_every_job_completed_it_moves_to_the_newest_less_the_margin() -> None:
    jobs = [_job(0, "COMPLETED"), _job(40, "COMPLETED")]
    assert listing_start(jobs, None) == "2026-11-30T12:35:00.000000Z"
    assert listing_start(jobs, "2026-11-30T12:36:00Z") == "2026-11-30T12:36:00Z"  # never backwards


def test_a_job_it_cannot_read_keeps_the_start_where_it_was() -> None:
    assert listing_start([_job(0, "COMPLETED"), {"jobID": "drsjob-x", "status": "STARTED"}], None) is None
    assert listing_start([_job(0, "COMPLETED"), {**_job(5, "CANCELLED")}], "2026-11-30T11:00:00Z") == (
        "2026-11-30T11:00:00Z")


def test_the_start_is_a_date_drs_accepts() -> None:
    import re

    import botocore.session

    shape = botocore.session.get_session().get_service_model("drs").shape_for("DescribeJobsRequestFilters")
    pattern = shape.members["fromDate"].metadata["pattern"]
    start = listing_start([_job(3, "STARTED")], None)
    assert start is not None and re.fullmatch(pattern, start)
