"""Every emulated operation through an unmodified boto3 client, with paginators across pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from emu_support import HUB, STAGING, sid

from drs_emulator import Emulator


def _all(
    drs: Any, operation: str, page_size: int, result_key: str = "items", **kwargs: Any
) -> tuple[int, list]:
    pages = list(drs.get_paginator(operation).paginate(PaginationConfig={"PageSize": page_size}, **kwargs))
    return len(pages), [item for page in pages for item in page[result_key]]


def test_describe_source_servers_filters_and_pages(drs: Any) -> None:
    pages, items = _all(drs, "describe_source_servers", 3)
    assert pages == 3 and len(items) == 8
    assert len({s["sourceServerID"] for s in items}) == 8
    db01 = next(
        s
        for s in items
        if s["sourceProperties"]["identificationHints"]["hostname"] == "db-01.example.internal"
    )
    assert db01["sourceServerID"] == sid("db-01.example.internal")
    assert db01["tags"] == {
        "Application": "OrderSystem",
        "Tier": "db",
        "Environment": "production",
        "Wave": "1",
    }
    assert db01["sourceProperties"]["ramBytes"] == 64 * 1024**3
    assert db01["sourceProperties"]["recommendedInstanceType"] == "r5.2xlarge"
    assert db01["dataReplicationInfo"]["lagDuration"] == "PT4S"
    stalled = next(s for s in items if s["dataReplicationInfo"]["dataReplicationState"] == "STALLED")
    assert stalled["dataReplicationInfo"]["dataReplicationError"]["error"] == "UNSTABLE_NETWORK"

    by_id = drs.describe_source_servers(filters={"sourceServerIDs": [db01["sourceServerID"]]})["items"]
    assert [s["sourceServerID"] for s in by_id] == [db01["sourceServerID"]]
    mac = db01["sourceProperties"]["networkInterfaces"][0]["macAddress"]
    assert [
        s["sourceServerID"] for s in drs.describe_source_servers(filters={"hardwareId": mac})["items"]
    ] == [db01["sourceServerID"]]
    uuid = db01["sourceProperties"]["identificationHints"]["vmWareUuid"]
    assert len(drs.describe_source_servers(filters={"hardwareId": uuid})["items"]) == 1
    assert drs.describe_source_servers(filters={"stagingAccountIDs": [STAGING]})["items"] == []


def test_launch_configuration_get_and_update(drs: Any, ec2: Any) -> None:
    server_id = sid("app-01.example.internal")
    lc = drs.get_launch_configuration(sourceServerID=server_id)
    assert lc["ec2LaunchTemplateID"].startswith("lt-")
    assert ec2.describe_launch_templates(LaunchTemplateIds=[lc["ec2LaunchTemplateID"]])["LaunchTemplates"]
    assert lc["copyTags"] is True and lc["launchDisposition"] == "STARTED"
    updated = drs.update_launch_configuration(
        sourceServerID=server_id,
        name="app-01",
        copyPrivateIp=True,
        targetInstanceTypeRightSizingMethod="NONE",
        licensing={"osByol": False},
        recoveryMode="FAST",
        postLaunchEnabled=True,
    )
    assert (
        updated["name"] == "app-01" and updated["copyPrivateIp"] is True and updated["recoveryMode"] == "FAST"
    )
    assert drs.get_launch_configuration(sourceServerID=server_id)["licensing"] == {"osByol": False}
    with pytest.raises(drs.exceptions.ValidationException):
        drs.update_launch_configuration(
            sourceServerID=server_id,
            launchIntoInstanceProperties={"launchIntoEC2InstanceID": "i-0123456789abcdef0"},
        )
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.update_launch_configuration(sourceServerID="s-00000000000000000", copyTags=False)


def test_launch_configuration_templates(drs: Any) -> None:
    created = [
        drs.create_launch_configuration_template(copyPrivateIp=i % 2 == 0, tags={"n": str(i)})[
            "launchConfigurationTemplate"
        ]
        for i in range(3)
    ]
    assert all(t["launchConfigurationTemplateID"].startswith("lct-") for t in created)
    assert created[0]["arn"].endswith(created[0]["launchConfigurationTemplateID"])
    pages, items = _all(drs, "describe_launch_configuration_templates", 2)
    assert pages == 2 and [t["launchConfigurationTemplateID"] for t in items] == [
        t["launchConfigurationTemplateID"] for t in created
    ]
    one = drs.describe_launch_configuration_templates(
        launchConfigurationTemplateIDs=[created[1]["launchConfigurationTemplateID"]]
    )["items"]
    assert one[0]["tags"] == {"n": "1"}
    updated = drs.update_launch_configuration_template(
        launchConfigurationTemplateID=created[1]["launchConfigurationTemplateID"], launchDisposition="STOPPED"
    )["launchConfigurationTemplate"]
    assert updated["launchDisposition"] == "STOPPED"
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.describe_launch_configuration_templates(launchConfigurationTemplateIDs=["lct-00000000000000000"])
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.update_launch_configuration_template(launchConfigurationTemplateID="lct-00000000000000000")


def test_start_recovery_jobs_logs_and_delete(emu: Emulator, drs: Any) -> None:
    web = [sid(f"web-0{i}.example.internal") for i in (1, 2, 3)]
    job = drs.start_recovery(
        sourceServers=[{"sourceServerID": s} for s in web], isDrill=True, tags={"Purpose": "drill"}
    )["job"]
    assert job["status"] == "PENDING" and job["type"] == "LAUNCH" and job["initiatedBy"] == "START_DRILL"
    assert job["tags"] == {"Purpose": "drill"}
    assert [p["launchStatus"] for p in job["participatingServers"]] == ["PENDING"] * 3
    with pytest.raises(drs.exceptions.ConflictException):
        drs.delete_job(jobID=job["jobID"])
    emu.advance(15)
    assert drs.describe_jobs(filters={"jobIDs": [job["jobID"]]})["items"][0]["status"] == "STARTED"
    emu.advance(400)
    done = drs.describe_jobs(filters={"jobIDs": [job["jobID"]]})["items"][0]
    assert done["status"] == "COMPLETED" and done["endDateTime"] >= done["creationDateTime"]
    assert {p["launchStatus"] for p in done["participatingServers"]} == {"LAUNCHED"}
    pages, log = _all(drs, "describe_job_log_items", 4, jobID=job["jobID"])
    assert pages > 2
    events = [e["event"] for e in log]
    assert events[0] == "JOB_START" and events[-1] == "JOB_END"
    for event in ("SNAPSHOT_START", "SNAPSHOT_END", "CONVERSION_START", "CONVERSION_END", "LAUNCH_START"):
        assert events.count(event) == 3
    assert [e["logDateTime"] for e in log] == sorted(e["logDateTime"] for e in log)

    recovery = drs.start_recovery(sourceServers=[{"sourceServerID": sid("db-01.example.internal")}])["job"]
    assert recovery["initiatedBy"] == "START_RECOVERY"
    now = emu.clock.now_datetime()
    window = {
        "fromDate": (now - timedelta(seconds=1)).isoformat().replace("+00:00", "Z"),
        "toDate": (now + timedelta(seconds=1)).isoformat().replace("+00:00", "Z"),
    }
    assert [j["jobID"] for j in drs.describe_jobs(filters=window)["items"]] == [recovery["jobID"]]
    pages, jobs = _all(drs, "describe_jobs", 1)
    assert pages == 2 and len(jobs) == 2
    drs.delete_job(jobID=job["jobID"])
    assert [j["jobID"] for j in drs.describe_jobs()["items"]] == [recovery["jobID"]]
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.delete_job(jobID=job["jobID"])


def test_recovery_snapshots(emu: Emulator, drs: Any) -> None:
    server_id = sid("db-01.example.internal")
    pages, snaps = _all(drs, "describe_recovery_snapshots", 5, sourceServerID=server_id)
    assert pages >= 3 and len(snaps) >= 20
    assert all(s["snapshotID"].startswith("pit-") and s["sourceServerID"] == server_id for s in snaps)
    assert [s["timestamp"] for s in snaps] == sorted(s["timestamp"] for s in snaps)
    desc = drs.describe_recovery_snapshots(sourceServerID=server_id, order="DESC", maxResults=1)["items"]
    assert desc[0]["snapshotID"] == snaps[-1]["snapshotID"]
    assert len(desc[0]["ebsSnapshots"]) == 2
    cut = datetime.fromisoformat(snaps[-1]["timestamp"]) - timedelta(hours=2)
    recent = drs.describe_recovery_snapshots(
        sourceServerID=server_id, filters={"fromDateTime": cut.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    )["items"]
    assert 0 < len(recent) < len(snaps)
    job = drs.start_recovery(
        sourceServers=[{"sourceServerID": server_id, "recoverySnapshotID": snaps[0]["snapshotID"]}],
        isDrill=True,
    )["job"]
    emu.advance(900)
    events = [e["event"] for e in drs.describe_job_log_items(jobID=job["jobID"])["items"]]
    assert "USING_PREVIOUS_SNAPSHOT" in events and "SNAPSHOT_START" not in events
    ri = drs.describe_recovery_instances(filters={"sourceServerIDs": [server_id]})["items"][0]
    assert ri["pointInTimeSnapshotDateTime"] == snaps[0]["timestamp"]
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.start_recovery(
            sourceServers=[{"sourceServerID": server_id, "recoverySnapshotID": "pit-00000000000000000"}]
        )


def test_replication_operations(emu: Emulator, drs: Any) -> None:
    server_id = sid("app-02.example.internal")
    with pytest.raises(drs.exceptions.ConflictException):
        drs.start_replication(sourceServerID=server_id)
    with pytest.raises(drs.exceptions.ValidationException):
        drs.retry_data_replication(sourceServerID=server_id)
    stopped = drs.stop_replication(sourceServerID=server_id)["sourceServer"]
    assert stopped["dataReplicationInfo"]["dataReplicationState"] == "STOPPED"
    assert drs.describe_recovery_snapshots(sourceServerID=server_id)["items"] == []
    with pytest.raises(drs.exceptions.ConflictException):
        drs.stop_replication(sourceServerID=server_id)
    started = drs.start_replication(sourceServerID=server_id)["sourceServer"]
    assert started["dataReplicationInfo"]["dataReplicationState"] == "INITIATING"
    emu.advance(61)
    syncing = drs.describe_source_servers(filters={"sourceServerIDs": [server_id]})["items"][0]
    assert syncing["dataReplicationInfo"]["dataReplicationState"] == "INITIAL_SYNC"
    assert "etaDateTime" in syncing["dataReplicationInfo"]
    emu.advance(600)
    healthy = drs.describe_source_servers(filters={"sourceServerIDs": [server_id]})["items"][0]
    assert healthy["dataReplicationInfo"]["dataReplicationState"] == "CONTINUOUS"

    stalled_id = sid("app-03.example.internal")
    retried = drs.retry_data_replication(sourceServerID=stalled_id)
    assert retried["dataReplicationInfo"]["dataReplicationState"] == "INITIATING"

    web = sid("web-03.example.internal")
    with pytest.raises(drs.exceptions.ConflictException):
        drs.delete_source_server(sourceServerID=web)
    disconnected = drs.disconnect_source_server(sourceServerID=web)
    assert disconnected["dataReplicationInfo"]["dataReplicationState"] == "DISCONNECTED"
    assert disconnected["dataReplicationInfo"]["replicatedDisks"][0]["totalStorageBytes"] == 0
    assert "lagDuration" not in disconnected["dataReplicationInfo"]
    assert drs.delete_source_server(sourceServerID=web)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.get_launch_configuration(sourceServerID=web)


def test_recovery_instance_operations(emu: Emulator, drs: Any) -> None:
    servers = [sid("web-01.example.internal"), sid("web-02.example.internal")]
    drs.start_recovery(sourceServers=[{"sourceServerID": s} for s in servers])
    emu.advance(400)
    pages, instances = _all(drs, "describe_recovery_instances", 1)
    assert pages == 2 and {ri["sourceServerID"] for ri in instances} == set(servers)
    first = instances[0]
    assert first["recoveryInstanceID"] == first["ec2InstanceID"] and first["ec2InstanceState"] == "RUNNING"
    assert first["isDrill"] is False and first["originEnvironment"] == "ON_PREMISES"
    assert first["failback"]["state"] == "FAILBACK_NOT_STARTED"
    only = drs.describe_recovery_instances(filters={"recoveryInstanceIDs": [first["recoveryInstanceID"]]})[
        "items"
    ]
    assert [ri["recoveryInstanceID"] for ri in only] == [first["recoveryInstanceID"]]

    config = drs.get_failback_replication_configuration(recoveryInstanceID=first["recoveryInstanceID"])
    assert config["usePrivateIP"] is False and config["bandwidthThrottling"] == 0
    drs.update_failback_replication_configuration(
        recoveryInstanceID=first["recoveryInstanceID"], bandwidthThrottling=100, usePrivateIP=True, name="fb"
    )
    config = drs.get_failback_replication_configuration(recoveryInstanceID=first["recoveryInstanceID"])
    assert (config["bandwidthThrottling"], config["usePrivateIP"], config["name"]) == (100, True, "fb")

    with pytest.raises(drs.exceptions.ConflictException):
        drs.delete_recovery_instance(recoveryInstanceID=first["recoveryInstanceID"])
    drs.disconnect_recovery_instance(recoveryInstanceID=first["recoveryInstanceID"])
    disconnected = drs.describe_recovery_instances(
        filters={"recoveryInstanceIDs": [first["recoveryInstanceID"]]}
    )
    assert disconnected["items"][0]["dataReplicationInfo"]["dataReplicationState"] == "DISCONNECTED"
    drs.delete_recovery_instance(recoveryInstanceID=first["recoveryInstanceID"])
    assert len(drs.describe_recovery_instances()["items"]) == 1
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.stop_failback(recoveryInstanceID=first["recoveryInstanceID"])

    second = instances[1]["recoveryInstanceID"]
    with pytest.raises(drs.exceptions.ValidationException):  # on-premises origin: Failback Client only
        drs.reverse_replication(recoveryInstanceID=second)
    with pytest.raises(drs.exceptions.ConflictException):
        drs.start_failback_launch(recoveryInstanceIDs=[second])
    emu.connect_failback_client(second)
    assert drs.describe_recovery_instances()["items"][0]["failback"]["state"] == "FAILBACK_IN_PROGRESS"
    emu.advance(700)
    assert drs.describe_recovery_instances()["items"][0]["failback"]["state"] == "FAILBACK_READY_FOR_LAUNCH"
    drs.stop_failback(recoveryInstanceID=second)
    assert drs.describe_recovery_instances()["items"][0]["failback"]["state"] == "FAILBACK_NOT_STARTED"

    job = drs.terminate_recovery_instances(recoveryInstanceIDs=[second])["job"]
    assert job["type"] == "TERMINATE" and job["initiatedBy"] == "TERMINATE_RECOVERY_INSTANCES"
    with pytest.raises(drs.exceptions.ConflictException):
        drs.terminate_recovery_instances(recoveryInstanceIDs=[second])
    emu.advance(120)
    assert drs.describe_recovery_instances()["items"] == []


def test_tags(drs: Any, emu: Emulator) -> None:
    server_arn = f"arn:aws:drs:us-east-1:{HUB}:source-server/{sid('db-02.example.internal')}"
    drs.tag_resource(resourceArn=server_arn, tags={"Owner": "dba", "Tier": "database"})
    tags = drs.list_tags_for_resource(resourceArn=server_arn)["tags"]
    assert tags["Owner"] == "dba" and tags["Tier"] == "database"
    drs.untag_resource(resourceArn=server_arn, tagKeys=["Owner", "Wave"])
    tags = drs.list_tags_for_resource(resourceArn=server_arn)["tags"]
    assert "Owner" not in tags and "Wave" not in tags and tags["Application"] == "OrderSystem"
    job = drs.start_recovery(
        sourceServers=[{"sourceServerID": sid("web-01.example.internal")}], tags={"a": "1"}
    )["job"]
    drs.tag_resource(resourceArn=job["arn"], tags={"b": "2"})
    assert drs.list_tags_for_resource(resourceArn=job["arn"])["tags"] == {"a": "1", "b": "2"}
    template = drs.create_launch_configuration_template()["launchConfigurationTemplate"]
    drs.tag_resource(resourceArn=template["arn"], tags={"t": "x"})
    assert drs.list_tags_for_resource(resourceArn=template["arn"])["tags"] == {"t": "x"}
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.list_tags_for_resource(
            resourceArn=f"arn:aws:drs:us-east-1:{HUB}:source-server/s-00000000000000000"
        )


def test_staging_and_extended_source_servers(drs: Any) -> None:
    assert drs.list_staging_accounts()["accounts"] == [{"accountID": STAGING}]
    pages, accounts = _all(drs, "list_staging_accounts", 1, result_key="accounts")
    assert accounts == [{"accountID": STAGING}]
    pages, extensible = _all(drs, "list_extensible_source_servers", 3, stagingAccountID=STAGING)
    assert pages == 2 and len(extensible) == 4
    hr_db = next(s for s in extensible if s["hostname"] == "db-01.hr.example.internal")
    assert (
        hr_db["arn"]
        == f"arn:aws:drs:us-east-1:{STAGING}:source-server/{sid('db-01.hr.example.internal', STAGING)}"
    )
    extended = drs.create_extended_source_server(sourceServerArn=hr_db["arn"], tags={"Extended": "yes"})[
        "sourceServer"
    ]
    assert extended["stagingArea"] == {
        "status": "EXTENDED",
        "stagingAccountID": STAGING,
        "stagingSourceServerArn": hr_db["arn"],
    }
    assert extended["tags"]["Extended"] == "yes" and extended["tags"]["Application"] == "HRSystem"
    assert drs.get_launch_configuration(sourceServerID=extended["sourceServerID"])["ec2LaunchTemplateID"]
    filtered = drs.describe_source_servers(filters={"stagingAccountIDs": [STAGING]})["items"]
    assert [s["sourceServerID"] for s in filtered] == [extended["sourceServerID"]]
    assert len(drs.list_extensible_source_servers(stagingAccountID=STAGING)["items"]) == 3
    with pytest.raises(drs.exceptions.ValidationException):
        drs.create_extended_source_server(sourceServerArn=hr_db["arn"])
    with pytest.raises(drs.exceptions.AccessDeniedException):
        drs.list_extensible_source_servers(stagingAccountID="111111111111")


def test_initialize_service(make_drs: Any) -> None:
    fresh = make_drs(region="eu-central-1")
    with pytest.raises(fresh.exceptions.UninitializedAccountException):
        fresh.describe_jobs()
    fresh.initialize_service()
    assert fresh.describe_jobs()["items"] == []
    assert fresh.describe_source_servers()["items"] == []


def test_quotas(emu: Emulator, drs: Any) -> None:
    web1, web2, web3 = (sid(f"web-0{i}.example.internal") for i in (1, 2, 3))
    emu.quotas.max_active_jobs = 1
    drs.start_recovery(sourceServers=[{"sourceServerID": web1}], isDrill=True)
    with pytest.raises(drs.exceptions.ServiceQuotaExceededException) as exc:
        drs.start_recovery(sourceServers=[{"sourceServerID": web2}], isDrill=True)
    assert exc.value.response["quotaCode"] == "MaxActiveJobs"
    emu.quotas.max_active_jobs = 20
    emu.quotas.max_servers_in_active_jobs = 2
    with pytest.raises(drs.exceptions.ServiceQuotaExceededException) as exc:
        drs.start_recovery(sourceServers=[{"sourceServerID": web2}, {"sourceServerID": web3}], isDrill=True)
    assert exc.value.response["quotaCode"] == "MaxServersInActiveJobs"
    emu.advance(400)
    drs.stop_replication(sourceServerID=web3)
    replicating = [
        s for s in emu.servers(HUB, "us-east-1") if s["replicationState"] not in ("STOPPED", "DISCONNECTED")
    ]
    emu.quotas.max_replicating_servers = len(replicating)
    with pytest.raises(drs.exceptions.ServiceQuotaExceededException) as exc:
        drs.start_replication(sourceServerID=web3)
    assert exc.value.response["quotaCode"] == "MaxReplicatingServers"
