"""Accounts and regions: SigV4 scope -> region, moto STS-assumed keys -> account, InitializeService,
and reverse replication / failback across the accounts of the default fleet."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from emu_support import HUB, KEYS, SPOKE, STAGING, assume, call, sid

from drs_emulator import Emulator, account_for_access_key


def _hosts(drs: Any) -> set[str]:
    return {
        s["sourceProperties"]["identificationHints"]["hostname"]
        for s in drs.describe_source_servers()["items"]
    }


def test_region_comes_from_the_credential_scope(make_drs: Any) -> None:
    east, west = make_drs("us-east-1"), make_drs("us-west-2")
    assert "db-01.example.internal" in _hosts(east)
    assert _hosts(west) == {
        f"{t}.payments.example.internal" for t in ("db-01", "app-01", "app-02", "web-01", "web-02", "web-03")
    }


def test_assumed_role_credentials_see_only_their_account(emu: Emulator, make_drs: Any) -> None:
    spoke_creds = assume(SPOKE)
    assert account_for_access_key(spoke_creds["aws_access_key_id"]) == SPOKE
    assert account_for_access_key(KEYS["aws_access_key_id"]) == HUB
    hub, spoke = make_drs("us-west-2"), make_drs("us-west-2", credentials=spoke_creds)
    assert all(h.endswith(".portal.example.internal") for h in _hosts(spoke))
    assert all(h.endswith(".payments.example.internal") for h in _hosts(hub))

    portal_db = sid("db-01.portal.example.internal", SPOKE, "us-west-2")
    with pytest.raises(hub.exceptions.ResourceNotFoundException):
        hub.get_launch_configuration(sourceServerID=portal_db)
    job = spoke.start_recovery(sourceServers=[{"sourceServerID": portal_db}], isDrill=True)["job"]
    assert job["arn"].startswith(f"arn:aws:drs:us-west-2:{SPOKE}:job/")
    assert hub.describe_jobs()["items"] == []
    with pytest.raises(hub.exceptions.AccessDeniedException):
        hub.list_tags_for_resource(resourceArn=job["arn"])
    emu.advance(700)
    ri = spoke.describe_recovery_instances()["items"][0]
    assert ri["originEnvironment"] == "AWS" and ri["originAvailabilityZone"] == "us-east-1a"
    spoke_ec2 = boto3.client("ec2", region_name="us-west-2", **spoke_creds)
    hub_ec2 = boto3.client("ec2", region_name="us-west-2", **KEYS)
    found = spoke_ec2.describe_instances(InstanceIds=[ri["recoveryInstanceID"]])["Reservations"][0][
        "Instances"
    ][0]
    assert found["PrivateIpAddress"] == "172.31.2.11"
    hub_ids = {i["InstanceId"] for r in hub_ec2.describe_instances()["Reservations"] for i in r["Instances"]}
    assert ri["recoveryInstanceID"] not in hub_ids
    assert [c["account"] for c in emu.calls("StartRecovery")] == [SPOKE]


def test_aws_origin_servers_have_real_source_instances(make_drs: Any) -> None:
    creds = assume(SPOKE)
    spoke = make_drs("us-west-2", credentials=creds)
    server = spoke.describe_source_servers(
        filters={"sourceServerIDs": [sid("app-01.portal.example.internal", SPOKE, "us-west-2")]}
    )["items"][0]
    assert server["sourceCloudProperties"] == {
        "originAccountID": SPOKE,
        "originRegion": "us-east-1",
        "originAvailabilityZone": "us-east-1a",
    }
    instance_id = server["sourceProperties"]["identificationHints"]["awsInstanceID"]
    origin_ec2 = boto3.client("ec2", region_name="us-east-1", **creds)
    origin = origin_ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    assert origin["PrivateIpAddress"] == "172.31.2.21"
    assert (
        spoke.describe_source_servers(filters={"hardwareId": instance_id})["items"][0]["sourceServerID"]
        == (server["sourceServerID"])
    )


def test_uninitialized_account_regions(emu: Emulator, make_drs: Any) -> None:
    staging_creds = assume(STAGING)
    west = make_drs("us-west-2", credentials=staging_creds)  # 222222222222 only has us-east-1 seeded
    with pytest.raises(west.exceptions.UninitializedAccountException):
        west.describe_source_servers()
    with pytest.raises(west.exceptions.UninitializedAccountException):
        west.start_recovery(sourceServers=[{"sourceServerID": "s-00000000000000000"}])
    with pytest.raises(
        west.exceptions.ResourceNotFoundException
    ):  # TagResource models no UninitializedAccount
        west.list_tags_for_resource(
            resourceArn=f"arn:aws:drs:us-west-2:{STAGING}:job/drsjob-00000000000000000"
        )
    west.initialize_service()
    assert west.describe_source_servers()["items"] == []
    emu.set_initialized(HUB, "us-east-1", False)
    status, headers, _ = call(emu, "DescribeJobs")
    assert status == 400 and headers["x-amzn-ErrorType"] == "UninitializedAccountException"


def test_reverse_replication_and_failback(emu: Emulator, make_drs: Any) -> None:
    creds = assume(SPOKE)
    recovery_region = make_drs("us-west-2", credentials=creds)
    origin_region = make_drs("us-east-1", credentials=creds)
    server_id = sid("web-01.portal.example.internal", SPOKE, "us-west-2")
    drill = recovery_region.start_recovery(sourceServers=[{"sourceServerID": server_id}], isDrill=True)["job"]
    emu.advance(400)
    drill_ri = recovery_region.describe_recovery_instances()["items"][0]["recoveryInstanceID"]
    with pytest.raises(recovery_region.exceptions.ConflictException):
        recovery_region.reverse_replication(recoveryInstanceID=drill_ri)
    recovery_region.start_recovery(sourceServers=[{"sourceServerID": server_id}])
    emu.advance(400)
    ri = recovery_region.describe_recovery_instances()["items"][0]
    assert ri["isDrill"] is False and ri["recoveryInstanceID"] != drill_ri and drill["jobID"] != ri["jobID"]
    ri_id = ri["recoveryInstanceID"]

    arn = recovery_region.reverse_replication(recoveryInstanceID=ri_id)["reversedDirectionSourceServerArn"]
    assert arn.startswith(f"arn:aws:drs:us-east-1:{SPOKE}:source-server/s-")
    with pytest.raises(recovery_region.exceptions.ConflictException):
        recovery_region.reverse_replication(recoveryInstanceID=ri_id)
    reversed_id = arn.rsplit("/", 1)[1]
    reversed_server = origin_region.describe_source_servers(filters={"sourceServerIDs": [reversed_id]})[
        "items"
    ][0]
    assert reversed_server["replicationDirection"] == "FAILBACK"
    assert reversed_server["reversedDirectionSourceServerArn"].endswith(server_id)
    assert reversed_server["dataReplicationInfo"]["dataReplicationState"] == "INITIATING"
    original = recovery_region.describe_source_servers(filters={"sourceServerIDs": [server_id]})["items"][0]
    assert original["reversedDirectionSourceServerArn"] == arn
    assert (
        recovery_region.describe_recovery_instances()["items"][0]["failback"]["state"]
        == "FAILBACK_IN_PROGRESS"
    )
    emu.advance(700)
    ready = recovery_region.describe_recovery_instances()["items"][0]
    assert ready["failback"]["state"] == "FAILBACK_READY_FOR_LAUNCH"
    assert ready["dataReplicationInfo"]["dataReplicationState"] == "CONTINUOUS"
    reversed_now = origin_region.describe_source_servers(filters={"sourceServerIDs": [reversed_id]})["items"][
        0
    ]
    assert reversed_now["dataReplicationInfo"]["dataReplicationState"] == "CONTINUOUS"

    # DRS User Guide, in-AWS (cross-Region) failback: a recovery launched from the reversed source
    # server in the origin Region; StartFailbackLaunch is the Failback Client path and is refused
    with pytest.raises(recovery_region.exceptions.ValidationException, match="reversed source server"):
        recovery_region.start_failback_launch(recoveryInstanceIDs=[ri_id])
    job = origin_region.start_recovery(sourceServers=[{"sourceServerID": reversed_id}], tags={"phase": "failback"})[
        "job"
    ]
    assert job["initiatedBy"] == "START_RECOVERY"
    emu.advance(500)
    done = origin_region.describe_jobs(filters={"jobIDs": [job["jobID"]]})["items"][0]
    assert done["status"] == "COMPLETED" and done["participatingServers"][0]["launchStatus"] == "LAUNCHED"
    back = origin_region.describe_recovery_instances(filters={"sourceServerIDs": [reversed_id]})["items"][0]
    assert back["recoveryInstanceID"].startswith("i-") and back["isDrill"] is False
    final = recovery_region.describe_recovery_instances()["items"][0]["failback"]
    assert final["state"] == "FAILBACK_COMPLETED" and final["failbackJobID"] == job["jobID"]
    assert final["failbackLaunchType"] == "RECOVERY"

    # guard rails: the recovery instance cannot be cleaned up while its replication is reversed
    with pytest.raises(recovery_region.exceptions.ConflictException, match="reversed"):
        recovery_region.terminate_recovery_instances(recoveryInstanceIDs=[ri_id])
    with pytest.raises(recovery_region.exceptions.ConflictException, match="reversed"):
        recovery_region.disconnect_recovery_instance(recoveryInstanceID=ri_id)
    recovery_region.stop_failback(recoveryInstanceID=ri_id)
    assert (
        recovery_region.describe_recovery_instances()["items"][0]["failback"]["state"]
        == "FAILBACK_NOT_STARTED"
    )
    stopped = origin_region.describe_source_servers(filters={"sourceServerIDs": [reversed_id]})["items"][0]
    assert stopped["dataReplicationInfo"]["dataReplicationState"] == "STOPPED"
    term = recovery_region.terminate_recovery_instances(recoveryInstanceIDs=[ri_id])["job"]
    emu.advance(80)
    assert recovery_region.describe_jobs(filters={"jobIDs": [term["jobID"]]})["items"][0]["status"] == "COMPLETED"


def test_failback_launch_failure_sets_failback_error(emu: Emulator, drs: Any) -> None:
    server_id = sid("web-03.example.internal")
    drs.start_recovery(sourceServers=[{"sourceServerID": server_id}])
    emu.advance(400)
    ri_id = drs.describe_recovery_instances()["items"][0]["recoveryInstanceID"]
    emu.set_failback_state(ri_id, "FAILBACK_READY_FOR_LAUNCH")
    emu.add_fault("launch_failure", operation="StartFailbackLaunch", reason="failback client lost")
    job = drs.start_failback_launch(recoveryInstanceIDs=[ri_id])["job"]
    emu.advance(400)
    assert (
        drs.describe_jobs(filters={"jobIDs": [job["jobID"]]})["items"][0]["participatingServers"][0][
            "launchStatus"
        ]
        == "FAILED"
    )
    assert drs.describe_recovery_instances()["items"][0]["failback"]["state"] == "FAILBACK_ERROR"


def test_failback_into_the_source_instance(emu: Emulator, make_drs: Any) -> None:
    """User Guide "Launch into source instance": with a launch configuration template setting
    launchIntoSourceInstance in the origin Region, the reversed server launches into the original EC2
    instance; ReverseReplication checks the prerequisites (AWSDRS tag, copy tags / private IP off)."""
    creds = assume(SPOKE)
    recovery_region, origin_region = make_drs("us-west-2", credentials=creds), make_drs("us-east-1", credentials=creds)
    ec2 = boto3.client("ec2", region_name="us-east-1", **creds)
    server_id = sid("web-02.portal.example.internal", SPOKE, "us-west-2")
    original = recovery_region.describe_source_servers(filters={"sourceServerIDs": [server_id]})["items"][0][
        "sourceProperties"]["identificationHints"]["awsInstanceID"]
    origin_region.create_launch_configuration_template(launchIntoSourceInstance=True, copyTags=False,
                                                       copyPrivateIp=False)
    recovery_region.start_recovery(sourceServers=[{"sourceServerID": server_id}])
    emu.advance(400)
    ri_id = recovery_region.describe_recovery_instances(filters={"sourceServerIDs": [server_id]})["items"][0][
        "recoveryInstanceID"]
    with pytest.raises(recovery_region.exceptions.ValidationException, match="AWSDRS=AllowLaunchingIntoThisInstance"):
        recovery_region.reverse_replication(recoveryInstanceID=ri_id)
    ec2.create_tags(Resources=[original], Tags=[{"Key": "AWSDRS", "Value": "AllowLaunchingIntoThisInstance"}])
    ec2.stop_instances(InstanceIds=[original])
    arn = recovery_region.reverse_replication(recoveryInstanceID=ri_id)["reversedDirectionSourceServerArn"]
    reversed_id = arn.rsplit("/", 1)[1]
    lc = origin_region.get_launch_configuration(sourceServerID=reversed_id)
    assert lc["launchIntoInstanceProperties"] == {"launchIntoEC2InstanceID": original}
    emu.advance(700)
    job = origin_region.start_recovery(sourceServers=[{"sourceServerID": reversed_id}])["job"]
    emu.advance(500)
    done = origin_region.describe_jobs(filters={"jobIDs": [job["jobID"]]})["items"][0]
    assert done["participatingServers"][0]["recoveryInstanceID"] == original
    assert ec2.describe_instances(InstanceIds=[original])["Reservations"][0]["Instances"][0]["State"]["Name"] == "running"
