"""Execution-engine benchmark on the local stack (prints figures; not a test).

Plans of 3 waves x 10 servers, 10 x 100 and 40 x 100 (waves one after the other), every server
launching in a fixed emulated time. For each: the wave gap (a wave's last server LAUNCHED -> the next
wave's StartRecovery), the orchestration overhead beyond the emulated launch time, DRS calls by
operation (the emulator's call log), DynamoDB reads and writes of the start and of the orchestration
ticks (counted by wrapping botocore here, in the benchmark), the largest DynamoDB item and the
largest Step Functions payload; after the run, the real time, size and DynamoDB reads of
GET /executions/{id} and of pages of GET /executions/{id}/servers.

Groups and plans are written straight into their tables in the data contract's shape: a 100-server
wave is more than one group may hold through the API, and the benchmark measures the engine, not
data management.

Reading the figures: emulated seconds are real seconds x speed. Locally every AWS call goes through
moto (tens of milliseconds each, more as tables grow), so the real-time overhead is mostly the
local emulation's cost; at speed 600 one real second of processing is ten emulated minutes. The
call and item counts do not depend on the time scale.

Wave transitions are event-driven (issue 19): the emulator sends each launch result to the local
EventBridge and the engine's wait between ticks is cut short; ``--drop-events`` drops every event
(the poll alone moves the execution on), for comparison. ``--poll`` sets the poll interval.

    python bench/engine.py [--speed 600] [--launch-seconds 600] [--only 3x10,10x100,40x100,1x4000/4:4,20x50:10]
                           [--poll 30] [--drop-events] [--baseline-runs 10]

Every function of the local stack, the state machine, the DRS emulator and moto's other services share
this one process; moto's DynamoDB runs in a process of its own (``drs_local/dynamodb_process.py``).
``process CPU`` prints a scenario's CPU per wave in this process against the launch time in real
seconds, how busy the process was, and the DynamoDB process's CPU per wave. Busy nearly all the time
(90% or more) with more CPU per wave than the launch lasts, the process cannot keep up, and the wave
gap also measures that backlog (in AWS each function has its own environment). Polls fill idle time,
so a lightly loaded run can spend more than the launch time without falling behind.

The ratios' baseline, 3x10, has two wave gaps a run: it runs ``--baseline-runs`` times and the
median is taken over all their gaps. Each scenario also prints how many of its wave transitions
began with a launch-result event cutting the wait short, the others beginning at the poll. A job's
last event wakes the execution only once the job's other events are counted, and the local stack
handles them between ticks: at speed 600 that takes longer than the poll (30 emulated s, 50 ms
real), so transitions begin at the poll, and the events only add work to this process and to the
DynamoDB process (``--drop-events`` gives the gaps without that work).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import threading
import time
import uuid
import warnings
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore.client import BaseClient

HUB = "123456789012"
READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}

_scope = threading.local()
_lock = threading.Lock()
_counts: dict[str, Counter[str]] = {"start": Counter(), "orchestration": Counter(), "read": Counter()}
_items: dict[str, Counter[str]] = {"start": Counter(), "orchestration": Counter(), "read": Counter()}
_ticks: list[float] = []
_tick_waves: list[tuple[int, float, int]] = []  # (the lowest wave the tick worked on, seconds, keys read)
_tick_aws: list[tuple[int, dict[str, float]]] = []  # (wave, seconds per AWS service inside the tick)
_tick_cpu: list[tuple[int, float]] = []  # (wave, CPU seconds of the tick's thread and of its helpers)
_helper_cpu = [0.0]  # CPU seconds of the tick's helper threads (EC2 reads, launch details), so far
_event_cpu: dict[str, float] = {"deliver": 0.0, "handle": 0.0, "emulate": 0.0}  # CPU seconds of the DRS events' local delivery ("deliver") and handling ("handle"), and of the emulator's own work
_gaps: dict[str, list[float]] = {}  # scenario -> its wave gaps (emulated s), of every run of it
_woken: dict[str, int] = {}  # scenario -> how many of those gaps ended with an event's wake-up
_wakeups: list[tuple[str, float]] = []  # (execution, emulated time) of each wait a launch result cut short


def _child_cpu(stack: Any) -> float:
    """CPU seconds the local stack's DynamoDB process has used (Linux: its /proc entry)."""
    fields = Path(f"/proc/{stack.dynamodb_pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _count_dynamodb(stack: Any) -> None:
    """Count DynamoDB calls (and items written) made inside the start and the orchestration steps."""
    original = BaseClient._make_api_call

    def counted(self: Any, operation: str, params: dict[str, Any]) -> Any:
        phase = getattr(_scope, "phase", None)
        if phase == "orchestration" and getattr(_scope, "aws", None) is not None:
            service = self.meta.service_model.service_name
            t0 = time.perf_counter()
            try:
                return _counted(self, operation, params, phase)
            finally:
                _scope.aws[service] = _scope.aws.get(service, 0.0) + time.perf_counter() - t0
        return _counted(self, operation, params, phase)

    def _counted(self: Any, operation: str, params: dict[str, Any], phase: str | None) -> Any:
        if phase and self.meta.service_model.service_name == "dynamodb":
            items = 1
            if operation == "BatchGetItem":
                _scope.read_items = getattr(_scope, "read_items", 0) + sum(
                    len(v.get("Keys", [])) for v in params.get("RequestItems", {}).values())
            elif operation in ("GetItem", "Query"):
                _scope.read_items = getattr(_scope, "read_items", 0) + 1
            if operation == "BatchWriteItem":
                items = sum(len(v) for v in params.get("RequestItems", {}).values())
            elif operation == "TransactWriteItems":
                items = len(params.get("TransactItems", []))
            with _lock:
                _counts[phase][operation] += 1
                _items[phase][operation] += items
        answer = original(self, operation, params)
        if phase == "read" and operation in ("Query", "BatchGetItem"):  # items returned by the reads
            returned = answer.get("Items") or [i for v in (answer.get("Responses") or {}).values() for i in v]
            with _lock:
                _items[phase][operation] += len(returned) - 1
        return answer

    BaseClient._make_api_call = counted  # type: ignore[method-assign]

    from drs_orch.entrypoints import orchestration
    from drs_orch.entrypoints.routes import executions as routes
    from drs_orch.services.engine import queries, reconcile

    def in_phase(phase: str, fn: Any) -> Any:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            _scope.phase = phase
            try:
                return fn(*args, **kwargs)
            finally:
                _scope.phase = None
        return wrapped

    orchestration.handle_action = in_phase("orchestration", orchestration.handle_action)
    routes.start_execution = in_phase("start", routes.start_execution)
    queries.get_execution = in_phase("read", queries.get_execution)  # the routes call them through the module
    queries.execution_servers = in_phase("read", queries.execution_servers)
    original_tick = reconcile.Engine.tick

    original_reconcile = reconcile.Engine._reconcile

    def noted_reconcile(self: Any, meta: Any, waves: Any, *args: Any) -> Any:
        open_waves = [int(w["waveNumber"]) for w in waves if w.get("status") not in reconcile.TERMINAL_WAVE_VALUES]
        _scope.wave = min(open_waves) if open_waves else None
        return original_reconcile(self, meta, waves, *args)

    from drs_orch.adapters import drs_jobs

    original_instances = drs_jobs.Ec2Instances.instances

    def counted_instances(self: Any, *args: Any, **kwargs: Any) -> Any:
        c0 = time.thread_time()
        try:
            return original_instances(self, *args, **kwargs)
        finally:
            with _lock:
                _helper_cpu[0] += time.thread_time() - c0

    drs_jobs.Ec2Instances.instances = counted_instances  # type: ignore[method-assign]

    from drs_orch.services.engine.jobs import JobRunner

    original_complete = JobRunner._complete_job

    def counted_complete(self: Any, key: str) -> Any:
        # the launch details of several jobs are read on worker threads: their CPU is the tick's too
        # (one job alone is read on the tick's own thread, already counted)
        worker = threading.current_thread().name.startswith("launch-details")
        c0 = time.thread_time()
        try:
            return original_complete(self, key)
        finally:
            if worker:
                with _lock:
                    _helper_cpu[0] += time.thread_time() - c0

    JobRunner._complete_job = counted_complete  # type: ignore[method-assign]

    from drs_orch.entrypoints import drs_events
    from drs_orch.services.engine.wake import Waker

    waking = Waker.wake

    def wake(self: Any, execution_id: str, reason: Any) -> Any:
        outcome = waking(self, execution_id, reason)
        if outcome.result == "WOKEN":
            with _lock:
                _wakeups.append((execution_id, stack.emulator.clock.now()))
        return outcome

    Waker.wake = wake  # type: ignore[method-assign]

    def cpu_of(kind: str, fn: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            c0 = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                with _lock:
                    _event_cpu[kind] += time.thread_time() - c0
        return timed

    # the local runtime finds the handler by name at each invocation, so the wrapper is the one it calls
    drs_events.handler = cpu_of("handle", drs_events.handler)
    from drs_emulator.lifecycle import Lifecycle

    Lifecycle.tick = cpu_of("emulate", Lifecycle.tick)  # type: ignore[method-assign]
    delivering: list[Any] = []  # set at once: no scenario, so no event, has begun

    def deliver(*args: Any) -> None:
        delivering[0](*args)

    delivering.append(stack.emulator.events.replace_deliver(cpu_of("deliver", deliver)))

    def timed_tick(self: Any, execution_id: str) -> Any:
        t0, c0, h0 = time.perf_counter(), time.thread_time(), _helper_cpu[0]
        _scope.wave = None
        _scope.read_items = 0
        _scope.aws = {}
        try:
            return original_tick(self, execution_id)
        finally:
            elapsed = time.perf_counter() - t0
            with _lock:
                cpu = time.thread_time() - c0 + _helper_cpu[0] - h0
                _ticks.append(elapsed)
                if getattr(_scope, "wave", None) is not None:
                    _tick_waves.append((_scope.wave, elapsed, int(getattr(_scope, "read_items", 0))))
                    _tick_aws.append((_scope.wave, dict(_scope.aws)))
                    _tick_cpu.append((_scope.wave, cpu))
            _scope.aws = None

    reconcile.Engine.tick = timed_tick  # type: ignore[method-assign]
    reconcile.Engine._reconcile = noted_reconcile  # type: ignore[method-assign]


def _timed_read(api: requests.Session, url: str, label: str, **params: Any) -> dict[str, Any]:
    """One GET after the run: its real time, the answer's size and the DynamoDB items it read."""
    _counts["read"].clear()
    _items["read"].clear()
    t0 = time.monotonic()
    answer = api.get(url, params=params or None, timeout=600)
    seconds = time.monotonic() - t0
    if answer.status_code != 200:
        raise SystemExit(f"{label}: {answer.status_code} {answer.text[:300]}")
    body: dict[str, Any] = answer.json()
    read = ", ".join(f"{op} {n} ({_items['read'][op]} items)" for op, n in sorted(_counts["read"].items()))
    print(f"   {label:<24} {seconds:.2f} s real, {len(answer.content)} bytes; DynamoDB {read}", flush=True)
    return body


def _seed(stack: Any, regions: list[str], per_region: int, launch_seconds: float) -> dict[str, list[str]]:
    run = uuid.uuid4().hex[:6]
    out: dict[str, list[str]] = {}
    for region in regions:
        servers = [{"hostname": f"bench-{run}-{region}-{n:04d}.example.internal", "cpus": 2, "ramGiB": 4,
                    "disks": [{"deviceName": "/dev/sda", "sizeGiB": 20}], "recommendedInstanceType": "c5.large",
                    "launch": {"durationSeconds": launch_seconds}} for n in range(per_region)]
        seeded = stack.emulator.seed({"accounts": [{"accountId": HUB, "quotas": {"maxSourceServers": 6000},
                                                    "regions": [{"region": region, "servers": servers}]}]})
        out[region] = list(seeded[HUB][region])
    return out


def _write_plan(shape: Shape, servers: dict[str, list[str]]) -> str:
    """One group per (wave, region, slice): ``shape.groups`` groups per wave, spread over the regions."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    groups = boto3.resource("dynamodb").Table(os.environ["PROTECTION_GROUPS_TABLE"])
    plans = boto3.resource("dynamodb").Table(os.environ["RECOVERY_PLANS_TABLE"])
    per_group = shape.per_wave // shape.groups
    taken = dict.fromkeys(servers, 0)
    plan_waves = []
    with groups.batch_writer() as batch:
        for n in range(shape.waves):
            group_ids = []
            for g in range(shape.groups):
                region = shape.regions[g % len(shape.regions)]
                gid = str(uuid.uuid4())
                name = f"bench {region} {n + 1}.{g + 1} {gid[:6]}"
                members = servers[region][taken[region]:taken[region] + per_group]
                taken[region] += per_group
                batch.put_item(Item={
                    "groupId": gid, "entityType": "GROUP", "groupName": name, "groupNameLower": name.lower(),
                    "description": "benchmark", "region": region, "accountId": HUB,
                    "accountRegion": f"{HUB}#{region}", "sourceServerIds": members, "version": 1,
                    "createdDate": now, "lastModifiedDate": now, "createdBy": "bench"})
                group_ids.append(gid)
            plan_waves.append({"waveNumber": n + 1, "waveName": f"wave {n + 1}", "protectionGroupIds": group_ids,
                               "dependsOnWaves": [n] if n else [], "pauseBeforeWave": False,
                               "onServerFailure": "STOP"})
    plan_id = str(uuid.uuid4())
    name = f"bench {shape.label} {plan_id[:6]}"
    plans.put_item(Item={"planId": plan_id, "entityType": "PLAN", "planName": name, "planNameLower": name.lower(),
                         "description": "benchmark", "waves": plan_waves, "version": 1, "createdDate": now,
                         "lastModifiedDate": now, "createdBy": "bench"})
    return plan_id


_meta_client: list[Any] = []


def _meta(execution_id: str) -> dict[str, Any]:
    """The execution's status and server counts, read every half second while it runs: one client,
    and only the two attributes, so that watching the run takes as little as possible of the
    process the run shares."""
    if not _meta_client:
        _meta_client.append(boto3.client("dynamodb"))
    item = _meta_client[0].get_item(
        TableName=os.environ["EXECUTIONS_TABLE"], Key={"executionId": {"S": execution_id}, "sk": {"S": "META"}},
        ProjectionExpression="#s, serverCounts", ExpressionAttributeNames={"#s": "status"}).get("Item") or {}
    counts = {k: int(v["N"]) for k, v in (item.get("serverCounts") or {}).get("M", {}).items()}
    return {"status": (item.get("status") or {}).get("S"), "serverCounts": counts}


def _largest_item(execution_id: str) -> tuple[int, str]:
    client = boto3.client("dynamodb")
    largest = (0, "")
    kwargs: dict[str, Any] = {"TableName": os.environ["EXECUTIONS_TABLE"],
                              "KeyConditionExpression": "executionId = :e",
                              "ExpressionAttributeValues": {":e": {"S": execution_id}}}
    while True:
        page = client.query(**kwargs)
        for item in page["Items"]:
            size = sum(len(k.encode()) + len(json.dumps(v).encode()) for k, v in item.items())
            largest = max(largest, (size, item["sk"]["S"].split("#")[0]))
        if not page.get("LastEvaluatedKey"):
            return largest
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _largest_payload(stack: Any, execution_id: str) -> int:
    sfn = stack.client("stepfunctions")
    arn = stack.outputs["StateMachineArn"].replace(":stateMachine:", ":execution:") + f":{execution_id}"
    largest = 0
    kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        for event in page["events"]:
            for key, details in event.items():
                if key.endswith("Details") and isinstance(details, dict):
                    for field in ("input", "output", "parameters"):
                        if isinstance(details.get(field), str):
                            largest = max(largest, len(details[field].encode()))
        if not page.get("nextToken"):
            return largest
        kwargs["nextToken"] = page["nextToken"]


@dataclass(frozen=True)
class Shape:
    """``WxS[/R][:G]``: W waves of S servers, spread over R account-regions (default 1), in G groups
    per wave (default R). ``1x4000/4:4`` is one wave of four 1,000-server groups in four regions;
    ``20x50:10`` is a plan of 200 groups."""

    waves: int
    per_wave: int
    regions: list[str]
    groups: int

    @property
    def label(self) -> str:
        return f"{self.waves}x{self.per_wave}"

    @classmethod
    def parse(cls, spec: str) -> Shape:
        head, _, groups = spec.lower().partition(":")
        size, _, regions = head.partition("/")
        waves, per_wave = (int(x) for x in size.split("x"))
        count = int(regions or 1)
        named = {(3, 10, 1): ["ap-southeast-2"], (10, 100, 1): ["ap-northeast-1"], (40, 100, 1): ["ca-central-1"]}
        picked = named.get((waves, per_wave, count)) or SPREAD_REGIONS[:count]
        shape = cls(waves, per_wave, picked, int(groups or count))
        if shape.groups % count or per_wave % shape.groups:
            raise SystemExit(f"{spec}: the groups must split the regions and the servers evenly")
        return shape


SPREAD_REGIONS = ["sa-east-1", "us-east-2", "eu-central-1", "ap-south-1", "us-west-1", "eu-west-2"]


def scenario(stack: Any, token: str, shape: Shape, launch_seconds: float, speed: float, poll: int = 30) -> None:
    from drs_local.engine_metrics import execution_figures

    waves, per_wave = shape.waves, shape.per_wave
    label = f"{waves} waves x {per_wave} servers in {shape.groups} groups per wave"
    print(f"\n== {label} ({', '.join(shape.regions)}, launch {launch_seconds:g} emulated s per server, "
          f"speed {speed:g}x)", flush=True)
    t0 = time.monotonic()
    servers = _seed(stack, shape.regions, waves * per_wave // len(shape.regions), launch_seconds)
    plan_id = _write_plan(shape, servers)
    print(f"   set up {sum(len(v) for v in servers.values())} servers, {waves * shape.groups} groups and the "
          f"plan in {time.monotonic() - t0:.1f} s", flush=True)
    for counter in (*_counts.values(), *_items.values()):
        counter.clear()
    _ticks.clear()
    _tick_waves.clear()
    _tick_aws.clear()
    _tick_cpu.clear()
    _event_cpu.update(deliver=0.0, handle=0.0, emulate=0.0)
    events_before = stack.emulator.events.stats.emitted - stack.emulator.events.stats.dropped
    stack.emulator.clear_calls()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    t0 = time.monotonic()
    r = api.post(stack.api_url + "/executions", json={"planId": plan_id, "executionType": "DRILL",
                                                       "pollIntervalSeconds": poll}, timeout=600)
    if r.status_code != 202:
        raise SystemExit(f"start refused: {r.status_code} {r.text}")
    execution_id = r.json()["executionId"]
    started = time.monotonic() - t0
    cpu0, waves_from = time.process_time(), time.monotonic()  # the waves, without the start request
    dynamodb0 = _child_cpu(stack)
    last, shown, shown_at = "", "", 0.0
    while True:
        meta = _meta(execution_id)
        counts = {k: int(v) for k, v in (meta.get("serverCounts") or {}).items() if v}
        line = f"{meta.get('status')}  {counts}"
        if meta.get("status") != last or (line != shown and time.monotonic() - shown_at > 10):
            last, shown, shown_at = str(meta.get("status")), line, time.monotonic()
            print(f"   {time.monotonic() - t0:7.1f} s  {line}", flush=True)
        if last in ("COMPLETED", "PARTIAL", "FAILED", "CANCELLED"):
            break
        time.sleep(0.5)
    wall = time.monotonic() - t0
    busy, waves_wall = time.process_time() - cpu0, time.monotonic() - waves_from
    dynamodb_busy = _child_cpu(stack) - dynamodb0
    details = _timed_read(api, stack.api_url + f"/executions/{execution_id}", "GET /executions/{id}")
    print(f"                            {details['serversIncluded']} of {details['serversTotal']} servers included")
    url = stack.api_url + f"/executions/{execution_id}/servers"
    first = _timed_read(api, url, "GET .../servers", limit=100)
    if first.get("nextToken"):
        _timed_read(api, url, "  its next page", limit=100, nextToken=first["nextToken"])
    _timed_read(api, url, f"  ?wave={waves}&status=LAUNCHED", wave=waves, status="LAUNCHED", limit=100)
    _timed_read(api, url, "  ?status=FAILED", status="FAILED", limit=100)  # matches none: reads every server
    figures = execution_figures(details, stack.emulator, speed)
    drs = Counter(c["operation"] for c in stack.emulator.calls())
    gaps = figures["waveGaps"]
    size, kind = _largest_item(execution_id)
    print(f"   result               {details['status']}: {details['serverCounts']}")
    print(f"   wall time            {wall:.1f} s real (start request {started:.1f} s)")
    # Every function of the local stack runs in this one process, on at most one core at a time (the
    # interpreter lock): busy nearly all the time with more CPU per wave than the launch lasts, it
    # cannot keep up, and each wave waits for the previous one's work, whatever the order of that work.
    cpu_per_wave, launch_real, share = busy / waves, launch_seconds / speed, busy / waves_wall
    print(f"   process CPU          {busy:.1f} s over the waves' {waves_wall:.1f} s ({share:.0%}): "
          f"{cpu_per_wave:.2f} s per wave against a launch of {launch_real:.2f} s real"
          + ("; the process cannot keep up: the wave gap includes its backlog"
             if cpu_per_wave > launch_real and share >= 0.9 else ""))
    print(f"   DynamoDB process CPU {dynamodb_busy:.1f} s ({dynamodb_busy / waves_wall:.0%} of the waves' time): "
          f"{dynamodb_busy / waves:.2f} s per wave")
    # a transition began with an event when a launch result cut a wait short between the earlier wave's
    # last launch and the later wave's start (a wait that ended at the poll began it otherwise)
    woken = sum(1 for ended, begun in figures["waveTransitions"]
                if any(e == execution_id and ended <= at <= begun for e, at in _wakeups))
    if gaps:
        print(f"   wave gap             median {statistics.median(gaps):.0f}, min {min(gaps):.0f}, "
              f"max {max(gaps):.0f} emulated s = median {statistics.median(gaps) / speed:.2f} s real; "
              f"{woken} of {len(gaps)} wave transitions began with a launch-result event, the others at the poll")
        if waves >= 5:  # does the gap grow along the plan? (gap n: before wave n + 1; real seconds)
            _by_fifth("wave gap (real)", [(n + 1, g / speed) for n, g in enumerate(gaps, start=1)], waves, "")
    print(f"   DRS launch time      {figures['launchSeconds']:.0f} emulated s in {figures['jobs']} jobs")
    if figures["launchSeconds"]:
        print(f"   overhead share       {figures['overheadSeconds'] / figures['launchSeconds']:.2%} of the DRS launch time "
              f"(emulated); {figures['overheadRealSeconds'] / figures['launchSeconds']:.2%} counting the "
              "processing in real seconds, as on AWS where DRS runs in real time")
    stats = stack.emulator.events.stats
    print(f"   DRS events           {stats.emitted} sent, {stats.dropped} dropped (whole run so far)")
    handled = stats.emitted - stats.dropped - events_before
    if handled > 0:
        print(f"   DRS events' CPU      delivery (EventBridge -> Lambda queue) "
              f"{_event_cpu['deliver'] * 1000 / handled:.1f} ms and handling {_event_cpu['handle'] * 1000 / handled:.1f} "
              f"ms per event: {(_event_cpu['deliver'] + _event_cpu['handle']) / waves * 1000:.0f} ms per wave, in the "
              "one process that also runs the tick (in AWS each handler runs in its own environment)")
    print(f"   DRS emulator CPU     {_event_cpu['emulate'] / waves * 1000:.0f} ms per wave (jobs, launches into "
          "moto's EC2, event results)")
    print(f"   overhead             {figures['overheadRealSeconds']:.1f} s real = {figures['overheadSeconds']:.0f} "
          f"emulated s beyond the launch time ({figures['overheadSeconds'] / max(waves, 1):.0f} per wave)")
    if _ticks:
        print(f"   ticks                {len(_ticks)}, mean {statistics.mean(_ticks) * 1000:.0f} ms, "
              f"max {max(_ticks) * 1000:.0f} ms real")
    first = [(t, n) for w, t, n in _tick_waves if w == 1]
    final = [(t, n) for w, t, n in _tick_waves if w == waves]
    if first and final:
        t1, tn = statistics.mean(t for t, _ in first), statistics.mean(t for t, _ in final)
        print(f"   tick at wave 1       mean {t1 * 1000:.0f} ms ({len(first)} ticks); "
              f"at wave {waves} mean {tn * 1000:.0f} ms ({len(final)} ticks); ratio {tn / t1:.2f} (target <= 1.5)")
        if len(final) > 1:  # the execution's last tick also releases every server lock and notifies
            tw = statistics.mean(t for t, _ in final[:-1])
            print(f"   tick at wave {waves}      without the execution's last tick: mean {tw * 1000:.0f} ms "
                  f"({len(final) - 1} ticks); ratio {tw / t1:.2f}; the last tick {final[-1][0] * 1000:.0f} ms")
        if waves >= 5:  # does a tick cost more late in a long plan? (the execution's last tick apart)
            _by_fifth("tick", [(w, t) for w, t, _ in _tick_waves[:-1]], waves)
        # The times above are wall-clock: every function of the local stack shares one process, so a
        # tick also waits while the DRS events of the same wave end are handled. The CPU time of the
        # tick's own threads is what the tick itself costs.
        c1 = [c for w, c in _tick_cpu if w == 1]
        cn = [c for w, c in _tick_cpu[:-1] if w == waves]
        if c1 and cn:
            print(f"   tick CPU at wave 1   mean {statistics.mean(c1) * 1000:.0f} ms; at wave {waves} without the "
                  f"execution's last tick: mean {statistics.mean(cn) * 1000:.0f} ms; ratio "
                  f"{statistics.mean(cn) / statistics.mean(c1):.2f}; the last tick {_tick_cpu[-1][1] * 1000:.0f} ms")
        if waves >= 5:
            _by_fifth("tick CPU", _tick_cpu[:-1], waves)
            # A tick's mean moves with the mix of short polls and wave transitions (fewer polls fit in a
            # wave when the process is busy); the CPU of all the ticks of a wave does not.
            per_wave: dict[int, float] = {}
            for w, c in _tick_cpu[:-1]:
                per_wave[w] = per_wave.get(w, 0.0) + c
            _by_fifth("tick CPU per wave (all its ticks)", sorted(per_wave.items()), waves)
        print(f"   DynamoDB keys read   per tick at wave 1: mean {statistics.mean(n for _, n in first):.1f}; "
              f"at wave {waves}: mean {statistics.mean(n for _, n in final):.1f} (GetItem/Query 1, BatchGetItem its keys)")
        for label, wave in (("wave 1", 1), (f"wave {waves}", waves)):
            spent = [a for w, a in _tick_aws if w == wave]
            services = sorted({k for a in spent for k in a})
            print(f"   AWS time per tick at {label}: " + ", ".join(
                f"{k} {statistics.mean(a.get(k, 0.0) for a in spent) * 1000:.0f} ms" for k in services))
    if gaps:
        _gaps.setdefault(shape.label, []).extend(gaps)
        _woken[shape.label] = _woken.get(shape.label, 0) + woken
    print("   DRS calls            " + ", ".join(f"{op} {n}" for op, n in sorted(drs.items())))
    for phase in ("start", "orchestration"):
        calls, items = _counts[phase], _items[phase]
        reads = sum(n for op, n in calls.items() if op in READS)
        writes = sum(n for op, n in calls.items() if op in WRITES)
        written = sum(n for op, n in items.items() if op in WRITES)
        print(f"   DynamoDB {phase:<13} {reads} reads, {writes} writes ({written} items): "
              + ", ".join(f"{op} {n}" for op, n in sorted(calls.items())))
    print(f"   largest DynamoDB item {size} bytes ({kind})")
    print(f"   largest Step Functions payload {_largest_payload(stack, execution_id)} bytes", flush=True)


def _by_fifth(label: str, ticks: list[tuple[int, float]], waves: int,
              scope: str = ", without the execution's last tick") -> None:
    """Mean of ``ticks`` (wave, seconds) by fifth of the plan, and the last fifth over the first."""
    fifths = [[t for w, t in ticks if (w - 1) * 5 // waves == k] for k in range(5)]
    means = [statistics.mean(f) if f else None for f in fifths]
    span = waves // 5
    print(f"   {label} by fifth of the plan{scope}: " + ", ".join(
        f"waves {k * span + 1}-{(k + 1) * span} {m * 1000:.0f} ms ({len(fifths[k])})" if m is not None
        else f"waves {k * span + 1}-{(k + 1) * span} -" for k, m in enumerate(means)))
    if means[0] and means[-1]:
        print(f"   {label}, last fifth / first fifth: {means[-1] / means[0]:.2f} (target <= 1.5)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--speed", type=float, default=600.0)
    parser.add_argument("--launch-seconds", type=float, default=600.0)
    parser.add_argument("--only", default="3x10,10x100,40x100",
                        help="scenarios WxS[/R][:G], comma-separated (see Shape)")
    parser.add_argument("--poll", type=int, default=30, help="the executions' poll interval (emulated s)")
    parser.add_argument("--drop-events", action="store_true", help="drop every DRS event (poll only)")
    parser.add_argument("--baseline-runs", type=int, default=10,
                        help="runs of 3x10, whose wave gaps are pooled for the ratios' baseline")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore")
    for name in ("moto", "drs_local", "werkzeug", "drs_orch", "aws_lambda_powertools"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    from drs_local.stack import LocalStack

    stack = LocalStack(speed=args.speed).start()
    try:
        _count_dynamodb(stack)
        token = stack.token("DRSOrchestrationAdmin")
        if args.drop_events:
            stack.emulator.add_fault("drop_event")
        print(f"poll interval {args.poll} emulated s; DRS events {'DROPPED' if args.drop_events else 'delivered'}")
        for spec in args.only.split(","):
            shape = Shape.parse(spec)
            # a 3x10 run has two wave gaps: its median alone moved from 0.10 to 0.25 s from run to
            # run, and every ratio with it; the baseline pools the gaps of several runs (with five,
            # the pooled median still read 0.12 to 0.17 s in three default runs)
            for _ in range(args.baseline_runs if shape.label == "3x10" else 1):
                scenario(stack, token, shape, args.launch_seconds, args.speed, args.poll)
        base = _gaps.get("3x10")
        if base:
            print(f"\nmedian wave gap 3x10: {statistics.median(base) / args.speed:.2f} s real "
                  f"({len(base)} gaps of {args.baseline_runs} runs; {_woken.get('3x10', 0)} began with an event)")
        for label, gaps in _gaps.items():
            if base and label != "3x10":
                median = statistics.median(gaps)
                print(f"median wave gap {label}: {median / args.speed:.2f} s real ({len(gaps)} gaps; "
                      f"{_woken.get(label, 0)} began with an event); "
                      f"/ 3x10: {median / statistics.median(base):.2f} (target <= 1.5)")
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    raise SystemExit(main())
