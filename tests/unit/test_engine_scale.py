"""A tick costs what is in flight, not what is done (issue 15): ended waves are summarised on the
execution's META item and their WAVE and JOB items are not read again."""

from __future__ import annotations

from engine_world import World, make_wave, run
from hypothesis import given, settings
from hypothesis import strategies as st

from drs_orch.domain.execution_records import WaveSummary, open_wave_numbers, summaries_of
from drs_orch.domain.statuses import TERMINAL_WAVE, WaveStatus
from drs_orch.services.engine.lifecycle import cancel_execution
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
    # the first tick reads META, wave 1 (the others wait for a wave that has not started) and the
    # job of wave 1, which starts; then META, the wave that launches, its job, and the next wave and
    # its job when it starts: never the waves that ended, nor those that cannot start yet
    assert reads[0] == 3 and max(reads) == 5 and reads[-1] <= 3


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


def _outcome(world: World, execution_id: str) -> tuple[object, ...]:
    meta = world.store.get_meta(execution_id)
    assert meta is not None
    waves = {int(k): v["status"] for k, v in meta["finishedWaves"].items()}
    return meta["status"], meta["serverCounts"], waves


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_a_tick_that_reads_only_the_waves_that_may_move_decides_as_one_that_reads_them_all(
        data: st.DataObject) -> None:
    """Random plans (dependencies on earlier waves, failures, either failure policy, a cancel at
    some tick) run twice: once as started (META plans the waves and a tick reads those that have
    started or may start now), once with that plan taken off META (every open wave read). Same
    end, same wave outcomes, same counts; never more reads."""
    count = data.draw(st.integers(2, 7), label="waves")
    deps = {n: sorted(data.draw(st.sets(st.integers(1, n - 1), max_size=2), label=f"deps{n}")) if n > 1 else []
            for n in range(1, count + 1)}
    policy = {n: data.draw(st.sampled_from(["STOP", "CONTINUE"]), label=f"policy{n}") for n in deps}
    failing = data.draw(st.sets(st.integers(1, count), max_size=2), label="failing waves")
    cancel_at = data.draw(st.one_of(st.none(), st.integers(1, 12)), label="cancel at tick")
    outcomes, reads = [], []
    for planned in (True, False):
        world = World(launch_seconds=60)
        waves = []
        for n in deps:
            servers = world.drs.add_servers(2, f"s{n}-")
            if n in failing:
                world.drs.fail.add(servers[0])
            waves.append(make_wave(n, [world.group(f"g{n}", servers)], dependsOnWaves=deps[n],
                                   onServerFailure=policy[n]))
        world.plan("p", waves)
        execution_id = start_execution(world.deps, {"planId": "p", "isDrill": True}, "tester")["executionId"]
        if not planned:  # as an execution started before META carried the plan: its wave numbers alone
            meta_item = world.store.items[(execution_id, "META")]
            meta_item["waveNumbers"] = sorted(int(n) for n in meta_item.pop("wavePlan"))
        engine = Engine(world.deps)
        result = engine.begin(execution_id).to_dict()
        for tick in range(1, 400):
            if result["next"] == "DONE":
                break
            if tick == cancel_at:
                meta = world.store.get_meta(execution_id)
                if meta is not None and meta["status"] in ("RUNNING", "PAUSED"):
                    cancel_execution(world.deps, execution_id, "tester")
            world.clock.advance(max(1, result["waitSeconds"]))
            result = engine.tick(execution_id).to_dict()
            counts = dict(world.store.items[(execution_id, "META")]["serverCounts"])
            total = counts.pop("total")  # every server counted once, whether its wave was read or not
            assert total == 2 * count and sum(counts.values()) == total, counts
        assert result["next"] == "DONE"
        outcomes.append(_outcome(world, execution_id))
        reads.append(sum(world.store.tick_reads))
    assert outcomes[0] == outcomes[1]
    assert reads[0] <= reads[1]
