"""EC2 and IAM lookups that fill the launch-settings pickers: subnets, security groups, instance
types and instance profiles of one account and region."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.inventory import RegionState, RegionUnavailable, region_status
from drs_orch.services.query_ports import Readers

VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
INSTANCE_FAMILY = re.compile(r"^[a-z][a-z0-9-]*$")


def _answer(ctx: AccountContext, key: str, fetch: Callable[[], list[dict[str, Any]]]) -> dict[str, Any]:
    status = region_status(RegionState.OK)
    try:
        items = fetch()
    except RegionUnavailable as exc:
        items = []
        status = region_status(exc.state, exc.reason)
    return {key: items, "count": len(items), "region": ctx.region, "accountId": ctx.account_id,
            "regionStatus": status}


def check_vpc_id(vpc_id: str | None) -> str | None:
    if vpc_id is None or vpc_id == "":
        return None
    if not VPC_ID.match(vpc_id):
        raise ValidationFailed(f"vpcId {vpc_id!r} is not a VPC id (vpc-...)", code="INVALID_PARAMETER")
    return vpc_id


def subnets(readers: Readers, ctx: AccountContext, vpc_id: str | None) -> dict[str, Any]:
    vpc = check_vpc_id(vpc_id)
    ec2 = readers.ec2(ctx)
    out = _answer(ctx, "subnets", lambda: sorted(ec2.subnets(vpc), key=lambda s: (str(s["vpcId"]), str(s["subnetId"]))))
    out["vpcId"] = vpc
    return out


def security_groups(readers: Readers, ctx: AccountContext, vpc_id: str | None) -> dict[str, Any]:
    vpc = check_vpc_id(vpc_id)
    ec2 = readers.ec2(ctx)
    out = _answer(
        ctx, "securityGroups",
        lambda: sorted(ec2.security_groups(vpc), key=lambda g: (str(g["vpcId"]), str(g["groupName"]))),
    )
    out["vpcId"] = vpc
    return out


def instance_types(readers: Readers, ctx: AccountContext, family: str | None) -> dict[str, Any]:
    if family is not None and family != "" and not INSTANCE_FAMILY.match(family):
        raise ValidationFailed(f"instanceFamily {family!r} is not an instance family (e.g. m5)",
                               code="INVALID_PARAMETER")
    ec2 = readers.ec2(ctx)
    out = _answer(
        ctx, "instanceTypes", lambda: sorted(ec2.instance_types(family or None), key=lambda t: str(t["instanceType"]))
    )
    out["instanceFamily"] = family or None
    return out


def instance_profiles(readers: Readers, ctx: AccountContext) -> dict[str, Any]:
    iam = readers.iam(ctx)
    return _answer(
        ctx, "instanceProfiles", lambda: sorted(iam.instance_profiles(), key=lambda p: str(p["instanceProfileName"]))
    )
