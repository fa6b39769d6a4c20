"""Failover / failback benchmark on the local stack (prints figures; not a test).

``--servers`` (100) AWS-origin source servers in ``--waves`` (5) waves, one protection group per
wave, each server launching in ``--launch-seconds`` emulated seconds (default 600: a DRS launch of
about ten minutes). Through the REST API: instance pairs matched by Name tag, stored, validated and
configured; a FAILOVER into the paired instances; reverse replication until CONTINUOUS; a FAILBACK
into the original instances. Seed 002's targets: failover and failback each under 30 minutes for 100
instances, matching 100+ instances in under 10 s.

Figures:
- matching: real seconds of ``POST /drs/instances/match`` over the whole account-region (every
  server against every instance), and of the pure matcher over 10,000 servers x 10,000 instances;
- RTO (emulated minutes) of the failover and of the failback: from the first DRS job's creation to
  the last job's end on the emulator's clock. The local stack's own processing (moto, in-process
  Lambdas) runs at ``--speed`` emulated seconds per real second, so the orchestration gap between
  waves is inflated by the local emulation's cost; the figure also gives the sum of the waves'
  pure DRS launch time;
- identity and IPs: how many servers launched into their paired (or original) instance with the
  source's private IP.

    python bench/failover.py [--servers 100] [--waves 5] [--speed 600] [--launch-seconds 600]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import uuid
import warnings
from datetime import datetime
from typing import Any

import boto3
import requests

HUB = "123456789012"
REGION = "eu-west-1"
ORIGIN = "eu-west-2"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
TAG = {"Key": "AWSDRS", "Value": "AllowLaunchingIntoThisInstance"}
TERMINAL = {"COMPLETED", "PARTIAL", "FAILED", "CANCELLED"}


class Api:
    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.s = requests.Session()
        self.s.headers["Authorization"] = token

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        r = self.s.request(method, self.url + path, json=body, params=params, timeout=600)
        if r.status_code >= 300:
            raise SystemExit(f"{method} {path}: {r.status_code} {r.text[:2000]}")
        return r.json()


def _t(value: Any) -> float:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def _rto(stack: Any, execution_id: str, launch_seconds: float, waves: int) -> dict[str, float]:
    jobs = [j for j in stack.emulator.jobs() if (j.get("tags") or {}).get("drs-orch:execution-id") == execution_id]
    start = min(_t(j["creationDateTime"]) for j in jobs)
    end = max(_t(j["endDateTime"]) for j in jobs)
    return {"jobs": len(jobs), "rto_minutes": (end - start) / 60, "launch_only_minutes": waves * launch_seconds / 60}


def _wait(api: Api, execution_id: str, timeout: float = 1800) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = api.call("GET", f"/executions/{execution_id}/status")
        if body["status"] in TERMINAL:
            return dict(api.call("GET", f"/executions/{execution_id}"))
        time.sleep(0.5)
    raise SystemExit(f"execution {execution_id} did not end in {timeout}s")


def _bench_matcher() -> float:
    from drs_orch.domain.failover import InstanceView, SourceView, match_instances

    n = 10_000
    servers = [SourceView(f"s-{i:017d}", f"host-{i:05d}.example.internal", None, f"10.0.{i // 250}.{i % 250}")
               for i in range(n)]
    instances = [InstanceView(f"i-{i:017x}", f"host-{i:05d}", f"10.0.{i // 250}.{i % 250}", "stopped", "c5.large")
                 for i in range(n)]
    began = time.perf_counter()
    result = match_instances(servers, instances)
    elapsed = time.perf_counter() - began
    assert len(result.matches) == n
    return elapsed


def scenario(stack: Any, api: Api, count: int, waves: int, launch_seconds: float) -> None:
    run = uuid.uuid4().hex[:6]
    hosts = [f"fo-{run}-{i:03d}.example.internal" for i in range(count)]
    ips = [f"172.31.{1 + i // 200}.{20 + i % 200}" for i in range(count)]
    servers = [{"hostname": h, "privateIp": ip, "cpus": 2, "ramGiB": 4, "disks": [{"deviceName": "/dev/sda",
                "sizeGiB": 20}], "recommendedInstanceType": "c5.large", "launch": {"durationSeconds": launch_seconds},
                "sourceCloud": {"accountId": HUB, "region": ORIGIN, "runInstance": True}}
               for h, ip in zip(hosts, ips, strict=True)]
    out = stack.emulator.seed({"accounts": [{"accountId": HUB, "regions": [{"region": REGION, "servers": servers}]}]})
    stack.emulator.set_initialized(HUB, ORIGIN)
    ids = list(out[HUB][REGION])
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=stack.moto_url, **KEYS)
    subnet = sorted((s for s in ec2.describe_subnets()["Subnets"] if s.get("DefaultForAz")),
                    key=lambda s: s["AvailabilityZone"])[0]["SubnetId"]
    for host, ip in zip(hosts, ips, strict=True):
        ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="c5.large", SubnetId=subnet,
                          PrivateIpAddress=ip, TagSpecifications=[{"ResourceType": "instance", "Tags": [
                              {"Key": "Name", "Value": host}, TAG]}])
    targets = [i["InstanceId"] for r in ec2.describe_instances(Filters=[{"Name": "tag:AWSDRS", "Values": [
        TAG["Value"]]}, {"Name": "instance-state-name", "Values": ["running"]}])["Reservations"] for i in r["Instances"]]
    ec2.stop_instances(InstanceIds=targets)

    began = time.perf_counter()
    matched = api.call("POST", "/drs/instances/match", {"region": REGION})
    match_s = time.perf_counter() - began
    mine = {m["sourceServerId"]: m for m in matched["matches"] if m["sourceServerId"] in set(ids)}
    print(f"match: {matched['serverCount']} servers x {matched['instanceCount']} instances in {match_s:.2f} s real "
          f"({len(mine)}/{count} of ours matched, {len(matched['ambiguous'])} ambiguous)")
    print(f"matcher alone: 10,000 x 10,000 in {_bench_matcher():.2f} s")

    per_wave = -(-count // waves)
    group_ids = []
    for w in range(waves):
        members = ids[w * per_wave:(w + 1) * per_wave]
        group = api.call("POST", "/protection-groups", {"groupName": f"fo-{run}-{w}", "region": REGION,
                                                        "sourceServerIds": members})
        group_ids.append(group["groupId"])
        api.call("POST", f"/protection-groups/{group['groupId']}/instance-pairs", {"pairs": [
            {"sourceServerId": s, "targetInstanceId": mine[s]["targetInstanceId"]} for s in members]})
        checked = api.call("POST", "/drs/instances/validate-pairs", {"groupId": group["groupId"]})
        assert checked["valid"], checked
        api.call("POST", f"/protection-groups/{group['groupId']}/configure-allow-launching", {})
    plan = api.call("POST", "/recovery-plans", {"planName": f"fo-{run}", "waves": [
        {"waveNumber": w + 1, "waveName": f"wave {w + 1}", "protectionGroupIds": [g]} for w, g in enumerate(group_ids)]})

    began = time.perf_counter()
    started = api.call("POST", "/executions/allow-launching/failover", {"planId": plan["planId"],
                                                                       "pollIntervalSeconds": 30})
    done = _wait(api, started["executionId"])
    real = time.perf_counter() - began
    servers_out = [s for w in done["waves"] for s in w["servers"]]
    kept = sum(1 for s in servers_out if s.get("identityVerified"))
    rto = _rto(stack, started["executionId"], launch_seconds, waves)
    print(f"failover: {done['status']}, {kept}/{count} into their pair with the source IP; RTO "
          f"{rto['rto_minutes']:.1f} emulated min ({rto['launch_only_minutes']:.0f} of them DRS launch time), "
          f"{rto['jobs']} DRS jobs, {real:.1f} s real")

    reversed_ = api.call("POST", f"/executions/{started['executionId']}/allow-launching/reverse-replication", {})
    stack.emulator.advance(7200)
    cycle = api.call("GET", f"/executions/{started['executionId']}/allow-launching/status")
    print(f"reverse replication: {reversed_['started']} started; ready for failback: {cycle['readyForFailback']}")

    drs = boto3.client("drs", region_name=REGION, endpoint_url=stack.drs_url, **KEYS)
    originals = []
    for chunk in range(0, len(ids), 200):
        items = drs.describe_source_servers(filters={"sourceServerIDs": ids[chunk:chunk + 200]})["items"]
        originals += [i["sourceProperties"]["identificationHints"]["awsInstanceID"] for i in items]
    origin_ec2 = boto3.client("ec2", region_name=ORIGIN, endpoint_url=stack.moto_url, **KEYS)
    origin_ec2.create_tags(Resources=originals, Tags=[TAG])
    origin_ec2.stop_instances(InstanceIds=originals)
    began = time.perf_counter()
    started = api.call("POST", "/executions/allow-launching/failback", {"planId": plan["planId"],
                                                                       "pollIntervalSeconds": 30})
    back = _wait(api, started["executionId"])
    real = time.perf_counter() - began
    kept = sum(1 for w in back["waves"] for s in w["servers"] if s.get("identityVerified"))
    rto = _rto(stack, started["executionId"], launch_seconds, waves)
    print(f"failback: {back['status']}, {kept}/{count} into their original instance with the original IP; RTO "
          f"{rto['rto_minutes']:.1f} emulated min ({rto['launch_only_minutes']:.0f} of them DRS launch time), "
          f"{rto['jobs']} DRS jobs, {real:.1f} s real")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", type=int, default=100)
    parser.add_argument("--waves", type=int, default=5)
    parser.add_argument("--speed", type=float, default=600.0)
    parser.add_argument("--launch-seconds", type=float, default=600.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore")
    for name in ("moto", "drs_local", "werkzeug", "drs_orch", "aws_lambda_powertools"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    from drs_local.stack import LocalStack

    stack = LocalStack(speed=args.speed).start()
    try:
        api = Api(stack.api_url, stack.token("DRSOrchestrationAdmin"))
        scenario(stack, api, args.servers, args.waves, args.launch_seconds)
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    raise SystemExit(main())
