"""Failover into instance pairs on the local stack (issue 14): pairs matched by Name tag, validated
and configured; a 3-wave FAILOVER launches every server into its paired instance with its private
IP; a pair whose IP differs fails with PRIVATE_IP_MISMATCH; reverse replication reaches CONTINUOUS;
a pair in a spoke account reached through its role and external id."""

from __future__ import annotations

import random
import uuid
from typing import Any

import boto3
import pytest
from engine_support import (
    fast_fixture,  # noqa: F401 - fixture "fast", used by pytestmark
    plan,
    wait_for,
    wait_terminal,
)

from drs_local import iam_policy

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fast")]

HUB = "123456789012"
REGION = "eu-west-1"  # where DRS launches (the recovery region); no default-fleet servers here
ORIGIN = "eu-west-2"  # where the source EC2 instances run
TAG = {"Key": "AWSDRS", "Value": "AllowLaunchingIntoThisInstance"}
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _ips(stack: Any, count: int) -> list[str]:
    """Private IPs in the default VPC's zone-a subnet (172.31.0.0/20), random per test and free:
    the stack's earlier tests launched instances there (moto answers 500 to an address in use)."""
    used = {a["PrivateIpAddress"] for n in _ec2(stack).describe_network_interfaces()["NetworkInterfaces"]
            for a in n.get("PrivateIpAddresses") or []}
    rng = random.Random(uuid.uuid4().int)
    free = [f"172.31.{third}.{n}" for third in range(1, 15) for n in range(10, 250)]
    return rng.sample([ip for ip in free if ip not in used], count)


def _seed(stack: Any, count: int, account: str = HUB, *, aws_origin: bool = True) -> list[tuple[str, str, str]]:
    """AWS-origin source servers (origin instances in ORIGIN), or on-premises ones;
    (server id, hostname, private IP)."""
    run = uuid.uuid4().hex[:8]
    hosts = [f"fo-{run}-{n:02d}.example.internal" for n in range(count)]
    ips = _ips(stack, count)
    servers = [{"hostname": h, "privateIp": ip, "replicationState": "CONTINUOUS", "cpus": 2, "ramGiB": 4,
                "disks": [{"deviceName": "/dev/sda", "sizeGiB": 20}], "recommendedInstanceType": "c5.large",
                "launch": {"durationSeconds": 60}}
               for h, ip in zip(hosts, ips, strict=True)]
    for server in servers if aws_origin else []:
        server["sourceCloud"] = {"accountId": account, "region": ORIGIN, "runInstance": True}
    out = stack.emulator.seed({"accounts": [{"accountId": account, "regions": [{"region": REGION,
                                                                                 "servers": servers}]}]})
    stack.emulator.set_initialized(account, ORIGIN)  # reverse replication lands there (DRS must be initialized)
    ids = list(out[account][REGION])
    by_host = {stack.emulator.server_id(account, REGION, h): (h, ip) for h, ip in zip(hosts, ips, strict=True)}
    return [(sid, *by_host[sid]) for sid in ids]


def _ec2(stack: Any, credentials: dict[str, str] | None = None) -> Any:
    keys = ({"aws_access_key_id": credentials["AccessKeyId"], "aws_secret_access_key": credentials["SecretAccessKey"],
             "aws_session_token": credentials["SessionToken"]} if credentials else
            {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"})
    return boto3.client("ec2", region_name=REGION, endpoint_url=stack.moto_url, **keys)


def _targets(ec2: Any, servers: list[tuple[str, str, str]], *, ip_of: dict[str, str] | None = None) -> dict[str, str]:
    """Pre-provisioned, stopped, tagged target instances named after the servers' hostnames, with
    the servers' private IPs (or ``ip_of[hostname]``). Hostname -> instance id."""
    subnet = sorted((s for s in ec2.describe_subnets()["Subnets"] if s.get("DefaultForAz")),
                    key=lambda s: s["AvailabilityZone"])[0]["SubnetId"]
    out = {}
    for _, host, ip in servers:
        reservation = ec2.run_instances(
            ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="c5.large", SubnetId=subnet,
            PrivateIpAddress=(ip_of or {}).get(host, ip),
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": host}, TAG]}])
        out[host] = reservation["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=list(out.values()))
    return out


def _group(api: Any, server_ids: list[str], account: str | None = None) -> str:
    body: dict[str, Any] = {"groupName": f"fo-{uuid.uuid4().hex[:8]}", "region": REGION, "sourceServerIds": server_ids}
    if account:
        body["accountId"] = account
    status, out = api.post("/protection-groups", body)
    assert status == 201, out
    return str(out["groupId"])


def _pair_group(api: Any, group_id: str) -> dict[str, Any]:
    """Match by Name tag, store the matches, validate, configure DRS."""
    status, matched = api.post("/drs/instances/match", {"groupId": group_id})
    assert status == 200, matched
    assert not matched["unmatched"] and not matched["ambiguous"], matched
    pairs = [{"sourceServerId": m["sourceServerId"], "targetInstanceId": m["targetInstanceId"]}
             for m in matched["matches"]]
    status, stored = api.post(f"/protection-groups/{group_id}/instance-pairs", {"pairs": pairs})
    assert status == 200, stored
    assert stored["count"] == len(pairs)
    status, configured = api.post(f"/protection-groups/{group_id}/configure-allow-launching", {})
    assert status == 200, configured
    assert configured["configured"] == len(pairs)
    return dict(matched)


def test_a_three_wave_failover_keeps_identity_and_ips_then_reverses(stack: Any, admin: Any) -> None:
    servers = _seed(stack, 6)
    targets = _targets(_ec2(stack), servers)
    groups = [_group(admin, [s[0] for s in servers[i:i + 2]]) for i in (0, 2, 4)]
    for group_id in groups:
        matched = _pair_group(admin, group_id)
        assert all(m["matchedBy"] == "HOSTNAME" and m["privateIpMatches"] and m["hasLaunchIntoTag"]
                   for m in matched["matches"])
        status, checked = admin.post("/drs/instances/validate-pairs", {"groupId": group_id})
        assert status == 200 and checked["valid"], checked
    status, started = admin.post("/executions/allow-launching/failover",
                                 {"planId": plan(admin, [[g] for g in groups]), "pollIntervalSeconds": 5})
    assert status == 202, started
    execution_id = started["executionId"]
    done = wait_terminal(admin, execution_id, timeout=120)
    assert done["status"] == "COMPLETED", done
    assert done["executionType"] == "FAILOVER" and [w["status"] for w in done["waves"]] == ["COMPLETED"] * 3
    launched = {s["sourceServerId"]: s for w in done["waves"] for s in w["servers"]}
    for sid, host, ip in servers:
        server = launched[sid]
        assert server["ec2InstanceId"] == targets[host] and server["identityVerified"] is True, server
        assert server["privateIp"] == ip == server["sourcePrivateIp"] == server["recoveryPrivateIp"] == \
            server["targetPrivateIp"]

    status, cycle = admin.get(f"/executions/{execution_id}/allow-launching/status")
    assert status == 200, cycle
    assert cycle["cycleCounts"] == {"FAILED_OVER": 6}

    status, reversed_ = admin.post(f"/executions/{execution_id}/allow-launching/reverse-replication", {})
    assert status == 200, reversed_
    assert reversed_["started"] == 6, reversed_
    status, cycle = admin.get(f"/executions/{execution_id}/allow-launching/status")
    assert cycle["cycleCounts"] == {"REVERSE_REPLICATING": 6}, cycle
    stack.emulator.advance(7200)
    status, cycle = admin.get(f"/executions/{execution_id}/allow-launching/status", lagThresholdSeconds=120)
    assert status == 200 and cycle["readyForFailback"], cycle
    assert all(s["reverseReplication"]["state"] == "CONTINUOUS" and s["reverseReplication"]["accountId"] == HUB
               and s["reverseReplication"]["region"] == ORIGIN for s in cycle["servers"])
    # again: nothing reversed twice
    status, again = admin.post(f"/executions/{execution_id}/allow-launching/reverse-replication", {})
    assert status == 200 and again["started"] == 6

    # failback: the original instances (stopped, tagged) take the servers back, with their IPs
    originals = _originals(stack, [s[0] for s in servers])
    origin_ec2 = boto3.client("ec2", region_name=ORIGIN, endpoint_url=stack.moto_url, aws_access_key_id="testing",
                              aws_secret_access_key="testing")
    origin_ec2.create_tags(Resources=list(originals.values()), Tags=[TAG])
    origin_ec2.stop_instances(InstanceIds=list(originals.values()))
    plan_id = done["planId"]
    status, started = admin.post("/executions/allow-launching/failback", {"planId": plan_id, "pollIntervalSeconds": 5})
    assert status == 202, started
    back = wait_terminal(admin, started["executionId"], timeout=120)
    assert back["status"] == "COMPLETED" and back["executionType"] == "FAILBACK", back
    assert all(w["accountId"] == HUB and w["region"] == ORIGIN for w in back["waves"])
    by_original = {s[0]: s for s in servers}
    status, cycle = admin.get(f"/executions/{started['executionId']}/allow-launching/status")
    assert status == 200 and cycle["cycleCounts"] == {"FAILED_BACK": 6}, cycle
    for row in cycle["servers"]:
        assert row["ec2InstanceId"] == originals[row["sourceServerId"]] and row["identityVerified"]
        assert row["recoveryPrivateIp"] == by_original[row["sourceServerId"]][2]
    status, protected = admin.post(f"/executions/{started['executionId']}/allow-launching/reverse-replication", {})
    assert status == 200 and protected["started"] == 6, protected
    status, pairs = admin.get(f"/protection-groups/{groups[0]}/instance-pairs")
    assert {p["cycleState"] for p in pairs["pairs"]} == {"FAILED_BACK"}
    status, again = admin.post("/executions/allow-launching/failback", {"planId": plan_id})
    assert status == 400 and again["error"] == "NOT_READY_FOR_FAILBACK", again


def _originals(stack: Any, server_ids: list[str]) -> dict[str, str]:
    """Source server id -> the EC2 instance it replicates from (DRS identification hints)."""
    drs = boto3.client("drs", region_name=REGION, endpoint_url=stack.drs_url, aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    items = drs.describe_source_servers(filters={"sourceServerIDs": server_ids})["items"]
    return {i["sourceServerID"]: i["sourceProperties"]["identificationHints"]["awsInstanceID"] for i in items}


def test_a_pair_whose_ip_differs_fails_with_the_mismatch_reason(stack: Any, admin: Any) -> None:
    servers = _seed(stack, 2)
    wrong_host = servers[1][1]
    other_ip = _ips(stack, 1)[0]
    targets = _targets(_ec2(stack), servers, ip_of={wrong_host: other_ip})
    group_id = _group(admin, [s[0] for s in servers])
    _pair_group(admin, group_id)
    status, checked = admin.post("/drs/instances/validate-pairs", {"groupId": group_id})
    assert status == 200 and not checked["valid"]
    bad = next(r for r in checked["results"] if r["targetInstanceId"] == targets[wrong_host])
    assert [p["code"] for p in bad["problems"]] == ["PRIVATE_IP_MISMATCH"] and bad["problems"][0]["remediation"]

    status, started = admin.post("/executions/allow-launching/failover",
                                 {"planId": plan(admin, [[group_id]], onServerFailure="CONTINUE")})
    assert status == 202, started
    done = wait_terminal(admin, started["executionId"], timeout=120)
    assert done["status"] == "PARTIAL", done
    by_id = {s["sourceServerId"]: s for s in done["waves"][0]["servers"]}
    failed = by_id[servers[1][0]]
    assert failed["status"] == "FAILED" and failed["failureCode"] == "PRIVATE_IP_MISMATCH", failed
    assert failed["ec2InstanceId"] == targets[wrong_host] and failed["recoveryPrivateIp"] == other_ip
    assert other_ip in failed["failureReason"] and failed["remediation"]
    assert by_id[servers[0][0]]["status"] == "LAUNCHED" and by_id[servers[0][0]]["identityVerified"]
    status, body = admin.post(f"/executions/{started['executionId']}/terminate-instances")
    assert status == 409 and body["error"] == "PAIRED_INSTANCES", body  # the pre-provisioned targets stay


def test_a_failover_refuses_unpaired_or_unconfigured_servers(stack: Any, admin: Any) -> None:
    servers = _seed(stack, 2)
    _targets(_ec2(stack), servers)
    group_id = _group(admin, [s[0] for s in servers])
    plan_id = plan(admin, [[group_id]])
    status, body = admin.post("/executions/allow-launching/failover", {"planId": plan_id})
    assert status == 400 and body["error"] == "SERVERS_NOT_PAIRED", body
    status, matched = admin.post("/drs/instances/match", {"groupId": group_id})
    pairs = [{"sourceServerId": m["sourceServerId"], "targetInstanceId": m["targetInstanceId"]}
             for m in matched["matches"]]
    assert admin.post(f"/protection-groups/{group_id}/instance-pairs", {"pairs": pairs})[0] == 200
    status, body = admin.post("/executions/allow-launching/failover", {"planId": plan_id, "dryRun": True})
    assert status == 200 and not body["wouldStart"]
    assert [e["code"] for e in body["errors"]] == ["LAUNCH_INTO_NOT_CONFIGURED"]
    status, body = admin.post("/executions/allow-launching/failover", {"planId": plan_id})
    assert status == 409 and body["error"] == "LAUNCH_INTO_NOT_CONFIGURED", body
    status, body = admin.post("/executions", {"planId": plan_id, "executionType": "FAILBACK", "isDrill": True})
    assert status == 400 and "isDrill" in body["message"], body


def test_a_cross_account_pair_through_a_spoke_with_an_external_id(stack: Any, admin: Any) -> None:
    account = "7" + "".join(random.Random(uuid.uuid4().int).choice("0123456789") for _ in range(11))
    external_id = f"fo-{uuid.uuid4().hex[:12]}"
    iam_policy.apply()
    role_arn = iam_policy.provision_spoke(account, HUB, external_id)
    status, body = admin.post("/accounts/targets", {"accountId": account, "accountName": "failover spoke",
                                                     "roleArn": role_arn, "externalId": external_id})
    assert status == 201, body
    servers = _seed(stack, 1, account=account)
    sts = boto3.client("sts", region_name=REGION, endpoint_url=stack.moto_url, aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="failover-test", ExternalId=external_id)["Credentials"]
    targets = _targets(_ec2(stack, creds), servers)
    group_id = _group(admin, [servers[0][0]], account)
    matched = _pair_group(admin, group_id)
    assert matched["accountId"] == account and matched["matches"][0]["targetInstanceId"] == targets[servers[0][1]]
    status, started = admin.post("/executions/allow-launching/failover", {"planId": plan(admin, [[group_id]])})
    assert status == 202, started
    done = wait_terminal(admin, started["executionId"], timeout=120)
    assert done["status"] == "COMPLETED", done
    server = done["waves"][0]["servers"][0]
    assert server["ec2InstanceId"] == targets[servers[0][1]] and server["identityVerified"]
    assert server["accountId"] == account and server["privateIp"] == servers[0][2]


def test_a_launch_into_target_dropped_before_a_wave_is_caught_at_its_start(stack: Any, admin: Any) -> None:
    servers = _seed(stack, 2)
    targets = _targets(_ec2(stack), servers)
    groups = [_group(admin, [servers[0][0]]), _group(admin, [servers[1][0]])]
    for group_id in groups:
        _pair_group(admin, group_id)
    plan_id = plan(admin, [[g] for g in groups], pauseBeforeWave={2: True})
    status, started = admin.post("/executions/allow-launching/failover", {"planId": plan_id})
    assert status == 202, started
    execution_id = started["executionId"]
    wait_for(admin, execution_id, lambda b: b["status"] == "PAUSED", 120, "pause before wave 2")
    drs = boto3.client("drs", region_name=REGION, endpoint_url=stack.drs_url, **KEYS)
    drs.update_launch_configuration(sourceServerID=servers[1][0], launchIntoInstanceProperties={})  # outside drift
    assert admin.post(f"/executions/{execution_id}/resume")[0] == 200
    done = wait_terminal(admin, execution_id, timeout=120)
    wave = done["waves"][1]
    server = wave["servers"][0]
    # the launch settings put the target back (drift repaired), or the wave fails before launching: never a
    # launch into a new instance
    if wave["status"] == "FAILED":
        assert "LAUNCH_INTO_DRIFT" in wave["launchConfigReason"] and server["status"] != "LAUNCHED", wave
    else:
        assert server["ec2InstanceId"] == targets[servers[1][1]] and server["identityVerified"], wave


def test_pairs_are_refused_whole_and_kept_per_server(stack: Any, admin: Any) -> None:
    servers = _seed(stack, 2)
    targets = _targets(_ec2(stack), servers)
    group_id = _group(admin, [s[0] for s in servers])
    one, two = (targets[s[1]] for s in servers)
    base = f"/protection-groups/{group_id}/instance-pairs"
    status, body = admin.post(base, {"pairs": [
        {"sourceServerId": servers[0][0], "targetInstanceId": one, "targetAccountId": "111111111111"},
        {"sourceServerId": "s-" + "0" * 17, "targetInstanceId": two, "targetRegion": "us-west-2"}]})
    assert status == 400 and body["error"] == "INVALID_INSTANCE_PAIRS", body
    assert len(body["details"]) == 3  # wrong account, wrong region, server not in the group: all at once
    assert admin.get(base)[1]["count"] == 0  # nothing half-written
    status, body = admin.post(base, {"pairs": [{"sourceServerId": servers[0][0], "targetInstanceId": one}]})
    assert status == 200 and body["pairs"][0]["sourcePrivateIp"] == servers[0][2]
    status, body = admin.post(base, {"pairs": [{"sourceServerId": servers[1][0], "targetInstanceId": one}]})
    assert status == 400 and "already the target" in body["details"][0]["message"]
    pair_id = admin.get(base)[1]["pairs"][0]["pairId"]
    status, body = admin.put(f"{base}/{pair_id}", {"targetInstanceId": two, "preservePrivateIp": False})
    assert status == 200 and body["targetInstanceId"] == two and body["preservePrivateIp"] is False
    status, body = admin.post(base, {"pairs": [{"sourceServerId": servers[1][0], "targetInstanceId": one}],
                                     "unknown": 1})
    assert status == 400 and "unknown" in body["message"]
    status, body = admin.post(f"/protection-groups/{group_id}/configure-allow-launching", {})
    assert status == 200 and body["configured"] == 1
    drs = boto3.client("drs", region_name=REGION, endpoint_url=stack.drs_url, **KEYS)
    held = drs.get_launch_configuration(sourceServerID=servers[0][0])
    assert held["launchIntoInstanceProperties"] == {"launchIntoEC2InstanceID": two}
    status, body = admin.delete(f"{base}/{pair_id}")
    assert status == 200 and body["deleted"]
    assert admin.delete(f"{base}/{pair_id}")[0] == 404
    # DRS no longer launches the unpaired server into the instance
    assert not drs.get_launch_configuration(sourceServerID=servers[0][0]).get("launchIntoInstanceProperties")
    status, body = admin.post("/drs/instances/match", {"region": "af-south-1"})  # a region no test seeds
    assert status == 409 and body["error"] == "DRS_NOT_INITIALIZED", body


def test_an_origin_outside_ec2_gets_an_explicit_failback_client_step(stack: Any, admin: Any) -> None:
    servers = _seed(stack, 1, aws_origin=False)
    _targets(_ec2(stack), servers)
    group_id = _group(admin, [servers[0][0]])
    _pair_group(admin, group_id)
    plan_id = plan(admin, [[group_id]])
    status, started = admin.post("/executions/allow-launching/failover", {"planId": plan_id})
    assert status == 202, started
    execution_id = started["executionId"]
    done = wait_terminal(admin, execution_id, timeout=120)
    assert done["status"] == "COMPLETED", done
    instance_id = done["waves"][0]["servers"][0]["recoveryInstanceId"]
    status, reversed_ = admin.post(f"/executions/{execution_id}/allow-launching/reverse-replication", {})
    assert status == 200 and reversed_["servers"][0]["status"] == "AGENT_REQUIRED", reversed_
    assert reversed_["servers"][0]["remediation"]

    def step() -> tuple[str, str]:
        status, cycle = admin.get(f"/executions/{execution_id}/allow-launching/status")
        assert status == 200, cycle
        row = cycle["servers"][0]
        return row["agentStep"]["status"], row["cycleState"]

    assert step() == ("AGENT_REQUIRED", "FAILED_OVER")
    stack.emulator.connect_failback_client(instance_id)  # the Failback Client boots on the origin machine
    assert step() == ("AGENT_REPLICATING", "REVERSE_REPLICATING")
    stack.emulator.advance(7200)
    assert step() == ("AGENT_READY", "READY_FOR_FAILBACK")
    status, body = admin.post("/executions/allow-launching/failback", {"planId": plan_id})
    assert status == 400 and body["error"] == "NOT_READY_FOR_FAILBACK"
    assert "Failback Client" in body["details"][0]["message"], body


def test_readiness_of_a_failover_plan_checks_its_launch_into_prerequisites(stack: Any, admin: Any) -> None:
    """Issue 21 with issue 14: a paired target instance that is running (a failover cannot launch
    into it) makes the plan NOT_READY with the pair's problem, its server and wave; stopped again,
    the finding goes."""
    servers = _seed(stack, 2)
    ec2 = _ec2(stack)
    targets = _targets(ec2, servers)
    group_id = _group(admin, [s[0] for s in servers])
    _pair_group(admin, group_id)
    plan_id = plan(admin, [[group_id]])

    def pair_findings() -> list[dict[str, Any]]:
        status, evaluated = admin.post(f"/recovery-plans/{plan_id}/evaluate")
        assert status == 200, evaluated
        return [f for f in evaluated["findings"] if f.get("serverId") in {s[0] for s in servers}
                and f["severity"] == "HIGH"]

    assert pair_findings() == []
    running = targets[servers[0][1]]
    ec2.start_instances(InstanceIds=[running])
    found = pair_findings()
    assert [(f["serverId"], f["waveNumber"]) for f in found] == [(servers[0][0], 1)], found
    assert running in found[0]["message"] and found[0]["action"]
    status, readiness = admin.get(f"/recovery-plans/{plan_id}/readiness")
    assert status == 200 and readiness["current"]["status"] == "NOT_READY", readiness
    ec2.stop_instances(InstanceIds=[running])
    assert pair_findings() == []
