"""Helpers of the launch-settings integration tests: own source servers (unique hostnames) in a
region no other area uses, and a VPC with subnets, security groups and an instance profile there."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import boto3

HUB = "123456789012"
REGION = "ap-southeast-2"
WRITES = ("UpdateLaunchConfiguration",)


def unique(prefix: str = "lc") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def aws(stack: Any, service: str) -> Any:
    endpoint = stack.drs_url if service == "drs" else stack.moto_url
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def seed(stack: Any, count: int) -> list[str]:
    run = uuid.uuid4().hex[:8]
    servers = [{"hostname": f"lc-{run}-{n:02d}.example.internal", "cpus": 2, "ramGiB": 4,
                "disks": [{"deviceName": "/dev/sda", "sizeGiB": 20}], "recommendedInstanceType": "c5.large",
                "launch": {"durationSeconds": 60}} for n in range(count)]
    seeded = stack.emulator.seed({"accounts": [{"accountId": HUB, "regions": [{"region": REGION,
                                                                                "servers": servers}]}]})
    return list(seeded[HUB][REGION])


@dataclass(frozen=True)
class Network:
    vpc: str
    subnet: str
    subnet_b: str
    sg: str
    sg_b: str
    sg_other_vpc: str
    profile: str
    used_ip: str


def network(stack: Any) -> Network:
    ec2 = aws(stack, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    other = ec2.create_vpc(CidrBlock="10.78.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.1.0/24")["Subnet"]["SubnetId"]
    subnet_b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.2.0/24")["Subnet"]["SubnetId"]
    name = unique("sg")
    sg = ec2.create_security_group(GroupName=name, Description="app", VpcId=vpc)["GroupId"]
    sg_b = ec2.create_security_group(GroupName=name + "b", Description="db", VpcId=vpc)["GroupId"]
    sg_other = ec2.create_security_group(GroupName=name + "o", Description="x", VpcId=other)["GroupId"]
    profile = unique("profile")
    aws(stack, "iam").create_instance_profile(InstanceProfileName=profile)
    ec2.create_network_interface(SubnetId=subnet, PrivateIpAddress="10.77.1.200")
    return Network(vpc, subnet, subnet_b, sg, sg_b, sg_other, profile, "10.77.1.200")


def template_of(stack: Any, server_id: str) -> tuple[str, dict[str, Any], int]:
    """``(template id, default version data, default version number)`` of a server's launch template."""
    template_id = aws(stack, "drs").get_launch_configuration(sourceServerID=server_id)["ec2LaunchTemplateID"]
    out = aws(stack, "ec2").describe_launch_template_versions(LaunchTemplateId=template_id, Versions=["$Default"])
    version = out["LaunchTemplateVersions"][0]
    return template_id, version["LaunchTemplateData"], int(version["VersionNumber"])


def set_template(stack: Any, server_id: str, data: dict[str, Any]) -> None:
    """Change a server's launch template out of band: a new default version holding ``data``."""
    template_id, _, _ = template_of(stack, server_id)
    ec2 = aws(stack, "ec2")
    created = ec2.create_launch_template_version(LaunchTemplateId=template_id, LaunchTemplateData=data)
    ec2.modify_launch_template(LaunchTemplateId=template_id,
                               DefaultVersion=str(created["LaunchTemplateVersion"]["VersionNumber"]))


def launch_calls(stack: Any, servers: list[str], since: int = 0) -> list[dict[str, Any]]:
    """Emulator call-log entries after ``since`` (a seq) that name one of ``servers``."""
    return [c for c in stack.emulator.calls(region=REGION)
            if c["seq"] > since and "LaunchConfiguration" in c["operation"]
            and any(s in c["params"] for s in servers)]


def last_seq(stack: Any) -> int:
    calls = stack.emulator.calls()
    return int(calls[-1]["seq"]) if calls else 0


def create_group(api: Any, servers: list[str], net: Network, overrides: dict[str, Any] | None = None,
                 **launch: Any) -> dict[str, Any]:
    config = {"subnetId": net.subnet, "securityGroupIds": [net.sg], "instanceType": "m5.large",
              "instanceProfileName": net.profile, "copyTags": True, "launchDisposition": "STOPPED", **launch}
    status, body = api.post("/protection-groups", {"groupName": unique("grp"), "region": REGION,
                                                    "sourceServerIds": servers, "launchConfig": config,
                                                    "servers": overrides or {}})
    assert status == 201, body
    return dict(body)
