"""Benchmark of launch settings: applying to 10 and 100 servers, and wave start on the fast and the
fallback path, with 200 ms of emulated latency on every DRS and EC2 call.

Setup: a child process serves moto (EC2, IAM, DynamoDB) and the DRS emulator, whose launch templates
are real moto launch templates; this process runs the production
:class:`~drs_orch.services.launch_settings.LaunchSettingsService` with the production adapters, as
the Lambda would against AWS (the services are not in the caller's process). DRS latency is the
emulator's own (slept server-side before answering); EC2/IAM latency is slept client-side before each
request is signed. Only the group item is written straight into the table instead of through the
protection-group API.

Scenarios per size and parallelism:

* ``apply``: first apply of every server (UpdateLaunchConfiguration, launch template read, new
  version carrying the rest forward, new default);
* ``wave fast (default: full)``: wave start with everything ready, the default drift check reading
  each server's DRS launch configuration (``LAUNCH_DRIFT_PARALLELISM`` at a time) and the launch
  templates, no write; ``wave fast (templates only)``: the same without the DRS reads;
* ``wave fallback 10% drift``: a tenth of the servers' templates changed out of band;
* ``wave fallback all changed``: the group's instance type changed, every server re-applied.

Run: ``.venv/bin/python bench/launch_config.py [--latency 0.2] [--sizes 10,100] [--parallelism 10,50]``.
Exits non-zero when a scenario does not take the expected path or the fast path writes.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from drs_local import forget_endpoints

HUB = "123456789012"
REGION = "us-east-1"
TABLE = "bench-launch-groups"
WRITE_CALLS = ("drs:UpdateLaunchConfiguration", "ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate")


def _environment() -> None:
    forget_endpoints()
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION})


def serve_forever() -> None:
    """Child process: moto server plus the DRS emulator; prints their URLs, runs until stdin closes."""
    import socket

    from moto.server import ThreadedMotoServer

    from drs_emulator import Emulator, EmulatorClock, serve

    warnings.filterwarnings("ignore")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    handle = serve(Emulator(clock=EmulatorClock(speed=0)))
    print(json.dumps({"moto": f"http://127.0.0.1:{port}", "drs": handle.url}), flush=True)
    sys.stdin.read()
    handle.stop()
    moto.stop()


class Bench:
    def __init__(self, latency: float) -> None:
        import boto3

        self.latency = latency
        self.child = subprocess.Popen([sys.executable, __file__, "--serve"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True)
        assert self.child.stdout is not None
        urls = json.loads(self.child.stdout.readline())
        os.environ["AWS_ENDPOINT_URL"] = urls["moto"]
        os.environ["AWS_ENDPOINT_URL_DRS"] = self.drs_url = urls["drs"]
        self.admin("POST", "/latency", {"seconds": latency})
        self.ec2 = boto3.client("ec2", region_name=REGION)
        vpc = self.ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
        self.subnet = self.ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.0.0/20")["Subnet"]["SubnetId"]
        self.sg = self.ec2.create_security_group(GroupName="bench-app", Description="b", VpcId=vpc)["GroupId"]
        self.sg_other = self.ec2.create_security_group(GroupName="bench-x", Description="b", VpcId=vpc)["GroupId"]
        boto3.client("iam").create_instance_profile(InstanceProfileName="bench-recovery")
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName=TABLE, KeySchema=[{"AttributeName": "groupId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "groupId", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(f"{self.drs_url}/_emulator{path}", method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback only
            return json.load(response)

    def close(self) -> None:
        assert self.child.stdin is not None
        self.child.stdin.close()
        self.child.wait(timeout=30)

    def _slow(self, client: Any) -> Any:
        def sleep(**_: Any) -> None:
            time.sleep(self.latency)

        client.meta.events.register("before-sign", sleep)
        return client

    def service(self, parallelism: int) -> Any:
        from drs_orch.adapters.aws import client
        from drs_orch.adapters.dynamodb_launch import GroupLaunchTable
        from drs_orch.adapters.ec2_launch import AwsLaunchGateway
        from drs_orch.domain.accounts import AccountContext
        from drs_orch.services.accounts import AccountDirectory
        from drs_orch.services.launch_groups import LaunchOptions
        from drs_orch.services.launch_settings import LaunchSettingsService

        drs = client("drs", region=REGION)
        ec2 = self._slow(client("ec2", region=REGION))
        iam = self._slow(client("iam", region=REGION))

        def gateway(ctx: AccountContext) -> AwsLaunchGateway:
            return AwsLaunchGateway(drs, ec2, iam)

        class NoTargets:
            def get(self, account_id: str) -> None:
                return None

        return LaunchSettingsService(
            GroupLaunchTable(TABLE), AccountDirectory(HUB, NoTargets()), gateway,
            options=LaunchOptions(parallelism=parallelism, save_budget_seconds=300, wave_budget_seconds=300),
            clock=lambda: datetime.now(UTC))

    def group(self, tag: str, n: int) -> tuple[str, list[str]]:
        servers = [{"hostname": f"bench-{tag}-{i:03d}.internal", "privateIp": f"10.40.1.{i % 250 + 4}",
                    "recommendedInstanceType": "m5.large"} for i in range(n)]
        seeded = self.admin("POST", "/seed", {"accounts": [{"accountId": HUB, "regions": [
            {"region": REGION, "servers": servers}]}]})["seeded"]
        ids = list(seeded[HUB][REGION])
        overrides = {sid: {"staticPrivateIp": f"10.40.2.{i + 4}"} for i, sid in enumerate(ids) if i % 5 == 0}
        group_id = f"pg-bench-{tag}"
        from drs_orch.adapters.dynamodb import table

        table(TABLE).put_item(Item={
            "groupId": group_id, "groupName": group_id, "region": REGION, "accountId": HUB, "sourceServerIds": ids,
            "launchConfig": {"subnetId": self.subnet, "securityGroupIds": [self.sg], "instanceType": "m5.large",
                             "instanceProfileName": "bench-recovery", "copyTags": True,
                             "launchDisposition": "STOPPED"},
            "servers": overrides, "version": 1, "createdDate": "2025-01-01T00:00:00.000Z",
            "lastModifiedDate": "2025-01-01T00:00:00.000Z"})
        return group_id, ids

    def drift(self, server_ids: list[str]) -> None:
        for sid in server_ids:
            current = self.ec2.describe_launch_template_versions(LaunchTemplateName=f"drs-{sid}", Versions=["$Default"])
            version = current["LaunchTemplateVersions"][0]
            data = version["LaunchTemplateData"]
            data["NetworkInterfaces"][0]["Groups"] = [self.sg_other]
            created = self.ec2.create_launch_template_version(LaunchTemplateId=version["LaunchTemplateId"],
                                                              LaunchTemplateData=data)
            self.ec2.modify_launch_template(LaunchTemplateId=version["LaunchTemplateId"],
                                            DefaultVersion=str(created["LaunchTemplateVersion"]["VersionNumber"]))

    def forget(self, server_ids: list[str]) -> None:
        """Delete a finished scenario's launch templates (moto's account-wide listing does not page)."""
        for sid in server_ids:
            self.ec2.delete_launch_template(LaunchTemplateName=f"drs-{sid}")

    def change_instance_type(self, group_id: str) -> None:
        from drs_orch.adapters.dynamodb import table

        table(TABLE).update_item(Key={"groupId": group_id}, UpdateExpression="SET launchConfig.instanceType = :t",
                                 ExpressionAttributeValues={":t": "c5.xlarge"})


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def run(latency: float, sizes: list[int], parallelisms: list[int]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    bench = Bench(latency)
    try:
        for n in sizes:
            for parallelism in parallelisms:
                results.extend(scenario(bench, n, parallelism))
    finally:
        bench.close()
    return results


def scenario(bench: Bench, n: int, parallelism: int) -> list[dict[str, Any]]:
    from drs_orch.services.launch_groups import DriftCheck

    service = bench.service(parallelism)
    group_id, ids = bench.group(f"{n}-{parallelism}", n)
    rows: list[dict[str, Any]] = []

    def row(name: str, seconds: float, calls: dict[str, int], path: str, expected: str) -> None:
        writes = sum(calls.get(c, 0) for c in WRITE_CALLS)
        rows.append({"scenario": name, "servers": n, "parallelism": parallelism, "seconds": round(seconds, 3),
                     "path": path, "ok": path == expected and (expected != "FAST" or writes == 0),
                     "calls": calls, "totalCalls": sum(calls.values()), "writeCalls": writes})

    seconds, report = timed(lambda: service.apply_group(group_id, "bench"))
    row("apply", seconds, report["calls"], report["status"], "ready")
    seconds, out = timed(lambda: service.prepare_wave([group_id], ids, "bench"))
    row("wave fast (default: full)", seconds, out["calls"], out["path"], "FAST")
    default = service.options
    service.options = dataclasses.replace(default, drift_check=DriftCheck.TEMPLATES)
    seconds, out = timed(lambda: service.prepare_wave([group_id], ids, "bench"))
    row("wave fast (templates only)", seconds, out["calls"], out["path"], "FAST")
    service.options = default
    bench.drift(ids[: max(1, n // 10)])
    seconds, out = timed(lambda: service.prepare_wave([group_id], ids, "bench"))
    row("wave fallback 10% drift", seconds, out["calls"], out["path"], "FALLBACK")
    bench.change_instance_type(group_id)
    seconds, out = timed(lambda: service.prepare_wave([group_id], ids, "bench"))
    row("wave fallback all changed", seconds, out["calls"], out["path"], "FALLBACK")
    bench.forget(ids)
    return rows


def main(argv: list[str] | None = None) -> int:
    if (argv if argv is not None else sys.argv[1:]) == ["--serve"]:
        serve_forever()
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per DRS and EC2 call (default 0.2)")
    parser.add_argument("--sizes", default="10,100")
    parser.add_argument("--parallelism", default="10,50")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    _environment()
    results = run(args.latency, [int(x) for x in args.sizes.split(",")],
                  [int(x) for x in args.parallelism.split(",")])
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"launch settings benchmark, {args.latency * 1000:.0f} ms per DRS and EC2 call")
        print(f"{'scenario':30} {'servers':>7} {'par.':>4} {'seconds':>8} {'calls':>6} {'writes':>6}  path")
        for r in results:
            flag = "" if r["ok"] else "  UNEXPECTED"
            print(f"{r['scenario']:30} {r['servers']:>7} {r['parallelism']:>4} {r['seconds']:>8.2f} "
                  f"{r['totalCalls']:>6} {r['writeCalls']:>6}  {r['path']}{flag}")
        apply_100 = [r for r in results if r["scenario"] == "apply" and r["servers"] == 100]
        for r in apply_100:
            verdict = "meets" if r["seconds"] < 3.0 else "misses"
            print(f"apply 100 servers at parallelism {r['parallelism']}: {r['seconds']:.2f} s ({verdict} the 3 s target)")
        for r in [r for r in results if r["scenario"] == "wave fast (default: full)" and r["servers"] == 100]:
            verdict = "meets" if r["seconds"] < 1.0 else "misses"
            print(f"drift check of 100 servers at wave start (DRS and EC2 read, {r['totalCalls']} calls): "
                  f"{r['seconds']:.2f} s ({verdict} the 1 s target)")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
