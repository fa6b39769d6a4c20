"""Pure rules of launch settings (domain/launch_rules.py): seed 004 Properties 4, 5 and 10, and the
two defects of the earlier system (overrides looking drifted; template versions losing fields)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drs_orch.domain.launch_config import (
    EffectiveLaunchConfig,
    LaunchConfig,
    LaunchConfigStatus,
    ServerConfigStatus,
    ServerLaunchOverride,
    config_hash,
    from_observed,
    split_for_drs_and_ec2,
)
from drs_orch.domain.launch_rules import (
    Reason,
    ServerOutcome,
    WavePath,
    applying_record,
    intended_config,
    is_managed,
    manages_private_ip,
    merge_template_data,
    observed_hash,
    plan_servers,
    settled_record,
    unconfigured_record,
    wave_path,
)
from drs_orch.domain.statuses import LaunchConfigState as L

SUBNETS = ["subnet-00000001", "subnet-00000002"]
SGS = ["sg-0000000a", "sg-0000000b", "sg-0000000c"]
FIELDS: dict[str, Any] = {
    "subnetId": st.sampled_from(SUBNETS),
    "securityGroupIds": st.lists(st.sampled_from(SGS), min_size=1, max_size=3),
    "instanceType": st.sampled_from(["m5.large", "t3.micro"]),
    "instanceProfileName": st.sampled_from(["DRSRecoveryProfile", "app"]),
    "copyTags": st.booleans(),
    "launchDisposition": st.sampled_from(["STARTED", "STOPPED"]),
    "licensing": st.booleans().map(lambda b: {"osByol": b}),
    "postLaunchEnabled": st.booleans(),
    "recoveryMode": st.sampled_from(["FAST", "OPTIMAL"]),
}


@st.composite
def group_settings(draw: Any) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(sorted(FIELDS)), unique=True))
    out = {k: draw(FIELDS[k]) for k in keys}
    if draw(st.booleans()):
        out["copyPrivateIp"] = draw(st.booleans())
    return out


@st.composite
def override_settings(draw: Any) -> dict[str, Any]:
    out = draw(group_settings())
    out.pop("copyPrivateIp", None)
    out["useGroupDefaults"] = draw(st.booleans())
    if draw(st.booleans()):
        out["staticPrivateIp"] = f"10.0.1.{draw(st.integers(4, 250))}"
        out.setdefault("subnetId", SUBNETS[0])
    return out


@st.composite
def template_data(draw: Any) -> dict[str, Any]:
    """Launch-template data as DRS/EC2 may hold it, with fields nobody manages."""
    data: dict[str, Any] = {"ImageId": "ami-12345678"}
    if draw(st.booleans()):
        data["InstanceType"] = draw(st.sampled_from(["c5.xlarge", "t3.micro"]))
    if draw(st.booleans()):
        data["TagSpecifications"] = [{"ResourceType": "instance", "Tags": [{"Key": "a", "Value": "b"}]}]
    if draw(st.booleans()):
        data["SecurityGroupIds"] = [SGS[2]]
    if draw(st.booleans()):
        nic: dict[str, Any] = {"DeviceIndex": 0, "AssociatePublicIpAddress": draw(st.booleans()),
                               "DeleteOnTermination": True}
        if draw(st.booleans()):
            nic["PrivateIpAddress"] = "10.0.1.99"
        if draw(st.booleans()):
            nic["SubnetId"] = SUBNETS[1]
        data["NetworkInterfaces"] = [nic, {"DeviceIndex": 1, "SubnetId": SUBNETS[1]}]
    return data


def applied(intended: EffectiveLaunchConfig, current: dict[str, Any]) -> EffectiveLaunchConfig:
    """What DRS and EC2 hold after applying ``intended`` over ``current``."""
    drs, _ = split_for_drs_and_ec2(intended)
    drs_state = {"copyPrivateIp": True, "launchDisposition": "STARTED", **drs}
    return from_observed(drs_state, merge_template_data(current, intended).data)


# Property 10: hash consistency -----------------------------------------------------------------


@given(group_settings(), override_settings())
def test_property_10_hash_is_deterministic_and_order_free(group: dict[str, Any], override: dict[str, Any]) -> None:
    """Feature: launch-config-preapplication, Property 10: the same settings always hash the same,
    whatever the order of keys or security groups."""
    g, o = LaunchConfig.model_validate(group), ServerLaunchOverride.model_validate(override)
    first = config_hash(intended_config(g, o))
    again = config_hash(intended_config(LaunchConfig.model_validate(dict(reversed(list(group.items())))),
                                        ServerLaunchOverride.model_validate(copy.deepcopy(override))))
    assert first == again
    if "securityGroupIds" in group:
        shuffled = {**group, "securityGroupIds": list(reversed(group["securityGroupIds"]))}
        assert config_hash(intended_config(LaunchConfig.model_validate(shuffled), o)) == first
    assert first.startswith("sha256:") and len(first) == 71


# Drift: applied settings, with overrides, never look drifted ----------------------------------


@given(group_settings(), override_settings(), template_data())
def test_applied_settings_hash_like_intended_so_overrides_never_drift(
    group: dict[str, Any], override: dict[str, Any], current: dict[str, Any]
) -> None:
    cfg = intended_config(LaunchConfig.model_validate(group), ServerLaunchOverride.model_validate(override))
    if cfg.static_private_ip and cfg.copy_private_ip:
        return  # refused by the static validation
    assert observed_hash(cfg, applied(cfg, current)) == config_hash(cfg)


@given(group_settings(), override_settings(), template_data())
def test_a_changed_managed_field_is_drift(group: dict[str, Any], override: dict[str, Any],
                                          current: dict[str, Any]) -> None:
    cfg = intended_config(LaunchConfig.model_validate(group), ServerLaunchOverride.model_validate(override))
    if cfg.static_private_ip and cfg.copy_private_ip:
        return
    held = applied(cfg, current)
    if cfg.instance_type is not None:
        other = "c5.xlarge" if cfg.instance_type != "c5.xlarge" else "t3.micro"
        assert observed_hash(cfg, held.model_copy(update={"instance_type": other})) != config_hash(cfg)
    if cfg.launch_disposition is not None:
        flipped = "STOPPED" if cfg.launch_disposition == "STARTED" else "STARTED"
        assert observed_hash(cfg, held.model_copy(update={"launch_disposition": flipped})) != config_hash(cfg)


def test_unmanaged_fields_do_not_count() -> None:
    cfg = intended_config(LaunchConfig(copy_tags=True), None)
    held = from_observed({"copyTags": True, "copyPrivateIp": True, "launchDisposition": "STOPPED"},
                         {"InstanceType": "x1.large", "NetworkInterfaces": [{"DeviceIndex": 0, "SubnetId": SUBNETS[0]}]})
    assert observed_hash(cfg, held) == config_hash(cfg)


def test_group_hash_differs_from_override_hash() -> None:
    """The earlier system hashed the group settings for every server; the merged hash differs."""
    group = LaunchConfig(subnet_id=SUBNETS[0], copy_tags=True)
    override = ServerLaunchOverride(static_private_ip="10.0.1.20")
    assert config_hash(intended_config(group, override)) != config_hash(intended_config(group, None))


# Launch templates: carry forward ---------------------------------------------------------------


@given(group_settings(), override_settings(), template_data())
def test_new_template_version_keeps_every_field_it_does_not_manage(
    group: dict[str, Any], override: dict[str, Any], current: dict[str, Any]
) -> None:
    cfg = intended_config(LaunchConfig.model_validate(group), ServerLaunchOverride.model_validate(override))
    change = merge_template_data(current, cfg)
    data = change.data
    for key in ("ImageId", "TagSpecifications"):
        assert data.get(key) == current.get(key)
    if cfg.instance_type is None:
        assert data.get("InstanceType") == current.get("InstanceType")
    for nic in current.get("NetworkInterfaces", []):
        if nic["DeviceIndex"] == 1:
            assert nic in data["NetworkInterfaces"]
        else:
            primary = next(n for n in data["NetworkInterfaces"] if n["DeviceIndex"] == 0)
            for key in ("AssociatePublicIpAddress", "DeleteOnTermination"):
                assert primary[key] == nic[key]
    if "SecurityGroupIds" in current:
        assert ("SecurityGroupIds" in data) == (cfg.security_group_ids is None)
        assert change.inheritable == (cfg.security_group_ids is None)
    assert current == merge_template_data(current, cfg).data or change.changed


def test_template_merge_sets_and_clears_the_static_ip() -> None:
    current = {"NetworkInterfaces": [{"DeviceIndex": 0, "SubnetId": SUBNETS[1], "PrivateIpAddress": "10.0.2.9",
                                      "Groups": ["sg-0000000c"]}], "InstanceType": "t3.micro"}
    with_ip = intended_config(LaunchConfig(subnet_id=SUBNETS[0]), ServerLaunchOverride(static_private_ip="10.0.1.7"))
    nic = merge_template_data(current, with_ip).data["NetworkInterfaces"][0]
    assert nic == {"DeviceIndex": 0, "SubnetId": SUBNETS[0], "PrivateIpAddress": "10.0.1.7", "Groups": ["sg-0000000c"]}
    without = intended_config(LaunchConfig(subnet_id=SUBNETS[0]), None)
    assert "PrivateIpAddress" not in merge_template_data(current, without).data["NetworkInterfaces"][0]
    copying = intended_config(LaunchConfig(subnet_id=SUBNETS[0], copy_private_ip=True), None)
    assert not manages_private_ip(copying)
    assert merge_template_data(current, copying).data["NetworkInterfaces"][0]["PrivateIpAddress"] == "10.0.2.9"
    unchanged = merge_template_data(merge_template_data(current, with_ip).data, with_ip)
    assert not unchanged.changed


def test_instance_type_implies_right_sizing_none_unless_set() -> None:
    assert intended_config(LaunchConfig(instance_type="m5.large"), None).target_instance_type_right_sizing_method == "NONE"
    assert intended_config(LaunchConfig(copy_tags=True), None).target_instance_type_right_sizing_method is None
    assert not is_managed(intended_config(None, ServerLaunchOverride()))
    assert is_managed(intended_config(None, ServerLaunchOverride(static_private_ip="10.0.1.5", subnet_id=SUBNETS[0])))


# Targets, records, wave path ---------------------------------------------------------------------


def _status(entries: dict[str, ServerConfigStatus], status: L = L.READY) -> LaunchConfigStatus:
    return LaunchConfigStatus(status=status, last_applied="2025-01-01T00:00:00.000Z", server_configs=entries)


def test_plan_servers_reasons() -> None:
    a = intended_config(LaunchConfig(copy_tags=True), None)
    b = intended_config(LaunchConfig(copy_tags=False), None)
    stored = _status({
        "s-1": ServerConfigStatus(status=L.READY, config_hash=config_hash(a)),
        "s-2": ServerConfigStatus(status=L.READY, config_hash=config_hash(a)),
        "s-3": ServerConfigStatus(status=L.FAILED, errors=["x"]),
    })
    empty = intended_config(None, None)
    plan = plan_servers({"s-1": a, "s-2": b, "s-3": a, "s-4": a, "s-5": empty}, stored)
    assert plan.targets == {"s-2": Reason.CHANGED, "s-3": Reason.NOT_READY, "s-4": Reason.NEVER_APPLIED}
    assert plan.up_to_date == ["s-1"] and plan.unmanaged == ["s-5"]
    assert plan_servers({"s-1": a}, stored, force=True).targets == {"s-1": Reason.FORCED}
    assert plan_servers({"s-1": a, "s-2": b}, stored, only=["s-2"]).targets == {"s-2": Reason.CHANGED}


outcomes_strategy = st.dictionaries(
    st.sampled_from(["s-1", "s-2", "s-3", "s-4"]),
    st.sampled_from([L.READY, L.FAILED, L.PENDING]).map(
        lambda s: ServerOutcome(s, config_hash=None if s is not L.READY else "HASH",
                                errors=[] if s is L.READY else [f"{s.value} because"])),
)


@given(outcomes_strategy, st.booleans())
def test_property_4_and_5_settled_records_are_valid_and_name_every_failure(
    outcomes: dict[str, ServerOutcome], edited: bool
) -> None:
    """Feature: launch-config-preapplication, Properties 4 and 5: a settled status has a known value
    and a timestamp; every failed server has its errors, in its entry and in the group's list."""
    cfg = intended_config(LaunchConfig(copy_tags=True), None)
    real = {sid: ServerOutcome(o.status, config_hash=config_hash(cfg) if o.status is L.READY else None,
                               errors=o.errors) for sid, o in outcomes.items()}
    latest = {sid: cfg for sid in ["s-1", "s-2", "s-3", "s-4"]}
    if edited:
        latest["s-1"] = intended_config(LaunchConfig(copy_tags=False), None)
    start = applying_record(None, list(real), "me", "2025-01-01T00:00:00.000Z")
    record, _ = settled_record(start, real, latest, "2025-01-02T00:00:00.000Z", "me")
    LaunchConfigStatus.model_validate(record.model_dump(by_alias=True))
    assert record.status in set(L) - {L.APPLYING}
    assert record.last_applied == "2025-01-02T00:00:00.000Z"
    assert set(record.server_configs) == set(latest)
    for sid, entry in record.server_configs.items():
        if entry.status is L.FAILED:
            assert entry.errors and all(any(e in g for g in record.errors) for e in entry.errors)
        if entry.status is L.READY:
            assert entry.config_hash == config_hash(latest[sid])
    if edited and "s-1" in real and real["s-1"].status is L.READY:
        assert record.server_configs["s-1"].status is L.PENDING
    assert (record.status is L.READY) == all(e.status is L.READY for e in record.server_configs.values())


def test_unconfigured_record_and_wave_path() -> None:
    record = unconfigured_record(None, ["s-2", "s-1"])
    assert record.status is L.NOT_CONFIGURED and list(record.server_configs) == ["s-1", "s-2"]
    assert wave_path(0, {}) == (WavePath.NONE, "no server of this wave has launch settings")
    assert wave_path(3, {})[0] is WavePath.FAST
    path, reason = wave_path(3, {"s-1": "settings changed since the last apply", "s-2": "DRS or EC2 changed out of band"})
    assert path is WavePath.FALLBACK and reason.startswith("2 of 3 server(s)")


@pytest.mark.parametrize("previous", [None, L.READY, L.FAILED, L.PARTIAL, L.PENDING])
def test_applying_record_marks_only_targets(previous: L | None) -> None:
    prev = None if previous is None else _status({"s-1": ServerConfigStatus(status=L.READY, config_hash="sha256:" + "0" * 64),
                                                  "s-2": ServerConfigStatus(status=L.READY)}, previous)
    record = applying_record(prev, ["s-1"], "me", "2025-01-03T00:00:00.000Z")
    assert record.status is L.APPLYING and record.server_configs["s-1"].status is L.APPLYING
    assert record.last_applied == ("2025-01-03T00:00:00.000Z" if prev is None else prev.last_applied)
    if prev is not None:
        assert record.server_configs["s-1"].config_hash == "sha256:" + "0" * 64
        assert record.server_configs["s-2"].status is L.READY
