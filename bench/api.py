"""API benchmark on the local stack (prints figures; not a test).

1. ``/health`` before and after issue 16, measured in the same run: *before* is the earlier probe
   (six describe-table calls, the state machine and DRS, one after the other, a new boto3 client
   for each call), reproduced here and also swapped into the running function for an HTTP figure;
   *after* is today's handler: the cached readiness (what load balancers and monitors get) and the
   deep probe (in parallel, shared clients).
2. p50/p99 of the list and get routes of protection groups and executions with 1,000 groups and
   1,000 executions in the tables, through the local API Gateway (HTTP, as a client sees it), and
   what share of each request is our own code vs AWS calls (measured by invoking the same handler
   in process with every botocore call timed; overlapping calls counted once).

The 1,000 groups and executions are clones of real ones made through the API (a group, and a drill
run to completion), written straight into their tables with new ids, names and start times.

The cached /health's AWS share is its once-a-minute refresh (the first call in a container probes),
spread over the calls that answered from memory.

Locally every AWS call goes to moto over HTTP on this machine: absolute figures are the local
emulation's, the comparison between before and after and the code/AWS split are what carry over.

    python bench/api.py [--groups 1000] [--executions 1000] [--requests 60]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import statistics
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import requests
from botocore.client import BaseClient

_intervals: list[tuple[float, float]] = []
_lock = threading.Lock()
_recording = threading.Event()


def _time_aws_calls() -> None:
    original = BaseClient._make_api_call

    def timed(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if not _recording.is_set():
            return original(self, operation, params)
        start = time.perf_counter()
        try:
            return original(self, operation, params)
        finally:
            with _lock:
                _intervals.append((start, time.perf_counter()))

    BaseClient._make_api_call = timed  # type: ignore[method-assign]


def _union(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for a, b in sorted(intervals):
        if b <= end:
            continue
        total += b - max(a, end)
        end = b
    return total


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ------------------------------------------------------------------ seeding
def _seed(stack: Any, admin: requests.Session, groups: int, executions: int) -> tuple[list[str], list[str]]:
    region = "eu-central-1"
    run = uuid.uuid4().hex[:6]
    servers = [{"hostname": f"api-{run}-{n}.example.internal", "launch": {"durationSeconds": 30}} for n in range(2)]
    ids = list(stack.emulator.seed({"accounts": [{"accountId": "123456789012",
                                                  "regions": [{"region": region, "servers": servers}]}]})
               ["123456789012"][region])
    r = admin.post(stack.api_url + "/protection-groups", json={"groupName": f"api-{run}", "region": region,
                                                               "sourceServerIds": ids}, timeout=60)
    r.raise_for_status()
    group = r.json()
    r = admin.post(stack.api_url + "/recovery-plans", json={"planName": f"api-{run}", "waves": [
        {"waveNumber": 1, "waveName": "one", "protectionGroupIds": [group["groupId"]]}]}, timeout=60)
    r.raise_for_status()
    plan_id = r.json()["planId"]
    r = admin.post(stack.api_url + "/executions", json={"planId": plan_id, "executionType": "DRILL",
                                                        "pollIntervalSeconds": 5}, timeout=60)
    r.raise_for_status()
    execution_id = r.json()["executionId"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = admin.get(f"{stack.api_url}/executions/{execution_id}", timeout=60).json()["status"]
        if status in ("COMPLETED", "PARTIAL", "FAILED", "CANCELLED"):
            break
        time.sleep(0.5)

    dynamo = boto3.resource("dynamodb")
    group_table = dynamo.Table(os.environ["PROTECTION_GROUPS_TABLE"])
    template = group_table.get_item(Key={"groupId": group["groupId"]})["Item"]
    group_ids = [group["groupId"]]
    with group_table.batch_writer() as batch:
        for n in range(groups - 1):
            gid = str(uuid.uuid4())
            name = f"api-{run}-{n:04d}"
            batch.put_item(Item={**template, "groupId": gid, "groupName": name, "groupNameLower": name.lower()})
            group_ids.append(gid)

    from boto3.dynamodb.conditions import Key

    executions_table = dynamo.Table(os.environ["EXECUTIONS_TABLE"])
    items = executions_table.query(KeyConditionExpression=Key("executionId").eq(execution_id))["Items"]
    execution_ids = [execution_id]
    base = datetime.now(UTC) - timedelta(days=30)
    with executions_table.batch_writer() as batch:
        for n in range(executions - 1):
            eid = str(uuid.uuid4())
            started = _iso(base + timedelta(minutes=n))
            for item in items:
                clone = {**item, "executionId": eid}
                if item["sk"] == "META":
                    clone["startTime"] = started
                batch.put_item(Item=clone)
            execution_ids.append(eid)
    return group_ids, execution_ids


# ------------------------------------------------------------------ measuring
def _http(session: requests.Session, url: str, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = session.get(url, timeout=60)
        samples.append(time.perf_counter() - t0)
        if r.status_code >= 500:
            raise RuntimeError(f"{url}: {r.status_code} {r.text[:200]}")
    return samples


def _in_process(call: Callable[[], Any], n: int) -> tuple[list[float], float]:
    """Wall times of ``call`` and the share of them spent in AWS calls (overlaps counted once)."""
    samples = []
    aws = 0.0
    for _ in range(n):
        with _lock:
            _intervals.clear()
        _recording.set()
        t0 = time.perf_counter()
        call()
        elapsed = time.perf_counter() - t0
        _recording.clear()
        with _lock:
            aws += _union(list(_intervals))
        samples.append(elapsed)
    return samples, aws / sum(samples)


class _Context:
    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())


def _event(path: str, route_path: str, params: dict[str, str], query: dict[str, str] | None) -> dict[str, Any]:
    claims = {"cognito:username": "bench-reader", "cognito:groups": "DRSReadOnly", "email": "bench@example.com"}
    return {"resource": route_path, "path": path, "httpMethod": "GET", "headers": {}, "multiValueHeaders": {},
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
            "pathParameters": params or None, "stageVariables": None, "body": None, "isBase64Encoded": False,
            "requestContext": {"resourcePath": route_path, "httpMethod": "GET", "path": path, "stage": "local",
                               "requestId": str(uuid.uuid4()), "identity": {"sourceIp": "127.0.0.1"},
                               "authorizer": {"claims": claims}}}


def _handler_call(path: str, route_path: str, params: dict[str, str], query: dict[str, str] | None = None) -> Any:
    from drs_orch.entrypoints import lambdas
    from drs_orch.entrypoints.routes import ROUTES

    route = next(r for r in ROUTES if r.path == route_path and r.method == "GET")
    handler = {"query": lambdas.query, "execution": lambdas.execution, "data-management": lambdas.data_management}[
        route.function]

    def call() -> None:
        out = handler(_event(path, route_path, params, query), _Context())
        if int(out["statusCode"]) >= 500:
            raise RuntimeError(f"{path}: {out['statusCode']} {out['body'][:200]}")

    return call


def _legacy_health() -> None:
    """The /health probe before issue 16: eight calls in a row, a new client for each."""
    from botocore.config import Config
    from botocore.exceptions import ClientError

    from drs_orch.adapters.aws import client
    from drs_orch.entrypoints.settings import Settings

    settings = Settings.from_env()
    probe = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=3, read_timeout=5)
    for key, name in settings.table_names.items():
        if key == "audit":  # the table issue 16 added: not part of "before"
            continue
        client("dynamodb", region=settings.region).describe_table(TableName=name)
    client("stepfunctions", region=settings.region).describe_state_machine(stateMachineArn=settings.state_machine_arn)
    with contextlib.suppress(ClientError):
        client("drs", region=settings.region, config=probe).describe_jobs(maxResults=1)


def _http_before(stack: Any, n: int) -> list[float]:
    """HTTP /health with the earlier probe in place of the cached one (the functions run in this
    process, so the service's report is swapped for the duration)."""
    from drs_orch.services.health import HealthService

    original = HealthService.report

    def earlier(self: HealthService, *, deep: bool = False) -> dict[str, Any]:
        _legacy_health()
        return {"status": "HEALTHY"}

    HealthService.report = earlier  # type: ignore[method-assign]
    try:
        return _http(requests.Session(), stack.api_url + "/health", n)
    finally:
        HealthService.report = original  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--executions", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args(argv)

    warnings.filterwarnings("ignore")
    # The functions run in this process and write their EMF metrics and JSON logs to stdout: send
    # those to /dev/null and print the figures on the real stdout.
    report = sys.stdout
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the whole run
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("drs-orch").setLevel(logging.ERROR)
    from drs_local.stack import LocalStack

    stack = LocalStack(speed=600.0).start()

    def say(*parts: Any, **kwargs: Any) -> None:
        print(*parts, **kwargs, file=report, flush=True)

    try:
        _time_aws_calls()
        admin = requests.Session()
        admin.headers["Authorization"] = f"Bearer {stack.token('DRSOrchestrationAdmin')}"
        reader = requests.Session()
        reader.headers["Authorization"] = f"Bearer {stack.token('DRSReadOnly')}"
        t0 = time.monotonic()
        group_ids, execution_ids = _seed(stack, admin, args.groups, args.executions)
        say(f"seeded {len(group_ids)} groups and {len(execution_ids)} executions "
              f"in {time.monotonic() - t0:.1f}s")
        n = args.requests

        say("\n/health (same run; in-process handler unless marked HTTP)")
        say(f"{'probe':44} {'p50 ms':>8} {'p99 ms':>8} {'AWS share':>10}")
        rows: list[tuple[str, list[float], float | None]] = []
        before, before_aws = _in_process(_legacy_health, max(10, n // 3))
        rows.append(("before: 8 calls in a row, new client each", before, before_aws))
        cached, cached_aws = _in_process(_handler_call("/health", "/health", {}), n)
        rows.append(("after: /health (cached readiness)", cached, cached_aws))
        deep, deep_aws = _in_process(_handler_call("/health/deep", "/health/deep", {}), max(10, n // 3))
        rows.append(("after: /health/deep (parallel probe)", deep, deep_aws))
        rows.append(("HTTP /health after (local API Gateway)",
                     _http(requests.Session(), stack.api_url + "/health", n), None))
        rows.append(("HTTP /health before (earlier probe swapped in)", _http_before(stack, max(10, n // 3)), None))
        for name, samples, share in rows:
            aws = f"{share * 100:9.0f}%" if share is not None else f"{'-':>10}"
            say(f"{name:44} {_pct(samples, 0.5):8.1f} {_pct(samples, 0.99):8.1f} {aws}")

        say(f"\nreads with {len(group_ids)} groups and {len(execution_ids)} executions "
              f"({n} requests each; share = in-process handler time in AWS calls)")
        say(f"{'route':44} {'HTTP p50':>9} {'HTTP p99':>9} {'AWS share':>10} {'own code':>9}")
        gid, eid = group_ids[len(group_ids) // 2], execution_ids[len(execution_ids) // 2]
        routes = [
            ("GET /protection-groups", "/protection-groups", "/protection-groups", {}),
            ("GET /protection-groups/{groupId}", f"/protection-groups/{gid}", "/protection-groups/{groupId}",
             {"groupId": gid}),
            ("GET /executions", "/executions", "/executions", {}),
            ("GET /executions/{executionId}", f"/executions/{eid}", "/executions/{executionId}",
             {"executionId": eid}),
        ]
        for name, path, route_path, params in routes:
            http = _http(reader, stack.api_url + path, n)
            _, share = _in_process(_handler_call(path, route_path, params), max(10, n // 3))
            say(f"{name:44} {_pct(http, 0.5):8.1f}ms {_pct(http, 0.99):7.1f}ms {share * 100:9.0f}% "
                  f"{(1 - share) * 100:8.0f}%")
        say(f"\n(p50 of the before/after /health figures: {statistics.median(before) * 1000:.1f} ms -> "
              f"{statistics.median(cached) * 1000:.1f} ms cached, {statistics.median(deep) * 1000:.1f} ms deep)")
        say(json.dumps({"groups": len(group_ids), "executions": len(execution_ids)}))
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
