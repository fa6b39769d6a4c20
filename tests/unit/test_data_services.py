"""Data-management use cases over in-memory ports: the rules of issue 4 without the local stack,
including hypothesis properties of tag resolution and plan-graph validation as the services apply
them."""

from __future__ import annotations

import re

import pytest
from data_fakes import HUB, Db, FakeDrs, server, services
from hypothesis import given
from hypothesis import strategies as st

from drs_orch.domain.data_rules import MAX_SERVERS_PER_GROUP
from drs_orch.domain.errors import Conflict, ValidationFailed

R = "us-east-1"


def fleet(n: int = 6, **tags: str) -> tuple[object, list[str]]:
    s = services()
    ids = s.drs.add(HUB, R, *[server({"App": "Shop", "Tier": "db" if i < 2 else "web", **tags}) for i in range(n)])
    return s, ids


def group(s, name, ids=None, tags=None, **extra):  # type: ignore[no-untyped-def]
    body = {"groupName": name, "region": R, **extra}
    if ids is not None:
        body["sourceServerIds"] = ids
    if tags is not None:
        body["serverSelectionTags"] = tags
    return s.groups.create(body, "tester")


def test_create_explicit_group_and_seed_shape():
    s, ids = fleet()
    g = group(s, " Production Web Servers ", ids[:2], description="Production web tier servers")
    assert g["groupName"] == "Production Web Servers" and g["version"] == 1
    assert g["sourceServerIds"] == ids[:2] and g["accountId"] == HUB and g["selectionMode"] == "EXPLICIT"
    assert s.groups.get(g["groupId"])["recoveryPlans"] == []


def test_unknown_servers_are_named():
    s, ids = fleet()
    with pytest.raises(ValidationFailed) as err:
        group(s, "g", [ids[0], "s-00000000000000999"])
    assert err.value.code == "SERVERS_NOT_FOUND" and err.value.details["missingServerIds"] == ["s-00000000000000999"]


def test_names_are_unique_case_insensitively_and_a_rename_frees_the_old_name():
    s, ids = fleet()
    g = group(s, "Web", ids[:1])
    with pytest.raises(Conflict) as err:
        group(s, " wEB ", ids[1:2])
    assert err.value.code == "GROUP_NAME_EXISTS"
    s.groups.update(g["groupId"], {"groupName": "Web2", "version": 1}, "tester")
    assert group(s, "web", ids[1:2])["groupName"] == "web"


def test_a_server_belongs_to_one_group_and_the_conflict_names_it():
    s, ids = fleet()
    first = group(s, "A", ids[:3])
    with pytest.raises(Conflict) as err:
        group(s, "B", ids[2:4])
    assert err.value.code == "SERVER_CONFLICT"
    assert err.value.details["conflicts"] == [{"groupId": first["groupId"], "groupName": "A", "serverIds": [ids[2]]}]
    s.groups.update(first["groupId"], {"sourceServerIds": ids[:2], "version": 1}, "tester")
    assert group(s, "B", ids[2:4])["sourceServerIds"] == ids[2:4]


def test_overlapping_tag_groups_are_refused_naming_the_shared_servers():
    s, ids = fleet()
    a = group(s, "dbs", tags={"Tier": "DB "})
    assert a["sourceServerIds"] == sorted(ids[:2]) and a["resolvedAt"] and a["selectionMode"] == "TAGS"
    with pytest.raises(Conflict) as err:
        group(s, "shop", tags={"App": "shop"})
    assert err.value.details["conflicts"][0]["serverIds"] == sorted(ids[:2])


def test_stale_version_is_refused_and_nothing_is_written():
    s, ids = fleet()
    g = group(s, "g", ids[:1])
    s.groups.update(g["groupId"], {"description": "one", "version": 1}, "tester")
    commits = s.db.commits
    with pytest.raises(Conflict) as err:
        s.groups.update(g["groupId"], {"description": "two", "version": 1}, "tester")
    assert err.value.code == "VERSION_CONFLICT" and s.db.commits == commits
    assert s.groups.get(g["groupId"])["description"] == "one"
    with pytest.raises(ValidationFailed):
        s.groups.update(g["groupId"], {"description": "three"}, "tester")


def test_group_used_by_a_plan_cannot_be_deleted_and_active_executions_block_changes():
    s, ids = fleet()
    g = group(s, "g", ids[:2])
    plan = s.plans.create({"planName": "P", "waves": [{"waveNumber": 1, "waveName": "w", "protectionGroupId":
                                                         g["groupId"]}]}, "tester")
    with pytest.raises(Conflict) as err:
        s.groups.delete(g["groupId"], "tester")
    assert err.value.code == "GROUP_IN_USE" and err.value.details["plans"][0]["planName"] == "P"
    s.drs.add(HUB, "us-west-2", server({}, server_id="s-000000000000west2"))
    with pytest.raises(Conflict) as err:  # a used group cannot move to another region
        s.groups.update(g["groupId"], {"region": "us-west-2", "sourceServerIds": ["s-000000000000west2"],
                                       "version": 1}, "tester")
    assert err.value.code == "GROUP_IN_USE" and "another account or region" in err.value.message
    s.executions.items.append({"executionId": "e1", "status": "RUNNING", "planId": plan["planId"],
                               "protectionGroupIds": [g["groupId"]]})
    with pytest.raises(Conflict) as err:
        s.groups.update(g["groupId"], {"description": "x", "version": 1}, "tester")
    assert err.value.code == "GROUP_IN_ACTIVE_EXECUTION"
    s.executions.items[0]["status"] = "PAUSED"
    assert s.groups.update(g["groupId"], {"description": "x", "version": 1}, "tester")["version"] == 2
    with pytest.raises(Conflict):
        s.plans.delete(plan["planId"], "tester")
    s.executions.items[0]["status"] = "COMPLETED"
    s.plans.delete(plan["planId"], "tester")
    s.groups.delete(g["groupId"], "tester")
    assert group(s, "g", ids[:2])["sourceServerIds"] == ids[:2]  # name and servers are free again


def test_plan_reports_every_problem_at_once():
    s, ids = fleet()
    a = group(s, "a", ids[:2])
    b = group(s, "b", ids[2:4])
    s.drs.add(HUB, "us-west-2", server({"x": "y"}, server_id="s-0000000000000west"))
    w = s.groups.create({"groupName": "w", "region": "us-west-2", "sourceServerIds": ["s-0000000000000west"]}, "t")
    waves = [
        {"waveNumber": 1, "waveName": "one", "protectionGroupIds": [a["groupId"]], "dependsOnWaves": [3]},
        {"waveNumber": 2, "waveName": "two", "protectionGroupIds": [a["groupId"], "nope"], "dependsOnWaves": [1]},
        {"waveNumber": 2, "waveName": "dup", "protectionGroupIds": [b["groupId"]]},
        {"waveNumber": 3, "waveName": "three", "protectionGroupIds": [w["groupId"]], "dependsOnWaves": [2, 9]},
    ]
    with pytest.raises(ValidationFailed) as err:
        s.plans.create({"planName": "bad", "waves": waves}, "t")
    codes = {d["code"] for d in err.value.details}
    assert {"UNKNOWN_GROUP", "DUPLICATE_WAVE_NUMBER", "MISSING_DEPENDENCY", "DEPENDENCY_CYCLE",
            "SERVER_IN_MULTIPLE_WAVES", "MIXED_REGIONS"} <= codes
    assert any("1 -> 2 -> 3 -> 1" in d["message"] or "cycle" in d["message"] for d in err.value.details)


def test_plan_stores_references_and_shows_servers_per_wave():
    s, ids = fleet()
    a = group(s, "a", ids[:2])
    b = group(s, "b", ids[2:3])
    plan = s.plans.create({"planName": "P", "waves": [
        {"waveNumber": 1, "waveName": "db", "protectionGroupId": a["groupId"]},
        {"waveNumber": 2, "waveName": "web", "protectionGroupIds": [b["groupId"]], "onServerFailure": "CONTINUE"}]},
        "t")
    stored = s.db.plans[plan["planId"]]
    assert "serverIds" not in stored["waves"][0] and stored["waves"][1]["dependsOnWaves"] == [1]
    assert [w["serverIds"] for w in plan["waves"]] == [ids[:2], ids[2:3]]
    s.groups.update(b["groupId"], {"sourceServerIds": ids[2:4], "version": 1}, "t")
    assert s.plans.get(plan["planId"])["waves"][1]["serverIds"] == ids[2:4]


def test_group_too_large():
    s = services()
    ids = s.drs.add(HUB, R, *[server({"Big": "yes"}) for _ in range(MAX_SERVERS_PER_GROUP + 1)])
    with pytest.raises(ValidationFailed) as err:
        group(s, "big", tags={"Big": "yes"})  # by tags: the resolved members are too many
    assert err.value.code == "GROUP_TOO_LARGE"
    assert len(ids) == MAX_SERVERS_PER_GROUP + 1


# hypothesis: the tag matcher as resolution applies it --------------------------------------------

tag_keys = st.sampled_from(["Env", "env", "Tier", " Tier", "App"])
tag_values = st.sampled_from(["prod", "PROD", " prod ", "dev", "web", "Web", ""])


def reference_match(tags: dict[str, str], selection: dict[str, str]) -> bool:
    stripped: dict[str, set[str]] = {}
    for k, v in tags.items():
        stripped.setdefault(k.strip(), set()).add(v.strip().casefold())
    return bool(selection) and all(v.strip().casefold() in stripped.get(k.strip(), set()) for k, v in selection.items())


@given(st.lists(st.dictionaries(tag_keys, tag_values, max_size=4), max_size=12),
       st.dictionaries(st.sampled_from(["Env", "Tier", "App"]), st.sampled_from(["prod", "Web", "dev"]),
                       min_size=1, max_size=3))
def test_tag_resolution_is_the_and_of_exact_keys_and_case_insensitive_values(server_tags, selection):
    s = services(Db(), FakeDrs())
    servers = [server(t) for t in server_tags]
    s.drs.add(HUB, R, *servers)
    preview = s.groups.preview({"region": R, "serverSelectionTags": selection})
    expected = sorted(x["sourceServerID"] for x in servers if reference_match(x["tags"], selection))
    assert preview["sourceServerIds"] == expected


# hypothesis: plan graphs as the plan service validates them --------------------------------------

def has_cycle(edges: dict[int, list[int]]) -> bool:
    indegree = {n: 0 for n in edges}
    for n, deps in edges.items():
        indegree[n] = len([d for d in deps if d in edges and d != n])
    ready = [n for n, d in indegree.items() if d == 0]
    seen = 0
    while ready:
        node = ready.pop()
        seen += 1
        for n, deps in edges.items():
            if node in deps and n != node:
                indegree[n] -= 1
                if indegree[n] == 0:
                    ready.append(n)
    return seen < len(edges)


@given(st.integers(min_value=1, max_value=6).flatmap(
    lambda n: st.lists(st.lists(st.integers(min_value=1, max_value=n), max_size=3), min_size=n, max_size=n)))
def test_plan_service_refuses_exactly_the_cyclic_graphs_and_names_a_cycle(deps):
    s, ids = fleet(n=6)
    groups = [group(s, f"g{i}", [ids[i]]) for i in range(len(deps))]
    edges = {i + 1: sorted({d for d in dep if d != i + 1}) for i, dep in enumerate(deps)}
    waves = [{"waveNumber": n, "waveName": f"w{n}", "protectionGroupIds": [groups[n - 1]["groupId"]],
              "dependsOnWaves": d} for n, d in edges.items()]
    # an empty list means "after the previous wave"
    edges = {n: d or ([n - 1] if n > 1 else []) for n, d in edges.items()}
    if has_cycle(edges):
        with pytest.raises(ValidationFailed) as err:
            s.plans.create({"planName": "p", "waves": waves}, "t")
        cycles = [d for d in err.value.details if d["code"] == "DEPENDENCY_CYCLE"]
        assert cycles
        for problem in cycles:
            found = re.search(r"(\d+(?: -> \d+)+)", problem["message"])
            assert found, problem
            path = [int(x) for x in found.group(1).split(" -> ")]
            assert path[0] == path[-1]
            for before, after in zip(path, path[1:], strict=False):
                assert before in edges[after]  # "a -> b": wave b depends on wave a
    else:
        plan = s.plans.create({"planName": "p", "waves": waves}, "t")
        assert [w["waveNumber"] for w in plan["waves"]] == sorted(edges)


def test_stale_guards_left_by_an_unfinished_release_are_purged_before_a_claim():
    s, ids = fleet()
    a = group(s, "a", ids[:2])
    # as if the release of ids[1] had not completed: a no longer holds it, its guard remains
    s.db.groups[a["groupId"]]["sourceServerIds"] = ids[:1]
    s.db.groups[a["groupId"]]["version"] = 2
    b = group(s, "b", ids[1:2])
    assert s.db.guards[f"group-server#{HUB}#{R}#{ids[1]}"].owner == b["groupId"]
    # an owner that is gone entirely (its name guard left behind) does not block the name either
    del s.db.groups[a["groupId"]]
    assert group(s, "A", ids[2:3])["groupName"] == "A"
    with pytest.raises(Conflict):  # live owners still do
        group(s, "c", ids[1:2])
