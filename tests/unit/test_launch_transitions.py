"""Seed 004 Properties 11 and 4: whatever sequence of saves, edits, re-applies, failures, budget
overruns, drift and wave starts happens, every persisted launchConfigStatus is valid and every change
between two persisted statuses is an allowed transition."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st
from launch_fakes import GROUP_SETTINGS, SG_B, World, make_world, server_ids

from drs_orch.domain.errors import Conflict, UpstreamError, ValidationFailed
from drs_orch.domain.launch_config import LaunchConfigStatus
from drs_orch.domain.statuses import LaunchConfigState, is_allowed

OPS = ["save", "force", "apply", "edit", "fail_next", "slow", "wave", "drift", "clear", "restore", "status"]


def run(world: World, members: list[str], op: str, pick: int) -> None:
    svc = world.service
    sid = members[pick % len(members)]
    world.clock.tick = 0.0
    if op == "save":
        svc.apply_after_save(world.store.get("pg-1"), "u")
    elif op == "force":
        svc.apply_group("pg-1", "u", force=True)
    elif op == "apply":
        svc.apply_group("pg-1", "u")
    elif op == "edit":
        svc.put_server_config("pg-1", sid, {"copyTags": bool(pick % 2)}, "u")
    elif op == "fail_next":
        world.aws.fail("drs:UpdateLaunchConfiguration", sid, ValidationFailed("refused", code="AWS_REFUSED"))
    elif op == "slow":
        world.clock.tick = 4.0
        svc.apply_group("pg-1", "u", force=True)
    elif op == "wave":
        with contextlib.suppress(UpstreamError):
            svc.prepare_wave(["pg-1"], members, "engine")
    elif op == "drift":
        data = world.aws.default_data(sid)
        data.setdefault("NetworkInterfaces", [{"DeviceIndex": 0}])[0]["Groups"] = [SG_B]
        world.aws.set_template_out_of_band(sid, data)
    elif op == "clear":
        world.store.items["pg-1"]["launchConfig"] = None
        world.store.items["pg-1"]["servers"] = {}
        svc.apply_after_save(world.store.get("pg-1"), "u")
    elif op == "restore":
        world.store.items["pg-1"]["launchConfig"] = dict(GROUP_SETTINGS)
        svc.apply_after_save(world.store.get("pg-1"), "u")
    else:
        svc.get_status("pg-1", check_drift=bool(pick % 2))


@settings(max_examples=40)
@given(st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 7)), min_size=1, max_size=12))
def test_property_11_every_persisted_change_is_an_allowed_transition(ops: list[tuple[str, int]]) -> None:
    """Feature: launch-config-preapplication, Property 11."""
    world = make_world(save_budget_seconds=10.0)
    members = server_ids(4)
    world.group("pg-1", members, dict(GROUP_SETTINGS))
    for op, pick in ops:
        with contextlib.suppress(Conflict):
            run(world, members, op, pick)
    previous = LaunchConfigState.NOT_CONFIGURED
    for _, record in world.store.status_writes:
        status = LaunchConfigStatus.model_validate(record)
        assert is_allowed(LaunchConfigState, previous, status.status), (previous, status.status)
        # Property 4: a status other than not_configured carries a valid lastApplied
        assert status.status is LaunchConfigState.NOT_CONFIGURED or status.last_applied
        previous = status.status
    final = world.store.items["pg-1"].get("launchConfigStatus")
    if final:
        assert final["status"] != "applying"  # every apply settles its status
