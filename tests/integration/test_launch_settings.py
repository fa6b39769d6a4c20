"""Launch settings over the local stack: REST routes, the DRS emulator and moto EC2 (seed 004
Properties 1, 2, 3, 8, 12 end to end; out-of-band drift repaired for exactly the drifted servers)."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from typing import Any

import pytest
from launch_support import (
    REGION,
    Network,
    aws,
    create_group,
    last_seq,
    launch_calls,
    network,
    seed,
    set_template,
    template_of,
)

from drs_local import moto_patches
from drs_orch.domain.launch_config import LaunchConfigStatus
from drs_orch.services.launch_groups import DriftCheck, LaunchOptions

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def net(stack: Any) -> Network:
    return network(stack)


def _status_item(stack: Any, group_id: str) -> dict[str, Any]:
    from drs_orch.adapters.dynamodb_launch import GroupLaunchTable
    from drs_orch.entrypoints.wiring import container

    group = GroupLaunchTable(container().settings.protection_groups_table).get(group_id)
    assert group is not None and group.launch_config_status is not None
    return dict(group.launch_config_status)


def test_property_1_and_12_create_applies_and_status_round_trips(stack: Any, admin: Any, net: Network) -> None:
    """Feature: launch-config-preapplication, Properties 1 and 12."""
    servers = seed(stack, 3)
    # fields nobody manages, set out of band before the group exists, must survive every apply
    _, data, _ = template_of(stack, servers[2])
    set_template(stack, servers[2], {**data, "Monitoring": {"Enabled": True},
                                     "TagSpecifications": [{"ResourceType": "instance",
                                                            "Tags": [{"Key": "CostCenter", "Value": "42"}]}]})
    body = create_group(admin, servers, net, {servers[0]: {"staticPrivateIp": "10.77.1.20"},
                                              servers[1]: {"instanceType": "c5.xlarge", "securityGroupIds": [net.sg_b]}})
    status = body["launchConfigStatus"]
    assert status["status"] == "ready", status
    assert set(status["serverConfigs"]) == set(servers)
    drs = aws(stack, "drs")
    for sid in servers:
        lc = drs.get_launch_configuration(sourceServerID=sid)
        assert (lc["launchDisposition"], lc["copyTags"], lc["targetInstanceTypeRightSizingMethod"]) == \
            ("STOPPED", True, "NONE")
        _, data, _ = template_of(stack, sid)
        nic = data["NetworkInterfaces"][0]
        assert nic["SubnetId"] == net.subnet and data["IamInstanceProfile"]["Name"] == net.profile
        assert status["serverConfigs"][sid]["launchTemplateId"] == lc["ec2LaunchTemplateID"]
    assert drs.get_launch_configuration(sourceServerID=servers[0])["copyPrivateIp"] is False
    assert template_of(stack, servers[0])[1]["NetworkInterfaces"][0]["PrivateIpAddress"] == "10.77.1.20"
    one = template_of(stack, servers[1])[1]
    assert one["InstanceType"] == "c5.xlarge" and one["NetworkInterfaces"][0]["Groups"] == [net.sg_b]
    kept = template_of(stack, servers[2])[1]
    assert kept["Monitoring"] == {"Enabled": True} and kept["TagSpecifications"][0]["Tags"][0]["Value"] == "42"
    assert kept["InstanceType"] == "m5.large" and kept["NetworkInterfaces"][0]["Groups"] == [net.sg]
    # Property 12: what is persisted is what the API returns, field for field
    code, got = admin.get(f"/protection-groups/{body['groupId']}/launch-config-status")
    assert code == 200 and got["outdatedServers"] == {}
    stored = _status_item(stack, body["groupId"])
    assert LaunchConfigStatus.model_validate(got) == LaunchConfigStatus.model_validate(stored)
    for key in ("status", "lastApplied", "appliedBy", "serverConfigs", "errors"):
        assert got[key] == stored[key], key


def test_property_2_invalid_settings_refused_with_every_problem_and_nothing_written(
    stack: Any, admin: Any, net: Network
) -> None:
    """Feature: launch-config-preapplication, Property 2."""
    servers = seed(stack, 4)
    mark = last_seq(stack)
    status, body = admin.post("/protection-groups", {
        "groupName": "lc-invalid", "region": REGION, "sourceServerIds": servers,
        "launchConfig": {"subnetId": net.subnet, "securityGroupIds": [net.sg], "instanceProfileName": "no-such"},
        "servers": {servers[0]: {"staticPrivateIp": "10.77.9.9"},
                    servers[1]: {"staticPrivateIp": net.used_ip},
                    servers[2]: {"securityGroupIds": [net.sg_other_vpc]},
                    servers[3]: {"staticPrivateIp": "10.77.1.3"}}})
    assert status == 400, body
    problems = {(d["field"], d["message"]) for d in body["details"]}
    expected = [("launchConfig.instanceProfileName", "does not exist"),
                (f"servers.{servers[0]}.staticPrivateIp", "not inside the subnet"),
                (f"servers.{servers[1]}.staticPrivateIp", "in use by network interface"),
                (f"servers.{servers[2]}.securityGroupIds", "not in the VPC"),
                (f"servers.{servers[3]}.staticPrivateIp", "reserved")]
    for field, text in expected:
        assert any(f == field and text in m for f, m in problems), (field, problems)
    assert launch_calls(stack, servers, mark) == []
    # nothing was claimed: the same servers make a valid group right away
    assert create_group(admin, servers, net)["launchConfigStatus"]["status"] == "ready"


def test_override_routes(stack: Any, admin: Any, readonly: Any, net: Network) -> None:
    servers = seed(stack, 3)
    group = create_group(admin, servers, net)
    gid, base = group["groupId"], f"/protection-groups/{group['groupId']}/servers"
    code, out = admin.put(f"{base}/{servers[0]}/launch-config", {"staticPrivateIp": "10.77.1.30", "version": 1})
    assert code == 200 and out["version"] == 2 and out["upToDate"] and out["status"]["status"] == "ready", out
    assert out["effectiveConfig"]["copyPrivateIp"] is False
    assert template_of(stack, servers[0])[1]["NetworkInterfaces"][0]["PrivateIpAddress"] == "10.77.1.30"
    assert admin.put(f"{base}/{servers[0]}/launch-config", {"copyTags": False, "version": 1})[0] == 409
    assert readonly.put(f"{base}/{servers[0]}/launch-config", {"copyTags": False})[0] == 403
    code, got = readonly.get(f"{base}/{servers[0]}/launch-config")
    assert code == 200 and got["override"] == {"useGroupDefaults": True, "staticPrivateIp": "10.77.1.30"}
    code, bad = admin.put(f"{base}/{servers[1]}/launch-config", {"staticPrivateIp": "10.77.1.30"})
    assert code == 400 and any("also given" in d["message"] for d in bad["details"]), bad
    code, check = admin.post(f"{base}/{servers[1]}/validate-ip", {"staticPrivateIp": "10.77.1.30"})
    assert code == 200 and not check["valid"] and servers[0] in check["problems"][0]
    code, check = readonly.post(f"{base}/{servers[1]}/validate-ip", {"staticPrivateIp": "10.77.1.31"})
    assert code == 200 and check["valid"] and check["cidr"] == "10.77.1.0/24"
    code, bulk = admin.post(f"{base}/bulk-launch-config", {"servers": {
        servers[1]: {"instanceType": "c5.xlarge"}, servers[2]: {"staticPrivateIp": "10.77.1.32"},
        servers[0]: None}})
    assert code == 200 and bulk["launchConfigStatus"]["status"] == "ready", bulk
    assert bulk["servers"][servers[0]]["override"] is None
    assert "PrivateIpAddress" not in template_of(stack, servers[0])[1]["NetworkInterfaces"][0]
    assert template_of(stack, servers[1])[1]["InstanceType"] == "c5.xlarge"
    code, deleted = admin.delete(f"{base}/{servers[2]}/launch-config")
    assert code == 200 and deleted["override"] is None
    assert admin.delete(f"{base}/{servers[2]}/launch-config")[0] == 404
    assert admin.get(f"{base}/s-00000000000000000/launch-config")[0] == 404
    assert admin.get("/protection-groups/pg-missing/launch-config-status")[0] == 404
    code, status = readonly.get(f"/protection-groups/{gid}/launch-config-status")
    assert code == 200 and status["status"] == "ready"


def test_drift_repaired_for_exactly_the_drifted_servers_and_overrides_kept(
    stack: Any, admin: Any, readonly: Any, net: Network
) -> None:
    """Feature: launch-config-preapplication, Properties 3 and 8, through the emulator, with the
    wave-start drift check reading DRS too (LAUNCH_DRIFT_CHECK=full)."""
    from drs_orch.entrypoints.wiring import container

    servers = seed(stack, 5)
    group = create_group(admin, servers, net, {servers[1]: {"staticPrivateIp": "10.77.1.41"},
                                               servers[3]: {"instanceType": "c5.xlarge"}})
    gid = group["groupId"]
    mark = last_seq(stack)
    service = copy.copy(container().launch_settings)
    service.options = LaunchOptions(drift_check=DriftCheck.TEMPLATES)
    fast = service.prepare_wave([gid], servers, "pytest")
    assert fast["path"] == "FAST" and launch_calls(stack, servers, mark) == [], fast  # templates only
    service = container().launch_settings  # default: the full drift check
    mark = last_seq(stack)
    fast = service.prepare_wave([gid], servers, "pytest")
    assert fast["path"] == "FAST", fast
    assert [c["operation"] for c in launch_calls(stack, servers, mark)] == ["GetLaunchConfiguration"] * 5
    # out of band: a DRS setting of server 0, the security groups of server 1 (which has a static
    # IP override), and a field nobody manages on server 4
    aws(stack, "drs").update_launch_configuration(sourceServerID=servers[0], copyTags=False)
    _, data, _ = template_of(stack, servers[1])
    data["NetworkInterfaces"][0]["Groups"] = [net.sg_b]
    set_template(stack, servers[1], data)
    _, data, _ = template_of(stack, servers[4])
    set_template(stack, servers[4], {**data, "Monitoring": {"Enabled": True}})
    code, status = readonly.get(f"/protection-groups/{gid}/launch-config-status", checkDrift="true")
    assert code == 200 and status["driftedServers"] == {servers[0]: ["copyTags"],
                                                        servers[1]: ["securityGroupIds"]}, status
    mark = last_seq(stack)
    out = service.prepare_wave([gid], servers, "pytest")
    assert out["path"] == "FALLBACK" and out["applied"] == sorted(servers[:2]), out
    updates = [c for c in launch_calls(stack, servers, mark) if c["operation"] == "UpdateLaunchConfiguration"]
    assert len(updates) == 1 and servers[0] in updates[0]["params"]
    assert aws(stack, "drs").get_launch_configuration(sourceServerID=servers[0])["copyTags"] is True
    repaired = template_of(stack, servers[1])[1]["NetworkInterfaces"][0]
    assert repaired["Groups"] == [net.sg] and repaired["PrivateIpAddress"] == "10.77.1.41"
    assert template_of(stack, servers[3])[1]["InstanceType"] == "c5.xlarge"
    assert template_of(stack, servers[4])[1]["Monitoring"] == {"Enabled": True}
    versions = {s: template_of(stack, s)[2] for s in servers}
    mark = last_seq(stack)
    assert service.prepare_wave([gid], servers, "pytest")["path"] == "FAST"
    assert all(c["operation"] == "GetLaunchConfiguration" for c in launch_calls(stack, servers, mark))
    assert {s: template_of(stack, s)[2] for s in servers} == versions


def test_apply_route_force_and_permissions(stack: Any, admin: Any, readonly: Any, invoke: Any,
                                           net: Network) -> None:
    """Feature: launch-config-preapplication, Property 6; also by direct invocation."""
    servers = seed(stack, 3)
    gid = create_group(admin, servers, net)["groupId"]
    before = {s: template_of(stack, s)[2] for s in servers}
    assert readonly.post(f"/protection-groups/{gid}/apply-launch-configs", {"force": True})[0] == 403
    code, out = admin.post(f"/protection-groups/{gid}/apply-launch-configs", {})
    assert code == 200 and out["appliedServers"] == 0 and out["skipped"] == sorted(servers), out
    code, out = admin.post(f"/protection-groups/{gid}/apply-launch-configs", {"force": True})
    assert code == 200 and out["status"] == "ready" and out["applied"] == sorted(servers), out
    assert {s: template_of(stack, s)[2] for s in servers} == {s: v + 1 for s, v in before.items()}
    assert admin.post(f"/protection-groups/{gid}/apply-launch-configs", {"force": "yes"})[0] == 400
    direct = invoke("data-management", "apply_launch_configs", body={"force": True}, path={"groupId": gid})
    assert direct["status"] == "ready" and direct["appliedServers"] == 3, direct
    status = invoke("data-management", "get_launch_config_status", path={"groupId": gid})
    assert status["groupId"] == gid and status["appliedBy"] == "iam" and status["status"] == "ready"


@pytest.fixture
def quick(stack: Any) -> Iterator[None]:
    """Emulated launches and Step Functions waits at 10x the session's time scale."""
    stack.emulator.set_speed(600.0)
    moto_patches.set_speed(600.0)
    try:
        yield
    finally:
        stack.emulator.set_speed(stack.speed)
        moto_patches.set_speed(stack.speed)


def _drill(admin: Any, group_id: str) -> dict[str, Any]:
    code, plan = admin.post("/recovery-plans", {"planName": f"lc-plan-{group_id[-8:]}", "waves": [
        {"waveNumber": 1, "waveName": "all", "protectionGroupIds": [group_id]}]})
    assert code == 201, plan
    code, started = admin.post("/executions", {"planId": plan["planId"], "executionType": "DRILL",
                                                "pollIntervalSeconds": 10})
    assert code == 202, started
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        code, body = admin.get(f"/executions/{started['executionId']}")
        assert code == 200, body
        if body["status"] in ("COMPLETED", "PARTIAL", "FAILED", "CANCELLED"):
            return dict(body)
        time.sleep(0.1)
    raise AssertionError(f"drill did not finish: {body}")


def test_drill_of_a_ready_group_makes_no_launch_configuration_write(
    stack: Any, admin: Any, net: Network, quick: None
) -> None:
    """Done criterion of the issue: the emulator's call log shows no launch-configuration write for
    a drill whose groups are ready (only the default drift check's one read per server, issue 15),
    the wave records the fast path, and the recovery instances carry the applied settings."""
    servers = seed(stack, 3)
    group = create_group(admin, servers, net, {servers[0]: {"staticPrivateIp": "10.77.1.50"}})
    versions = {s: template_of(stack, s)[2] for s in servers}
    mark = last_seq(stack)
    body = _drill(admin, group["groupId"])
    assert body["status"] == "COMPLETED", body
    calls = launch_calls(stack, servers, mark)
    assert sorted(c["operation"] for c in calls) == ["GetLaunchConfiguration"] * len(servers), calls
    assert {s: template_of(stack, s)[2] for s in servers} == versions
    wave = body["waves"][0]
    assert wave["launchConfigPath"] == "FAST" and wave["launchConfigAppliedCount"] == 0, wave
    instances = {s["sourceServerId"]: s for s in wave["servers"]}
    assert instances[servers[0]]["privateIp"] == "10.77.1.50"
    ec2 = aws(stack, "ec2")
    for sid in servers:
        instance = ec2.describe_instances(InstanceIds=[instances[sid]["ec2InstanceId"]])["Reservations"][0]["Instances"][0]
        assert instance["InstanceType"] == "m5.large" and instance["SubnetId"] == net.subnet
        assert [g["GroupId"] for g in instance["SecurityGroups"]] == [net.sg]


def test_drill_after_an_edit_takes_the_fallback_path(stack: Any, admin: Any, net: Network, quick: None) -> None:
    """Feature: launch-config-preapplication, Property 7 through the engine: settings edited without
    being applied (stored hash no longer current) are applied at wave start."""
    from drs_orch.adapters.dynamodb import table
    from drs_orch.entrypoints.wiring import container

    servers = seed(stack, 2)
    group = create_group(admin, servers, net)
    table(container().settings.protection_groups_table).update_item(
        Key={"groupId": group["groupId"]}, UpdateExpression="SET launchConfig.instanceType = :t",
        ExpressionAttributeValues={":t": "c5.xlarge"})
    body = _drill(admin, group["groupId"])
    assert body["status"] == "COMPLETED", body
    wave = body["waves"][0]
    assert wave["launchConfigPath"] == "FALLBACK" and wave["launchConfigAppliedCount"] == 2, wave
    assert "settings changed since the last apply" in wave["launchConfigReason"]
    ec2 = aws(stack, "ec2")
    for server in wave["servers"]:
        instance = ec2.describe_instances(InstanceIds=[server["ec2InstanceId"]])["Reservations"][0]["Instances"][0]
        assert instance["InstanceType"] == "c5.xlarge"


def test_spoke_account_settings_are_checked_and_applied_in_that_account(
    stack: Any, admin: Any, net: Network
) -> None:
    """Existence checks and applying use the group's account (reached through its role and
    external id), not the hub: a hub subnet is unknown there."""
    import random
    import uuid

    import boto3

    from drs_local import iam_policy

    account = "8" + "".join(random.Random(uuid.uuid4().int).choice("0123456789") for _ in range(11))
    secret = f"lc-{uuid.uuid4().hex[:8]}"
    iam_policy.apply()
    role = iam_policy.provision_spoke(account, "123456789012", secret)
    code, body = admin.post("/accounts/targets", {"accountId": account, "roleArn": role, "externalId": secret})
    assert code == 201, body
    creds = aws(stack, "sts").assume_role(RoleArn=role, RoleSessionName="pytest", ExternalId=secret)["Credentials"]
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=stack.moto_url, aws_access_key_id=creds["AccessKeyId"],
                       aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    vpc = ec2.create_vpc(CidrBlock="10.90.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.90.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="spoke-app", Description="x", VpcId=vpc)["GroupId"]
    run = uuid.uuid4().hex[:8]
    seeded = stack.emulator.seed({"accounts": [{"accountId": account, "regions": [{"region": REGION, "servers": [
        {"hostname": f"lc-spoke-{run}-{n}.internal", "recommendedInstanceType": "c5.large"} for n in range(2)]}]}]})
    servers = list(seeded[account][REGION])
    group = {"groupName": f"lc-spoke-{run}", "region": REGION, "accountId": account, "sourceServerIds": servers}
    code, refused = admin.post("/protection-groups", {**group, "launchConfig": {"subnetId": net.subnet}})
    assert code == 400 and refused["details"][0]["field"] == "launchConfig.subnetId", refused
    code, created = admin.post("/protection-groups", {**group, "launchConfig": {
        "subnetId": subnet, "securityGroupIds": [sg], "launchDisposition": "STOPPED"},
        "servers": {servers[0]: {"staticPrivateIp": "10.90.1.10"}}})
    assert code == 201 and created["launchConfigStatus"]["status"] == "ready", created
    template_id = created["launchConfigStatus"]["serverConfigs"][servers[0]]["launchTemplateId"]
    data = ec2.describe_launch_template_versions(LaunchTemplateId=template_id, Versions=["$Default"])
    nic = data["LaunchTemplateVersions"][0]["LaunchTemplateData"]["NetworkInterfaces"][0]
    assert (nic["SubnetId"], nic["Groups"], nic["PrivateIpAddress"]) == (subnet, [sg], "10.90.1.10")


def test_property_5_a_failing_server_does_not_fail_the_save_and_is_named(
    stack: Any, admin: Any, net: Network
) -> None:
    """Feature: launch-config-preapplication, Property 5: DRS refuses one server (it is in an active
    recovery job); the group is still created, the status is partial and names the server."""
    servers = seed(stack, 3)
    stack.emulator.update_server(servers[1], launch={"durationSeconds": 10**6})
    aws(stack, "drs").start_recovery(sourceServers=[{"sourceServerID": servers[1]}], isDrill=True)
    body = create_group(admin, servers, net)
    status = body["launchConfigStatus"]
    assert status["status"] == "partial", status
    assert status["serverConfigs"][servers[1]]["status"] == "failed"
    assert "Conflict" in status["serverConfigs"][servers[1]]["errors"][0]
    assert any(e.startswith(servers[1]) for e in status["errors"])
    assert {status["serverConfigs"][s]["status"] for s in (servers[0], servers[2])} == {"ready"}
    code, got = admin.get(f"/protection-groups/{body['groupId']}/launch-config-status")
    assert code == 200 and got["outdatedServers"] == {servers[1]: "last apply failed or did not finish"}
