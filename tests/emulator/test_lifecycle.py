"""Job lifecycle on the emulator clock, and recovery instances as real moto EC2 instances."""

from __future__ import annotations

from typing import Any

from emu_support import sid

from drs_emulator import Emulator


def _job(drs: Any, job_id: str) -> dict[str, Any]:
    return drs.describe_jobs(filters={"jobIDs": [job_id]})["items"][0]


def _events(drs: Any, job_id: str) -> list[dict[str, Any]]:
    return [
        e
        for page in drs.get_paginator("describe_job_log_items").paginate(jobID=job_id)
        for e in page["items"]
    ]


def _instance(ec2: Any, instance_id: str) -> dict[str, Any]:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def test_job_progression_with_a_failed_server(emu: Emulator, drs: Any) -> None:
    healthy, stalled = sid("app-01.example.internal"), sid("app-02.example.internal")
    # replication restarted from scratch: no snapshot until the initial sync completes
    emu.update_server(stalled, replication_state="STOPPED")
    emu.update_server(stalled, replication_state="INITIAL_SYNC")
    job = drs.start_recovery(
        sourceServers=[{"sourceServerID": healthy}, {"sourceServerID": stalled}], isDrill=True
    )["job"]
    server = drs.describe_source_servers(filters={"sourceServerIDs": [healthy]})["items"][0]
    assert server["lastLaunchResult"] == "PENDING"
    assert server["lifeCycle"]["lastLaunch"]["initiated"]["jobID"] == job["jobID"]
    assert server["lifeCycle"]["lastLaunch"]["initiated"]["type"] == "DRILL"
    emu.advance(10)
    started = _job(drs, job["jobID"])
    assert started["status"] == "STARTED"
    statuses = {p["sourceServerID"]: p["launchStatus"] for p in started["participatingServers"]}
    assert statuses == {healthy: "IN_PROGRESS", stalled: "FAILED"}
    emu.advance(300)
    assert _job(drs, job["jobID"])["status"] == "STARTED"
    emu.advance(200)
    done = _job(drs, job["jobID"])
    assert done["status"] == "COMPLETED"
    statuses = {p["sourceServerID"]: p["launchStatus"] for p in done["participatingServers"]}
    assert statuses == {healthy: "LAUNCHED", stalled: "FAILED"}
    failed = [e for e in _events(drs, job["jobID"]) if e["event"] == "LAUNCH_FAILED"]
    assert failed[0]["eventData"]["sourceServerID"] == stalled
    assert "initial sync has not completed" in failed[0]["eventData"]["rawError"]
    servers = {s["sourceServerID"]: s for s in drs.describe_source_servers()["items"]}
    assert servers[healthy]["lastLaunchResult"] == "SUCCEEDED"
    assert servers[healthy]["lifeCycle"]["lastLaunch"]["status"] == "LAUNCHED"
    assert servers[stalled]["lastLaunchResult"] == "FAILED"
    assert servers[healthy]["recoveryInstanceId"].startswith("i-")


def test_recovery_instance_is_a_real_ec2_instance(emu: Emulator, drs: Any, ec2: Any) -> None:
    server_id = sid("db-01.example.internal")  # copyPrivateIp: true, copyTags: true in the default fleet
    job = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}])["job"]
    emu.advance(700)
    ri = drs.describe_recovery_instances(filters={"sourceServerIDs": [server_id]})["items"][0]
    assert ri["jobID"] == job["jobID"] and ri["isDrill"] is False
    assert ri["recoveryInstanceProperties"]["networkInterfaces"][0]["ips"] == ["172.31.1.11"]
    assert all(d["ebsVolumeID"].startswith("vol-") for d in ri["recoveryInstanceProperties"]["disks"][:1])
    instance = _instance(ec2, ri["recoveryInstanceID"])
    assert instance["State"]["Name"] == "running"
    assert instance["PrivateIpAddress"] == "172.31.1.11"
    assert instance["InstanceType"] == "r5.2xlarge"
    tags = {t["Key"]: t["Value"] for t in instance["Tags"]}
    assert tags["Name"] == "db-01.example.internal"
    assert tags["Application"] == "OrderSystem" and tags["Tier"] == "db"
    assert tags["AWSElasticDisasterRecoverySourceServerID"] == server_id

    term = drs.terminate_recovery_instances(recoveryInstanceIDs=[ri["recoveryInstanceID"]])["job"]
    emu.advance(80)
    assert _instance(ec2, ri["recoveryInstanceID"])["State"]["Name"] == "terminated"
    assert drs.describe_recovery_instances(filters={"sourceServerIDs": [server_id]})["items"] == []
    done = _job(drs, term["jobID"])
    assert done["status"] == "COMPLETED"
    assert done["participatingServers"][0]["launchStatus"] == "TERMINATED"
    assert [e["event"] for e in _events(drs, term["jobID"])] == [
        "JOB_START",
        "CLEANUP_START",
        "CLEANUP_END",
        "JOB_END",
    ]
    server = drs.describe_source_servers(filters={"sourceServerIDs": [server_id]})["items"][0]
    assert "recoveryInstanceId" not in server
    assert server["lifeCycle"]["lastLaunch"]["status"] == "TERMINATED"

    drs.start_recovery(sourceServers=[{"sourceServerID": server_id}])  # the copied IP is free again
    emu.advance(700)
    again = drs.describe_recovery_instances(filters={"sourceServerIDs": [server_id]})["items"][0]
    assert _instance(ec2, again["recoveryInstanceID"])["PrivateIpAddress"] == "172.31.1.11"


def test_launch_template_default_version_drives_the_launch(emu: Emulator, drs: Any, ec2: Any) -> None:
    server_id = sid("web-02.example.internal")
    lc = drs.update_launch_configuration(
        sourceServerID=server_id, targetInstanceTypeRightSizingMethod="NONE", copyTags=False
    )
    subnet = next(s for s in ec2.describe_subnets()["Subnets"] if s["AvailabilityZone"] == "us-east-1b")
    group = ec2.create_security_group(GroupName="dr-web", Description="dr web")["GroupId"]
    version = ec2.create_launch_template_version(
        LaunchTemplateId=lc["ec2LaunchTemplateID"],
        LaunchTemplateData={
            "InstanceType": "m5.large",
            "NetworkInterfaces": [
                {
                    "DeviceIndex": 0,
                    "SubnetId": subnet["SubnetId"],
                    "PrivateIpAddress": "172.31.16.99",
                    "Groups": [group],
                }
            ],
            "TagSpecifications": [
                {"ResourceType": "instance", "Tags": [{"Key": "CostCenter", "Value": "dr"}]}
            ],
        },
    )["LaunchTemplateVersion"]
    ec2.modify_launch_template(
        LaunchTemplateId=lc["ec2LaunchTemplateID"], DefaultVersion=str(version["VersionNumber"])
    )
    drs.start_recovery(sourceServers=[{"sourceServerID": server_id}], isDrill=True)
    emu.advance(400)
    ri = drs.describe_recovery_instances(filters={"sourceServerIDs": [server_id]})["items"][0]
    instance = _instance(ec2, ri["recoveryInstanceID"])
    assert instance["InstanceType"] == "m5.large"
    assert instance["SubnetId"] == subnet["SubnetId"] and instance["PrivateIpAddress"] == "172.31.16.99"
    assert [g["GroupId"] for g in instance["SecurityGroups"]] == [group]
    tags = {t["Key"]: t["Value"] for t in instance["Tags"]}
    assert (
        tags["CostCenter"] == "dr" and tags["Name"] == "web-02.example.internal" and "Application" not in tags
    )


def test_broken_launch_template_fails_the_launch(emu: Emulator, drs: Any, ec2: Any) -> None:
    server_id = sid("web-03.example.internal")
    lc = drs.get_launch_configuration(sourceServerID=server_id)
    ec2.create_launch_template_version(
        LaunchTemplateId=lc["ec2LaunchTemplateID"],
        LaunchTemplateData={
            "NetworkInterfaces": [{"DeviceIndex": 0, "SubnetId": "subnet-0000000000000dead"}]
        },
    )
    ec2.modify_launch_template(LaunchTemplateId=lc["ec2LaunchTemplateID"], DefaultVersion="2")
    job = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}])["job"]
    emu.advance(400)
    done = _job(drs, job["jobID"])
    assert done["status"] == "COMPLETED" and done["participatingServers"][0]["launchStatus"] == "FAILED"
    failure = next(e for e in _events(drs, job["jobID"]) if e["event"] == "LAUNCH_FAILED")
    assert "subnet-0000000000000dead" in failure["eventData"]["rawError"]


def test_copy_private_ip_outside_the_subnet_fails(emu: Emulator, drs: Any) -> None:
    server_id = sid("app-02.example.internal")
    emu.update_server(server_id, private_ip="10.99.0.5")
    drs.update_launch_configuration(sourceServerID=server_id, copyPrivateIp=True)
    job = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}])["job"]
    emu.advance(500)
    failure = next(e for e in _events(drs, job["jobID"]) if e["event"] == "LAUNCH_FAILED")
    assert "subnet CIDR" in failure["eventData"]["rawError"]


def test_launch_into_existing_instance_keeps_id_and_ip(emu: Emulator, drs: Any, ec2: Any) -> None:
    server_id = sid("app-02.example.internal")
    subnet = next(s for s in ec2.describe_subnets()["Subnets"] if s["AvailabilityZone"] == "us-east-1a")
    existing = ec2.run_instances(
        ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="m5.xlarge", SubnetId=subnet["SubnetId"],
        TagSpecifications=[{"ResourceType": "instance",
                            "Tags": [{"Key": "AWSDRS", "Value": "AllowLaunchingIntoThisInstance"}]}],
    )["Instances"][0]
    ec2.stop_instances(InstanceIds=[existing["InstanceId"]])
    drs.update_launch_configuration(
        sourceServerID=server_id,
        launchIntoInstanceProperties={"launchIntoEC2InstanceID": existing["InstanceId"]},
        copyTags=False,
    )
    lc = drs.get_launch_configuration(sourceServerID=server_id)
    assert lc["launchIntoInstanceProperties"] == {"launchIntoEC2InstanceID": existing["InstanceId"]}
    for _ in range(2):  # a relaunch reuses the same instance again
        job = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}], isDrill=True)["job"]
        emu.advance(500)
        assert (
            _job(drs, job["jobID"])["participatingServers"][0]["recoveryInstanceID"] == existing["InstanceId"]
        )
    ri = drs.describe_recovery_instances(filters={"sourceServerIDs": [server_id]})["items"]
    assert [r["recoveryInstanceID"] for r in ri] == [existing["InstanceId"]]
    instance = _instance(ec2, existing["InstanceId"])
    assert (
        instance["PrivateIpAddress"] == existing["PrivateIpAddress"]
        and instance["State"]["Name"] == "running"
    )
    assert {t["Key"]: t["Value"] for t in instance["Tags"]}[
        "AWSElasticDisasterRecoverySourceServerID"
    ] == server_id


def test_relaunch_replaces_the_previous_recovery_instance(emu: Emulator, drs: Any, ec2: Any) -> None:
    server_id = sid("web-01.example.internal")
    drs.start_recovery(sourceServers=[{"sourceServerID": server_id}], isDrill=True)
    emu.advance(400)
    first = drs.describe_recovery_instances(filters={"sourceServerIDs": [server_id]})["items"][0][
        "recoveryInstanceID"
    ]
    job = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}])["job"]
    emu.advance(400)
    events = [e["event"] for e in _events(drs, job["jobID"])]
    assert events[1:3] == ["CLEANUP_START", "CLEANUP_END"]
    second = drs.describe_recovery_instances(filters={"sourceServerIDs": [server_id]})["items"]
    assert len(second) == 1 and second[0]["recoveryInstanceID"] != first and second[0]["isDrill"] is False
    assert _instance(ec2, first)["State"]["Name"] == "terminated"


def test_launch_disposition_stopped(emu: Emulator, drs: Any, ec2: Any) -> None:
    server_id = sid("app-01.example.internal")
    drs.update_launch_configuration(sourceServerID=server_id, launchDisposition="STOPPED")
    drs.start_recovery(sourceServers=[{"sourceServerID": server_id}], isDrill=True)
    emu.advance(500)
    ri = drs.describe_recovery_instances(filters={"sourceServerIDs": [server_id]})["items"][0]
    assert ri["ec2InstanceState"] == "STOPPED"
    assert _instance(ec2, ri["recoveryInstanceID"])["State"]["Name"] == "stopped"


def test_planned_failure_and_out_of_band_state_changes(emu: Emulator, drs: Any) -> None:
    server_id = sid("web-02.example.internal")
    emu.update_server(
        server_id, launch={"outcome": "FAILED", "reason": "boot volume corrupt", "durationSeconds": 100}
    )
    job = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}])["job"]
    emu.advance(111)
    done = _job(drs, job["jobID"])
    assert done["status"] == "COMPLETED" and done["participatingServers"][0]["launchStatus"] == "FAILED"
    assert [
        e["eventData"].get("rawError") for e in _events(drs, job["jobID"]) if e["event"] == "LAUNCH_FAILED"
    ] == ["boot volume corrupt"]
    emu.update_server(server_id, replication_state="STALLED", lag_seconds=60)
    emu.advance(600)
    server = drs.describe_source_servers(filters={"sourceServerIDs": [server_id]})["items"][0]
    assert server["dataReplicationInfo"]["dataReplicationState"] == "STALLED"
    assert server["dataReplicationInfo"]["lagDuration"] == "PT11M"
    emu.update_server(server_id, replication_state="STOPPED")
    job = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}])["job"]
    emu.advance(200)
    failure = next(e for e in _events(drs, job["jobID"]) if e["event"] == "LAUNCH_FAILED")
    assert "STOPPED" in failure["eventData"]["rawError"]


def test_progression_does_not_depend_on_polling_frequency(emu: Emulator, drs: Any) -> None:
    a = drs.start_recovery(sourceServers=[{"sourceServerID": sid("web-01.example.internal")}])["job"]
    emu.advance(1000)
    coarse = [(e["logDateTime"], e["event"]) for e in _events(drs, a["jobID"])]
    b = drs.start_recovery(sourceServers=[{"sourceServerID": sid("web-02.example.internal")}])["job"]
    for _ in range(100):
        emu.advance(10)
        drs.describe_jobs(filters={"jobIDs": [b["jobID"]]})
    fine = [(e["logDateTime"], e["event"]) for e in _events(drs, b["jobID"])]
    assert [event for _, event in coarse] == [event for _, event in fine]
    assert len(coarse) == 7
