"""Replication configuration templates, per-server replication configuration and launch configuration
template deletion.

* A replication configuration template holds the replication settings new source servers start from;
  ``GetReplicationConfiguration`` answers the server's own settings: what ``UpdateReplicationConfiguration``
  set, over the first template of the region, over the DRS defaults (replicated disks from the
  server's disks).
* The staging subnet and the security groups must exist in moto EC2 in the caller's account-region
  (ValidationException with a fieldList otherwise); a CUSTOM ``ebsEncryption`` needs
  ``ebsEncryptionKeyArn``; PIT policy rule ids must be unique (the model already bounds the policy
  to 3 rules with positive intervals and retentions).
* Deleting the last replication (or launch) configuration template of a region that still has source
  servers is a ConflictException: new servers there need a template.
* Updating the replication configuration of a DISCONNECTED server is a ConflictException; naming a
  disk the server does not have is a ValidationException.
"""

from __future__ import annotations

from typing import Any

from . import errors, ids
from .ec2bridge import _backend
from .pagination import paginate
from .registry import Ctx, operation
from .resources import ReplicationConfigurationTemplate

REPLICATION_FIELDS = (
    "stagingAreaSubnetId",
    "associateDefaultSecurityGroup",
    "replicationServersSecurityGroupsIDs",
    "replicationServerInstanceType",
    "useDedicatedReplicationServer",
    "defaultLargeStagingDiskType",
    "ebsEncryption",
    "ebsEncryptionKeyArn",
    "bandwidthThrottling",
    "dataPlaneRouting",
    "createPublicIP",
    "stagingAreaTags",
    "pitPolicy",
    "autoReplicateNewDisks",
    "internetProtocol",
)
# DRS's default PIT policy: every 10 minutes for an hour, hourly for a day, daily for 7 days
DEFAULT_PIT_POLICY = [
    {"ruleID": 1, "units": "MINUTE", "interval": 10, "retentionDuration": 60, "enabled": True},
    {"ruleID": 2, "units": "HOUR", "interval": 1, "retentionDuration": 24, "enabled": True},
    {"ruleID": 3, "units": "DAY", "interval": 1, "retentionDuration": 7, "enabled": True},
]
REPLICATION_DEFAULTS: dict[str, Any] = {
    "associateDefaultSecurityGroup": True,
    "replicationServersSecurityGroupsIDs": [],
    "replicationServerInstanceType": "t3.small",
    "useDedicatedReplicationServer": False,
    "defaultLargeStagingDiskType": "GP3",
    "ebsEncryption": "DEFAULT",
    "bandwidthThrottling": 0,
    "dataPlaneRouting": "PRIVATE_IP",
    "createPublicIP": False,
    "stagingAreaTags": {},
    "pitPolicy": DEFAULT_PIT_POLICY,
    "autoReplicateNewDisks": True,
    "internetProtocol": "IPV4",
}


def _check_network(ctx: Ctx, settings: dict[str, Any]) -> None:
    backend = _backend(ctx.account, ctx.region)
    problems = []
    subnet = settings.get("stagingAreaSubnetId")
    if subnet and subnet not in {s.id for azs in backend.subnets.values() for s in azs.values()}:
        problems.append({"name": "stagingAreaSubnetId", "message": f"subnet {subnet} does not exist"})
    groups = {g for vpc_groups in backend.groups.values() for g in vpc_groups}
    for i, group in enumerate(settings.get("replicationServersSecurityGroupsIDs") or []):
        if group not in groups:
            problems.append(
                {"name": f"replicationServersSecurityGroupsIDs[{i}]", "message": f"{group} does not exist"}
            )
    if settings.get("ebsEncryption") == "CUSTOM" and not settings.get("ebsEncryptionKeyArn"):
        problems.append({"name": "ebsEncryptionKeyArn", "message": "required when ebsEncryption is CUSTOM"})
    policy = settings.get("pitPolicy")
    if policy is not None:
        rule_ids = [r.get("ruleID") for r in policy if r.get("ruleID") is not None]
        if len(rule_ids) != len(set(rule_ids)):
            problems.append({"name": "pitPolicy", "message": "ruleID values must be unique"})
    if problems:
        summary = "; ".join(f"{p['name']}: {p['message']}" for p in problems)
        raise errors.validation(f"Invalid replication settings: {summary}", field_list=problems)


def _pick(p: dict[str, Any]) -> dict[str, Any]:
    return {k: p[k] for k in REPLICATION_FIELDS if k in p}


def _template_view(t: ReplicationConfigurationTemplate) -> dict[str, Any]:
    return {
        "replicationConfigurationTemplateID": t.template_id,
        "arn": t.arn,
        "tags": dict(t.tags),
        **t.settings,
    }


def _replication_template(ctx: Ctx, template_id: str) -> ReplicationConfigurationTemplate:
    template = ctx.state.replication_templates.get(template_id)
    if template is None:
        raise errors.not_found("REPLICATION_CONFIGURATION_TEMPLATE", template_id)
    return template


@operation("CreateReplicationConfigurationTemplate")
def create_replication_configuration_template(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    settings = {**REPLICATION_DEFAULTS, **_pick(p)}
    _check_network(ctx, settings)
    template_id = ids.derive("rct-", "rct", ctx.account, ctx.region, ctx.state.next_serial("rct"))
    template = ReplicationConfigurationTemplate(
        template_id, ctx.account, ctx.region, settings, dict(p.get("tags") or {})
    )
    ctx.state.replication_templates[template_id] = template
    return _template_view(template)


@operation("DescribeReplicationConfigurationTemplates")
def describe_replication_configuration_templates(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    wanted = p.get("replicationConfigurationTemplateIDs") or []
    for template_id in wanted:
        _replication_template(ctx, template_id)
    items = [t for t in ctx.state.replication_templates.values() if not wanted or t.template_id in wanted]
    page, token = paginate(items, p, "DescribeReplicationConfigurationTemplates", ctx.account, ctx.region)
    return {"items": [_template_view(t) for t in page], "nextToken": token}


@operation("UpdateReplicationConfigurationTemplate")
def update_replication_configuration_template(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    template = _replication_template(ctx, p["replicationConfigurationTemplateID"])
    if p.get("arn") and p["arn"] != template.arn:
        raise errors.field_error("arn", f"does not match template {template.template_id}")
    settings = {**template.settings, **_pick(p)}
    _check_network(ctx, settings)
    template.settings = settings
    return _template_view(template)


def _ensure_not_last(ctx: Ctx, collection: dict[str, Any], resource_type: str, template_id: str) -> None:
    if len(collection) == 1 and ctx.state.servers:
        raise errors.conflict(
            resource_type,
            template_id,
            f"Template {template_id} is the last one of {ctx.account}/{ctx.region}, which still has "
            "source servers",
        )


@operation("DeleteReplicationConfigurationTemplate")
def delete_replication_configuration_template(ctx: Ctx, p: dict[str, Any]) -> None:
    template = _replication_template(ctx, p["replicationConfigurationTemplateID"])
    _ensure_not_last(
        ctx, ctx.state.replication_templates, "REPLICATION_CONFIGURATION_TEMPLATE", template.template_id
    )
    del ctx.state.replication_templates[template.template_id]
    return None


@operation("DeleteLaunchConfigurationTemplate")
def delete_launch_configuration_template(ctx: Ctx, p: dict[str, Any]) -> None:
    template_id = p["launchConfigurationTemplateID"]
    if template_id not in ctx.state.templates:
        raise errors.not_found("LAUNCH_CONFIGURATION_TEMPLATE", template_id)
    _ensure_not_last(ctx, ctx.state.templates, "LAUNCH_CONFIGURATION_TEMPLATE", template_id)
    del ctx.state.templates[template_id]
    ctx.state.launch_actions.pop(template_id, None)
    return None


# ----------------------------------------------------------------------------- per server


def replication_configuration(ctx: Ctx, server_id: str) -> dict[str, Any]:
    server = ctx.server(server_id)
    template = next(iter(ctx.state.replication_templates.values()), None)
    settings = {**REPLICATION_DEFAULTS, **(template.settings if template else {})}
    settings["name"] = server.hostname
    settings["replicatedDisks"] = [
        {
            "deviceName": d.get("deviceName"),
            "isBootDisk": i == 0,
            "stagingDiskType": "AUTO",
            "optimizedStagingDiskType": "GP3",
        }
        for i, d in enumerate(server.disks)
    ]
    settings.update(ctx.state.replication_configs.get(server_id, {}))
    return {"sourceServerID": server_id, **settings}


@operation("GetReplicationConfiguration")
def get_replication_configuration(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return replication_configuration(ctx, p["sourceServerID"])


@operation("UpdateReplicationConfiguration")
def update_replication_configuration(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    server = ctx.server(p["sourceServerID"])
    if server.replication_state == "DISCONNECTED":
        raise errors.conflict(
            "SOURCE_SERVER",
            server.server_id,
            "The replication configuration of a disconnected source server cannot be updated",
        )
    changes = _pick(p)
    if "name" in p:
        changes["name"] = p["name"]
    if "replicatedDisks" in p:
        known = {d.get("deviceName") for d in server.disks}
        problems = [
            {
                "name": f"replicatedDisks[{i}].deviceName",
                "message": f"{d.get('deviceName')} is not a disk of the server",
            }
            for i, d in enumerate(p["replicatedDisks"])
            if d.get("deviceName") not in known
        ]
        if problems:
            raise errors.validation("Unknown replicated disks", field_list=problems)
        changes["replicatedDisks"] = p["replicatedDisks"]
    merged = {**replication_configuration(ctx, server.server_id), **changes}
    _check_network(ctx, merged)
    ctx.state.replication_configs.setdefault(server.server_id, {}).update(changes)
    return replication_configuration(ctx, server.server_id)
