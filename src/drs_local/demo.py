"""``make demo``: a drill of a three-tier application on the local stack, end to end, through the
REST API with a real Cognito token.

1. start the local stack (moto + real ASL interpreter, DRS emulator with the default fleet);
2. create three tag-based protection groups (OrderSystem db, app, web tiers) and a 3-wave plan that
   pauses before wave 3; lint it (app-03's replication is STALLED in the default fleet: the lint
   warns, and as on AWS the drill still launches it, from its last point-in-time snapshot);
3. run a DRILL, printing progress live; resume at the pause; reach COMPLETED; print each server with
   the age of the data it launched with (app-03's is hours old: the risk a drill should show);
4. terminate the drill instances and verify that none are left (DRS and EC2);
5. print a summary (waves, servers launched, wall time, orchestration overhead), stop everything,
   exit 0 (1 on any failure).

The emulator clock and the Step Functions waits run ``--speed`` times faster than real time
(default 60: a 10-minute launch takes 10 seconds).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from typing import Any

import requests

from drs_local.engine_metrics import execution_figures

HUB = "123456789012"
REGION = "us-east-1"
APP = "OrderSystem"
TIERS = ("db", "app", "web")
TERMINAL = {"COMPLETED", "PARTIAL", "FAILED", "CANCELLED"}


class DemoFailed(Exception):
    pass


class Client:
    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: Any = None, expect: tuple[int, ...] = (200,), **params: Any) -> Any:
        r = self.session.request(method, self.base + path, json=body, params=params or None, timeout=60)
        out = r.json() if r.content else None
        if r.status_code not in expect:
            raise DemoFailed(f"{method} {path} -> {r.status_code}: {out}")
        return out


class Clock:
    def __init__(self) -> None:
        self.t0 = time.monotonic()

    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.t0:6.1f}s] {text}", flush=True)


def _progress_line(wave: dict[str, Any]) -> str:
    counts = wave.get("serverCounts") or {}
    launched = counts.get("launched", 0) + counts.get("terminated", 0)
    launching = f", {counts['launching']} launching" if counts.get("launching") else ""
    return (f"wave {wave['waveNumber']} {wave['waveName']:<10} {wave['status']:<10} "
            f"{launched}/{wave.get('serverCount', 0)} servers launched{launching}")


def follow(api: Client, clock: Clock, execution_id: str, until: set[str], timeout: float,
           seen: dict[str, str]) -> dict[str, Any]:
    """Print every change of the execution's and its waves' statuses until ``until``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = api.call("GET", f"/executions/{execution_id}")
        lines = {"execution": f"execution {body['status']}"}
        lines.update({f"wave{w['waveNumber']}": _progress_line(w) for w in body["waves"]})
        for key, line in lines.items():
            if seen.get(key) != line:
                seen[key] = line
                clock.say(line)
        if body["status"] in until:
            return dict(body)
        time.sleep(0.25)
    raise DemoFailed(f"execution {execution_id} did not reach {sorted(until)} in {timeout:.0f}s")


def _explain(stack: Any) -> None:
    """On failure, show where each orchestration run stands (its last history events)."""
    sfn = stack.client("stepfunctions")
    arn = stack.outputs["StateMachineArn"]
    for run_ in sfn.list_executions(stateMachineArn=arn)["executions"]:
        events = sfn.get_execution_history(executionArn=run_["executionArn"], reverseOrder=True,
                                           maxResults=6)["events"]
        last = ", ".join(f"{e['type']}:{(e.get('stateEnteredEventDetails') or {}).get('name', '')}"
                         for e in events)
        print(f"  run {run_['name']} {run_['status']}: {last}", file=sys.stderr, flush=True)


def run(stack: Any, speed: float) -> dict[str, Any]:
    clock = Clock()
    api = Client(stack.api_url, stack.token("DRSOrchestrationAdmin"))
    clock.say(f"local stack up: API {stack.api_url} (DRS emulator at {speed:g}x real time)")

    run_id = time.strftime("%H%M%S")
    groups = {}
    for tier in TIERS:
        body = api.call("POST", "/protection-groups", {
            "groupName": f"{APP} {tier} {run_id}", "region": REGION,
            "serverSelectionTags": {"Application": APP, "Tier": tier},
            "description": f"{APP} {tier} tier, selected by tags"}, expect=(201,))
        groups[tier] = body
        clock.say(f"group {body['groupName']!r}: {len(body['sourceServerIds'])} servers by tags "
                  f"Application={APP}, Tier={tier}")
    plan = api.call("POST", "/recovery-plans", {
        "planName": f"{APP} drill {run_id}", "description": "database, then application, then web tier",
        "waves": [{"waveNumber": n, "waveName": tier, "protectionGroupIds": [groups[tier]["groupId"]],
                   "pauseBeforeWave": tier == "web", "onServerFailure": "STOP"}
                  for n, tier in enumerate(TIERS, start=1)]}, expect=(201,))
    plan_id = plan["planId"]
    clock.say(f"plan {plan['planName']!r}: 3 waves, pausing before wave 3")

    lint = api.call("POST", f"/recovery-plans/{plan_id}/validate")
    stalled: list[str] = []
    for warning in lint.get("warnings", []):
        if warning.get("code") == "REPLICATION_UNHEALTHY":
            clock.say(f"lint warning: {warning['message']}")
            stalled += list(warning.get("serverIds", []))
    if stalled:
        clock.say("  DRS launches a stalled server from its last point-in-time snapshot: the drill goes on, "
                  "with old data for it")
    existing = api.call("GET", f"/recovery-plans/{plan_id}/check-existing-instances")
    clock.say(f"recovery instances left from earlier runs: {existing['instanceCount']}")

    started = time.monotonic()
    out = api.call("POST", "/executions", {"planId": plan_id, "executionType": "DRILL",
                                           "initiatedBy": "make demo"}, expect=(202,))
    execution_id = out["executionId"]
    clock.say(f"DRILL {execution_id} started ({out['serverCount']} servers in {out['waveCount']} waves)")
    seen: dict[str, str] = {}
    body = follow(api, clock, execution_id, {"PAUSED"} | TERMINAL, timeout=150, seen=seen)
    if body["status"] != "PAUSED":
        raise DemoFailed(f"expected a pause before wave 3, got {body['status']}")
    clock.say(f"paused before wave {body['pausedBeforeWaves']}: resuming")
    api.call("POST", f"/executions/{execution_id}/resume")
    body = follow(api, clock, execution_id, TERMINAL, timeout=150, seen=seen)
    wall = time.monotonic() - started
    if body["status"] != "COMPLETED":
        raise DemoFailed(f"drill ended {body['status']}: {body.get('errorMessage')}")
    servers = [s for w in body["waves"] for s in w["servers"]]
    for s in servers:
        clock.say(f"  {s.get('hostname', s['sourceServerId']):<26} {s['status']:<9} {s.get('ec2InstanceId')} "
                  f"{s.get('privateIp')} {s.get('instanceType')} data age {_age(s.get('dataAgeSeconds'))}")
    old = [s for s in servers if s["sourceServerId"] in stalled]
    if stalled and not all(s["status"] == "LAUNCHED" and s.get("dataAgeSeconds", 0) >= 3600 for s in old):
        raise DemoFailed(f"the stalled servers should launch from their last snapshot: {old}")
    for s in old:
        clock.say(f"  {s.get('hostname')} launched from its last snapshot of {s.get('pointInTime')}: "
                  f"its data is {_age(s.get('dataAgeSeconds'))} old")

    figures = execution_figures(body, stack.emulator, speed)
    status, termination = "", api.call("POST", f"/executions/{execution_id}/terminate-instances",
                                         expect=(200, 202))
    clock.say(f"terminating {termination['termination'].get('requestedCount', 0)} drill instances")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = api.call("GET", f"/executions/{execution_id}")["terminationMetadata"]["terminationStatus"]
        if status in ("COMPLETED", "FAILED"):
            break
        time.sleep(0.25)
    if status != "COMPLETED":
        raise DemoFailed(f"termination ended {status}")
    left = api.call("GET", f"/executions/{execution_id}/recovery-instances")
    leftover = api.call("GET", f"/recovery-plans/{plan_id}/check-existing-instances")
    running = _running_instances(stack, [s.get("ec2InstanceId") for s in servers])
    if left["existingCount"] or leftover["instanceCount"] or running:
        raise DemoFailed(f"instances left: DRS {left['existingCount']}/{leftover['instanceCount']}, EC2 {running}")
    clock.say("all drill instances terminated; DRS lists none and EC2 reports them terminated")
    return {"details": body, "figures": figures, "wall": wall, "servers": servers}


def _age(seconds: Any) -> str:
    if seconds is None:
        return "unknown"
    minutes = int(seconds) // 60
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{int(seconds)}s"


def _running_instances(stack: Any, instance_ids: list[Any]) -> list[str]:
    ec2 = stack.client("ec2")
    ids = [i for i in instance_ids if i]
    states = ec2.describe_instances(InstanceIds=ids)["Reservations"] if ids else []
    return [i["InstanceId"] for r in states for i in r["Instances"] if i["State"]["Name"] != "terminated"]


def summary(result: dict[str, Any], speed: float) -> None:
    body, figures = result["details"], result["figures"]
    launched = sum(1 for s in result["servers"] if s["status"] == "LAUNCHED")
    print("\nSummary", flush=True)
    print(f"  execution            {body['executionId']} {body['executionType']} {body['status']}")
    print(f"  waves                {len(body['waves'])}: " + ", ".join(
        f"{w['waveName']} {w['status']}" for w in body["waves"]))
    print(f"  servers launched     {launched} of {body['serverCount']} (then terminated)")
    print(f"  wall time            {result['wall']:.1f} s real, of which paused {figures['pausedSeconds']:.1f} s")
    print(f"  DRS launch time      {figures['launchSeconds']:.0f} emulated s ({figures['jobs']} jobs)")
    print(f"  orchestration overhead {figures['overheadRealSeconds']:.1f} s real = "
          f"{figures['overheadSeconds']:.0f} emulated s at {speed:g}x: polling (every 30 s) and the local")
    print("                       stack's processing time, which the time scale multiplies")
    gaps = ", ".join(f"{g:.0f}" for g in figures["waveGaps"])
    print(f"  wave gaps            {gaps} emulated s (last job end -> next StartRecovery; the second "
          "includes the pause)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drs_local.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--speed", type=float, default=60.0, help="emulated seconds per real second")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore")
    for name in ("moto", "drs_local", "werkzeug", "botocore", "drs_orch", "aws_lambda_powertools"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    from drs_local.stack import LocalStack

    print(f"Starting the local stack (speed {args.speed:g}x)...", flush=True)
    stack = LocalStack(speed=args.speed).start()
    try:
        result = run(stack, args.speed)
        summary(result, args.speed)
    except DemoFailed as exc:
        print(f"\nDEMO FAILED: {exc}", file=sys.stderr, flush=True)
        _explain(stack)
        return 1
    finally:
        stack.stop()
    print("\nDemo complete: local stack stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
