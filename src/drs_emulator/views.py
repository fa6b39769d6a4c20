"""Render state objects as model-shaped dicts (the wire layer filters them by the output shape)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import replication
from .ec2bridge import InstanceInfo
from .state import Job, LaunchConfigurationTemplate, Participant, RecoveryInstance, SourceServer
from .wire import iso, iso_duration

INITIATION_STEPS = (
    "WAIT",
    "CREATE_SECURITY_GROUP",
    "LAUNCH_REPLICATION_SERVER",
    "BOOT_REPLICATION_SERVER",
    "AUTHENTICATE_WITH_SERVICE",
    "DOWNLOAD_REPLICATION_SOFTWARE",
    "CREATE_STAGING_DISKS",
    "ATTACH_STAGING_DISKS",
    "PAIR_REPLICATION_SERVER_WITH_AGENT",
    "CONNECT_AGENT_TO_REPLICATION_SERVER",
    "START_DATA_TRANSFER",
)

LAUNCH_CONFIG_FIELDS = (
    "name",
    "launchDisposition",
    "targetInstanceTypeRightSizingMethod",
    "copyPrivateIp",
    "copyTags",
    "licensing",
    "postLaunchEnabled",
    "launchIntoInstanceProperties",
    "recoveryMode",
)


def _initiation(server: SourceServer, now: float) -> dict[str, Any]:
    if server.replication_state == "INITIATING":
        elapsed = max(0.0, now - server.state_since)
        done = min(len(INITIATION_STEPS) - 1, int(elapsed // 6))
        steps = [
            {
                "name": n,
                "status": "SUCCEEDED" if i < done else ("IN_PROGRESS" if i == done else "NOT_STARTED"),
            }
            for i, n in enumerate(INITIATION_STEPS)
        ]
        start = server.state_since
    else:
        steps = [{"name": n, "status": "SUCCEEDED"} for n in INITIATION_STEPS]
        start = server.first_byte_at or server.added_at
    return {"startDateTime": iso(start), "steps": steps}


def server_view(server: SourceServer, now: float) -> dict[str, Any]:
    state = server.replication_state
    progress = replication.sync_progress(server, now)
    disconnected = state == "DISCONNECTED"
    disks = []
    for d in server.disks:
        total = 0 if disconnected else int(d.get("bytes", 0))
        disks.append(
            {
                "deviceName": d.get("deviceName"),
                "totalStorageBytes": total,
                "replicatedStorageBytes": int(total * progress),
                "rescannedStorageBytes": 0,
                "backloggedStorageBytes": int(total * 0.01) if state == "BACKLOG" else 0,
            }
        )
    lag = replication.lag_seconds(server, now)
    last_seen = server.state_since if disconnected else now
    last_launch = None
    if server.last_launch:
        ll = server.last_launch
        last_launch = {
            "initiated": {
                "apiCallDateTime": iso(ll["apiCallDateTime"]),
                "jobID": ll["jobID"],
                "type": ll["type"],
            },
            "status": ll.get("status"),
        }
    nics = []
    if server.private_ip or server.mac_address:
        nics.append(
            {
                "macAddress": server.mac_address,
                "ips": [server.private_ip] if server.private_ip else [],
                "isPrimary": True,
            }
        )
    return {
        "sourceServerID": server.server_id,
        "arn": server.arn,
        "tags": dict(server.tags),
        "recoveryInstanceId": server.recovery_instance_id,
        "lastLaunchResult": server.last_launch_result,
        "dataReplicationInfo": {
            "dataReplicationState": state,
            "lagDuration": iso_duration(lag),
            "etaDateTime": iso(replication.sync_eta(server)),
            "replicatedDisks": disks,
            "dataReplicationInitiation": _initiation(server, now),
            "dataReplicationError": server.replication_error if state == "STALLED" else None,
            "stagingAvailabilityZone": f"{server.region}a",
        },
        "lifeCycle": {
            "addedToServiceDateTime": iso(server.added_at),
            "firstByteDateTime": iso(server.first_byte_at),
            "elapsedReplicationDuration": iso_duration(now - server.first_byte_at)
            if server.first_byte_at
            else None,
            "lastSeenByServiceDateTime": iso(last_seen),
            "lastLaunch": last_launch,
        },
        "sourceProperties": {
            "lastUpdatedDateTime": iso(server.added_at),
            "recommendedInstanceType": server.recommended_instance_type,
            "identificationHints": {
                "fqdn": server.hostname,
                "hostname": server.hostname,
                "vmWareUuid": server.vmware_uuid,
                "awsInstanceID": server.aws_instance_id,
            },
            "networkInterfaces": nics,
            "disks": [
                {"deviceName": d.get("deviceName"), "bytes": int(d.get("bytes", 0))} for d in server.disks
            ],
            "cpus": [dict(c) for c in server.cpus],
            "ramBytes": server.ram_bytes,
            "os": {"fullString": server.os_name},
            "supportsNitroInstances": True,
            "architecture": server.architecture,
        },
        "stagingArea": dict(server.staging) if server.staging else {"status": "NOT_EXTENDED"},
        "sourceCloudProperties": dict(server.source_cloud) if server.source_cloud else None,
        "replicationDirection": server.replication_direction,
        "reversedDirectionSourceServerArn": server.reversed_direction_arn,
        "agentVersion": server.agent_version,
    }


def launch_configuration_view(server: SourceServer) -> dict[str, Any]:
    out: dict[str, Any] = {
        "sourceServerID": server.server_id,
        "ec2LaunchTemplateID": server.ec2_launch_template_id,
    }
    for key in LAUNCH_CONFIG_FIELDS:
        if key in server.launch_config:
            out[key] = server.launch_config[key]
    return out


def template_view(template: LaunchConfigurationTemplate) -> dict[str, Any]:
    return {
        "launchConfigurationTemplateID": template.template_id,
        "arn": template.arn,
        "tags": dict(template.tags),
        **template.settings,
    }


def job_view(
    job: Job, launch_actions_status: Callable[[Job, Participant], dict[str, Any] | None] | None = None
) -> dict[str, Any]:
    """``launch_actions_status`` adds each participant's post-launch action runs (DescribeJobs)."""
    return {
        "jobID": job.job_id,
        "arn": job.arn,
        "type": job.job_type,
        "initiatedBy": job.initiated_by,
        "creationDateTime": iso(job.created_at),
        "endDateTime": iso(job.ended_at),
        "status": job.status,
        "participatingServers": [
            {
                "sourceServerID": p.server_id,
                "recoveryInstanceID": p.recovery_instance_id,
                "launchStatus": p.launch_status,
                "launchActionsStatus": launch_actions_status(job, p) if launch_actions_status else None,
            }
            for p in job.participants
        ],
        "participatingResources": [
            {
                "participatingResourceID": {"sourceNetworkID": network_id},
                "launchStatus": "LAUNCHED" if job.status == "COMPLETED" else "PENDING",
            }
            for network_id in job.resources
        ]
        or None,
        "tags": dict(job.tags),
    }


def log_view(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "logDateTime": iso(entry["at"]),
        "event": entry["event"],
        "eventData": entry.get("eventData") or None,
    }


def recovery_instance_view(ri: RecoveryInstance, ec2: InstanceInfo | None, now: float) -> dict[str, Any]:
    snap = ri.source_snapshot
    nics = []
    if ec2 is not None and (ec2.private_ip or ec2.mac_address):
        nics.append(
            {
                "macAddress": ec2.mac_address,
                "ips": [ec2.private_ip] if ec2.private_ip else [],
                "isPrimary": True,
            }
        )
    volumes = ec2.volumes if ec2 is not None else []
    disks = []
    for i, disk in enumerate(snap.get("disks", [])):
        vol = volumes[i][1] if i < len(volumes) else None
        disks.append(
            {
                "internalDeviceName": disk.get("deviceName"),
                "bytes": int(disk.get("bytes", 0)),
                "ebsVolumeID": vol,
            }
        )
    replication_state = "DISCONNECTED" if ri.disconnected else ri.failback_replication_state
    failback_active = ri.failback_state not in ("FAILBACK_NOT_STARTED",)
    return {
        "ec2InstanceID": ri.instance_id,
        "ec2InstanceState": ec2.state if ec2 is not None else "NOT_FOUND",
        "jobID": ri.job_id,
        "recoveryInstanceID": ri.instance_id,
        "sourceServerID": ri.source_server_id,
        "arn": ri.arn,
        "tags": dict(ri.tags),
        "failback": {
            "state": ri.failback_state,
            "failbackJobID": ri.failback_job_id,
            "failbackInitiationTime": iso(ri.failback_initiated_at),
            "failbackLaunchType": ri.failback_launch_type,
            "failbackToOriginalServer": True if failback_active else None,
            "failbackClientID": ri.failback_config.get("name") if failback_active else None,
        },
        "dataReplicationInfo": {
            "dataReplicationState": replication_state,
            "stagingAvailabilityZone": ri.origin_az,
        },
        "recoveryInstanceProperties": {
            "lastUpdatedDateTime": iso(ri.created_at),
            "identificationHints": {
                "hostname": ri.hostname,
                "fqdn": ri.hostname,
                "awsInstanceID": ri.instance_id,
            },
            "networkInterfaces": nics,
            "disks": disks,
            "cpus": [dict(c) for c in snap.get("cpus", [])],
            "ramBytes": snap.get("ramBytes"),
            "os": {"fullString": snap.get("os")} if snap.get("os") else None,
        },
        "pointInTimeSnapshotDateTime": iso(ri.point_in_time),
        "isDrill": ri.is_drill,
        "originEnvironment": ri.origin_environment,
        "originAvailabilityZone": ri.origin_az,
        "agentVersion": snap.get("agentVersion"),
    }
