"""The engine's decision rules: examples for each rule, and a simulation over random plans that
checks the invariants (allowed transitions only, dependencies respected, DRS limits respected,
nothing leaves a terminal status, every run ends, and the end status matches what launched)."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drs_orch.domain.engine_rules import (
    RENEW_RETRY_TICKS,
    Capacity,
    ExecutionView,
    JobStatus,
    JobView,
    Next,
    Refusal,
    StartAction,
    StartState,
    WaveView,
    active_capacity,
    admission_scopes,
    after_search_miss,
    after_tick,
    classify_start_error,
    decide,
    failure_reasons,
    is_stopping,
    job_matches_tags,
    job_status,
    next_server_status,
    renewal_name,
    starting_action,
    wave_outcome,
)
from drs_orch.domain.limits import MAX_CONCURRENT_JOBS, MAX_SERVERS_IN_ACTIVE_JOBS
from drs_orch.domain.plan_graph import OnServerFailure
from drs_orch.domain.statuses import (
    TERMINAL_EXECUTION,
    TERMINAL_WAVE,
    ExecutionStatus,
    ServerStatus,
    WaveStatus,
    is_allowed,
)

E, W, S = ExecutionStatus, WaveStatus, ServerStatus
SCOPE = "123456789012#us-east-1"
FREE = {SCOPE: Capacity()}


def wave(n: int, status: WaveStatus = W.PENDING, deps: tuple[int, ...] | None = None, pause: bool = False,
         on_failure: OnServerFailure = OnServerFailure.STOP) -> WaveView:
    return WaveView(n, status, deps if deps is not None else ((n - 1,) if n > 1 else ()), pause, on_failure)


def job(n: int, status: JobStatus = JobStatus.QUEUED, servers: dict[str, ServerStatus] | None = None,
        index: int = 0, size: int = 2) -> JobView:
    return JobView(f"{n:04d}#{index:03d}", n, SCOPE, status,
                   servers if servers is not None else {f"s{n}-{index}-{i}": S.PENDING for i in range(size)})


def running(**kw: object) -> ExecutionView:
    return ExecutionView(E.RUNNING, **kw)  # type: ignore[arg-type]


# ------------------------------------------------------------------ examples


def test_first_wave_starts_and_its_job_is_admitted() -> None:
    d = decide(running(), [wave(1), wave(2)], [job(1), job(2)], FREE)
    assert d.wave_status == {1: W.LAUNCHING}
    assert d.start_jobs == ["0001#000"] and d.started_waves == [1]
    assert d.execution_status is E.RUNNING and d.next is Next.CONTINUE


def test_wave_waits_for_capacity_as_queued() -> None:
    full = {SCOPE: Capacity(active_jobs=MAX_CONCURRENT_JOBS, active_servers=10)}
    d = decide(running(), [wave(1)], [job(1)], full)
    assert d.wave_status == {1: W.QUEUED} and d.start_jobs == []
    assert d.next is Next.CONTINUE and d.execution_status is E.RUNNING
    assert admission_scopes(running(), [wave(1)], [job(1)]) == {SCOPE}


def test_capacity_admits_first_come_first_served_within_500_servers() -> None:
    jobs = [job(1, index=i, size=100) for i in range(7)]
    d = decide(running(), [wave(1)], jobs, {SCOPE: Capacity(active_jobs=1, active_servers=150)})
    assert len(d.start_jobs) == 3  # 150 + 300 <= 500 < 150 + 400


def test_a_job_left_waiting_says_which_drs_quota_holds_it_and_those_behind_it_say_so() -> None:
    jobs = [job(1, index=i, size=100) for i in range(7)]
    d = decide(running(), [wave(1)], jobs, {SCOPE: Capacity(active_jobs=1, active_servers=150)})
    assert d.waiting_jobs == {
        "0001#003": "waiting for DRS capacity in 123456789012 / us-east-1: 450 of 500 servers are in active jobs; "
                    "this job needs 100",
        **{f"0001#{i:03d}": "queued behind an earlier job of this execution waiting for DRS capacity in "
                            "123456789012 / us-east-1" for i in (4, 5, 6)}}
    full = decide(running(), [wave(1)], [job(1)], {SCOPE: Capacity(active_jobs=MAX_CONCURRENT_JOBS, active_servers=10)})
    assert full.waiting_jobs == {"0001#000": "waiting for DRS capacity in 123456789012 / us-east-1: 20 of 20 "
                                             "concurrent jobs are active"}
    unread = decide(running(), [wave(1)], [job(1)], {})
    assert unread.waiting_jobs == {"0001#000": "the DRS capacity of 123456789012 / us-east-1 could not be read; "
                                               "tried again next tick"}
    assert decide(running(), [wave(1), wave(2)], [job(1), job(2)], FREE).waiting_jobs == {}  # wave 2 not started


def test_finished_wave_gets_its_outcome_and_next_wave_starts() -> None:
    done = job(1, JobStatus.COMPLETED, {"a": S.LAUNCHED, "b": S.LAUNCHED})
    d = decide(running(in_flight=frozenset({done.key})), [wave(1, W.LAUNCHING), wave(2)], [done, job(2)], FREE)
    assert d.wave_status == {1: W.COMPLETED, 2: W.LAUNCHING}
    assert d.finished_jobs == [done.key] and d.start_jobs == ["0002#000"]


@pytest.mark.parametrize(("servers", "outcome"), [
    ({"a": S.LAUNCHED, "b": S.LAUNCHED}, W.COMPLETED),
    ({"a": S.LAUNCHED, "b": S.FAILED}, W.PARTIAL),
    ({"a": S.FAILED, "b": S.FAILED}, W.FAILED),
    ({"a": S.TERMINATED, "b": S.LAUNCHED}, W.COMPLETED),
])
def test_wave_outcome(servers: dict[str, ServerStatus], outcome: WaveStatus) -> None:
    assert wave_outcome(servers.values()) is outcome


def test_stop_fails_the_execution_and_cancels_later_waves() -> None:
    failed = job(1, JobStatus.COMPLETED, {"a": S.LAUNCHED, "b": S.FAILED})
    d = decide(running(in_flight=frozenset({failed.key})), [wave(1, W.LAUNCHING), wave(2), wave(3)],
               [failed, job(2), job(3)], FREE)
    assert d.wave_status == {1: W.PARTIAL, 2: W.CANCELLED, 3: W.CANCELLED}
    assert d.execution_status is E.FAILED and d.next is Next.DONE
    assert sorted(d.drop_jobs) == ["0002#000", "0003#000"]
    # the reason names the wave's own status: a PARTIAL wave is not said to have failed outright
    assert d.reason == "wave 1 ended PARTIAL and stops the plan (onServerFailure STOP)"


def test_continue_lets_later_waves_run_and_ends_partial() -> None:
    cont = OnServerFailure.CONTINUE
    failed = job(1, JobStatus.COMPLETED, {"a": S.LAUNCHED, "b": S.FAILED})
    d = decide(running(in_flight=frozenset({failed.key})), [wave(1, W.LAUNCHING, on_failure=cont), wave(2)],
               [failed, job(2)], FREE)
    assert d.wave_status == {1: W.PARTIAL, 2: W.LAUNCHING}
    ok = job(2, JobStatus.COMPLETED, {"c": S.LAUNCHED})
    d = decide(running(in_flight=frozenset({ok.key})), [wave(1, W.PARTIAL, on_failure=cont), wave(2, W.LAUNCHING)],
               [failed, ok], FREE)
    assert d.execution_status is E.PARTIAL and d.next is Next.DONE


def test_everything_failing_under_continue_ends_failed() -> None:
    cont = OnServerFailure.CONTINUE
    a = job(1, JobStatus.COMPLETED, {"a": S.FAILED})
    d = decide(running(in_flight=frozenset({a.key})), [wave(1, W.LAUNCHING, on_failure=cont)], [a], FREE)
    assert d.execution_status is E.FAILED


def test_pause_before_wave_pauses_once_nothing_is_in_flight() -> None:
    done = job(1, JobStatus.COMPLETED, {"a": S.LAUNCHED})
    waves = [wave(1, W.LAUNCHING), wave(2, pause=True)]
    d = decide(running(in_flight=frozenset({done.key})), waves, [done, job(2)], FREE)
    assert d.wave_status == {1: W.COMPLETED}
    assert d.execution_status is E.PAUSED and d.next is Next.PAUSE and d.paused_before == (2,)
    approved = ExecutionView(E.RUNNING, approved_waves=frozenset({2}))
    d = decide(approved, [wave(1, W.COMPLETED), wave(2, pause=True)], [done, job(2)], FREE)
    assert d.wave_status == {2: W.LAUNCHING}


def test_pause_request_lets_the_wave_in_flight_finish() -> None:
    active = job(1, JobStatus.ACTIVE, {"a": S.LAUNCHING})
    waves = [wave(1, W.LAUNCHING), wave(2)]
    d = decide(running(pause_requested=True, in_flight=frozenset({active.key})), waves, [active, job(2)], FREE)
    assert d.execution_status is E.RUNNING and d.next is Next.CONTINUE and not d.start_jobs
    done = replace(active, status=JobStatus.COMPLETED, servers={"a": S.LAUNCHED})
    d = decide(running(pause_requested=True, in_flight=frozenset({done.key})), waves, [done, job(2)], FREE)
    assert d.execution_status is E.PAUSED and d.paused_before == () and d.reason == "pause requested"


def test_pause_request_still_admits_queued_jobs_of_a_started_wave() -> None:
    jobs = [job(1, JobStatus.ACTIVE, index=0), job(1, index=1)]
    view = running(pause_requested=True, in_flight=frozenset({jobs[0].key}))
    d = decide(view, [wave(1, W.LAUNCHING)], jobs, FREE)
    assert d.start_jobs == ["0001#001"]


@pytest.mark.parametrize("status", [E.RUNNING, E.PAUSED, E.PENDING])
def test_cancel_with_nothing_in_flight_cancels_at_once(status: ExecutionStatus) -> None:
    done = job(1, JobStatus.COMPLETED, {"a": S.LAUNCHED})
    view = ExecutionView(status, cancel_requested=True)
    d = decide(view, [wave(1, W.COMPLETED), wave(2), wave(3)], [done, job(2), job(3)], FREE)
    assert d.execution_status is E.CANCELLED and d.next is Next.DONE
    assert d.wave_status == {2: W.CANCELLED, 3: W.CANCELLED}


def test_cancel_with_a_job_in_flight_is_cancelling_until_it_ends() -> None:
    active = job(1, JobStatus.ACTIVE, {"a": S.LAUNCHING})
    view = ExecutionView(E.RUNNING, cancel_requested=True, in_flight=frozenset({active.key}))
    d = decide(view, [wave(1, W.LAUNCHING), wave(2)], [active, job(2)], FREE)
    assert d.execution_status is E.CANCELLING and d.next is Next.CONTINUE
    assert d.wave_status == {2: W.CANCELLED} and not d.start_jobs
    done = replace(active, status=JobStatus.COMPLETED, servers={"a": S.LAUNCHED})
    view = ExecutionView(E.CANCELLING, cancel_requested=True, in_flight=frozenset({done.key}))
    d = decide(view, [wave(1, W.LAUNCHING), wave(2, W.CANCELLED)], [done, job(2, JobStatus.NOT_STARTED)], FREE)
    assert d.execution_status is E.CANCELLED and d.wave_status == {1: W.COMPLETED}


def test_cancel_of_a_half_admitted_wave_drops_its_queued_jobs() -> None:
    jobs = [job(1, JobStatus.COMPLETED, {"a": S.LAUNCHED}, index=0), job(1, index=1)]
    view = ExecutionView(E.RUNNING, cancel_requested=True)
    d = decide(view, [wave(1, W.LAUNCHING)], jobs, FREE)
    assert d.drop_jobs == ["0001#001"] and d.wave_status == {1: W.PARTIAL}
    assert d.execution_status is E.CANCELLED


def test_independent_waves_run_in_parallel() -> None:
    waves = [wave(1, deps=()), wave(2, deps=()), wave(3, deps=(1, 2))]
    d = decide(running(), waves, [job(1), job(2), job(3)], FREE)
    assert d.wave_status == {1: W.LAUNCHING, 2: W.LAUNCHING}


def test_skipped_wave_counts_as_done_for_dependencies() -> None:
    d = decide(running(), [wave(1, W.SKIPPED), wave(2)], [job(2)], FREE)
    assert d.wave_status == {2: W.LAUNCHING}


def test_wave_failed_before_start_drops_its_jobs() -> None:
    d = decide(running(), [wave(1, W.FAILED, on_failure=OnServerFailure.CONTINUE), wave(2)], [job(1), job(2)], FREE)
    assert "0001#000" in d.drop_jobs and d.wave_status == {2: W.LAUNCHING}


def test_terminal_execution_does_nothing() -> None:
    for status in TERMINAL_EXECUTION:
        d = decide(ExecutionView(status), [wave(1)], [job(1)], FREE)
        assert d.next is Next.DONE and not d.wave_status and not d.start_jobs


def test_starting_jobs() -> None:
    assert job_status("QUEUED", "k", {"k"}) is JobStatus.STARTING
    assert job_status("QUEUED", "k", set()) is JobStatus.QUEUED
    assert starting_action(StartState.NOT_CALLED, stopping=False) is StartAction.CALL
    assert starting_action(StartState.NOT_CALLED, stopping=True) is StartAction.ABANDON
    assert starting_action(StartState.REFUSED, stopping=False) is StartAction.CALL
    assert starting_action(StartState.CALLING, stopping=True) is StartAction.SEARCH
    assert after_search_miss(1, stopping=False) is StartAction.WAIT
    assert after_search_miss(2, stopping=False) is StartAction.CALL
    assert after_search_miss(2, stopping=True) is StartAction.ABANDON


@pytest.mark.parametrize(("code", "status", "conflicts", "expected"), [
    ("ThrottlingException", 429, 0, Refusal.RETRY),
    ("ServiceQuotaExceededException", 402, 0, Refusal.RETRY),
    ("ConflictException", 409, 0, Refusal.RETRY),
    ("ConflictException", 409, 2, Refusal.FINAL),
    ("ValidationException", 400, 0, Refusal.FINAL),
    ("UninitializedAccountException", 400, 0, Refusal.FINAL),
    ("InternalServerException", 500, 0, Refusal.AMBIGUOUS),
    (None, None, 0, Refusal.AMBIGUOUS),
])
def test_classify_start_error(code: str | None, status: int | None, conflicts: int, expected: Refusal) -> None:
    assert classify_start_error(code, status, conflicts) is expected


def test_observations() -> None:
    log = [{"event": "JOB_START", "eventData": {}},
           {"event": "SNAPSHOT_FAIL", "eventData": {"sourceServerID": "s-1", "rawError": "stalled"}},
           {"event": "LAUNCH_FAILED", "eventData": {"sourceServerID": "s-2"}}]
    assert failure_reasons(log) == {"s-1": "stalled", "s-2": "LAUNCH_FAILED"}
    jobs = [{"status": "STARTED", "participatingServers": [{}, {}]}, {"status": "COMPLETED",
                                                                       "participatingServers": [{}]}]
    assert active_capacity(jobs, [5]) == Capacity(active_jobs=2, active_servers=7)
    assert job_matches_tags({"tags": {"a": "1", "b": "2"}}, {"a": "1"})
    assert not job_matches_tags({"tags": {"a": "2"}}, {"a": "1"})
    assert not job_matches_tags({}, {"a": "1"})


@pytest.mark.parametrize(("current", "observed", "completed", "expected"), [
    (S.PENDING, S.LAUNCHING, False, S.LAUNCHING),
    (S.LAUNCHING, S.PENDING, False, S.LAUNCHING),  # never backwards
    (S.LAUNCHING, S.LAUNCHED, True, S.LAUNCHED),
    (S.LAUNCHING, S.LAUNCHING, True, S.FAILED),  # DRS finished without launching it
    (S.LAUNCHED, S.FAILED, True, S.LAUNCHED),  # terminal stays
    (S.PENDING, S.TERMINATED, True, S.LAUNCHED),
])
def test_next_server_status(current: ServerStatus, observed: ServerStatus, completed: bool,
                            expected: ServerStatus) -> None:
    assert next_server_status(current, observed, completed) is expected


# ------------------------------------------------------------------ simulation


@st.composite
def plans(draw: st.DrawFn) -> tuple[list[WaveView], list[JobView], dict[str, int], int]:
    n = draw(st.integers(1, 6))
    waves = []
    for i in range(1, n + 1):
        deps = tuple(sorted(draw(st.sets(st.integers(1, i - 1), max_size=2)))) if i > 1 else ()
        if draw(st.booleans()) and i > 1:
            deps = (i - 1,)
        waves.append(WaveView(i, W.PENDING, deps, draw(st.booleans()),
                              draw(st.sampled_from(list(OnServerFailure)))))
    jobs = []
    for w in waves:
        for k in range(draw(st.integers(1, 3))):
            size = draw(st.integers(1, 100))
            jobs.append(JobView(f"{w.number:04d}#{k:03d}", w.number, SCOPE, JobStatus.QUEUED,
                                {f"s{w.number}-{k}-{i}": S.PENDING for i in range(size)}))
    fail_permille = {j.key: draw(st.sampled_from([0, 0, 0, 200, 1000])) for j in jobs}
    return waves, jobs, fail_permille, draw(st.integers(0, 2**16))


@settings(max_examples=150)
@given(plans(), st.sampled_from([None, "pause", "cancel"]), st.integers(0, 25))
def test_simulated_runs_keep_every_invariant(plan: tuple, intervention: str | None, at_tick: int) -> None:
    waves, jobs, fail_permille, seed = plan
    rng = random.Random(seed)
    status = E.RUNNING
    flags = {"pause_requested": False, "cancel_requested": False}
    approved: set[int] = set()
    in_flight: set[str] = set()
    remaining: dict[str, int] = {}
    other_jobs = rng.randint(0, MAX_CONCURRENT_JOBS)
    for tick in range(400):
        if tick == at_tick and intervention == "pause" and status is E.RUNNING:
            flags["pause_requested"] = True
        if tick == at_tick and intervention == "cancel":
            flags["cancel_requested"] = True
        # DRS moves: active jobs finish after a few ticks
        for i, j in enumerate(jobs):
            if j.status is JobStatus.ACTIVE:
                remaining[j.key] -= 1
                if remaining[j.key] <= 0:
                    servers = {s: (S.FAILED if rng.randrange(1000) < fail_permille[j.key] else S.LAUNCHED)
                               for s in j.servers}
                    jobs[i] = replace(j, status=JobStatus.COMPLETED, servers=servers)
        other_jobs = max(0, other_jobs - rng.randint(0, 3))
        ours = [j for j in jobs if j.status is JobStatus.ACTIVE]
        cap = Capacity(other_jobs + len(ours), other_jobs * 50 + sum(j.size for j in ours))
        view = ExecutionView(status, flags["pause_requested"], flags["cancel_requested"], frozenset(approved),
                             frozenset(in_flight))
        before = {w.number: w.status for w in waves}
        visible = [j for j in jobs if before[j.wave] not in TERMINAL_WAVE]  # what a tick loads
        d = decide(view, waves, visible, {SCOPE: cap})
        # transitions are allowed, terminal statuses never left
        if d.execution_status is not status:
            assert is_allowed(ExecutionStatus, status, d.execution_status), (status, d.execution_status)
        for number, new in d.wave_status.items():
            assert before[number] not in TERMINAL_WAVE
            assert is_allowed(WaveStatus, before[number], new), (before[number], new)
        # admission within the limits
        admitted = [j for j in jobs if j.key in d.start_jobs]
        assert not set(d.waiting_jobs) & set(d.start_jobs)  # a job starts or says why it waits, never both
        assert all(j.status is JobStatus.QUEUED for j in jobs if j.key in d.waiting_jobs)
        assert cap.active_jobs + len(admitted) <= MAX_CONCURRENT_JOBS or not admitted
        assert cap.active_servers + sum(j.size for j in admitted) <= MAX_SERVERS_IN_ACTIVE_JOBS or not admitted
        waves = [replace(w, status=d.wave_status.get(w.number, w.status)) for w in waves]
        by_number = {w.number: w for w in waves}
        if d.next is Next.CONTINUE and not is_stopping(view, waves, jobs):  # a queued job of a started wave: why
            for j in visible:
                if (j.status is JobStatus.QUEUED and j.key not in d.start_jobs
                        and by_number[j.wave].status in (W.QUEUED, W.LAUNCHING)):
                    assert j.key in d.waiting_jobs, j
        for j in admitted:  # a wave launches only after its dependencies
            for dep in by_number[j.wave].depends_on:
                dep_wave = by_number[dep]
                assert dep_wave.status in (W.COMPLETED, W.SKIPPED) or (
                    dep_wave.status in (W.PARTIAL, W.FAILED) and dep_wave.on_failure is OnServerFailure.CONTINUE)
            assert not is_stopping(view, waves, jobs)
        for i, j in enumerate(jobs):
            if j.key in d.start_jobs:
                jobs[i] = replace(j, status=JobStatus.ACTIVE)
                remaining[j.key] = rng.randint(1, 4)
            elif j.key in d.drop_jobs:
                jobs[i] = replace(j, status=JobStatus.NOT_STARTED)
        in_flight |= set(d.start_jobs)
        in_flight -= set(d.finished_jobs)
        status = d.execution_status
        if d.next is Next.PAUSE:
            assert status is E.PAUSED and not in_flight
            approved |= set(d.paused_before)
            flags["pause_requested"] = False
            status = E.RUNNING  # resume
        if d.next is Next.DONE:
            break
    else:
        pytest.fail("the execution never ended")
    assert status in TERMINAL_EXECUTION
    assert all(w.status in TERMINAL_WAVE for w in waves)
    assert not in_flight or all(j.status in (JobStatus.COMPLETED, JobStatus.NOT_STARTED, JobStatus.FAILED)
                                for j in jobs if j.key in in_flight)
    servers = [s for j in jobs for s in j.servers.values()]
    if status is E.COMPLETED:
        assert all(s is S.LAUNCHED for s in servers)
    if flags["cancel_requested"]:
        assert status is E.CANCELLED
    elif any(w.status in (W.PARTIAL, W.FAILED) and w.on_failure is OnServerFailure.STOP for w in waves):
        assert status is E.FAILED
    elif any(w.status in (W.PARTIAL, W.FAILED) for w in waves):
        assert status in (E.PARTIAL, E.FAILED)
    else:
        assert status is E.COMPLETED


@settings(max_examples=200, deadline=None)
@given(decided=st.sampled_from(list(Next)), run_ticks=st.integers(1, 5000), renew_after=st.integers(1, 2000))
def test_a_run_hands_over_only_while_it_goes_on_once_it_has_ticked_enough(decided: Next, run_ticks: int,
                                                                          renew_after: int) -> None:
    after = after_tick(decided, run_ticks, renew_after)
    if decided is not Next.CONTINUE or run_ticks < renew_after:
        assert after is decided  # a pause or the end is never put off; a young run goes on
    else:  # at the threshold, then again every RENEW_RETRY_TICKS ticks should the new run not start
        assert (after is Next.RENEW) == ((run_ticks - renew_after) % RENEW_RETRY_TICKS == 0)
    assert after_tick(Next.CONTINUE, renew_after, renew_after) is Next.RENEW


def test_every_run_of_a_loop_has_a_name_of_its_own() -> None:
    arn = "arn:aws:states:us-east-1:123456789012:execution:drs-orch-orchestration-prod:"
    ex = "3f2c9a1e-0b7d-4c55-9e61-2a8f0d4b7c10"
    assert renewal_name(arn + ex, ex, 1000) == f"{ex}-t1000"
    assert renewal_name(arn + f"{ex}-t1000", ex, 2000) == f"{ex}-t2000"
    # a termination loop of the same execution keeps its own first name: no name of the main loop
    assert renewal_name(arn + f"{ex}-terminate-2", ex, 1000) == f"{ex}-terminate-2-t1000"
    assert renewal_name(arn + f"{ex}-terminate-2-t1000", ex, 2000) == f"{ex}-terminate-2-t2000"
    assert renewal_name(None, ex, 7) == f"{ex}-t7"
