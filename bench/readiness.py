"""Benchmark of the scheduled readiness evaluation (issue 21): 500 plans over 3,000 servers in 6
account-regions (3 accounts x 2 regions; two of the accounts are spokes reached by AssumeRole).

Setup: moto in-process (``mock_aws``) for STS, the DRS emulator served over HTTP (frozen clock), an
unmodified boto3 ``drs`` client per account-region through the product's ``DrsReader``. The
product's ``ReadinessService`` runs unchanged; its plan, group, execution and readiness stores are
in memory here (they count the DynamoDB items a real run would read and write) - the full local
stack would add its Lambda and API layers, not DRS calls.

Each plan has two waves of one group of 3 servers; every plan has an RTO of 120 minutes and an
RPO of 15 minutes. Figures per run: DRS calls per operation, AssumeRole calls, DynamoDB items read
and written, alerts, wall time; run 1 evaluates every plan for the first time, run 2 after 60
servers were DISCONNECTED (those plans go NOT_READY and are alerted); then the cost of one plan's
on-demand evaluation. 500 servers per account-region is beyond DRS's 300 replicating servers, so
every plan is rightly AT_RISK (CAPACITY_CRITICAL) to begin with.

Run: ``.venv/bin/python bench/readiness.py [--plans 500] [--servers 3000]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from drs_local import forget_endpoints
from drs_orch.domain.models import ProtectionGroup, RecoveryPlan

HUB = "123456789012"
SPOKES = ("210987654321", "310987654321")
REGIONS = ("eu-west-1", "us-west-2")
KEYS = {"aws_access_key_id": "AKIABENCHREADINESS01", "aws_secret_access_key": "bench"}
CREATED = "2026-03-01T12:00:00.000Z"


class Counter:
    def __init__(self) -> None:
        self.reads = 0
        self.writes = 0
        self.assumes = 0
        self.alerts = 0


class Plans:
    def __init__(self, plans: dict[str, dict[str, Any]]) -> None:
        self.plans = {p: RecoveryPlan.from_item(item) for p, item in plans.items()}

    def get(self, plan_id: str) -> RecoveryPlan | None:
        return self.plans.get(plan_id)

    def all(self) -> Iterator[RecoveryPlan]:
        return iter(list(self.plans.values()))


class Groups:
    def __init__(self, groups: dict[str, dict[str, Any]], counter: Counter) -> None:
        self.groups = {g: ProtectionGroup.from_item(item) for g, item in groups.items()}
        self.counter = counter

    def get_many(self, ids: Iterable[str]) -> dict[str, ProtectionGroup]:
        wanted = list(ids)
        self.counter.reads += len(wanted)
        return {g: self.groups[g] for g in wanted if g in self.groups}


class Executions:
    def __init__(self, counter: Counter) -> None:
        self.counter = counter

    def last_runs(self, plan_ids: Iterable[str]) -> dict[str, Any]:
        self.counter.reads += len(list(plan_ids))
        return {}


class Store:
    def __init__(self, counter: Counter) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.history_items: dict[str, list[dict[str, Any]]] = {}
        self.counter = counter

    def current(self, plan_id: str) -> dict[str, Any] | None:
        self.counter.reads += 1
        return self.items.get(plan_id)

    def current_many(self, plan_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = list(plan_ids)
        self.counter.reads += len(wanted)
        return {p: self.items[p] for p in wanted if p in self.items}

    def save(self, plan_id: str, current: dict[str, Any], history: dict[str, Any] | None, expires_at: int) -> None:
        self.items[plan_id] = current
        self.counter.writes += 1
        if history is not None:
            self.history_items.setdefault(plan_id, []).append(history)
            self.counter.writes += 1

    def history(self, plan_id: str, limit: int = 50) -> list[dict[str, Any]]:
        return list(reversed(self.history_items.get(plan_id, [])))[:limit]

    def ended_runs(self, plan_id: str, limit: int = 10) -> list[dict[str, Any]]:
        return []

    def latest_completed_drill(self, plan_id: str, after: str | None) -> dict[str, Any] | None:
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=500)
    parser.add_argument("--servers", type=int, default=3000)
    args = parser.parse_args()
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    forget_endpoints()
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "bench"
    warnings.filterwarnings("ignore")
    import logging

    logging.disable(logging.WARNING)
    import boto3
    from moto import mock_aws

    from drs_emulator import Emulator, EmulatorClock, serve
    from drs_orch.adapters.drs import DrsReader
    from drs_orch.domain.accounts import AccountContext
    from drs_orch.services.readiness import ReadinessService

    accounts = (HUB, *SPOKES)
    scopes = [(a, r) for a in accounts for r in REGIONS]
    per_scope = args.servers // len(scopes)
    counter = Counter()
    with mock_aws():
        emu = Emulator(clock=EmulatorClock(speed=0, start="2026-03-01T12:00:00+00:00"))
        fleet: dict[str, list[dict[str, Any]]] = {}
        for account, region in scopes:
            fleet.setdefault(account, []).append({"region": region, "servers": [
                {"hostname": f"rd-{account[:3]}-{region}-{n:04d}.example.internal", "cpus": 2, "ramGiB": 4,
                 "disks": [{"deviceName": "/dev/sda", "sizeGiB": 20}], "recommendedInstanceType": "c5.large"}
                for n in range(per_scope)]})
        started = time.perf_counter()
        ids = emu.seed({"accounts": [{"accountId": a, "regions": regions} for a, regions in fleet.items()]})
        seed_s = time.perf_counter() - started
        groups: dict[str, dict[str, Any]] = {}
        for account, region in scopes:
            servers = list(ids[account][region])
            for n in range(0, len(servers), 3):
                gid = f"g-{account}-{region}-{n // 3:04d}"
                groups[gid] = {"groupId": gid, "groupName": gid, "accountId": account, "region": region,
                               "sourceServerIds": servers[n:n + 3], "createdDate": CREATED,
                               "lastModifiedDate": CREATED}
        group_ids = sorted(groups)
        plans = {}
        for n in range(args.plans):
            first, second = group_ids[(2 * n) % len(group_ids)], group_ids[(2 * n + 1) % len(group_ids)]
            plans[f"plan-{n:04d}"] = {
                "planId": f"plan-{n:04d}", "planName": f"plan {n}", "rtoMinutes": 120, "rpoMinutes": 15,
                "createdDate": CREATED, "lastModifiedDate": CREATED,
                "waves": [{"waveNumber": 1, "waveName": "one", "protectionGroupIds": [first], "dependsOnWaves": []},
                          {"waveNumber": 2, "waveName": "two", "protectionGroupIds": [second],
                           "dependsOnWaves": [1]}]}
        handle = serve(emu)
        try:
            sts = boto3.client("sts", region_name="us-east-1", **KEYS)
            clients: dict[tuple[str, str], Any] = {}
            readers_made: list[DrsReader] = []

            class Contexts:
                hub_account_id = HUB

                def context_for(self, account_id: str | None, region: str) -> AccountContext:
                    account = account_id or HUB
                    role = None if account == HUB else f"arn:aws:iam::{account}:role/DRSOrchestrationRole"
                    return AccountContext(account, region, role, None if role is None else "bench-external-id")

            class Probe:
                def assume(self, ctx: AccountContext) -> dict[str, str]:
                    counter.assumes += 1
                    out = sts.assume_role(RoleArn=str(ctx.role_arn), RoleSessionName="bench",
                                          ExternalId=str(ctx.external_id))["Credentials"]
                    return {"AccessKeyId": out["AccessKeyId"], "SecretAccessKey": out["SecretAccessKey"],
                            "SessionToken": out["SessionToken"]}

            probe = Probe()

            class Readers:
                def drs(self, ctx: AccountContext) -> DrsReader:
                    key = (ctx.account_id, ctx.region)
                    if key not in clients:
                        creds: dict[str, Any] = dict(KEYS)
                        if ctx.role_arn:
                            assumed = probe.assume(ctx)
                            counter.assumes -= 1  # the client factory's cached credentials, not the check
                            creds = {"aws_access_key_id": assumed["AccessKeyId"],
                                     "aws_secret_access_key": assumed["SecretAccessKey"],
                                     "aws_session_token": assumed["SessionToken"]}
                        clients[key] = boto3.client("drs", region_name=ctx.region, endpoint_url=handle.url, **creds)
                    reader = DrsReader(clients[key], ctx)
                    readers_made.append(reader)
                    return reader

                def ec2(self, ctx: AccountContext) -> Any:
                    raise NotImplementedError

                def iam(self, ctx: AccountContext) -> Any:
                    raise NotImplementedError

                def check_access(self, ctx: AccountContext) -> None:
                    return None

            class Alerts:
                def publish(self, alert: Any) -> bool:
                    counter.alerts += 1
                    return True

            store = Store(counter)
            service = ReadinessService(Plans(plans), Groups(groups, counter), Executions(counter), Contexts(),
                                       Readers(), probe, store, Alerts(), now=lambda: datetime.now(UTC))
            print(f"seeded {args.servers} servers in {len(scopes)} account-regions in {seed_s:.1f} s; "
                  f"{len(plans)} plans, {len(groups)} groups")

            def run(label: str) -> dict[str, Any]:
                before = (counter.reads, counter.writes, counter.assumes, counter.alerts)
                emu.clear_calls()
                started = time.perf_counter()
                report = service.evaluate_all({"source": "bench"})
                wall = time.perf_counter() - started
                calls = {}
                for call in emu.calls():
                    calls[call["operation"]] = calls.get(call["operation"], 0) + 1
                print(f"\n{label}: {wall:.2f} s wall ({wall * 1000 / len(plans):.1f} ms a plan); "
                      f"statuses {report['statusCounts']}; changes {len(report['changes'])}")
                print(f"  DRS calls {sum(calls.values())}: {calls} (the service counted {report['drsCalls']})")
                print(f"  AssumeRole (role checks) {counter.assumes - before[2]}; DynamoDB items read "
                      f"{counter.reads - before[0]}, written {counter.writes - before[1]}; alerts "
                      f"{counter.alerts - before[3]}")
                print(f"  share of the 30-minute schedule: {wall / 1800 * 100:.3f}%")
                codes: dict[str, int] = {}
                for item in store.items.values():
                    for code in (item["evaluation"].get("counts") or {}):
                        codes[code] = codes.get(code, 0) + 1
                print(f"  plans per finding code: {dict(sorted(codes.items()))}")
                return report

            first = run("run 1 (first evaluation of every plan)")
            broken = [s for g in group_ids[:20] for s in groups[g]["sourceServerIds"]]
            for server_id in broken:
                emu.update_server(server_id, replication_state="DISCONNECTED")
            second = run(f"run 2 ({len(broken)} servers DISCONNECTED)")
            emu.clear_calls()
            started = time.perf_counter()
            for plan_id in list(plans)[:20]:
                service.evaluate_plan(plan_id)
            one = (time.perf_counter() - started) / 20
            print(f"\none plan on demand: {one * 1000:.1f} ms, {len(emu.calls()) / 20:.1f} DRS calls")
        finally:
            handle.stop()
    ok = sum(first["statusCounts"].values()) == len(plans) and second["statusCounts"].get("NOT_READY", 0) > 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
