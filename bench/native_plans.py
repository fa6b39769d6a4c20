"""Benchmark of the DRS emulator's native Recovery Plans: a drill of a plan with steps of 100 servers.

Setup: moto in-process (``mock_aws``), the emulator served over HTTP on a frozen clock, an unmodified
boto3 ``drs`` client. ``--servers`` source servers are seeded (CONTINUOUS, 300 s launches) and
split into SERVER steps of 100 with a 5-minute WAIT step between them.

Figures: seeding; creating the plan and its steps; StartRecoveryPlanExecution; the one clock advance
that runs the whole drill (every job, every moto EC2 instance launched); reading the execution steps;
the drill's emulated duration. Exits non-zero when the drill does not complete with every server
launched.

Run: ``.venv/bin/python bench/native_plans.py [--servers 500]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from datetime import datetime

from drs_local import forget_endpoints

HUB = "123456789012"
REGION = "eu-west-1"
KEYS = {"aws_access_key_id": "AKIABENCHNATIVEPLAN1", "aws_secret_access_key": "bench"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=500)
    args = parser.parse_args()
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    forget_endpoints()
    warnings.filterwarnings("ignore")
    import boto3
    from moto import mock_aws

    from drs_emulator import Emulator, EmulatorClock, serve

    with mock_aws():
        emu = Emulator(clock=EmulatorClock(speed=0, start="2026-03-01T12:00:00+00:00"))
        started = time.perf_counter()
        servers = [
            {"hostname": f"bench-{n:04d}.example.internal", "cpus": 2, "ramGiB": 4,
             "disks": [{"deviceName": "/dev/sda", "sizeGiB": 20}], "recommendedInstanceType": "c5.large",
             "launch": {"durationSeconds": 300}, "privateIp": f"10.{n // 250}.{n % 250}.10"}
            for n in range(args.servers)
        ]  # fmt: skip
        ids = emu.seed(
            {"accounts": [{"accountId": HUB, "regions": [{"region": REGION, "servers": servers}]}]}
        )
        server_ids = ids[HUB][REGION]
        seed_s = time.perf_counter() - started
        handle = serve(emu)
        try:
            drs = boto3.client("drs", region_name=REGION, endpoint_url=handle.url, **KEYS)
            started = time.perf_counter()
            plan = drs.create_recovery_plan(name="bench")["recoveryPlan"]["recoveryPlanArn"]
            chunks = [server_ids[i : i + 100] for i in range(0, len(server_ids), 100)]
            for n, chunk in enumerate(chunks):
                if n:
                    drs.create_recovery_plan_step(
                        recoveryPlanArn=plan, stepName=f"wait {n}",
                        configuration={"waitStepConfiguration": {"waitDurationMinutes": 5}},
                    )  # fmt: skip
                arns = [f"arn:aws:drs:{REGION}:{HUB}:source-server/{sid}" for sid in chunk]
                drs.create_recovery_plan_step(
                    recoveryPlanArn=plan, stepName=f"servers {n + 1}",
                    configuration={"serverStepConfiguration": {"servers": [{"serverArn": a} for a in arns]}},
                )  # fmt: skip
            create_s = time.perf_counter() - started
            started = time.perf_counter()
            execution = drs.start_recovery_plan_execution(recoveryPlanArn=plan, mode="DRILL")[
                "recoveryPlanExecution"
            ]
            start_s = time.perf_counter() - started
            started = time.perf_counter()
            emu.advance(24 * 3600)
            run_s = time.perf_counter() - started
            started = time.perf_counter()
            steps = [
                s
                for page in drs.get_paginator("list_recovery_plan_execution_steps").paginate(
                    recoveryPlanExecutionArn=execution["recoveryPlanExecutionArn"]
                )
                for s in page["recoveryPlanExecutionSteps"]
            ]
            read_s = time.perf_counter() - started
            done = drs.get_recovery_plan_execution(
                recoveryPlanExecutionArn=execution["recoveryPlanExecutionArn"]
            )
            done = done["recoveryPlanExecution"]
            launched = sum(
                1 for j in emu.jobs() for p in j["participatingServers"] if p["launchStatus"] == "LAUNCHED"
            )
        finally:
            handle.stop()
    emulated = datetime.fromisoformat(done["completedAt"]) - datetime.fromisoformat(done["startedAt"])
    print(
        f"native plan drill: {args.servers} servers, {len(steps)} steps ({len(chunks)} SERVER of <=100, waits of 5 min)"
    )
    print(f"  seed {args.servers} servers (moto launch templates)    {seed_s:8.2f} s")
    print(f"  create plan + {len(steps)} steps                         {create_s:8.2f} s")
    print(f"  StartRecoveryPlanExecution                      {start_s * 1000:8.1f} ms")
    print(f"  advance: whole drill ({launched} EC2 launches)       {run_s:8.2f} s")
    print(f"  list execution steps                            {read_s * 1000:8.1f} ms")
    print(f"  emulated drill duration                         {emulated}")
    print(f"  status {done['status']}, steps {sorted({s['status'] for s in steps})}")
    ok = done["status"] == "COMPLETED" and launched == args.servers
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
