"""Source networks: a source VPC protected by DRS and recovered as a VPC in the recovery account-region.

* ``CreateSourceNetwork``: the VPC must exist in moto EC2 in the origin account and region
  (ResourceNotFoundException); one source network per origin VPC (ConflictException); at most
  ``Quotas.max_source_networks`` per account-region (ServiceQuotaExceededException).
* Replication: ``StartSourceNetworkReplication`` moves STOPPED -> IN_PROGRESS, PROTECTED after
  ``Timings.network_replication_seconds``; it captures the VPC (CIDR, subnets) as a CloudFormation
  template. Starting a network that is not STOPPED, or stopping one that is, is a ConflictException.
* ``ExportSourceNetworkCfnTemplate`` writes the captured template to moto S3 (bucket
  ``drs-source-networks-<account>-<region>``) and answers its ``s3://`` URL; a network never
  replicated has no template (ConflictException).
* ``StartSourceNetworkRecovery`` deploys, per network, a stack (``cfnStackName`` or
  ``drs-network-<id>``): a VPC with the captured CIDR and subnets created in moto EC2 of the caller's
  account-region; with ``deployAsNew`` false a network already recovered keeps its VPC
  (UPDATE_NETWORK_RECOVERY). ``AssociateSourceNetworkStack`` re-associates a stack deployed earlier
  for that network (ResourceNotFoundException otherwise). Both answer a LAUNCH job whose
  ``participatingResources`` are the networks; a network already in an active job is a
  ConflictException.
* ``DeleteSourceNetwork`` needs replication STOPPED and no active job (ConflictException).
"""

from __future__ import annotations

import json
from typing import Any

from . import errors, ids
from .ec2bridge import _backend
from .pagination import paginate
from .registry import Ctx, operation
from .resources import SourceNetwork
from .state import Job
from .views import job_view
from .wire import iso


def _network(ctx: Ctx, network_id: str) -> SourceNetwork:
    network = ctx.state.source_networks.get(network_id)
    if network is None:
        raise errors.not_found("SOURCE_NETWORK", network_id, f"Source network {network_id} not found")
    return network


def _active_job(ctx: Ctx, network_id: str) -> Job | None:
    return next((j for j in ctx.state.jobs.values() if j.active and network_id in j.resources), None)


def _ensure_idle(ctx: Ctx, network: SourceNetwork) -> None:
    job = _active_job(ctx, network.network_id)
    if job is not None:
        raise errors.conflict(
            "SOURCE_NETWORK", network.network_id, f"Source network is part of active job {job.job_id}"
        )


def network_view(ctx: Ctx, n: SourceNetwork) -> dict[str, Any]:
    last = None
    if n.last_recovery:
        job = ctx.state.jobs.get(n.last_recovery["jobID"])
        done = job is None or not job.active
        associate = n.last_recovery["associate"]
        result = ("ASSOCIATE_SUCCESS" if associate else "SUCCESS") if done else "IN_PROGRESS"
        last = {
            "apiCallDateTime": iso(n.last_recovery["at"]),
            "jobID": n.last_recovery["jobID"],
            "lastRecoveryResult": result,
        }
    return {
        "sourceNetworkID": n.network_id,
        "sourceVpcID": n.vpc_id,
        "arn": n.arn,
        "tags": dict(n.tags),
        "replicationStatus": n.replication_status(ctx.now),
        "cfnStackName": n.cfn_stack_name,
        "sourceRegion": n.origin_region,
        "sourceAccountID": n.origin_account,
        "lastRecovery": last,
        "launchedVpcID": n.launched_vpc_id,
    }


@operation("CreateSourceNetwork")
def create_source_network(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    origin_account, origin_region, vpc_id = p["originAccountID"], p["originRegion"], p["vpcID"]
    if vpc_id not in _backend(origin_account, origin_region).vpcs:
        raise errors.not_found("VPC", vpc_id, f"VPC {vpc_id} not found in {origin_account}/{origin_region}")
    for other in ctx.state.source_networks.values():
        if (other.vpc_id, other.origin_account, other.origin_region) == (
            vpc_id,
            origin_account,
            origin_region,
        ):
            raise errors.conflict(
                "SOURCE_NETWORK",
                other.network_id,
                f"VPC {vpc_id} is already source network {other.network_id}",
            )
    limit = ctx.emulator.quotas.max_source_networks
    if len(ctx.state.source_networks) >= limit:
        raise errors.quota_exceeded(
            "SOURCE_NETWORK", "MaxSourceNetworks", f"At most {limit} source networks per account and region"
        )
    network_id = ids.derive("sn-", "sn", ctx.account, ctx.region, ctx.state.next_serial("sn"))
    ctx.state.source_networks[network_id] = SourceNetwork(
        network_id, ctx.account, ctx.region, vpc_id, origin_account, origin_region, dict(p.get("tags") or {})
    )
    return {"sourceNetworkID": network_id}


@operation("DescribeSourceNetworks")
def describe_source_networks(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    filters = p.get("filters") or {}
    wanted = set(filters.get("sourceNetworkIDs") or [])
    items = [
        n
        for n in ctx.state.source_networks.values()
        if (not wanted or n.network_id in wanted)
        and (not filters.get("originAccountID") or n.origin_account == filters["originAccountID"])
        and (not filters.get("originRegion") or n.origin_region == filters["originRegion"])
    ]
    page, token = paginate(items, p, "DescribeSourceNetworks", ctx.account, ctx.region)
    return {"items": [network_view(ctx, n) for n in page], "nextToken": token}


def _capture_template(network: SourceNetwork) -> dict[str, Any]:
    backend = _backend(network.origin_account, network.origin_region)
    vpc = backend.vpcs.get(network.vpc_id)
    if vpc is None:
        raise errors.not_found("VPC", network.vpc_id, f"Source VPC {network.vpc_id} no longer exists")
    subnets = sorted(
        (s for azs in backend.subnets.values() for s in azs.values() if s.vpc_id == network.vpc_id),
        key=lambda s: s.cidr_block,
    )
    resources: dict[str, Any] = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": vpc.cidr_block}}
    }
    for i, subnet in enumerate(subnets):
        resources[f"Subnet{i + 1}"] = {
            "Type": "AWS::EC2::Subnet",
            "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": subnet.cidr_block},
        }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"Elastic Disaster Recovery source network {network.network_id} ({network.vpc_id})",
        "Resources": resources,
    }


@operation("StartSourceNetworkReplication")
def start_source_network_replication(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    network = _network(ctx, p["sourceNetworkID"])
    if network.replication_status(ctx.now) != "STOPPED":
        raise errors.conflict(
            "SOURCE_NETWORK", network.network_id, "Source network replication is already running"
        )
    network.template = _capture_template(network)
    network.replication_started_at = ctx.now
    network.protected_at = ctx.now + ctx.emulator.timings.network_replication_seconds
    return {"sourceNetwork": network_view(ctx, network)}


@operation("StopSourceNetworkReplication")
def stop_source_network_replication(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    network = _network(ctx, p["sourceNetworkID"])
    if network.replication_status(ctx.now) == "STOPPED":
        raise errors.conflict(
            "SOURCE_NETWORK", network.network_id, "Source network replication is not running"
        )
    network.replication_started_at = None
    network.protected_at = None
    return {"sourceNetwork": network_view(ctx, network)}


@operation("ExportSourceNetworkCfnTemplate")
def export_source_network_cfn_template(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    network = _network(ctx, p["sourceNetworkID"])
    if network.template is None:
        raise errors.conflict(
            "SOURCE_NETWORK", network.network_id, "The source network has not been replicated yet"
        )
    from moto.s3.models import s3_backends

    s3 = s3_backends[ctx.account]["aws"]
    bucket = f"drs-source-networks-{ctx.account}-{ctx.region}"
    if bucket not in s3.buckets:
        s3.create_bucket(bucket, ctx.region)
    key = f"{network.network_id}/template.json"
    s3.put_object(bucket, key, json.dumps(network.template, indent=2).encode("utf-8"))
    return {"s3DestinationUrl": f"s3://{bucket}/{key}"}


def _network_job(ctx: Ctx, initiated_by: str, network_ids: list[str], tags: dict[str, str]) -> Job:
    lifecycle = ctx.emulator.lifecycle
    job = Job(
        job_id=lifecycle.new_job_id(ctx.account, ctx.region),
        account=ctx.account,
        region=ctx.region,
        job_type="LAUNCH",
        initiated_by=initiated_by,
        created_at=ctx.now,
        start_at=ctx.now + ctx.emulator.timings.job_pending_seconds,
        tags=dict(tags),
        resources=list(network_ids),
    )
    ctx.state.jobs[job.job_id] = job
    return job


def _deploy(ctx: Ctx, network: SourceNetwork, stack_name: str) -> str:
    template = network.template or {}
    backend = _backend(ctx.account, ctx.region)
    resources = template.get("Resources", {})
    vpc = backend.create_vpc(resources["Vpc"]["Properties"]["CidrBlock"])
    for _name, resource in sorted(resources.items()):
        if resource["Type"] == "AWS::EC2::Subnet":
            backend.create_subnet(vpc.id, resource["Properties"]["CidrBlock"])
    backend.create_tags(
        [vpc.id], {"aws:cloudformation:stack-name": stack_name, "drs:source-network": network.network_id}
    )
    return str(vpc.id)


@operation("StartSourceNetworkRecovery")
def start_source_network_recovery(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    entries = p["sourceNetworks"]
    networks = [_network(ctx, e["sourceNetworkID"]) for e in entries]
    seen: set[str] = set()
    for i, network in enumerate(networks):
        if network.network_id in seen:
            raise errors.field_error(f"sourceNetworks[{i}]", f"duplicate id {network.network_id}")
        seen.add(network.network_id)
        _ensure_idle(ctx, network)
        if network.template is None:
            raise errors.conflict(
                "SOURCE_NETWORK", network.network_id, "The source network has not been replicated yet"
            )
    deploy_as_new = bool(p.get("deployAsNew", False))
    updates = 0
    for entry, network in zip(entries, networks, strict=True):
        stack_name = (
            entry.get("cfnStackName") or network.cfn_stack_name or f"drs-network-{network.network_id}"
        )
        existing = (
            network.launched_vpc_id
            if network.launched_vpc_id in _backend(ctx.account, ctx.region).vpcs
            else None
        )
        if existing and not deploy_as_new and stack_name in network.stacks:
            updates += 1
        else:
            network.stacks[stack_name] = _deploy(ctx, network, stack_name)
        network.cfn_stack_name = stack_name
        network.launched_vpc_id = network.stacks[stack_name]
    initiated_by = "UPDATE_NETWORK_RECOVERY" if updates == len(networks) else "CREATE_NETWORK_RECOVERY"
    job = _network_job(ctx, initiated_by, [n.network_id for n in networks], p.get("tags") or {})
    for network in networks:
        network.last_recovery = {"at": ctx.now, "jobID": job.job_id, "associate": False}
    return {"job": job_view(job)}


@operation("AssociateSourceNetworkStack")
def associate_source_network_stack(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    network = _network(ctx, p["sourceNetworkID"])
    stack_name = p["cfnStackName"]
    if stack_name not in network.stacks:
        raise errors.not_found(
            "CFN_STACK",
            stack_name,
            f"No stack {stack_name} was deployed for source network {network.network_id}",
        )
    _ensure_idle(ctx, network)
    network.cfn_stack_name = stack_name
    network.launched_vpc_id = network.stacks[stack_name]
    job = _network_job(ctx, "ASSOCIATE_NETWORK_RECOVERY", [network.network_id], {})
    network.last_recovery = {"at": ctx.now, "jobID": job.job_id, "associate": True}
    return {"job": job_view(job)}


@operation("DeleteSourceNetwork")
def delete_source_network(ctx: Ctx, p: dict[str, Any]) -> None:
    network = _network(ctx, p["sourceNetworkID"])
    if network.replication_status(ctx.now) != "STOPPED":
        raise errors.conflict(
            "SOURCE_NETWORK", network.network_id, "Stop the source network's replication before deleting it"
        )
    _ensure_idle(ctx, network)
    del ctx.state.source_networks[network.network_id]
    return None
