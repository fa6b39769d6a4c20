"""Capacity and quotas over the local stack: figures equal to the emulator's state; the EC2 pickers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from query_support import (
    HUB,
    REGION,
    Spokes,
    broken_targets,
    dump,
    frozen_clock,
    spoke_drs_client,
    spokes_for,
)

pytestmark = pytest.mark.integration

@pytest.fixture(scope="session")
def spokes(stack: Any) -> Spokes:
    return spokes_for(stack)


@pytest.fixture
def frozen(stack: Any) -> Iterator[Any]:
    with frozen_clock(stack) as emulator:
        yield emulator


def _truth(stack: Any, account: str, region: str) -> dict[str, int]:
    servers = stack.emulator.servers(account=account, region=region)
    jobs = stack.emulator.jobs(account=account, region=region)
    active = [j for j in jobs if j["status"] in ("PENDING", "STARTED")]
    regions = {(r["account"], r["region"]): r for r in stack.emulator.summary()["regions"]}
    return {
        "sourceServers": len(servers),
        "replicatingServers": sum(1 for s in servers if s["replicationState"] != "STOPPED"),
        "activeJobs": len(active),
        "serversInActiveJobs": sum(len(j["participatingServers"]) for j in active),
        "recoveryInstances": regions[(account, region)]["recoveryInstances"],
    }


def test_service_limits_equal_the_emulator(admin: Any, stack: Any, spokes: Spokes, frozen: Any) -> None:
    # one active job in A so that every figure is non-trivial
    drs = spoke_drs_client(spokes, spokes.a)
    drs.start_recovery(isDrill=True, sourceServers=[{"sourceServerID": i} for i in spokes.servers[spokes.a][:2]])
    status, body = admin.get("/drs/service-limits", accountId=spokes.a, region=REGION)
    assert status == 200, dump(body)
    assert body["currentUsage"] == _truth(stack, spokes.a, REGION)
    assert body["currentUsage"]["replicatingServers"] == 2 and body["currentUsage"]["activeJobs"] == 1
    assert body["currentUsage"]["serversInActiveJobs"] == 2
    metrics = {m["metric"]: m for m in body["metrics"]}
    assert metrics["replicatingServers"]["limit"] == 300 and metrics["activeJobs"]["limit"] == 20
    assert metrics["serversInActiveJobs"]["limit"] == 500 and metrics["recoveryInstances"]["limit"] == 4000
    assert body["status"] == "OK" and all(m["status"] == "OK" for m in body["metrics"])


def test_hub_limits_and_quotas_over_regions(admin: Any, invoke: Any, stack: Any, spokes: Spokes, frozen: Any) -> None:
    out = invoke("query", "get_drs_service_limits", query={"region": "us-west-2"})
    assert out["accountId"] == HUB and out["currentUsage"] == _truth(stack, HUB, "us-west-2"), dump(out)
    status, body = admin.get("/drs/quotas", accountId=spokes.a, regions="us-east-1,us-west-2")
    assert status == 200, dump(body)
    east, west = body["regions"]
    assert east["region"] == "us-east-1" and east["currentUsage"] == _truth(stack, spokes.a, "us-east-1")
    assert west["regionStatus"]["status"] == "DRS_NOT_INITIALIZED" and west["status"] is None
    assert body["totals"]["sourceServers"] == 3


def test_all_accounts_capacity_in_parallel(admin: Any, stack: Any, spokes: Spokes, frozen: Any) -> None:
    with broken_targets(spokes):
        status, body = admin.get("/accounts/capacity", regions=REGION)
    assert status == 200, dump(body)
    by_id = {a["accountId"]: a for a in body["accounts"]}
    for account in (HUB, spokes.a, spokes.b, spokes.s):
        entry = by_id[account]
        assert entry["status"] in ("OK", "WARNING", "CRITICAL"), dump(entry)
        assert entry["regions"][0]["currentUsage"] == _truth(stack, account, REGION)
    assert by_id[spokes.s]["accountType"] == "STAGING"
    for account in (spokes.c, spokes.d):
        assert by_id[account]["status"] == "ERROR"
        assert by_id[account]["error"]["code"] == "ASSUME_ROLE_DENIED" and account in by_id[account]["error"]["message"]
    assert {spokes.c, spokes.d} <= set(body["unreachableAccounts"])
    combined = next(t for t in body["targets"] if t["targetAccountId"] == spokes.b)
    assert combined["stagingAccountIds"] == [spokes.s]
    assert combined["combined"]["replicatingServers"] == 23 + 2
    assert combined["combined"]["maxReplicatingServers"] == 600


def test_ec2_pickers(admin: Any, stack: Any, spokes: Spokes) -> None:
    ec2 = stack.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    status, body = admin.get("/ec2/subnets", vpcId=vpc)
    truth = {s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]}
    assert status == 200 and {s["subnetId"] for s in body["subnets"]} == truth and body["count"] == len(truth)
    status, body = admin.get("/ec2/security-groups", vpcId=vpc)
    assert status == 200 and any(g["groupName"] == "default" for g in body["securityGroups"])
    assert all(g["vpcId"] == vpc for g in body["securityGroups"])
    status, body = admin.get("/ec2/subnets", vpcId="not-a-vpc")
    assert status == 400
    status, body = admin.get("/ec2/instance-types", instanceFamily="m5")
    assert status == 200 and body["count"] > 3
    assert all(t["instanceType"].startswith("m5.") for t in body["instanceTypes"])
    assert {"m5.large", "m5.xlarge"} <= {t["instanceType"] for t in body["instanceTypes"]}
    name = f"query-test-{uuid.uuid4().hex[:8]}"
    stack.client("iam").create_instance_profile(InstanceProfileName=name)
    status, body = admin.get("/ec2/instance-profiles")
    assert status == 200 and name in {p["instanceProfileName"] for p in body["instanceProfiles"]}
    # the spoke's own EC2, through its role
    status, body = admin.get("/ec2/subnets", accountId=spokes.b)
    assert status == 200 and body["accountId"] == spokes.b and body["count"] >= 1
