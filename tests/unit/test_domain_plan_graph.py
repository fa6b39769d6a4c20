from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.plan_graph import (
    WAVE_ORDER_SCHEMA,
    OnServerFailure,
    Problem,
    Wave,
    effective_order,
    find_cycles,
    graph_problems,
    migrate_stored_waves,
    normalize_waves,
    ready_waves,
    topological_levels,
    validate_plan_graph,
)


@dataclass
class Group:
    region: str = "us-east-1"
    account_id: str | None = "111111111111"


def wave(number: int, deps: list[int], groups: list[str] | None = None) -> Wave:
    return Wave(
        wave_number=number,
        wave_name=f"w{number}",
        protection_group_ids=groups if groups is not None else [f"pg-{number}"],
        depends_on_waves=deps,
    )


def codes(problems: list[Problem]) -> list[str]:
    return [p.code for p in problems]


# normalize_waves


def test_normalize_accepts_legacy_group_id_and_name():
    [w] = normalize_waves([{"waveNumber": 1, "name": "Web", "protectionGroupId": "pg-a"}])
    assert w.wave_name == "Web"
    assert w.protection_group_ids == ["pg-a"]


def test_normalize_merges_legacy_and_list_without_duplicates():
    [w] = normalize_waves(
        [
            {
                "waveNumber": 1,
                "waveName": "w",
                "protectionGroupId": "pg-a",
                "protectionGroupIds": ["pg-b", " pg-a "],
            }
        ]
    )
    assert w.protection_group_ids == ["pg-a", "pg-b"]


def test_normalize_default_dependency_is_previous_wave_by_number():
    waves = normalize_waves(
        [
            {"waveNumber": 5, "waveName": "c"},
            {"waveNumber": 1, "waveName": "a"},
            {"waveNumber": 3, "waveName": "b"},
        ]
    )
    assert [(w.wave_number, w.depends_on_waves) for w in waves] == [(1, []), (3, [1]), (5, [3])]


def test_normalize_absent_null_or_empty_dependencies_mean_after_the_previous_wave():
    for empty in ({}, {"dependsOnWaves": None}, {"dependsOnWaves": []}):
        waves = normalize_waves(
            [{"waveNumber": 1, "waveName": "a", **empty}, {"waveNumber": 2, "waveName": "b", **empty},
             {"waveNumber": 4, "waveName": "c", **empty}]
        )
        assert [(w.wave_number, w.depends_on_waves, w.independent) for w in waves] == [
            (1, [], False), (2, [1], False), (4, [2], False)]
        assert topological_levels(waves) == [[1], [2], [4]]


def test_normalize_independent_wave_waits_for_nothing():
    waves = normalize_waves(
        [{"waveNumber": 1, "waveName": "a"}, {"waveNumber": 2, "waveName": "b", "independent": True},
         {"waveNumber": 3, "waveName": "c"}]
    )
    assert [(w.wave_number, w.depends_on_waves) for w in waves] == [(1, []), (2, []), (3, [2])]
    assert topological_levels(waves) == [[1, 2], [3]]


def test_independent_with_dependencies_is_refused_as_ambiguous():
    with pytest.raises(ValidationFailed) as exc:
        normalize_waves([{"waveNumber": 1, "waveName": "a"},
                         {"waveNumber": 2, "waveName": "b", "independent": True, "dependsOnWaves": [1]}])
    assert exc.value.details[0]["field"].startswith("waves[1]")
    assert "independent" in exc.value.details[0]["message"]


def test_effective_order_names_the_waves_that_run_together():
    waves = normalize_waves(
        [{"waveNumber": 1, "waveName": "a"}, {"waveNumber": 2, "waveName": "b", "dependsOnWaves": []},
         {"waveNumber": 3, "waveName": "c", "independent": True}, {"waveNumber": 4, "waveName": "d",
                                                                   "dependsOnWaves": [2, 3]}]
    )
    assert effective_order(waves) == [
        {"step": 1, "waves": [1, 3], "runTogether": True, "waitsFor": {"1": [], "3": []}},
        {"step": 2, "waves": [2], "runTogether": False, "waitsFor": {"2": [1]}},
        {"step": 3, "waves": [4], "runTogether": False, "waitsFor": {"4": [2, 3]}},
    ]


def test_migration_keeps_the_meaning_of_plans_saved_before_independent_existed():
    stored = [{"waveNumber": 1, "waveName": "a", "dependsOnWaves": []},
              {"waveNumber": 2, "waveName": "b", "dependsOnWaves": []},
              {"waveNumber": 3, "waveName": "c", "dependsOnWaves": [2]}]
    migrated = migrate_stored_waves(stored, None)
    assert [w.get("independent", False) for w in migrated] == [False, True, False]
    assert topological_levels(normalize_waves(migrated)) == [[1, 2], [3]]
    assert migrate_stored_waves(migrated, WAVE_ORDER_SCHEMA) == migrated  # current plans untouched
    assert stored[1] == {"waveNumber": 2, "waveName": "b", "dependsOnWaves": []}  # input not mutated


def test_normalize_sorts_and_dedupes_dependencies():
    waves = normalize_waves([{"waveNumber": 9, "waveName": "a", "dependsOnWaves": [3, 1, 3]}])
    assert waves[0].depends_on_waves == [1, 3]


def test_normalize_defaults():
    [w] = normalize_waves([{"waveNumber": 0, "waveName": "a"}])
    assert w.pause_before_wave is False
    assert w.on_server_failure is OnServerFailure.STOP
    assert w.protection_group_ids == []


def test_normalize_reports_every_field_problem():
    with pytest.raises(ValidationFailed) as err:
        normalize_waves(
            [
                {"waveNumber": -1, "waveName": ""},
                {"waveNumber": 2, "waveName": "ok", "onServerFailure": "RETRY", "bogus": True},
            ]
        )
    fields = {d["field"] for d in err.value.details}
    assert fields == {
        "waves[0].waveNumber",
        "waves[0].waveName",
        "waves[1].onServerFailure",
        "waves[1].bogus",
    }


def test_normalize_rejects_blank_group_id():
    with pytest.raises(ValidationFailed):
        normalize_waves([{"waveNumber": 1, "waveName": "a", "protectionGroupIds": [" "]}])


def test_normalize_is_idempotent_on_waves():
    waves = normalize_waves([{"waveNumber": 1, "waveName": "a"}, {"waveNumber": 2, "waveName": "b"}])
    assert normalize_waves(waves) == waves


def test_wave_dumps_camel_case():
    [w] = normalize_waves([{"waveNumber": 1, "waveName": "a", "pauseBeforeWave": True}])
    body = w.model_dump(by_alias=True)
    assert (
        body["pauseBeforeWave"] is True and body["dependsOnWaves"] == [] and body["onServerFailure"] == "STOP"
    )


# validate_plan_graph


def test_valid_plan_has_no_problems():
    waves = [wave(1, []), wave(2, [1]), wave(3, [1])]
    groups = {f"pg-{n}": Group() for n in (1, 2, 3)}
    servers = {"pg-1": ["s-1"], "pg-2": ["s-2"], "pg-3": ["s-3"]}
    assert validate_plan_graph(waves, groups, servers) == []


def test_no_waves():
    assert codes(validate_plan_graph([], {}, {})) == ["NO_WAVES"]


def test_reports_every_problem_at_once():
    waves = [
        wave(1, [3], ["pg-1"]),
        wave(2, [1], ["pg-2"]),
        wave(3, [2], ["pg-3", "pg-x"]),
        wave(4, [4, 9], ["pg-4"]),
        wave(4, [], []),
        wave(6, [], ["pg-6"]),
    ]
    groups = {
        "pg-1": Group(),
        "pg-2": Group(region="us-west-2"),
        "pg-3": Group(account_id="222222222222"),
        "pg-4": Group(),
        "pg-6": Group(),
    }
    servers = {"pg-1": ["s-a"], "pg-2": ["s-a", "s-b"], "pg-3": ["s-c"], "pg-4": ["s-d"], "pg-6": []}
    problems = validate_plan_graph(waves, groups, servers)
    assert set(codes(problems)) == {
        "DUPLICATE_WAVE_NUMBER",
        "SELF_DEPENDENCY",
        "MISSING_DEPENDENCY",
        "DEPENDENCY_CYCLE",
        "UNKNOWN_GROUP",
        "EMPTY_WAVE",
        "SERVER_IN_MULTIPLE_WAVES",
        "MIXED_ACCOUNTS",
        "MIXED_REGIONS",
    }
    cycle = next(p for p in problems if p.code == "DEPENDENCY_CYCLE")
    assert "1 -> 2 -> 3 -> 1" in cycle.message and cycle.wave == 1
    empty = sorted(p.wave for p in problems if p.code == "EMPTY_WAVE")
    assert empty == [4, 6]
    shared = next(p for p in problems if p.code == "SERVER_IN_MULTIPLE_WAVES")
    assert "s-a" in shared.message and "(1, 2)" in shared.message
    assert next(p for p in problems if p.code == "UNKNOWN_GROUP").message.endswith("pg-x")


def test_server_in_two_groups_of_the_same_wave_is_fine():
    waves = [wave(1, [], ["pg-1", "pg-2"])]
    groups = {"pg-1": Group(), "pg-2": Group()}
    assert validate_plan_graph(waves, groups, {"pg-1": ["s-a"], "pg-2": ["s-a"]}) == []


def test_default_account_fills_missing_account():
    waves = [wave(1, [], ["pg-1", "pg-2"])]
    groups = {"pg-1": Group(account_id=None), "pg-2": Group(account_id="111111111111")}
    servers = {"pg-1": ["s-a"], "pg-2": ["s-b"]}
    assert codes(validate_plan_graph(waves, groups, servers)) == ["MIXED_ACCOUNTS"]
    assert validate_plan_graph(waves, groups, servers, default_account_id="111111111111") == []


def test_many_shared_servers_are_summarised():
    waves = [wave(1, [], ["pg-1"]), wave(2, [1], ["pg-1"])]
    servers = {"pg-1": [f"s-{i:02d}" for i in range(25)]}
    [problem] = validate_plan_graph(waves, {"pg-1": Group()}, servers)
    assert problem.code == "SERVER_IN_MULTIPLE_WAVES" and "and 15 more" in problem.message


def test_problem_to_dict():
    assert Problem("X", "m").to_dict() == {"code": "X", "message": "m"}
    assert Problem("X", "m", 2).to_dict() == {"code": "X", "message": "m", "wave": 2}


# topological_levels and ready_waves


def test_levels_of_diamond():
    waves = [wave(1, []), wave(2, [1]), wave(3, [1]), wave(4, [2, 3]), wave(5, [])]
    assert topological_levels(waves) == [[1, 5], [2, 3], [4]]


def test_levels_reject_invalid_graph():
    with pytest.raises(ValidationFailed) as err:
        topological_levels([wave(1, [2]), wave(2, [1])])
    assert err.value.code == "INVALID_PLAN_GRAPH"
    assert err.value.details[0]["code"] == "DEPENDENCY_CYCLE"


def test_ready_waves():
    waves = [wave(1, []), wave(2, [1]), wave(3, [1]), wave(4, [2, 3])]
    assert ready_waves(waves, set(), set()) == [1]
    assert ready_waves(waves, set(), {1}) == []
    assert ready_waves(waves, {1}, {1}) == [2, 3]
    assert ready_waves(waves, {1, 2}, {1, 2, 3}) == []
    assert ready_waves(waves, {1, 2, 3}, {1, 2, 3}) == [4]
    assert ready_waves([wave(1, [7])], set(), set()) == []


# properties


@st.composite
def random_graphs(draw):
    numbers = draw(st.lists(st.integers(0, 12), min_size=1, max_size=8, unique=True))
    targets = st.sampled_from(numbers + [99])
    return [wave(n, sorted(set(draw(st.lists(targets, max_size=3))))) for n in numbers]


@st.composite
def random_dags(draw):
    count = draw(st.integers(1, 10))
    waves = []
    for n in range(1, count + 1):
        deps = draw(st.lists(st.integers(1, n - 1), max_size=3, unique=True)) if n > 1 else []
        waves.append(wave(n, sorted(deps)))
    order = draw(st.permutations(waves))
    return list(order)


def reachable(waves: list[Wave]) -> dict[int, set[int]]:
    numbers = {w.wave_number for w in waves}
    edges = {
        w.wave_number: {d for d in w.depends_on_waves if d in numbers and d != w.wave_number} for w in waves
    }
    result = {}
    for start in numbers:
        seen: set[int] = set()
        todo = list(edges[start])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(edges[node])
        result[start] = seen
    return result


@settings(max_examples=300, deadline=None)
@given(random_graphs())
def test_cycle_detection_agrees_with_brute_force(waves):
    reach = reachable(waves)
    in_cycle = {u for u in reach for v in reach[u] if u != v and u in reach[v]}
    cycles = find_cycles(waves)
    assert bool(cycles) == bool(in_cycle)
    on_cycles = {n for c in cycles for n in c}
    assert on_cycles <= in_cycle
    # one cycle per strongly connected group: every wave caught in a cycle shares one with a reported cycle
    for u in in_cycle:
        assert any(u == v or (v in reach[u] and u in reach[v]) for v in on_cycles)
    assert len(cycles) == len({frozenset({u} | {v for v in reach[u] if u in reach[v]}) for u in in_cycle})
    deps = {w.wave_number: set(w.depends_on_waves) for w in waves}
    for cycle in cycles:
        assert cycle[0] == cycle[-1] and len(set(cycle[:-1])) == len(cycle) - 1 >= 2
        for before, after in zip(cycle, cycle[1:], strict=False):
            assert before in deps[after]
    assert ("DEPENDENCY_CYCLE" in codes(graph_problems(waves))) == bool(in_cycle)


@settings(max_examples=300, deadline=None)
@given(random_dags())
def test_random_dags_are_never_cyclic_and_levels_respect_dependencies(waves):
    assert graph_problems(waves) == []
    levels = topological_levels(waves)
    flat = [n for level in levels for n in level]
    assert sorted(flat) == sorted(w.wave_number for w in waves)
    assert len(flat) == len(set(flat))
    level_of = {n: i for i, level in enumerate(levels) for n in level}
    for w in waves:
        for dep in w.depends_on_waves:
            assert level_of[dep] < level_of[w.wave_number]
        expected = 1 + max((level_of[d] for d in w.depends_on_waves), default=-1)
        assert level_of[w.wave_number] == expected


@settings(max_examples=200, deadline=None)
@given(random_dags(), st.randoms(use_true_random=False))
def test_running_ready_waves_finishes_every_dag_in_dependency_order(waves, rnd):
    completed: set[int] = set()
    started: set[int] = set()
    order: list[int] = []
    while len(completed) < len(waves):
        for number in ready_waves(waves, completed, started):
            started.add(number)
        in_flight = sorted(started - completed)
        assert in_flight, "no progress possible"
        done = rnd.choice(in_flight)
        completed.add(done)
        order.append(done)
    position = {n: i for i, n in enumerate(order)}
    for w in waves:
        assert all(position[d] < position[w.wave_number] for d in w.depends_on_waves)


def test_cycle_message_names_every_wave_caught_in_cycles():
    waves = [wave(1, [2]), wave(2, [1, 7]), wave(7, [1])]
    [problem] = graph_problems(waves)
    assert problem.message.startswith("waves depend on each other in a cycle: 1 -> 2 -> 1")
    assert "waves 1, 2, 7 are all caught in cycles" in problem.message
