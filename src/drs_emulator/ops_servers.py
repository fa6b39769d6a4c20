"""Source servers, replication, launch configuration (templates), tags, staging and initialisation.

Error choices where the model is silent: an unknown id is ResourceNotFoundException (404) even for
operations that do not list it; a tag ARN of another account is AccessDeniedException; starting
replication beyond the replicating-servers quota is ServiceQuotaExceededException.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from . import errors, ids, replication, snapshots
from .pagination import paginate
from .registry import Ctx, operation
from .state import LaunchConfigurationTemplate, RegionState, SourceServer
from .views import (
    LAUNCH_CONFIG_FIELDS,
    launch_configuration_view,
    server_view,
    template_view,
)
from .wire import iso, parse_iso

TEMPLATE_FIELDS = (
    "launchDisposition",
    "targetInstanceTypeRightSizingMethod",
    "copyPrivateIp",
    "copyTags",
    "licensing",
    "exportBucketArn",
    "postLaunchEnabled",
    "launchIntoSourceInstance",
    "recoveryMode",
)
TEMPLATE_DEFAULTS: dict[str, Any] = {
    "launchDisposition": "STARTED",
    "targetInstanceTypeRightSizingMethod": "BASIC",
    "copyPrivateIp": False,
    "copyTags": False,
    "licensing": {"osByol": True},
    "postLaunchEnabled": False,
    "launchIntoSourceInstance": False,
}


def check_source_server_quota(emulator: Any, state: RegionState, additional: int = 1) -> None:
    """The documented 4,000 source servers (replicating or not) of an account-region (AWS General
    Reference, DRS quotas); quota code name is the emulator's (the documentation names none)."""
    limit = state.quotas(emulator.quotas).max_source_servers
    if len(state.servers) + additional > limit:
        raise errors.quota_exceeded(
            "SOURCE_SERVER",
            emulator.conventions.quota_codes["max_source_servers"],
            f"The quota of {limit} source servers per account and region would be exceeded",
        )


def check_replicating_quota(ctx: Ctx, additional: int = 1) -> None:
    limit = ctx.quotas.max_replicating_servers
    if ctx.state.replicating_count() + additional > limit:
        raise ctx.quota_exceeded(
            "max_replicating_servers",
            "SOURCE_SERVER",
            f"The quota of {limit} replicating source servers per account and region would be exceeded",
        )


def launch_config_from_templates(ctx: Ctx, name: str) -> dict[str, Any]:
    template = next(iter(ctx.state.templates.values()), None)
    settings = dict(TEMPLATE_DEFAULTS) if template is None else {**TEMPLATE_DEFAULTS, **template.settings}
    lc = {k: settings[k] for k in LAUNCH_CONFIG_FIELDS if k in settings}
    lc["name"] = name
    return lc


def derive_server(
    source: SourceServer, account: str, region: str, server_id: str, now: float
) -> SourceServer:
    """A new server record with ``source``'s machine properties, fresh lifecycle and launch state."""
    return dataclasses.replace(
        source,
        server_id=server_id,
        account=account,
        region=region,
        tags=dict(source.tags),
        cpus=[dict(c) for c in source.cpus],
        disks=[dict(d) for d in source.disks],
        transitions=[],
        added_at=now,
        ec2_launch_template_id=None,
        recovery_instance_id=None,
        last_launch=None,
        last_launch_result="NOT_STARTED",
        staging=None,
        reversed_direction_arn=None,
        replication_direction="FAILOVER",
        launch_config=dict(source.launch_config),
    )


# ----------------------------------------------------------------------------- source servers


@operation("DescribeSourceServers")
def describe_source_servers(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    filters = p.get("filters") or {}
    wanted_ids = set(filters.get("sourceServerIDs") or [])
    hardware = filters.get("hardwareId")
    staging = set(filters.get("stagingAccountIDs") or [])
    items = []
    for s in ctx.state.servers.values():
        if wanted_ids and s.server_id not in wanted_ids:
            continue
        if hardware and hardware not in {s.aws_instance_id, s.vmware_uuid, s.mac_address}:
            continue
        if staging and (not s.staging or s.staging.get("stagingAccountID") not in staging):
            continue
        items.append(s)
    page, token = paginate(items, p, "DescribeSourceServers", ctx.account, ctx.region)
    return {"items": [server_view(s, ctx.now) for s in page], "nextToken": token}


@operation("StartReplication")
def start_replication(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    server = ctx.server(p["sourceServerID"])
    if server.replication_state != "STOPPED":
        raise errors.conflict(
            "SOURCE_SERVER",
            server.server_id,
            f"Replication can only be started for a STOPPED source server (state {server.replication_state})",
        )
    check_replicating_quota(ctx)
    replication.start_initiation(server, ctx.now, ctx.emulator.timings)
    return {"sourceServer": server_view(server, ctx.now)}


@operation("StopReplication")
def stop_replication(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    server = ctx.server(p["sourceServerID"])
    ctx.ensure_not_busy(server.server_id)
    if server.replication_state in ("STOPPED", "DISCONNECTED"):
        raise errors.conflict(
            "SOURCE_SERVER",
            server.server_id,
            f"Replication is not running (state {server.replication_state})",
        )
    replication.set_replication_state(server, "STOPPED", ctx.now)
    return {"sourceServer": server_view(server, ctx.now)}


@operation("RetryDataReplication")
def retry_data_replication(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    server = ctx.server(p["sourceServerID"])
    if server.replication_state not in ("STALLED", "DISCONNECTED", "STOPPED"):
        raise errors.validation(
            f"RetryDataReplication works only for STALLED, DISCONNECTED or STOPPED servers "
            f"(state {server.replication_state})",
            reason="other",
        )
    if server.replication_state != "STALLED":
        check_replicating_quota(ctx)
    replication.start_initiation(server, ctx.now, ctx.emulator.timings)
    return server_view(server, ctx.now)


@operation("DisconnectSourceServer")
def disconnect_source_server(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    """API Reference ``DisconnectSourceServer``: a source server that has a recovery instance cannot
    be disconnected (ConflictException); the snapshots go with the replication resources (see
    :mod:`drs_emulator.snapshots`)."""
    server = ctx.server(p["sourceServerID"])
    ctx.ensure_not_busy(server.server_id)
    if server.recovery_instance_id and server.recovery_instance_id in ctx.state.recovery_instances:
        raise errors.conflict(
            "SOURCE_SERVER",
            server.server_id,
            f"Source server {server.server_id} has recovery instance {server.recovery_instance_id}; "
            "terminate or delete it before disconnecting the source server",
        )
    replication.set_replication_state(server, "DISCONNECTED", ctx.now)
    return server_view(server, ctx.now)


@operation("DeleteSourceServer")
def delete_source_server(ctx: Ctx, p: dict[str, Any]) -> None:
    server = ctx.server(p["sourceServerID"])
    ctx.ensure_not_busy(server.server_id)
    if server.replication_state != "DISCONNECTED":
        raise errors.conflict(
            "SOURCE_SERVER", server.server_id, "A source server must be disconnected before it is deleted"
        )
    ctx.emulator.ec2.delete_launch_template(server)
    del ctx.state.servers[server.server_id]
    return None


@operation("DescribeRecoverySnapshots")
def describe_recovery_snapshots(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    server = ctx.server(p["sourceServerID"])
    filters = p.get("filters") or {}
    lo = parse_iso(filters["fromDateTime"]) if filters.get("fromDateTime") else None
    hi = parse_iso(filters["toDateTime"]) if filters.get("toDateTime") else None
    snaps = [
        s
        for s in snapshots.snapshots(server, ctx.now)
        if (lo is None or s["timestamp"] >= lo) and (hi is None or s["timestamp"] <= hi)
    ]
    if p.get("order") == "DESC":
        snaps.reverse()
    page, token = paginate(snaps, p, "DescribeRecoverySnapshots", ctx.account, ctx.region)
    items = [
        {**s, "expectedTimestamp": iso(s["expectedTimestamp"]), "timestamp": iso(s["timestamp"])}
        for s in page
    ]
    return {"items": items, "nextToken": token}


# ----------------------------------------------------------------------------- launch configuration


@operation("GetLaunchConfiguration")
def get_launch_configuration(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    server = ctx.server(p["sourceServerID"])
    ctx.emulator.ec2.ensure_launch_template(server)
    return launch_configuration_view(server)


@operation("UpdateLaunchConfiguration")
def update_launch_configuration(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    server = ctx.server(p["sourceServerID"])
    ctx.ensure_not_busy(server.server_id)
    props = p.get("launchIntoInstanceProperties")
    if props is not None:
        target = props.get("launchIntoEC2InstanceID")
        if target and not ctx.emulator.ec2.instance_exists(ctx.account, ctx.region, target):
            raise errors.validation(
                f"EC2 instance {target} does not exist in {ctx.account}/{ctx.region}",
                field_list=[
                    {
                        "name": "launchIntoInstanceProperties.launchIntoEC2InstanceID",
                        "message": "instance not found",
                    }
                ],
            )
    merged = dict(server.launch_config)
    for key in LAUNCH_CONFIG_FIELDS:
        if key in p:
            if key == "launchIntoInstanceProperties" and not (p[key] or {}).get("launchIntoEC2InstanceID"):
                merged.pop(key, None)
            else:
                merged[key] = p[key]
    if (merged.get("launchIntoInstanceProperties") or {}).get("launchIntoEC2InstanceID"):
        # User Guide, "Launch into source instance": transfer server tags and copy private IP must be
        # off for a launch into an existing instance
        bad = [k for k in ("copyTags", "copyPrivateIp") if merged.get(k)]
        if bad:
            raise errors.validation(
                f"{' and '.join(bad)} cannot be true with launchIntoInstanceProperties",
                field_list=[{"name": k, "message": "must be false when launching into an instance"} for k in bad],
            )
    server.launch_config = merged
    ctx.emulator.ec2.ensure_launch_template(server)
    return launch_configuration_view(server)


@operation("CreateLaunchConfigurationTemplate")
def create_launch_configuration_template(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    seq = ctx.state.next_serial("lct")
    template_id = ids.derive("lct-", "lct", ctx.account, ctx.region, seq)
    settings = dict(TEMPLATE_DEFAULTS)
    settings.update({k: p[k] for k in TEMPLATE_FIELDS if k in p})
    template = LaunchConfigurationTemplate(
        template_id, ctx.account, ctx.region, settings, dict(p.get("tags") or {})
    )
    ctx.state.templates[template_id] = template
    return {"launchConfigurationTemplate": template_view(template)}


@operation("DescribeLaunchConfigurationTemplates")
def describe_launch_configuration_templates(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    wanted = p.get("launchConfigurationTemplateIDs") or []
    for template_id in wanted:
        if template_id not in ctx.state.templates:
            raise errors.not_found("LAUNCH_CONFIGURATION_TEMPLATE", template_id)
    items = [t for t in ctx.state.templates.values() if not wanted or t.template_id in wanted]
    page, token = paginate(items, p, "DescribeLaunchConfigurationTemplates", ctx.account, ctx.region)
    return {"items": [template_view(t) for t in page], "nextToken": token}


@operation("UpdateLaunchConfigurationTemplate")
def update_launch_configuration_template(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    template_id = p["launchConfigurationTemplateID"]
    template = ctx.state.templates.get(template_id)
    if template is None:
        raise errors.not_found("LAUNCH_CONFIGURATION_TEMPLATE", template_id)
    template.settings.update({k: p[k] for k in TEMPLATE_FIELDS if k in p})
    return {"launchConfigurationTemplate": template_view(template)}


# ----------------------------------------------------------------------------- tags


def _tagged_resource(ctx: Ctx, arn: str) -> Any:
    parsed = ids.parse_arn(arn)
    if parsed is None:
        raise errors.not_found("RESOURCE", arn, f"Resource {arn} not found")
    region, account, kind, resource_id = parsed
    if account != ctx.account:
        raise errors.access_denied(f"Account {ctx.account} is not authorized to access {arn}")
    state = ctx.emulator.store.regions.get((account, region))
    collections: dict[str, Any] = {}
    if state is not None:
        collections = {
            "source-server": state.servers,
            "job": state.jobs,
            "recovery-instance": state.recovery_instances,
            "launch-configuration-template": state.templates,
            "replication-configuration-template": state.replication_templates,
            "source-network": state.source_networks,
            "recovery-plan": state.recovery_plans,
            "recovery-plan-execution": state.plan_executions,
        }
    resource = collections.get(kind, {}).get(resource_id)
    if resource is None:
        raise errors.not_found(kind.upper().replace("-", "_"), arn, f"Resource {arn} not found")
    return resource


@operation("TagResource")
def tag_resource(ctx: Ctx, p: dict[str, Any]) -> None:
    resource = _tagged_resource(ctx, p["resourceArn"])
    resource.tags.update(p["tags"])
    return None


@operation("UntagResource")
def untag_resource(ctx: Ctx, p: dict[str, Any]) -> None:
    resource = _tagged_resource(ctx, p["resourceArn"])
    for key in p["tagKeys"]:
        resource.tags.pop(key, None)
    return None


@operation("ListTagsForResource")
def list_tags_for_resource(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return {"tags": dict(_tagged_resource(ctx, p["resourceArn"]).tags)}


# ----------------------------------------------------------------------------- staging / extended


def _staging_accounts(ctx: Ctx) -> list[str]:
    extended = {s.staging["stagingAccountID"] for s in ctx.state.servers.values() if s.staging}
    return sorted(set(ctx.state.staging_accounts) | extended)


@operation("ListStagingAccounts")
def list_staging_accounts(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    page, token = paginate(_staging_accounts(ctx), p, "ListStagingAccounts", ctx.account, ctx.region)
    return {"accounts": [{"accountID": a} for a in page], "nextToken": token}


def _extended_arns(ctx: Ctx) -> set[str]:
    return {s.staging["stagingSourceServerArn"] for s in ctx.state.servers.values() if s.staging}


@operation("ListExtensibleSourceServers")
def list_extensible_source_servers(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    staging_account = p["stagingAccountID"]
    if staging_account not in ctx.state.staging_accounts:
        raise errors.access_denied(f"Account {staging_account} is not a staging account of {ctx.account}")
    staging_state = ctx.emulator.store.regions.get((staging_account, ctx.region))
    taken = _extended_arns(ctx)
    servers = [] if staging_state is None else list(staging_state.servers.values())
    items = [s for s in servers if s.staging is None and s.arn not in taken]
    page, token = paginate(items, p, "ListExtensibleSourceServers", ctx.account, ctx.region)
    return {
        "items": [{"hostname": s.hostname, "arn": s.arn, "tags": dict(s.tags)} for s in page],
        "nextToken": token,
    }


@operation("CreateExtendedSourceServer")
def create_extended_source_server(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    arn = p["sourceServerArn"]
    parsed = ids.parse_arn(arn)
    if parsed is None or parsed[2] != "source-server":
        raise errors.field_error("sourceServerArn", "not a source server ARN")
    region, staging_account, _, staging_id = parsed
    if region != ctx.region:
        raise errors.validation(f"The staging source server must be in {ctx.region}", reason="other")
    if staging_account not in ctx.state.staging_accounts:
        raise errors.access_denied(f"Account {staging_account} is not a staging account of {ctx.account}")
    staging_state = ctx.emulator.store.regions.get((staging_account, region))
    source = staging_state.servers.get(staging_id) if staging_state else None
    if source is None:
        raise errors.not_found("SOURCE_SERVER", staging_id, f"Source server {arn} not found")
    if source.staging is not None:
        raise errors.validation("An extended source server cannot be extended again", reason="other")
    if arn in _extended_arns(ctx):
        raise errors.validation(f"Source server {arn} is already extended into {ctx.account}", reason="other")
    check_replicating_quota(ctx)
    check_source_server_quota(ctx.emulator, ctx.state)
    server_id = ids.derive("s-", "extended", ctx.account, ctx.region, arn)
    server = derive_server(source, ctx.account, ctx.region, server_id, ctx.now)
    server.tags.update(p.get("tags") or {})
    server.staging = {
        "status": "EXTENDED",
        "stagingAccountID": staging_account,
        "stagingSourceServerArn": arn,
    }
    server.launch_config = launch_config_from_templates(ctx, source.hostname)
    ctx.state.servers[server_id] = server
    ctx.emulator.ec2.ensure_launch_template(server)
    return {"sourceServer": server_view(server, ctx.now)}


@operation("InitializeService")
def initialize_service(ctx: Ctx, p: dict[str, Any]) -> None:
    ctx.state.initialized = True
    return None
