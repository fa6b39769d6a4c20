import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drs_orch.domain.errors import UpstreamError
from drs_orch.domain.launch_config import (
    EffectiveLaunchConfig,
    LaunchConfig,
    LaunchConfigStatus,
    ServerLaunchOverride,
    aggregate_status,
    canonical_config,
    config_hash,
    drifted_fields,
    effective_config,
    from_observed,
    ip_problems,
    split_for_drs_and_ec2,
    validate_launch_config_static,
)
from drs_orch.domain.statuses import LaunchConfigState

SUBNETS = ["subnet-0123456789abcdef0", "subnet-00000001", "subnet-fedcba98"]
SGS = ["sg-0000000a", "sg-0000000b", "sg-0123456789abcdef0", "sg-12345678"]
VALUES = {
    "subnetId": st.sampled_from(SUBNETS),
    "securityGroupIds": st.lists(st.sampled_from(SGS), min_size=1, max_size=4),
    "instanceType": st.sampled_from(["m5.large", "t3.micro", "c6i.2xlarge"]),
    "instanceProfileName": st.sampled_from(["DRSInstanceProfile", "app-role+1"]),
    "copyPrivateIp": st.booleans(),
    "copyTags": st.booleans(),
    "launchDisposition": st.sampled_from(["STARTED", "STOPPED"]),
    "licensing": st.booleans().map(lambda b: {"osByol": b}),
    "targetInstanceTypeRightSizingMethod": st.sampled_from(["NONE", "BASIC", "IN_AWS"]),
    "postLaunchEnabled": st.booleans(),
    "recoveryMode": st.sampled_from(["FAST", "OPTIMAL"]),
}
FIELDS = sorted(VALUES)
IPS = st.integers(4, 250).map(lambda n: f"10.0.0.{n}")


@st.composite
def settings_dicts(draw, extra=None):
    chosen = draw(st.lists(st.sampled_from(FIELDS), unique=True))
    body = {name: draw(VALUES[name]) for name in chosen}
    for name, strategy in (extra or {}).items():
        if draw(st.booleans()):
            body[name] = draw(strategy)
    return body


groups = settings_dicts().map(LaunchConfig.model_validate)
overrides = settings_dicts({"useGroupDefaults": st.booleans(), "staticPrivateIp": IPS}).map(
    ServerLaunchOverride.model_validate
)
effectives = settings_dicts({"staticPrivateIp": IPS}).map(EffectiveLaunchConfig.model_validate)


def camel(model) -> dict:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


# merge


def test_no_override_gives_group_settings():
    group = LaunchConfig(instance_type="m5.large", copy_tags=True)
    assert canonical_config(effective_config(group, None)) == {"instanceType": "m5.large", "copyTags": True}


def test_nothing_gives_empty_config():
    assert canonical_config(effective_config(None, None)) == {}


def test_override_fields_win_over_group():
    group = LaunchConfig(instance_type="m5.large", copy_tags=True, subnet_id=SUBNETS[0])
    override = ServerLaunchOverride(instance_type="t3.micro")
    assert canonical_config(effective_config(group, override)) == {
        "instanceType": "t3.micro",
        "copyTags": True,
        "subnetId": SUBNETS[0],
    }


def test_use_group_defaults_false_ignores_group():
    group = LaunchConfig(instance_type="m5.large", copy_tags=True)
    override = ServerLaunchOverride(use_group_defaults=False, copy_tags=False)
    assert canonical_config(effective_config(group, override)) == {"copyTags": False}


def test_static_ip_turns_copy_private_ip_off_unless_set_explicitly():
    group = LaunchConfig(copy_private_ip=True, subnet_id=SUBNETS[0])
    eff = effective_config(group, ServerLaunchOverride(static_private_ip="10.0.0.10"))
    assert eff.copy_private_ip is False and eff.static_private_ip == "10.0.0.10"
    explicit = effective_config(
        group, ServerLaunchOverride(static_private_ip="10.0.0.10", copy_private_ip=True)
    )
    assert explicit.copy_private_ip is True


def test_static_ip_only_from_override():
    with pytest.raises(ValueError):
        LaunchConfig.model_validate({"staticPrivateIp": "10.0.0.5"})


def test_empty_lists_and_licensing_mean_unset():
    group = LaunchConfig.model_validate({"securityGroupIds": [], "licensing": {}})
    assert canonical_config(effective_config(group, None)) == {}


def test_static_ip_is_canonicalised():
    assert ServerLaunchOverride(static_private_ip=" 10.0.0.7 ").static_private_ip == "10.0.0.7"
    with pytest.raises(ValueError):
        ServerLaunchOverride(static_private_ip="10.0.0.256")
    with pytest.raises(ValueError):
        ServerLaunchOverride(static_private_ip="fe80::1")


# hash


def test_empty_config_hashes_like_empty_object():
    import hashlib

    assert config_hash(EffectiveLaunchConfig()) == "sha256:" + hashlib.sha256(b"{}").hexdigest()


def test_hash_format():
    digest = config_hash(effective_config(LaunchConfig(copy_tags=True), None))
    assert digest.startswith("sha256:") and len(digest) == 7 + 64


def test_hash_ignores_security_group_order_and_duplicates():
    a = EffectiveLaunchConfig(security_group_ids=["sg-0000000b", "sg-0000000a"])
    b = EffectiveLaunchConfig(security_group_ids=["sg-0000000a", "sg-0000000b", "sg-0000000a"])
    assert config_hash(a) == config_hash(b)


@settings(max_examples=200, deadline=None)
@given(settings_dicts({"staticPrivateIp": IPS}), st.randoms(use_true_random=False))
def test_hash_is_stable_under_key_and_security_group_order(body, rnd: random.Random):
    shuffled_keys = list(body)
    rnd.shuffle(shuffled_keys)
    shuffled = {k: body[k] for k in shuffled_keys}
    if "securityGroupIds" in shuffled:
        groups_ = list(shuffled["securityGroupIds"]) * 2
        rnd.shuffle(groups_)
        shuffled["securityGroupIds"] = groups_
    first = EffectiveLaunchConfig.model_validate(body)
    second = EffectiveLaunchConfig.model_validate(json.loads(json.dumps(shuffled)))
    assert config_hash(first) == config_hash(second) == config_hash(first)


@settings(max_examples=300, deadline=None)
@given(effectives, effectives)
def test_hash_equal_exactly_when_effective_settings_equal(a, b):
    assert (config_hash(a) == config_hash(b)) == (canonical_config(a) == canonical_config(b))


@settings(max_examples=200, deadline=None)
@given(effectives, st.sampled_from(FIELDS), st.data())
def test_changing_any_field_changes_the_hash(eff, field, data):
    body = camel(eff)
    new_value = data.draw(VALUES[field].filter(lambda v: v != body.get(field)))
    if field == "securityGroupIds" and sorted(set(new_value)) == body.get(field):
        return
    changed = EffectiveLaunchConfig.model_validate({**body, field: new_value})
    assert config_hash(changed) != config_hash(eff)


# merge properties


@settings(max_examples=200, deadline=None)
@given(groups)
def test_effective_config_without_override_equals_group(group):
    expected = camel(group)
    if "securityGroupIds" in expected:
        expected["securityGroupIds"] = sorted(set(expected["securityGroupIds"]))
    assert canonical_config(effective_config(group, None)) == expected


@settings(max_examples=300, deadline=None)
@given(groups, overrides)
def test_override_fields_win(group, override):
    eff = effective_config(group, override)
    if not override.use_group_defaults:
        assert eff == effective_config(None, override)
    for name in FIELDS:
        attr = {f.alias: n for n, f in LaunchConfig.model_fields.items()}[name]
        own = getattr(override, attr)
        if own is not None:
            expected = sorted(set(own)) if name == "securityGroupIds" else own
            assert getattr(eff, attr) == expected
        elif name == "copyPrivateIp" and override.static_private_ip is not None:
            assert eff.copy_private_ip is False
        elif override.use_group_defaults:
            group_value = getattr(group, attr)
            expected = sorted(set(group_value)) if name == "securityGroupIds" and group_value else group_value
            assert getattr(eff, attr) == expected
        else:
            assert getattr(eff, attr) is None
    assert eff.static_private_ip == override.static_private_ip


@settings(max_examples=300, deadline=None)
@given(groups, st.none() | overrides)
def test_observed_settings_round_trip_to_the_same_hash(group, override):
    eff = effective_config(group, override)
    drs_fields, ec2_fields = split_for_drs_and_ec2(eff)
    observed = from_observed(json.loads(json.dumps(drs_fields)), json.loads(json.dumps(ec2_fields)))
    assert config_hash(observed) == config_hash(eff)
    assert drifted_fields(eff, observed) == []


# split / observed


def test_split_for_drs_and_ec2():
    eff = effective_config(
        LaunchConfig(
            subnet_id=SUBNETS[0],
            security_group_ids=["sg-0000000b", "sg-0000000a"],
            instance_type="m5.large",
            instance_profile_name="DRSInstanceProfile",
            copy_tags=True,
            launch_disposition="STARTED",
            licensing={"osByol": True},
            target_instance_type_right_sizing_method="NONE",
            post_launch_enabled=False,
            recovery_mode="FAST",
        ),
        ServerLaunchOverride(static_private_ip="10.0.0.20"),
    )
    drs_fields, ec2_fields = split_for_drs_and_ec2(eff)
    assert drs_fields == {
        "copyPrivateIp": False,
        "copyTags": True,
        "launchDisposition": "STARTED",
        "licensing": {"osByol": True},
        "targetInstanceTypeRightSizingMethod": "NONE",
        "postLaunchEnabled": False,
        "recoveryMode": "FAST",
    }
    assert ec2_fields == {
        "InstanceType": "m5.large",
        "IamInstanceProfile": {"Name": "DRSInstanceProfile"},
        "NetworkInterfaces": [
            {
                "DeviceIndex": 0,
                "SubnetId": SUBNETS[0],
                "Groups": ["sg-0000000a", "sg-0000000b"],
                "PrivateIpAddress": "10.0.0.20",
            }
        ],
    }


def test_split_of_empty_config():
    assert split_for_drs_and_ec2(EffectiveLaunchConfig()) == ({}, {})


def test_from_observed_reads_real_response_shapes():
    drs_response = {
        "sourceServerID": "s-0123456789abcdef0",
        "name": "web-1",
        "ec2LaunchTemplateID": "lt-0123456789abcdef0",
        "launchDisposition": "STOPPED",
        "targetInstanceTypeRightSizingMethod": "BASIC",
        "copyPrivateIp": False,
        "copyTags": True,
        "licensing": {"osByol": False},
        "postLaunchEnabled": True,
        "recoveryMode": "OPTIMAL",
    }
    template = {
        "InstanceType": "t3.micro",
        "IamInstanceProfile": {"Arn": "arn:aws:iam::111111111111:instance-profile/path/DRSProfile"},
        "NetworkInterfaces": [
            {"DeviceIndex": 1, "SubnetId": SUBNETS[2]},
            {
                "DeviceIndex": 0,
                "SubnetId": SUBNETS[1],
                "Groups": ["sg-12345678"],
                "PrivateIpAddresses": [{"Primary": True, "PrivateIpAddress": "10.0.0.9"}],
            },
        ],
    }
    observed = from_observed(drs_response, template)
    assert canonical_config(observed) == {
        "launchDisposition": "STOPPED",
        "targetInstanceTypeRightSizingMethod": "BASIC",
        "copyPrivateIp": False,
        "copyTags": True,
        "licensing": {"osByol": False},
        "postLaunchEnabled": True,
        "recoveryMode": "OPTIMAL",
        "instanceType": "t3.micro",
        "instanceProfileName": "DRSProfile",
        "subnetId": SUBNETS[1],
        "securityGroupIds": ["sg-12345678"],
        "staticPrivateIp": "10.0.0.9",
    }


def test_from_observed_top_level_security_groups():
    observed = from_observed({}, {"SecurityGroupIds": ["sg-0000000b", "sg-0000000a"]})
    assert observed.security_group_ids == ["sg-0000000a", "sg-0000000b"]


def test_from_observed_refuses_unknown_values():
    with pytest.raises(UpstreamError) as err:
        from_observed({"launchDisposition": "HIBERNATED"}, {})
    assert err.value.code == "UNEXPECTED_LAUNCH_SETTINGS"


def test_drifted_fields_only_cover_managed_fields():
    intended = effective_config(LaunchConfig(instance_type="m5.large", copy_tags=True), None)
    observed = from_observed(
        {"copyTags": False, "copyPrivateIp": True, "launchDisposition": "STOPPED"},
        {"InstanceType": "m5.large"},
    )
    assert drifted_fields(intended, observed) == ["copyTags"]


# static validation


def test_validate_accepts_consistent_settings():
    group = {
        "subnetId": SUBNETS[0],
        "instanceType": "m5.large",
        "targetInstanceTypeRightSizingMethod": "NONE",
    }
    servers = {
        "s-0123456789abcdef0": {"staticPrivateIp": "10.0.0.10"},
        "s-0123456789abcdef1": {"staticPrivateIp": "10.0.0.11", "copyPrivateIp": False},
    }
    assert validate_launch_config_static(group, servers) == {}
    assert validate_launch_config_static(None, {}) == {}


def test_validate_reports_every_static_problem():
    group = {
        "instanceType": "m5.large",
        "targetInstanceTypeRightSizingMethod": "IN_AWS",
        "recoveryMode": "SLOW",
    }
    servers = {
        "s-0123456789abcdef0": {"staticPrivateIp": "10.0.0.5", "copyPrivateIp": True, "subnetId": SUBNETS[0]},
        "s-0123456789abcdef1": {"staticPrivateIp": "10.0.0.5", "subnetId": SUBNETS[0]},
        "s-0123456789abcdef2": {"staticPrivateIp": "10.0.0.300"},
        "s-0123456789abcdef3": {"staticPrivateIp": "10.0.0.8"},
        "s-0123456789abcdef4": {"launchDisposition": "RUNNING", "useGroupDefaults": False},
        "bad-id": {},
    }
    problems = validate_launch_config_static(group, servers)
    assert set(problems) == {"group", *servers}
    assert any("recoveryMode" in m for m in problems["group"])
    a, b = "s-0123456789abcdef0", "s-0123456789abcdef1"
    assert "copyPrivateIp must be false when staticPrivateIp is set" in problems[a]
    assert any("also given to " + b in m for m in problems[a])
    assert any("also given to " + a in m for m in problems[b])
    assert any("not a valid IPv4 address" in m for m in problems["s-0123456789abcdef2"])
    assert any("needs a subnetId" in m for m in problems["s-0123456789abcdef3"])
    assert any("launchDisposition" in m for m in problems["s-0123456789abcdef4"])
    assert problems["bad-id"] == ["not a valid source server id"]


def test_right_sizing_with_instance_type_is_contradictory():
    problems = validate_launch_config_static(
        {"instanceType": "m5.large", "targetInstanceTypeRightSizingMethod": "BASIC"}, {}
    )
    assert len(problems["group"]) == 1 and "overwritten" in problems["group"][0]
    # a server override that brings its own type against the group's right-sizing is reported for the server
    per_server = validate_launch_config_static(
        {"targetInstanceTypeRightSizingMethod": "BASIC"},
        {"s-0123456789abcdef0": {"instanceType": "t3.micro"}},
    )
    assert list(per_server) == ["s-0123456789abcdef0"]
    # a server that turns right-sizing off is fine
    fixed = validate_launch_config_static(
        {"targetInstanceTypeRightSizingMethod": "BASIC"},
        {"s-0123456789abcdef0": {"instanceType": "t3.micro", "targetInstanceTypeRightSizingMethod": "NONE"}},
    )
    assert fixed == {}


def test_validate_does_not_repeat_group_problems_for_servers():
    group = {"instanceType": "m5.large", "targetInstanceTypeRightSizingMethod": "BASIC"}
    problems = validate_launch_config_static(group, {"s-0123456789abcdef0": {"copyTags": True}})
    assert list(problems) == ["group"]


def test_validate_accepts_models():
    group = LaunchConfig(subnet_id=SUBNETS[0])
    assert (
        validate_launch_config_static(
            group, {"s-0123456789abcdef0": ServerLaunchOverride(static_private_ip="10.0.0.9")}
        )
        == {}
    )


# ip_problems


@pytest.mark.parametrize(
    ("ip", "cidr", "fragment"),
    [
        ("10.0.0.0", "10.0.0.0/24", "network address"),
        ("10.0.0.1", "10.0.0.0/24", "reserved by AWS"),
        ("10.0.0.2", "10.0.0.0/24", "reserved by AWS"),
        ("10.0.0.3", "10.0.0.0/24", "reserved by AWS"),
        ("10.0.0.255", "10.0.0.0/24", "last address"),
        ("10.0.1.5", "10.0.0.0/24", "not inside"),
        ("10.0.0", "10.0.0.0/24", "not a valid IPv4 address"),
        ("10.0.0.5", "10.0.0.0/33", "not a valid IPv4 CIDR"),
        ("10.0.0.15", "10.0.0.0/28", "last address"),
    ],
)
def test_ip_problems(ip, cidr, fragment):
    [problem] = ip_problems(ip, cidr)
    assert fragment in problem


@pytest.mark.parametrize(
    ("ip", "cidr"), [("10.0.0.4", "10.0.0.0/24"), ("10.0.0.254", "10.0.0.0/24"), ("10.0.0.14", "10.0.0.0/28")]
)
def test_ip_problems_accepts_usable_addresses(ip, cidr):
    assert ip_problems(ip, cidr) == []


# status


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], "not_configured"),
        (["not_configured"], "not_configured"),
        (["ready", "ready"], "ready"),
        (["ready", "not_configured"], "ready"),
        (["failed", "failed"], "failed"),
        (["ready", "failed"], "partial"),
        (["partial"], "partial"),
        (["ready", "pending"], "pending"),
        (["ready", "pending", "applying"], "applying"),
        (["failed", "pending"], "pending"),
    ],
)
def test_aggregate_status(statuses, expected):
    assert aggregate_status(statuses) == expected
    assert aggregate_status(LaunchConfigState(s) for s in statuses) is LaunchConfigState(expected)


def test_launch_config_status_round_trip_and_helpers():
    body = {
        "status": "partial",
        "lastApplied": "2025-02-16T10:30:00Z",
        "appliedBy": "user@example.com",
        "serverConfigs": {
            "s-0123456789abcdef0": {
                "status": "ready",
                "lastApplied": "2025-02-16T10:30:00Z",
                "configHash": "sha256:" + "a" * 64,
                "errors": [],
            },
            "s-0123456789abcdef1": {
                "status": "failed",
                "lastApplied": "2025-02-16T10:30:00Z",
                "errors": ["timeout"],
            },
        },
        "errors": [],
    }
    status = LaunchConfigStatus.model_validate(body)
    assert status.model_dump(mode="json", by_alias=True, exclude_none=True) == body
    assert LaunchConfigStatus.model_validate(status.model_dump(by_alias=True)) == status
    assert status.failed_servers() == ["s-0123456789abcdef1"] and not status.is_ready()


@pytest.mark.parametrize(
    "body",
    [
        {"status": "ready"},
        {"status": "done", "lastApplied": "2025-02-16T10:30:00Z"},
        {"status": "pending", "lastApplied": "yesterday"},
        {"status": "pending", "serverConfigs": {"s-1": {"status": "ready", "configHash": "md5:x"}}},
    ],
)
def test_launch_config_status_rejects(body):
    with pytest.raises(ValueError):
        LaunchConfigStatus.model_validate(body)


def test_default_status_is_not_configured():
    assert LaunchConfigStatus().status is LaunchConfigState.NOT_CONFIGURED
