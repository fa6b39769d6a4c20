"""Issue 18 points 3 and 5-8: documented DRS rules a rehearsal must meet (points 2 and 4, the
in-AWS failback and the reversed-replication guard rails, are in test_accounts.py; points 1 and the
disappearing snapshots in test_fidelity_snapshots.py)."""

from __future__ import annotations

from typing import Any

import pytest
from emu_support import HUB, STAGING, START, sid

from drs_emulator import Emulator, EmulatorClock, FleetError

LAUNCH_INTO_TAG = [{"Key": "AWSDRS", "Value": "AllowLaunchingIntoThisInstance"}]


def _events(drs: Any, job_id: str) -> list[dict[str, Any]]:
    return [e for p in drs.get_paginator("describe_job_log_items").paginate(jobID=job_id) for e in p["items"]]


def _status(drs: Any, job_id: str) -> str:
    return str(drs.describe_jobs(filters={"jobIDs": [job_id]})["items"][0]["participatingServers"][0]["launchStatus"])


def _instance(ec2: Any, instance_id: str) -> dict[str, Any]:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def _run(ec2: Any, tags: list[dict[str, str]] | None = None, stopped: bool = True) -> str:
    subnet = next(s for s in ec2.describe_subnets()["Subnets"] if s["AvailabilityZone"] == "us-east-1a")
    spec = [{"ResourceType": "instance", "Tags": tags}] if tags else []
    instance_id = str(ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="m5.large",
                                        SubnetId=subnet["SubnetId"], TagSpecifications=spec)["Instances"][0]["InstanceId"])
    if stopped:
        ec2.stop_instances(InstanceIds=[instance_id])
    return instance_id


# --------------------------------------------------------------------------- point 3: launch into instance
# User Guide "Launch into instance" (launch settings) and "Launch into source instance" (default launch
# settings): tag AWSDRS=AllowLaunchingIntoThisInstance, instance stopped, transfer server tags and copy
# private IP off.


def test_launch_into_requires_the_tag_and_a_stopped_instance(emu: Emulator, drs: Any, ec2: Any) -> None:
    server_id = sid("app-01.example.internal")
    untagged, running = _run(ec2), _run(ec2, LAUNCH_INTO_TAG, stopped=False)
    for target, reason in ((untagged, "AWSDRS=AllowLaunchingIntoThisInstance"), (running, "must be stopped")):
        drs.update_launch_configuration(sourceServerID=server_id, copyTags=False,
                                        launchIntoInstanceProperties={"launchIntoEC2InstanceID": target})
        job = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}], isDrill=True)["job"]
        emu.advance(500)
        assert _status(drs, job["jobID"]) == "FAILED"
        failure = next(e for e in _events(drs, job["jobID"]) if e["event"] == "LAUNCH_FAILED")
        assert reason in failure["eventData"]["rawError"]
    assert _instance(ec2, running)["State"]["Name"] == "running"  # DRS did not touch it
    ready = _run(ec2, [*LAUNCH_INTO_TAG, {"Key": "Owner", "Value": "ops"}])
    drs.update_launch_configuration(sourceServerID=server_id,
                                    launchIntoInstanceProperties={"launchIntoEC2InstanceID": ready})
    job = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}], isDrill=True)["job"]
    emu.advance(500)
    assert _status(drs, job["jobID"]) == "LAUNCHED"
    instance = _instance(ec2, ready)
    tags = {t["Key"]: t["Value"] for t in instance["Tags"]}
    assert instance["State"]["Name"] == "running" and instance["InstanceType"] == "m5.large"
    assert tags["Owner"] == "ops" and "Application" not in tags  # source tags are not transferred


def test_launch_into_refuses_copy_tags_and_copy_private_ip(emu: Emulator, drs: Any, ec2: Any) -> None:
    server_id = sid("db-01.example.internal")  # copyPrivateIp and copyTags on in the default fleet
    target = _run(ec2, LAUNCH_INTO_TAG)
    with pytest.raises(drs.exceptions.ValidationException, match="copyTags and copyPrivateIp"):
        drs.update_launch_configuration(sourceServerID=server_id,
                                        launchIntoInstanceProperties={"launchIntoEC2InstanceID": target})
    lc = drs.update_launch_configuration(sourceServerID=server_id, copyTags=False, copyPrivateIp=False,
                                         launchIntoInstanceProperties={"launchIntoEC2InstanceID": target})
    assert lc["launchIntoInstanceProperties"]["launchIntoEC2InstanceID"] == target
    with pytest.raises(drs.exceptions.ValidationException, match="copyTags"):
        drs.update_launch_configuration(sourceServerID=server_id, copyTags=True)


# --------------------------------------------------------------------------- point 5
def test_disconnect_source_server_with_a_recovery_instance_is_refused(emu: Emulator, drs: Any) -> None:
    """API Reference DisconnectSourceServer: not possible while the server has a recovery instance."""
    server_id = sid("web-01.example.internal")
    drs.start_recovery(sourceServers=[{"sourceServerID": server_id}], isDrill=True)
    emu.advance(400)
    ri = drs.describe_recovery_instances(filters={"sourceServerIDs": [server_id]})["items"][0]["recoveryInstanceID"]
    with pytest.raises(drs.exceptions.ConflictException, match="recovery instance"):
        drs.disconnect_source_server(sourceServerID=server_id)
    drs.terminate_recovery_instances(recoveryInstanceIDs=[ri])
    emu.advance(80)
    assert drs.disconnect_source_server(sourceServerID=server_id)["dataReplicationInfo"][
        "dataReplicationState"] == "DISCONNECTED"


# --------------------------------------------------------------------------- point 6
# User Guide "Key considerations for EC2 launch templates".


def test_template_tags_take_precedence_over_copied_source_tags(emu: Emulator, drs: Any, ec2: Any) -> None:
    server_id = sid("web-02.example.internal")  # copyTags on; tags Application=OrderSystem, Tier=web
    lc = drs.get_launch_configuration(sourceServerID=server_id)
    version = ec2.create_launch_template_version(
        LaunchTemplateId=lc["ec2LaunchTemplateID"], SourceVersion="1",
        LaunchTemplateData={"TagSpecifications": [{"ResourceType": "instance", "Tags": [
            {"Key": "Tier", "Value": "dr-web"}, {"Key": "CostCenter", "Value": "dr"}]}]},
    )["LaunchTemplateVersion"]
    ec2.modify_launch_template(LaunchTemplateId=lc["ec2LaunchTemplateID"], DefaultVersion=str(version["VersionNumber"]))
    drs.start_recovery(sourceServers=[{"sourceServerID": server_id}], isDrill=True)
    emu.advance(400)
    ri = drs.describe_recovery_instances(filters={"sourceServerIDs": [server_id]})["items"][0]
    tags = {t["Key"]: t["Value"] for t in _instance(ec2, ri["recoveryInstanceID"])["Tags"]}
    assert tags["Tier"] == "dr-web" and tags["CostCenter"] == "dr" and tags["Application"] == "OrderSystem"


def test_no_subnet_in_the_template_does_not_follow_the_copied_ip(emu: Emulator, drs: Any, ec2: Any) -> None:
    server_id = sid("app-02.example.internal")
    zone_b = next(s for s in ec2.describe_subnets()["Subnets"] if s["AvailabilityZone"] == "us-east-1b")
    emu.update_server(server_id, private_ip=zone_b["CidrBlock"].split("/")[0][:-1] + "20")
    drs.update_launch_configuration(sourceServerID=server_id, copyPrivateIp=True)
    job = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}], isDrill=True)["job"]
    emu.advance(500)
    assert _status(drs, job["jobID"]) == "FAILED"  # the default subnet is zone a's; the IP is not in it
    failure = next(e for e in _events(drs, job["jobID"]) if e["event"] == "LAUNCH_FAILED")
    assert "subnet" in failure["eventData"]["rawError"].lower()


# --------------------------------------------------------------------------- point 7
# AWS General Reference, DRS quotas: 4,000 source servers, 300 replicating, 20 jobs, 100 per job,
# 500 in all jobs; adjustable, so the fleet file sets them per account-region.


def test_quotas_are_the_documented_ones_and_per_account_region(aws: None) -> None:
    emu = Emulator(clock=EmulatorClock(speed=0, start=START))
    emu.seed({
        "accounts": [
            {"accountId": HUB, "quotas": {"maxSourceServers": 2}, "stagingAccounts": [STAGING],
             "regions": [{"region": "eu-west-1", "quotas": {"maxActiveJobs": 1},
                          "servers": [{"hostname": "a.t"}, {"hostname": "b.t"}]},
                         {"region": "eu-west-2", "servers": [{"hostname": "c.t"}]}]},
            {"accountId": STAGING, "regions": [{"region": "eu-west-1", "servers": [{"hostname": "s.t"}]}]},
        ]
    })
    regions = {(r["account"], r["region"]): r["quotas"] for r in emu.summary()["regions"]}
    assert regions[(HUB, "eu-west-1")] == {"max_servers_per_job": 100, "max_active_jobs": 1,
                                           "max_servers_in_active_jobs": 500, "max_replicating_servers": 300,
                                           "max_source_servers": 2, "max_source_networks": 50,
                                           "max_recovery_plans": 100, "max_launch_actions_per_resource": 200}
    assert regions[(HUB, "eu-west-2")]["max_source_servers"] == 2
    assert regions[(STAGING, "eu-west-1")]["max_source_servers"] == 4000
    assert "max_recovery_instances" not in regions[(STAGING, "eu-west-1")]
    from emu_support import call

    staged = sid("s.t", STAGING, "eu-west-1")
    status, headers, body = call(emu, "CreateExtendedSourceServer",
                                 {"sourceServerArn": f"arn:aws:drs:eu-west-1:{STAGING}:source-server/{staged}"},
                                 region="eu-west-1")
    assert status == 402 and body["quotaCode"] == "MaxSourceServers"
    status, _, _ = call(emu, "StartRecovery", {"sourceServers": [{"sourceServerID": sid("a.t", HUB, "eu-west-1")}]},
                        region="eu-west-1")
    assert status == 202
    status, _, body = call(emu, "StartRecovery", {"sourceServers": [{"sourceServerID": sid("b.t", HUB, "eu-west-1")}]},
                           region="eu-west-1")
    assert status == 402 and body["quotaCode"] == "MaxActiveJobs"
    with pytest.raises(FleetError, match="maxRecoveryInstances"):
        emu.seed({"accounts": [{"accountId": HUB, "regions": [{"region": "eu-west-1",
                                                               "quotas": {"maxRecoveryInstances": 1}}]}]})
    emu.reset(terminate_instances=True)


def test_undocumented_answers_are_configurable(aws: None) -> None:
    """The documentation names neither the quota codes nor the error for a server already in a job."""
    from emu_support import call

    emu = Emulator(clock=EmulatorClock(speed=0, start=START))
    emu.seed({"conventions": {"busyError": "ValidationException", "quotaCodes": {"maxActiveJobs": "L-D88FAC3A"}},
              "quotas": {"maxActiveJobs": 1},
              "accounts": [{"accountId": HUB, "regions": [{"region": "eu-west-1",
                                                            "servers": [{"hostname": "a.t"}, {"hostname": "b.t"}]}]}]})
    a, b = sid("a.t", HUB, "eu-west-1"), sid("b.t", HUB, "eu-west-1")
    assert call(emu, "StartRecovery", {"sourceServers": [{"sourceServerID": a}]}, region="eu-west-1")[0] == 202
    status, headers, _ = call(emu, "StartRecovery", {"sourceServers": [{"sourceServerID": a}]}, region="eu-west-1")
    assert status == 400 and headers["x-amzn-ErrorType"] == "ValidationException"
    status, _, body = call(emu, "StartRecovery", {"sourceServers": [{"sourceServerID": b}]}, region="eu-west-1")
    assert status == 402 and body["quotaCode"] == "L-D88FAC3A"
    with pytest.raises(FleetError, match="busyError"):
        emu.seed({"conventions": {"busyError": "TeapotException"}})
    emu.reset(terminate_instances=True)


# --------------------------------------------------------------------------- point 8
# API Reference DescribeJobs / JobLogEvent.


def test_describe_jobs_lists_newest_first(emu: Emulator, drs: Any) -> None:
    ids = []
    for host in ("web-01", "web-02", "web-03"):
        ids.append(drs.start_recovery(sourceServers=[{"sourceServerID": sid(f"{host}.example.internal")}],
                                      isDrill=True)["job"]["jobID"])
        emu.advance(1)
    assert [j["jobID"] for j in drs.describe_jobs()["items"]] == ids[::-1]
    pages = drs.get_paginator("describe_jobs").paginate(PaginationConfig={"PageSize": 1})
    assert [j["jobID"] for p in pages for j in p["items"]] == ids[::-1]


def test_conversion_and_cleanup_failures_have_their_own_events(emu: Emulator, drs: Any, ec2: Any) -> None:
    converting, cleaning = sid("web-01.example.internal"), sid("web-02.example.internal")
    emu.add_fault("conversion_failure", server_id=converting, reason="unsupported kernel")
    job = drs.start_recovery(sourceServers=[{"sourceServerID": converting}, {"sourceServerID": cleaning}],
                             isDrill=True)["job"]
    emu.advance(400)
    events = _events(drs, job["jobID"])
    fail = next(e for e in events if e["event"] == "CONVERSION_FAIL")
    assert fail["eventData"] == {"sourceServerID": converting, "rawError": "unsupported kernel"}
    assert not [e for e in events if e["event"] == "LAUNCH_FAILED"]
    ri = drs.describe_recovery_instances(filters={"sourceServerIDs": [cleaning]})["items"][0]["recoveryInstanceID"]
    emu.add_fault("cleanup_failure", server_id=cleaning, reason="instance protected from termination", count=1)
    term = drs.terminate_recovery_instances(recoveryInstanceIDs=[ri])["job"]
    emu.advance(80)
    assert [e["event"] for e in _events(drs, term["jobID"])] == ["JOB_START", "CLEANUP_START", "CLEANUP_FAIL",
                                                               "JOB_END"]
    assert _status(drs, term["jobID"]) == "FAILED"
    assert _instance(ec2, ri)["State"]["Name"] == "running"
    ec2.terminate_instances(InstanceIds=[ri])  # terminated outside DRS: the next clean-up skips it
    term = drs.terminate_recovery_instances(recoveryInstanceIDs=[ri])["job"]
    emu.advance(80)
    assert [e["event"] for e in _events(drs, term["jobID"])] == ["JOB_START", "SERVER_SKIPPED", "JOB_END"]
    assert drs.describe_recovery_instances(filters={"sourceServerIDs": [cleaning]})["items"] == []


def test_a_cancelled_job_logs_job_cancel(emu: Emulator, drs: Any) -> None:
    job = drs.start_recovery(sourceServers=[{"sourceServerID": sid("web-03.example.internal")}], isDrill=True)["job"]
    emu.advance(60)
    view = emu.cancel_job(job["jobID"], reason="recovery plan execution cancelled")
    assert view["status"] == "COMPLETED" and view["participatingServers"][0]["launchStatus"] == "FAILED"
    assert [e["event"] for e in _events(drs, job["jobID"])][-2:] == ["JOB_CANCEL", "JOB_END"]
    with pytest.raises(KeyError):
        emu.cancel_job("drsjob-00000000000000000")
