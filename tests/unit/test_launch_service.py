"""LaunchSettingsService over in-memory DRS/EC2 and store (tests/unit/launch_fakes.py): seed 004
Properties 1, 2, 3, 5, 6, 7, 8 and 9, budgets, throttling and concurrency."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from launch_fakes import SG, SG_B, SG_OTHER_VPC, SUBNET, SUBNET_B, World, make_world, server_ids

from drs_orch.domain.errors import Conflict, UpstreamError, ValidationFailed
from drs_orch.domain.launch_config import LaunchConfig, ServerLaunchOverride, config_hash, from_observed
from drs_orch.domain.launch_rules import AddressUse, intended_config, observed_hash
from drs_orch.domain.models import ProtectionGroup
from drs_orch.services.launch_groups import DriftCheck, LaunchOptions

GROUP = {"subnetId": SUBNET, "securityGroupIds": [SG], "instanceType": "m5.large", "copyTags": True,
         "launchDisposition": "STOPPED", "licensing": {"osByol": False}}


def held_hash(world: World, group_id: str, server_id: str) -> str:
    """The hash of what the fake DRS and EC2 hold for a server, read back through the merge."""
    item = world.store.items[group_id]
    cfg = intended_config(LaunchConfig.model_validate(item.get("launchConfig") or {}),
                          ServerLaunchOverride.model_validate(item["servers"][server_id])
                          if server_id in (item.get("servers") or {}) else None)
    observed = from_observed(world.aws.drs[server_id], world.aws.default_data(server_id))
    return observed_hash(cfg, observed)


def intended_hash(world: World, group_id: str, server_id: str) -> str:
    item = world.store.items[group_id]
    raw = (item.get("servers") or {}).get(server_id)
    return config_hash(intended_config(LaunchConfig.model_validate(item.get("launchConfig") or {}),
                                       ServerLaunchOverride.model_validate(raw) if raw else None))


# Property 1 -------------------------------------------------------------------------------------


@given(st.integers(1, 6), st.sets(st.integers(0, 5)), st.booleans())
def test_property_1_every_server_applied_and_status_persisted(n: int, with_ip: set[int], stopped: bool) -> None:
    """Feature: launch-config-preapplication, Property 1: after a save every server's settings are
    in DRS and EC2 and the status is persisted for every server."""
    world = make_world()
    members = server_ids(n)
    overrides = {members[i]: {"staticPrivateIp": f"10.0.1.{10 + i}"} for i in with_ip if i < n}
    config = {**GROUP, "launchDisposition": "STOPPED" if stopped else "STARTED"}
    group = world.group("pg-1", members, config, overrides)
    status = world.service.apply_after_save(ProtectionGroup.from_item(group), "alice")
    assert status["status"] == "ready" and status["appliedBy"] == "alice" and status["lastApplied"]
    assert set(status["serverConfigs"]) == set(members)
    assert world.status("pg-1")["serverConfigs"].keys() == set(members)
    for sid in members:
        entry = status["serverConfigs"][sid]
        assert entry["status"] == "ready" and entry["configHash"] == intended_hash(world, "pg-1", sid)
        assert held_hash(world, "pg-1", sid) == entry["configHash"]
        nic = world.aws.default_data(sid)["NetworkInterfaces"][0]
        assert nic["AssociatePublicIpAddress"] is False  # carried forward
        assert nic.get("PrivateIpAddress") == overrides.get(sid, {}).get("staticPrivateIp")
        assert world.aws.drs[sid]["targetInstanceTypeRightSizingMethod"] == "NONE"


def test_unchanged_servers_are_not_reapplied() -> None:
    world = make_world()
    members = server_ids(4)
    group = world.group("pg-1", members, GROUP)
    world.service.apply_after_save(ProtectionGroup.from_item(group), "a")
    world.aws.calls.clear()
    out = world.service.apply_after_save(world.store.get("pg-1"), "a")
    assert out["status"] == "ready" and world.aws.writes() == 0 and not world.aws.calls
    world.store.items["pg-1"]["servers"] = {members[2]: {"instanceType": "c5.xlarge"}}
    world.service.apply_after_save(world.store.get("pg-1"), "a")
    assert world.aws.calls["drs:UpdateLaunchConfiguration"] == 1
    assert world.aws.calls["ec2:CreateLaunchTemplateVersion"] == 1
    assert world.aws.default_data(members[2])["InstanceType"] == "c5.xlarge"


# Property 2 -------------------------------------------------------------------------------------

BAD = [
    ({"subnetId": "subnet-000000ff"}, "servers.{sid}.subnetId", "does not exist"),
    ({"securityGroupIds": [SG_OTHER_VPC]}, "servers.{sid}.securityGroupIds", "not in the VPC"),
    ({"instanceType": "zz.huge"}, "servers.{sid}.instanceType", "not offered"),
    ({"instanceProfileName": "missing"}, "servers.{sid}.instanceProfileName", "does not exist"),
    ({"staticPrivateIp": "10.0.9.5"}, "servers.{sid}.staticPrivateIp", "not inside the subnet"),
    ({"staticPrivateIp": "10.0.1.3"}, "servers.{sid}.staticPrivateIp", "reserved"),
    ({"staticPrivateIp": "10.0.1.255"}, "servers.{sid}.staticPrivateIp", "reserved"),
    ({"staticPrivateIp": "10.0.1.77"}, "servers.{sid}.staticPrivateIp", "in use by network interface"),
    ({"staticPrivateIp": "10.0.1.20", "copyPrivateIp": True}, "servers.{sid}", "copyPrivateIp must be false"),
    ({"staticPrivateIp": "300.1.1.1"}, "servers.{sid}", "valid IPv4"),
    ({"subnetID": SUBNET}, "servers.{sid}", "subnetID"),
    ({"instanceType": "m5.large", "targetInstanceTypeRightSizingMethod": "BASIC"}, "servers.{sid}", "overwritten"),
]


@given(st.lists(st.sampled_from(range(len(BAD))), min_size=1, max_size=3, unique=True))
def test_property_2_invalid_settings_rejected_before_anything_is_written(picks: list[int]) -> None:
    """Feature: launch-config-preapplication, Property 2: invalid settings are refused with every
    problem per server, and neither DynamoDB nor DRS/EC2 is written."""
    world = make_world()
    world.aws.enis[(SUBNET, "10.0.1.77")] = AddressUse("eni-1", "i-1", "")
    members = server_ids(len(picks))
    world.group("pg-1", members, GROUP)
    before = world.store.get("pg-1")
    changes = {members[i]: BAD[p][0] for i, p in enumerate(picks)}
    with pytest.raises(ValidationFailed) as err:
        world.service.bulk_update("pg-1", {"servers": changes}, "bob")
    details = err.value.details
    for i, p in enumerate(picks):
        field, message = BAD[p][1].format(sid=members[i]), BAD[p][2]
        assert any(d["field"].startswith(field) and message in d["message"] for d in details), (field, details)
    assert world.store.get("pg-1") == before and not world.store.status_writes and world.aws.writes() == 0


def test_duplicate_static_ip_and_group_level_problem_reported_once() -> None:
    world = make_world()
    members = server_ids(3)
    group = world.group("pg-1", members, {**GROUP, "securityGroupIds": [SG_OTHER_VPC]},
                        {members[0]: {"staticPrivateIp": "10.0.1.10"}, members[1]: {"staticPrivateIp": "10.0.1.10"}})
    with pytest.raises(ValidationFailed) as err:
        world.service.validate(ProtectionGroup.from_item(group))
    details = err.value.details
    vpc = [d for d in details if "not in the VPC" in d["message"]]
    assert [d["field"] for d in vpc] == ["launchConfig.securityGroupIds"]
    assert {d["field"] for d in details if "also given" in d["message"]} == {f"servers.{members[0]}",
                                                                             f"servers.{members[1]}"}


def test_validate_ip_reports_each_problem() -> None:
    world = make_world()
    world.aws.enis[(SUBNET, "10.0.1.77")] = AddressUse("eni-1", "i-1", "")
    members = server_ids(2)
    world.group("pg-1", members, GROUP, {members[1]: {"staticPrivateIp": "10.0.1.50"}})
    ok = world.service.validate_ip("pg-1", members[0], {"staticPrivateIp": "10.0.1.40"})
    assert ok["valid"] and ok["cidr"] == "10.0.1.0/24" and ok["subnetId"] == SUBNET
    assert "in use" in world.service.validate_ip("pg-1", members[0], {"ip": "10.0.1.77"})["problems"][0]
    assert "server " + members[1] in world.service.validate_ip("pg-1", members[0], {"ip": "10.0.1.50"})["problems"][0]
    other = world.service.validate_ip("pg-1", members[0], {"ip": "10.0.2.9", "subnetId": SUBNET_B})
    assert other["valid"] and other["cidr"] == "10.0.2.0/24"
    assert not world.service.validate_ip("pg-1", members[0], {"ip": "nonsense"})["valid"]


# Properties 3, 7, 8 -------------------------------------------------------------------------


def ready_world(n: int = 5, overrides: dict[int, dict[str, Any]] | None = None,
                **options: Any) -> tuple[World, list[str]]:
    world = make_world(**options)
    members = server_ids(n)
    servers = {members[i]: o for i, o in (overrides or {}).items()}
    world.service.apply_after_save(ProtectionGroup.from_item(world.group("pg-1", members, GROUP, servers)), "a")
    world.aws.calls.clear()
    return world, members


def test_property_3_fast_path_writes_nothing() -> None:
    """Feature: launch-config-preapplication, Property 3: a ready group starts without any DRS
    UpdateLaunchConfiguration or launch-template write."""
    world, members = ready_world(12, {3: {"staticPrivateIp": "10.0.1.30"}})
    out = world.service.prepare_wave(["pg-1"], members, "engine")
    assert out["path"] == "FAST" and out["applied"] == [] and world.aws.writes() == 0
    # default cost (full drift check): one DRS read per server; one account-wide template listing
    assert out["calls"] == {"drs:GetLaunchConfiguration": 12, "ec2:DescribeLaunchTemplateVersions": 1}
    world.service.options = LaunchOptions(drift_check=DriftCheck.TEMPLATES)
    out = world.service.prepare_wave(["pg-1"], members, "engine")
    assert out["path"] == "FAST" and world.aws.writes() == 0
    assert out["calls"] == {"ec2:DescribeLaunchTemplateVersions": 1}


def test_fast_path_cost_with_drift_check_off_and_templates_only() -> None:
    world, members = ready_world(3)
    world.service.options = LaunchOptions(drift_check=DriftCheck.OFF)
    assert world.service.prepare_wave(["pg-1"], members, "e")["calls"] == {}
    world.service.options = LaunchOptions(drift_check=DriftCheck.TEMPLATES)
    out = world.service.prepare_wave(["pg-1"], members, "e")
    assert out["path"] == "FAST" and out["calls"] == {"ec2:DescribeLaunchTemplateVersions": 3}


def test_wave_without_settings_takes_path_none() -> None:
    world = make_world()
    members = server_ids(2)
    world.group("pg-1", members, None)
    out = world.service.prepare_wave(["pg-1"], members, "e")
    assert out["path"] == "NONE" and not world.aws.calls


@pytest.mark.parametrize("how", ["never applied", "failed", "changed"])
def test_property_7_fallback_applies_what_is_not_ready(how: str) -> None:
    """Feature: launch-config-preapplication, Property 7: not ready -> applied before the start."""
    world = make_world()
    members = server_ids(4)
    group = world.group("pg-1", members, GROUP)
    if how != "never applied":
        if how == "failed":
            world.aws.fail("drs:UpdateLaunchConfiguration", members[1], ValidationFailed("DRS said no", code="AWS_REFUSED"))
        world.service.apply_after_save(ProtectionGroup.from_item(group), "a")
        if how == "changed":
            world.store.items["pg-1"]["servers"] = {members[1]: {"instanceType": "c5.xlarge"}}
    out = world.service.prepare_wave(["pg-1"], members, "engine")
    assert out["path"] == "FALLBACK"
    assert out["applied"] == (sorted(members) if how == "never applied" else [members[1]])
    assert world.status("pg-1")["status"] == "ready"
    assert all(held_hash(world, "pg-1", s) == intended_hash(world, "pg-1", s) for s in members)


@given(st.sets(st.integers(0, 7), min_size=1), st.booleans())
def test_property_8_exactly_the_drifted_servers_are_repaired(drifted: set[int], drs_side: bool) -> None:
    """Feature: launch-config-preapplication, Property 8: out-of-band changes are detected and
    re-applied, for exactly those servers; overrides (static IPs) stay."""
    world, members = ready_world(8, {0: {"staticPrivateIp": "10.0.1.40"}, 5: {"staticPrivateIp": "10.0.1.45"}},
                                 drift_check=DriftCheck.FULL)
    for i in drifted:
        sid = members[i]
        if drs_side and i % 2:
            world.aws.drs[sid]["copyTags"] = False
        else:
            data = world.aws.default_data(sid)
            data["NetworkInterfaces"][0]["Groups"] = [SG_B]
            data["InstanceType"] = "t3.micro"
            world.aws.set_template_out_of_band(sid, data)
    out = world.service.prepare_wave(["pg-1"], members, "engine")
    assert out["path"] == "FALLBACK" and out["applied"] == sorted(members[i] for i in drifted)
    assert all(held_hash(world, "pg-1", s) == intended_hash(world, "pg-1", s) for s in members)
    assert world.aws.default_data(members[0])["NetworkInterfaces"][0]["PrivateIpAddress"] == "10.0.1.40"
    assert world.aws.default_data(members[5])["NetworkInterfaces"][0]["PrivateIpAddress"] == "10.0.1.45"
    world.aws.calls.clear()
    assert world.service.prepare_wave(["pg-1"], members, "engine")["path"] == "FAST" and world.aws.writes() == 0


def test_templates_wave_check_reads_templates_only() -> None:
    world, members = ready_world(3)
    world.service.options = LaunchOptions(drift_check=DriftCheck.TEMPLATES)
    world.aws.drs[members[0]]["copyTags"] = False  # not seen at wave start without DRS reads
    data = world.aws.default_data(members[1])
    data["InstanceType"] = "t3.micro"
    world.aws.set_template_out_of_band(members[1], data)
    out = world.service.prepare_wave(["pg-1"], members, "engine")
    assert out["path"] == "FALLBACK" and out["applied"] == [members[1]]
    assert world.aws.calls["drs:GetLaunchConfiguration"] == 0
    assert world.service.apply_group("pg-1", "a")["applied"] == [members[0]]


def test_default_wave_check_catches_a_drs_side_change() -> None:
    """Issue 15: a console change of a DRS launch setting (as a new user would make it) is caught at
    wave start by default and re-applied before the launch."""
    world, members = ready_world(3)
    world.aws.drs[members[0]]["copyTags"] = False
    out = world.service.prepare_wave(["pg-1"], members, "engine")
    assert out["path"] == "FALLBACK" and out["applied"] == [members[0]]
    assert world.aws.calls["drs:GetLaunchConfiguration"] >= 3


def test_status_view_reports_drift_without_repairing() -> None:
    world, members = ready_world(3)
    world.aws.drs[members[2]]["launchDisposition"] = "STARTED"
    body = world.service.get_status("pg-1", check_drift=True)
    assert body["driftedServers"] == {members[2]: ["launchDisposition"]} and world.aws.writes() == 0
    applied = world.service.apply_group("pg-1", "a")
    assert applied["applied"] == [members[2]] and applied["skipped"] == sorted(members[:2])


def test_fallback_failure_raises_with_details() -> None:
    world = make_world()
    members = server_ids(3)
    world.group("pg-1", members, GROUP)
    world.aws.fail("drs:UpdateLaunchConfiguration", members[0], ValidationFailed("refused", code="AWS_REFUSED"))
    with pytest.raises(UpstreamError) as err:
        world.service.prepare_wave(["pg-1"], members, "engine")
    assert err.value.code == "LAUNCH_SETTINGS_NOT_APPLIED"
    assert list(err.value.details["failed"]) == [members[0]] and err.value.details["path"] == "FALLBACK"
    assert sorted(err.value.details["applied"]) == sorted(members[1:])


# Properties 5, 6 ------------------------------------------------------------------------------


def test_property_5_and_6_forced_reapply_covers_all_and_reports_failures() -> None:
    """Feature: launch-config-preapplication, Properties 5 and 6: a forced re-apply writes every
    server; the status is ready only if all succeeded and names every failure."""
    world, members = ready_world(5)
    out = world.service.apply_group("pg-1", "a", force=True)
    assert out["status"] == "ready" and out["appliedServers"] == 5
    assert world.aws.calls["ec2:CreateLaunchTemplateVersion"] == 5
    world.aws.fail("ec2:CreateLaunchTemplateVersion", None, ValidationFailed("bad data", code="AWS_REFUSED"))
    world.aws.fail("drs:UpdateLaunchConfiguration", members[4], UpstreamError("boom", code="AWS_ERROR"))
    out = world.service.apply_group("pg-1", "a", force=True)
    assert out["status"] == "partial" and out["failedServers"] == 2 and out["appliedServers"] == 3
    assert any(members[4] in e and "boom" in e for e in out["errors"])
    failed = [s for s, c in out["serverConfigs"].items() if c["status"] == "failed"]
    assert len(failed) == 2 and all(out["serverConfigs"][s]["errors"] for s in failed)


def test_unreachable_account_fails_the_status_but_not_the_save() -> None:
    world = make_world()
    world.accounts.unreachable.add("111111111111")
    status = world.service.apply_after_save(ProtectionGroup.from_item(world.group("pg-1", server_ids(2), GROUP)), "a")
    assert status["status"] == "failed" and "cannot assume" in status["errors"][0]


# Throttling and budget ----------------------------------------------------------------------------


def test_throttling_backs_off_and_retries() -> None:
    world = make_world()
    members = server_ids(2)
    throttle = [UpstreamError("slow down", code="THROTTLED") for _ in range(3)]
    world.aws.fail("drs:UpdateLaunchConfiguration", members[0], *throttle)
    status = world.service.apply_after_save(ProtectionGroup.from_item(world.group("pg-1", members, GROUP)), "a")
    assert status["status"] == "ready" and len(world.clock.slept) == 3
    assert world.clock.slept[2] > world.clock.slept[0]
    template_id = world.aws.drs[members[1]]["ec2LaunchTemplateID"]
    world.aws.fail("ec2:ModifyLaunchTemplate", template_id, *[UpstreamError("x", code="THROTTLED") for _ in range(9)])
    out = world.service.apply_group("pg-1", "a", force=True)
    assert out["failed"] == [members[1]] and out["status"] == "partial"


def test_time_budget_leaves_the_rest_pending_and_the_next_apply_continues() -> None:
    world = make_world(parallelism=1, save_budget_seconds=10.0, after_save_budget_seconds=10.0, chunk_servers=5)
    world.clock.tick = 1.0  # every AWS call takes one second: the first chunk of 5 outlasts the budget
    members = server_ids(15)
    status = world.service.apply_after_save(ProtectionGroup.from_item(world.group("pg-1", members, GROUP)), "a")
    pending = [s for s, c in status["serverConfigs"].items() if c["status"] == "pending"]
    assert status["status"] == "pending" and 0 < len(pending) < 15
    assert all("time budget" in status["serverConfigs"][s]["errors"][0] for s in pending)
    world.aws.calls.clear()
    out = world.service.apply_group("pg-1", "a")
    assert out["applied"] == sorted(pending) or out["status"] == "pending"
    while out["status"] == "pending":
        out = world.service.apply_group("pg-1", "a")
    assert out["status"] == "ready"


# Property 9 and concurrency ---------------------------------------------------------------------


def test_property_9_status_written_whole_and_only_by_its_holder() -> None:
    """Feature: launch-config-preapplication, Property 9: every status write carries status,
    lastApplied (when settled) and serverConfigs together; a writer that lost the status writes
    nothing."""
    world = make_world()
    members = server_ids(3)
    group = world.group("pg-1", members, GROUP)

    def intruder(group_id: str) -> None:
        if world.store.status_writes and world.store.status_writes[-1][1]["status"] == "applying":
            world.store.items[group_id]["launchConfigStatus"] = {"status": "failed", "revision": 99,
                                                                 "lastApplied": "2025-01-01T00:00:00.000Z",
                                                                 "serverConfigs": {}, "errors": ["other"]}
            world.store.before_get.clear()

    world.store.before_get.append(intruder)
    world.service.apply_after_save(ProtectionGroup.from_item(group), "a")
    assert world.status("pg-1")["errors"] == ["other"] and world.status("pg-1")["revision"] == 99
    for _, record in world.store.status_writes:
        assert {"status", "serverConfigs", "errors", "revision"} <= set(record)
        if record["status"] in ("ready", "partial", "failed"):
            assert record["lastApplied"]


def test_a_second_apply_is_refused_while_one_runs_and_a_stale_one_is_taken_over() -> None:
    world = make_world()
    members = server_ids(2)
    group = world.group("pg-1", members, GROUP)
    world.store.items["pg-1"]["launchConfigStatus"] = {
        "status": "applying", "revision": 4, "applyStartedAt": "2025-01-01T00:00:00.000Z",
        "serverConfigs": {members[0]: {"status": "applying"}}, "errors": []}
    with pytest.raises(Conflict) as err:
        world.service.apply_group("pg-1", "a")
    assert err.value.code == "APPLY_IN_PROGRESS"
    status = world.service.apply_after_save(ProtectionGroup.from_item(group), "a")
    assert status["status"] == "applying" and "being applied" in status["errors"][-1]
    world.clock.advance(3600)
    assert world.service.apply_group("pg-1", "a")["status"] == "ready"
    assert [r["status"] for _, r in world.store.status_writes] == ["pending", "applying", "ready"]


def test_edit_while_applying_leaves_the_server_pending() -> None:
    world = make_world()
    members = server_ids(3)
    group = world.group("pg-1", members, GROUP)

    def edit(group_id: str) -> None:
        if world.store.status_writes:
            world.store.items[group_id]["servers"] = {members[1]: {"copyTags": False}}
            world.store.before_get.clear()

    world.store.before_get.append(edit)
    status = world.service.apply_after_save(ProtectionGroup.from_item(group), "a")
    assert status["status"] == "pending" and status["serverConfigs"][members[1]]["status"] == "pending"
    assert world.service.apply_group("pg-1", "a")["applied"] == [members[1]]


# Overrides -----------------------------------------------------------------------------------------


def test_override_put_get_delete_and_version_conflict() -> None:
    world = make_world()
    members = server_ids(2)
    world.group("pg-1", members, GROUP)
    out = world.service.put_server_config("pg-1", members[0], {"staticPrivateIp": "10.0.1.25", "version": 1}, "a")
    assert out["version"] == 2 and out["effectiveConfig"]["staticPrivateIp"] == "10.0.1.25"
    assert out["effectiveConfig"]["copyPrivateIp"] is False and out["upToDate"] and out["status"]["status"] == "ready"
    assert world.aws.default_data(members[0])["NetworkInterfaces"][0]["PrivateIpAddress"] == "10.0.1.25"
    with pytest.raises(Conflict):
        world.service.put_server_config("pg-1", members[0], {"copyTags": False, "version": 1}, "a")
    with pytest.raises(ValidationFailed):
        world.service.put_server_config("pg-1", members[0], {"subnetID": SUBNET}, "a")
    got = world.service.get_server_config("pg-1", members[0])
    assert got["override"] == {"useGroupDefaults": True, "staticPrivateIp": "10.0.1.25"}
    removed = world.service.delete_server_config("pg-1", members[0], "a")
    assert removed["override"] is None and removed["upToDate"]
    assert "PrivateIpAddress" not in world.aws.default_data(members[0])["NetworkInterfaces"][0]
    from drs_orch.domain.errors import NotFound

    with pytest.raises(NotFound):
        world.service.delete_server_config("pg-1", members[0], "a")
    with pytest.raises(NotFound):
        world.service.get_server_config("pg-1", "s-ffffffffffffffff0")


def test_use_group_defaults_false_replaces_the_group_settings() -> None:
    world = make_world()
    members = server_ids(1)
    world.group("pg-1", members, GROUP)
    out = world.service.put_server_config("pg-1", members[0], {"useGroupDefaults": False, "copyTags": False}, "a")
    assert out["effectiveConfig"] == {"copyTags": False}
    assert world.aws.drs[members[0]]["copyTags"] is False


def test_edits_and_applies_refused_while_the_guard_says_so() -> None:
    busy: set[str] = set()

    def guard(group_id: str) -> None:
        if group_id in busy:
            raise Conflict("in use by an active execution", code="GROUP_IN_ACTIVE_EXECUTION")

    world = make_world(edit_guard=guard)
    members = server_ids(2)
    world.service.apply_after_save(ProtectionGroup.from_item(world.group("pg-1", members, GROUP)), "a")
    busy.add("pg-1")
    before = world.store.get("pg-1")
    writes = len(world.store.status_writes)
    for call in (lambda: world.service.put_server_config("pg-1", members[0], {"copyTags": False}, "a"),
                 lambda: world.service.bulk_update("pg-1", {"servers": {members[1]: None}}, "a"),
                 lambda: world.service.apply_group("pg-1", "a", force=True)):
        with pytest.raises(Conflict) as err:
            call()
        assert err.value.code == "GROUP_IN_ACTIVE_EXECUTION"
    assert world.store.get("pg-1") == before and len(world.store.status_writes) == writes
    assert world.service.prepare_wave(["pg-1"], members, "engine")["path"] == "FAST"  # the engine is not refused
