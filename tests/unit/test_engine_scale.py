"""A tick costs what is in flight, not what is done (issue 15): ended waves are summarised on the
execution's META item and their WAVE and JOB items are not read again."""

from __future__ import annotations

from engine_world import World, make_wave, run
from hypothesis import given, settings
from hypothesis import strategies as st

from drs_orch.domain.execution_records import WaveSummary, open_wave_numbers, summaries_of
from drs_orch.domain.statuses import TERMINAL_WAVE, WaveStatus
from drs_orch.services.engine.reconcile import Engine
from drs_orch.services.engine.start import start_execution


def _run(world: World, execution_id: str) -> None:
    results = run(world, execution_id, max_ticks=400)
    assert results[-1]["next"] == "DONE"


def test_a_tick_reads_the_waves_not_yet_ended_and_their_jobs_only() -> None:
    world = World(launch_seconds=60)
    waves = [make_wave(n, [world.group(f"g{n}", world.drs.add_servers(3, f"s{n}-"))]) for n in range(1, 11)]
    world.plan("p", waves)
    execution_id = start_execution(world.deps, {"planId": "p", "isDrill": True}, "tester")["executionId"]
    _run(world, execution_id)
    meta = world.store.get_meta(execution_id)
    assert meta is not None and meta["status"] == "COMPLETED" and meta["serverCounts"]["launched"] == 30
    finished = summaries_of(meta["finishedWaves"])
    assert sorted(finished) == list(range(1, 11))
    assert all(s.status is WaveStatus.COMPLETED and s.server_counts["launched"] == 3 and s.ended_at
               for s in finished.values())
    reads = world.store.tick_reads
    # the first tick reads META, 10 waves and the job of the wave that starts; at most one wave is
    # launching and one starting; the last ticks read META, the last wave and its job
    assert reads[0] == 12 and max(reads) <= 13 and reads[-1] <= 4
    assert max(reads[len(reads) // 2:]) <= 1 + 6 + 2  # past wave 5 ended waves are not read again


def test_a_wave_ended_by_a_tick_whose_commit_lost_is_summarised_by_the_next() -> None:
    world = World(launch_seconds=60)
    world.plan("p", [make_wave(n, [world.group(f"g{n}", world.drs.add_servers(2, f"s{n}-"))]) for n in (1, 2)])
    execution_id = start_execution(world.deps, {"planId": "p", "isDrill": True}, "tester")["executionId"]
    engine = Engine(world.deps)
    engine.begin(execution_id)
    meta = world.store.get_meta(execution_id)
    assert meta is not None
    # an ended wave the META item does not know of yet (its tick wrote the wave, then lost the commit)
    world.store.items[(execution_id, "WAVE#0001")]["status"] = "COMPLETED"
    world.store.items[(execution_id, "WAVE#0001")]["serverCounts"] = {"total": 2, "launched": 2}
    loaded = world.store.load(execution_id, settled_jobs=False)
    assert loaded is not None and 1 not in loaded.finished
    engine.tick(execution_id)
    meta = world.store.get_meta(execution_id)
    assert meta is not None and meta["finishedWaves"]["1"]["status"] == "COMPLETED"


@settings(max_examples=50, deadline=None)
@given(st.sets(st.integers(1, 50), min_size=1, max_size=50), st.data())
def test_open_waves_are_the_waves_not_summarised(numbers: set[int], data: st.DataObject) -> None:
    done = data.draw(st.sets(st.sampled_from(sorted(numbers))))
    assert set(open_wave_numbers(numbers, done)) == numbers - done


@given(st.sampled_from(sorted(WaveStatus)), st.dictionaries(st.sampled_from(["total", "launched", "failed"]),
                                                            st.integers(0, 3000)))
def test_a_summary_round_trips_and_exists_only_for_ended_waves(status: WaveStatus, counts: dict[str, int]) -> None:
    if status not in TERMINAL_WAVE:
        try:
            WaveSummary(1, status)
        except ValueError:
            return
        raise AssertionError(f"{status} summarised")
    summary = WaveSummary(7, status, server_counts=counts, ended_at="2026-01-01T00:00:00Z")
    assert WaveSummary.from_attributes(7, summary.to_attributes()) == summary
