"""Background runs of a launch-settings apply over the in-memory store and AWS fakes: the order of
writes when a save meets a run that is applying (issue 15). The budgets are zero and the chunks two
servers, so every apply does exactly one chunk; runs are queued into a list and run one by one."""

from __future__ import annotations

import copy
import threading
from typing import Any

from launch_fakes import SG, SUBNET, World, make_world, server_ids

from drs_orch.domain.launch_config import config_hash
from drs_orch.domain.launch_rules import intended_config
from drs_orch.domain.models import ProtectionGroup
from drs_orch.services.launch_groups import GroupView

GROUP = {"subnetId": SUBNET, "securityGroupIds": [SG], "instanceType": "m5.large", "copyTags": True}


def _world() -> tuple[World, list[tuple[str, dict[str, str]]]]:
    world = make_world(after_save_budget_seconds=0.0, background_budget_seconds=0.0, chunk_servers=2,
                       background_chunk_servers=2, parallelism=1)
    return world, []


def _save(world: World, queued: list[tuple[str, dict[str, str]]], group_id: str, **changes: Any) -> dict[str, Any]:
    item = world.store.items[group_id]
    item.update(changes)
    item["version"] = int(item["version"]) + 1
    return world.service.apply_after_save(ProtectionGroup.from_item(copy.deepcopy(item)), "u",
                                          background=lambda gid, c: queued.append((gid, c)))


def _run_all(world: World, queued: list[tuple[str, dict[str, str]]]) -> list[dict[str, Any]]:
    answers = []
    while queued:
        gid, continuation = queued.pop(0)
        answers.append(world.service.continue_apply(gid, continuation, lambda g, c: queued.append((g, c))))
        assert len(answers) < 20, answers
    return answers


def test_runs_apply_chunk_after_chunk_until_no_server_is_pending() -> None:
    world, queued = _world()
    members = server_ids(7)
    first = world.service.apply_after_save(ProtectionGroup.from_item(world.group("pg-1", members, GROUP)), "u",
                                           background=lambda gid, c: queued.append((gid, c)))
    assert first["status"] == "applying" and first["background"]["pendingServers"] == 5
    assert queued == [("pg-1", {"applyId": first["background"]["applyId"],
                                "settingsHash": first["background"]["settingsHash"]})]
    answers = _run_all(world, queued)
    assert [a["appliedServers"] for a in answers] == [2, 2, 1]
    assert [a["status"] for a in answers] == ["applying", "applying", "ready"]
    assert world.status("pg-1")["status"] == "ready" and "background" not in world.status("pg-1")


def test_a_save_during_a_run_takes_over_applies_nothing_itself_and_its_run_starts_after_the_old_one() -> None:
    world, queued = _world()
    members = server_ids(6)
    first = world.service.apply_after_save(ProtectionGroup.from_item(world.group("pg-1", members, GROUP)), "u",
                                           background=lambda gid, c: queued.append((gid, c)))
    newer = {**GROUP, "instanceType": "c5.xlarge"}
    taken: dict[str, Any] = {}

    def save_while_the_run_applies(_: str) -> None:
        lease = (world.status("pg-1").get("background") or {}).get("leaseUntil")
        if taken or not lease:
            return
        taken["writes"] = world.aws.writes()
        taken["answer"] = _save(world, queued, "pg-1", launchConfig=newer)
        taken["writes_after"] = world.aws.writes()

    world.store.before_get.append(save_while_the_run_applies)
    stale = world.service.continue_apply("pg-1", queued.pop(0)[1], lambda g, c: queued.append((g, c)))
    world.store.before_get.clear()
    answer = taken["answer"]
    assert answer["status"] == "applying" and answer["background"]["applyId"] != first["background"]["applyId"]
    assert taken["writes_after"] == taken["writes"]  # the save wrote nothing to DRS or EC2 while the run held it
    assert stale["stopped"] == "SUPERSEDED"  # the old run recorded nothing ...
    status = world.status("pg-1")
    assert status["background"]["applyId"] == answer["background"]["applyId"]
    assert "leaseUntil" not in status["background"]  # ... and said it has ended
    assert "the previous run has ended" in status["background"]["waitingFor"]

    slept = len(world.clock.slept)
    _run_all(world, queued)
    assert len(world.clock.slept) == slept  # the new run did not wait for the old lease to expire
    status = world.status("pg-1")
    assert status["status"] == "ready"
    view = GroupView.of(ProtectionGroup.from_item(world.store.items["pg-1"]))
    want = config_hash(intended_config(view.settings.group, None))
    assert {c["configHash"] for c in status["serverConfigs"].values()} == {want}
    assert {world.aws.default_data(s)["InstanceType"] for s in members} == {"c5.xlarge"}


def test_a_run_that_ends_while_a_save_takes_over_removes_its_lease_from_the_new_apply() -> None:
    """The save's takeover and the old run's end interleave: the old run settles (refused) and
    ends right after the save's first status write. The new run must not wait out the lease."""
    world, queued = _world()
    world.service.apply_after_save(ProtectionGroup.from_item(world.group("pg-1", server_ids(6), GROUP)), "u",
                                   background=lambda gid, c: queued.append((gid, c)))
    old_run_blocked, save_wrote = threading.Event(), threading.Event()
    ended: dict[str, Any] = {}

    def hold_the_old_run(_: str) -> None:
        if threading.current_thread() is old_run and (world.status("pg-1").get("background") or {}).get("leaseUntil"):
            old_run_blocked.set()
            assert save_wrote.wait(10)

    def end_the_old_run_after_the_first_write(_: str) -> None:
        if threading.current_thread() is not old_run and old_run_blocked.is_set() and not save_wrote.is_set():
            save_wrote.set()
            old_run.join(10)

    continuation = queued.pop(0)[1]
    old_run = threading.Thread(target=lambda: ended.update(world.service.continue_apply(
        "pg-1", continuation, lambda g, c: queued.append((g, c)))))
    world.store.before_get.append(hold_the_old_run)
    world.store.after_write.append(end_the_old_run_after_the_first_write)
    old_run.start()
    assert old_run_blocked.wait(10)
    answer = _save(world, queued, "pg-1", launchConfig={**GROUP, "instanceType": "c5.xlarge"})
    world.store.before_get.clear()
    world.store.after_write.clear()
    assert not old_run.is_alive() and ended["stopped"] == "SUPERSEDED", ended
    status = world.status("pg-1")
    assert status["background"]["applyId"] == answer["background"]["applyId"]
    assert "leaseUntil" not in status["background"], status["background"]

    slept = len(world.clock.slept)
    _run_all(world, queued)
    assert len(world.clock.slept) == slept  # the new run did not wait for the old lease
    assert world.status("pg-1")["status"] == "ready"


def test_a_run_stops_when_the_settings_changed_without_a_save_taking_over() -> None:
    world, queued = _world()
    world.service.apply_after_save(ProtectionGroup.from_item(world.group("pg-1", server_ids(5), GROUP)), "u",
                                   background=lambda gid, c: queued.append((gid, c)))
    world.store.items["pg-1"]["launchConfig"] = {**GROUP, "copyTags": False}
    writes = world.aws.writes()
    out = world.service.continue_apply("pg-1", queued.pop(0)[1], lambda g, c: queued.append((g, c)))
    assert out["stopped"] == "SETTINGS_CHANGED" and queued == [] and world.aws.writes() == writes
    status = world.status("pg-1")
    assert status["status"] == "pending" and "apply again" in status["errors"][0]


def test_a_run_of_an_apply_taken_over_stops_and_writes_nothing() -> None:
    world, queued = _world()
    world.service.apply_after_save(ProtectionGroup.from_item(world.group("pg-1", server_ids(5), GROUP)), "u",
                                   background=lambda gid, c: queued.append((gid, c)))
    old = queued.pop(0)[1]
    _save(world, queued, "pg-1", launchConfig={**GROUP, "instanceType": "c5.xlarge"})
    before = world.status("pg-1")
    out = world.service.continue_apply("pg-1", old, lambda g, c: queued.append((g, c)))
    assert out["stopped"] == "SUPERSEDED" and world.status("pg-1") == before and len(queued) == 1


def test_a_run_queued_behind_a_run_still_applying_waits_then_queues_itself_again() -> None:
    world, queued = _world()
    world.service.apply_after_save(ProtectionGroup.from_item(world.group("pg-1", server_ids(6), GROUP)), "u",
                                   background=lambda gid, c: queued.append((gid, c)))
    seen: dict[str, Any] = {}

    def save_and_run_while_the_old_run_applies(_: str) -> None:
        if seen or not (world.status("pg-1").get("background") or {}).get("leaseUntil"):
            return
        seen["started"] = True
        seen["save"] = _save(world, queued, "pg-1", launchConfig={**GROUP, "instanceType": "c5.xlarge"})
        gid, continuation = queued.pop()
        writes = world.aws.writes()
        seen["run"] = world.service.continue_apply(gid, continuation, lambda g, c: queued.append((g, c)))
        seen["wrote"] = world.aws.writes() - writes
        seen["requeued"] = list(queued)

    world.store.before_get.append(save_and_run_while_the_old_run_applies)
    world.service.continue_apply("pg-1", queued.pop(0)[1], lambda g, c: queued.append((g, c)))
    world.store.before_get.clear()
    assert seen["run"]["stopped"] == "REQUEUED" and seen["wrote"] == 0
    assert 60 <= sum(world.clock.slept) <= 62
    assert seen["requeued"] == [("pg-1", {"applyId": seen["save"]["background"]["applyId"],
                                          "settingsHash": seen["save"]["background"]["settingsHash"]})]
    _run_all(world, queued)
    assert world.status("pg-1")["status"] == "ready"


def test_a_run_that_cannot_be_queued_leaves_the_group_pending_with_why_whatever_the_error() -> None:
    from drs_orch.domain.errors import UpstreamError

    for error, said in ((UpstreamError("denied", code="DISPATCH_FAILED"), "(denied)"),
                        (RuntimeError("boom"), "(internal error)")):
        world, _ = _world()

        def refuse(gid: str, continuation: dict[str, str], error: Exception = error) -> None:
            raise error

        out = world.service.apply_after_save(ProtectionGroup.from_item(world.group("pg-1", server_ids(5), GROUP)),
                                             "u", background=refuse)
        assert out["status"] == "pending" and "background" not in out, out
        assert any(said in e and "apply again" in e for e in out["errors"]), out["errors"]
        assert world.status("pg-1")["status"] == "pending"
