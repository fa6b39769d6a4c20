"""An in-memory world for the execution engine: every engine port implemented over dicts, a DRS
whose jobs progress with a clock the test advances, and the real services on top (start, tick,
termination), so the engine's use cases are unit-tested without the local stack."""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from drs_orch.adapters import execution_items as ei
from drs_orch.domain.execution_records import (
    ChildRecord,
    ExecutionMeta,
    ExecutionRecords,
    JobRecord,
    ServerRecord,
    WaveRecord,
    summaries_of,
    tick_wave_numbers,
)
from drs_orch.domain.inventory import page as paged
from drs_orch.domain.models import ProtectionGroup, RecoveryPlan
from drs_orch.domain.paging import Page
from drs_orch.domain.statuses import TERMINAL_EXECUTION
from drs_orch.services.engine.context import EngineDeps
from drs_orch.services.engine.ports import Changes, GuardClaim, GuardsTaken, LaunchTally, StartRefused
from drs_orch.services.engine.reconcile import Engine

Item = dict[str, Any]
HUB = "123456789012"
REGION = "eu-west-1"
CREATED = "2025-01-01T00:00:00.000Z"
SCOPE = f"{HUB}#{REGION}"
TERMINAL_WAVES = {"COMPLETED", "PARTIAL", "FAILED", "CANCELLED", "SKIPPED"}
TERMINAL_EXECUTIONS = {s.value for s in TERMINAL_EXECUTION}


class SteppingClock:
    def __init__(self) -> None:
        self.current = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


def _matches(item: Mapping[str, Any], expect: Mapping[str, Any] | None) -> bool:
    for attr, value in (expect or {}).items():
        if value is None:
            if attr in item:
                return False
        elif isinstance(value, list | tuple | set | frozenset):
            if item.get(attr) not in value:
                return False
        elif item.get(attr) != value:
            return False
    return True


class MemoryExecutionStore:
    """``ExecutionStore`` over dicts, with the DynamoDB adapter's semantics (conditional updates
    answer None, a start commits its META with every guard or nothing). It plays the adapter: it
    keeps the table's items (``items``: (executionId, sk) -> item) and maps them to and from the
    records with the adapter's own mapping (``adapters/execution_items.py``)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Item] = {}
        self.guards: dict[str, Item] = {}
        self.job_notes: dict[str, dict[str, Any]] = {}  # the adapter's drs-job# guards-table items
        self.plan_runs: dict[str, Item] = {}  # planId -> its latest ended run (the adapter's LAST_RUN item)
        self.writes = 0
        self.tick_reads: list[int] = []  # items read by each tick's load (META, open waves, their jobs)
        self.servers_read = 0  # SERVER items read by pages and gets (not by whole loads)
        self.server_pages = 0

    def _meta_item(self, execution_id: str) -> Item | None:
        item = self.items.get((execution_id, ei.META))
        return copy.deepcopy(item) if item else None

    def get_meta(self, execution_id: str) -> ExecutionMeta | None:
        return ei.meta_of(self._meta_item(execution_id))

    def _all(self, execution_id: str) -> list[Item]:
        return [copy.deepcopy(v) for (e, _), v in sorted(self.items.items()) if e == execution_id]

    def load(self, execution_id: str, *, servers: bool = False, settled_jobs: bool = True) -> ExecutionRecords | None:
        meta = self._meta_item(execution_id)
        if meta is None:
            return None
        items = self._all(execution_id)
        waves = [i for i in items if i["sk"].startswith(ei.WAVE_PREFIX)]
        finished = summaries_of(meta.get("finishedWaves")) if not settled_jobs else {}
        numbers = tick_wave_numbers(meta, finished) if not settled_jobs else None
        if numbers is not None:  # the adapter's working set
            waves = [w for w in waves if int(w["waveNumber"]) in set(numbers)]
            self.tick_reads.append(1 + len(waves))
        open_keys = {k for w in waves if w.get("status") not in TERMINAL_WAVES | {"PENDING"}
                     for k in w.get("jobKeys") or []}
        jobs = [i for i in items if i["sk"].startswith(ei.JOB_PREFIX)
                and (settled_jobs or i["sk"].removeprefix(ei.JOB_PREFIX) in open_keys)]
        if not settled_jobs and self.tick_reads:
            self.tick_reads[-1] += len(jobs)
        chosen = [meta, *waves, *jobs, *([i for i in items if i["sk"].startswith(ei.SERVER_PREFIX)] if servers else [])]
        grouped = ei.group(chosen)
        return replace(grouped, finished=finished) if grouped is not None else None

    def lock_jobs(self, execution_id: str) -> list[JobRecord]:
        wanted = ("executionId", "sk", "jobKey", "waveNumber", "status", "accountId", "region", "serverIds")
        return ei.jobs_of([{k: copy.deepcopy(v) for k, v in item.items() if k in wanted}
                           for (e, sk), item in sorted(self.items.items())
                           if e == execution_id and sk.startswith(ei.JOB_PREFIX)])

    def _by_key(self, execution_id: str, sort_keys: Iterable[str]) -> list[Item]:
        """The adapter's BatchGetItem: the items that exist, counted as a tick's reads."""
        found = [copy.deepcopy(self.items[(execution_id, k)]) for k in sorted(set(sort_keys))
                 if (execution_id, k) in self.items]
        if self.tick_reads:
            self.tick_reads[-1] += len(found)
        return found

    def load_jobs(self, execution_id: str, job_keys: Iterable[str]) -> list[JobRecord]:
        return ei.jobs_of(self._by_key(execution_id, map(ei.job_sk, job_keys)))

    def load_waves(self, execution_id: str, numbers: Iterable[int]) -> list[WaveRecord]:
        return ei.waves_of(self._by_key(execution_id, map(ei.wave_sk, numbers)))

    def load_servers(self, execution_id: str) -> list[ServerRecord]:
        return ei.servers_of(i for i in self._all(execution_id) if i["sk"].startswith(ei.SERVER_PREFIX))

    def page_servers(self, execution_id: str, *, statuses: Collection[str] | None = None, limit: int,
                     token: str | None) -> Page[ServerRecord]:
        """The adapter's paged Query of the ``SERVER#`` items (sort-key order, the filter applied
        after the key), with a token bound to the filter (the adapter's own is the paginator's state)."""
        self.server_pages += 1
        kinds = sorted(set(statuses)) if statuses is not None else None
        items = [i for i in self._all(execution_id) if i["sk"].startswith(ei.SERVER_PREFIX)
                 and (kinds is None or i.get("status") in kinds)]
        chunk, following = paged(items, limit, token, f"{execution_id}|{kinds}")
        self.servers_read += len(chunk)
        return Page(items=ei.servers_of(chunk), next_token=following)

    def wave_server_ids(self, execution_id: str, waves: Collection[int]) -> list[str]:
        """As the adapter: the WAVE items' job keys, then those jobs' ``serverIds``."""
        keys = [k for n in sorted({int(w) for w in waves})
                for k in (self.items.get((execution_id, ei.wave_sk(n))) or {}).get("jobKeys") or []]
        return sorted({str(s) for k in keys
                       for s in (self.items.get((execution_id, ei.job_sk(str(k)))) or {}).get("serverIds") or []})

    def get_servers(self, execution_id: str, server_ids: Iterable[str]) -> list[ServerRecord]:
        found = [copy.deepcopy(self.items[(execution_id, ei.server_sk(s))]) for s in sorted(set(server_ids))
                 if (execution_id, ei.server_sk(s)) in self.items]
        self.servers_read += len(found)
        return ei.servers_of(found)

    def put_children(self, records: Sequence[ChildRecord]) -> None:
        for record in records:
            item = ei.to_item(record)
            self.items[(item["executionId"], item["sk"])] = copy.deepcopy(item)
            self.writes += 1

    def delete_children(self, execution_id: str, records: Iterable[ChildRecord]) -> None:
        self._delete_keys(execution_id, ei.child_keys(records))

    def _delete_keys(self, execution_id: str, sort_keys: Iterable[str]) -> None:
        for sk in sort_keys:
            self.items.pop((execution_id, sk), None)

    def delete_execution(self, execution_id: str) -> None:
        self._delete_keys(execution_id, [sk for e, sk in list(self.items) if e == execution_id])
        for plan_id, run in list(self.plan_runs.items()):
            if run["lastExecutionId"] == execution_id:
                del self.plan_runs[plan_id]

    def record_plan_run(self, meta: ExecutionMeta) -> None:
        known = self.plan_runs.get(str(meta["planId"]))
        if known is not None and str(known["lastStartTime"]) > str(meta.get("startTime") or ""):
            return
        self.plan_runs[str(meta["planId"])] = {
            "lastExecutionId": meta["executionId"], "lastExecutionStatus": meta.get("status"),
            "lastExecutionType": meta.get("executionType"), "lastStartTime": meta.get("startTime"),
            "lastEndTime": meta.get("endTime")}
        self.writes += 1

    def commit_start(self, meta: ExecutionMeta, claims: list[GuardClaim]) -> None:
        taken = [c.key for c in claims
                 if (c.take_over_from is None and c.key in self.guards)
                 or (c.take_over_from is not None and (self.guards.get(c.key) or {}).get("executionId")
                     != c.take_over_from)]
        if taken or (meta.execution_id, ei.META) in self.items:
            raise GuardsTaken(taken)
        for claim in claims:
            self.guards[claim.key] = {"guardKey": claim.key, "executionId": meta.execution_id,
                                      "acquiredAt": meta["startTime"]}
        self.items[(meta.execution_id, ei.META)] = copy.deepcopy(ei.to_item(meta))
        self.writes += 1

    def update_meta(self, execution_id: str, changes: Changes, *,
                    expect: Mapping[str, Any] | None = None) -> ExecutionMeta | None:
        return ei.meta_of(self.update(execution_id, ei.META, changes, expect=expect))

    def write_meta(self, execution_id: str, changes: Changes, *, expect: Any = None) -> bool:
        return self.update_meta(execution_id, changes, expect=expect) is not None

    def update_wave(self, execution_id: str, number: int, changes: Changes, *,
                    expect: Mapping[str, Any] | None = None) -> WaveRecord | None:
        return ei.wave_of(self.update(execution_id, ei.wave_sk(number), changes, expect=expect))

    def update_job(self, execution_id: str, key: str, changes: Changes, *,
                   expect: Mapping[str, Any] | None = None) -> JobRecord | None:
        return ei.job_of(self.update(execution_id, ei.job_sk(key), changes, expect=expect))

    def write_job(self, execution_id: str, key: str, changes: Changes, *, expect: Any = None) -> bool:
        return self.update_job(execution_id, key, changes, expect=expect) is not None

    def update(self, execution_id: str, sort_key: str, changes: Changes, *,
               expect: Mapping[str, Any] | None = None) -> Item | None:
        """The adapter's conditional UpdateItem on one item (by its sort key)."""
        item = self.items.get((execution_id, sort_key))
        if item is None or not _matches(item, expect):
            return None
        for path, value in changes.set.items():
            if isinstance(path, tuple):
                target = item
                for part in path[:-1]:
                    target = target.setdefault(part, {})
                target[path[-1]] = copy.deepcopy(value)
            else:
                item[path] = copy.deepcopy(value)
        for attr, values in changes.append.items():
            item[attr] = list(item.get(attr) or []) + copy.deepcopy(values)
        for attr, add in changes.add.items():
            item[attr] = set(item.get(attr) or set()) | set(add)
        for attr, gone in changes.delete.items():
            item[attr] = set(item.get(attr) or set()) - set(gone)
        for attr, n in changes.increment.items():
            item[attr] = int(item.get(attr) or 0) + n
        for attr in changes.remove:
            item.pop(attr, None)
        self.writes += 1
        return copy.deepcopy(item)

    def note_drs_job(self, drs_job_id: str, execution_id: str, server_ids: list[str], expires_at: int) -> None:
        self.job_notes[drs_job_id] = {"executionId": execution_id, "servers": len(set(server_ids)),
                                      "reported": set(), "expiresAt": expires_at}

    def tally_launch_result(self, drs_job_id: str, server_id: str) -> LaunchTally | None:
        note = self.job_notes.get(drs_job_id)
        if note is None or server_id in note["reported"]:
            return None
        note["reported"].add(server_id)
        return LaunchTally(note["executionId"], len(note["reported"]), note["servers"])

    def take_wait_token(self, execution_id: str) -> str | None:
        meta = self.items.get((execution_id, ei.META))
        if not meta or meta.get("status") in TERMINAL_EXECUTIONS:
            return None
        if "waitToken" not in meta:
            meta["wakePending"] = True  # for the next wait
            return None
        return str(meta.pop("waitToken"))

    def keep_wait_token(self, execution_id: str, task_token: str) -> bool:
        meta = self.items.get((execution_id, ei.META))
        if meta is None:
            return True
        if meta.pop("wakePending", None):
            return False
        meta["waitToken"] = task_token
        return True

    def read_guards(self, keys: Iterable[str]) -> dict[str, Item]:
        return {k: dict(self.guards[k]) for k in keys if k in self.guards}

    def release_guards(self, execution_id: str, keys: Iterable[str]) -> None:
        for key in list(keys):
            if (self.guards.get(key) or {}).get("executionId") == execution_id:
                del self.guards[key]

    def page(self, *, plan_id: str | None, status: str | None, limit: int, token: str | None) -> Page[ExecutionMeta]:
        metas = [v for (_, sk), v in self.items.items() if sk == ei.META
                 and (plan_id is None or v["planId"] == plan_id) and (status is None or v["status"] == status)]
        metas.sort(key=lambda m: m["startTime"], reverse=True)
        records = [ei.meta_of(copy.deepcopy(m)) for m in metas[:limit]]
        return Page(items=[r for r in records if r is not None], next_token=None)


class MemoryPlans:
    """Plans and groups held as stored items; read as the typed records the engine's port returns."""

    def __init__(self) -> None:
        self.plans: dict[str, Item] = {}
        self.groups: dict[str, Item] = {}

    def get_plan(self, plan_id: str) -> RecoveryPlan | None:
        item = self.plans.get(plan_id)
        return RecoveryPlan.from_item(copy.deepcopy(item)) if item else None

    def get_groups(self, group_ids: Iterable[str]) -> dict[str, ProtectionGroup]:
        return {g: ProtectionGroup.from_item(copy.deepcopy(self.groups[g])) for g in group_ids if g in self.groups}


class SimDrs:
    """DRS of one account-region: a job's servers launch ``launch_seconds`` after it starts."""

    def __init__(self, clock: SteppingClock, launch_seconds: float = 600) -> None:
        self.clock = clock
        self.launch_seconds = launch_seconds
        self.servers: dict[str, Item] = {}
        self.jobs: list[Item] = []
        self.instances: dict[str, Item] = {}  # recovery instance id -> record
        self.fail: set[str] = set()
        self.starts = 0
        self.snapshots: dict[str, list[Item]] = {}  # server id -> DescribeRecoverySnapshots items
        self.launch_points: dict[str, str] = {}  # server id -> the snapshot time its next launch uses

    def add_servers(self, count: int, prefix: str) -> list[str]:
        ids = [f"s-{prefix}{n:0{17 - len(prefix)}d}" for n in range(count)]
        for sid in ids:
            self.servers[sid] = {"sourceServerID": sid, "dataReplicationInfo": {"dataReplicationState": "CONTINUOUS"},
                                 "sourceProperties": {"identificationHints": {"hostname": f"{sid}.local"}}}
        return ids

    def _now(self) -> str:
        return self.clock.now().isoformat()

    def _progress(self) -> None:
        now = self.clock.now()
        for job in self.jobs:
            if job["status"] == "COMPLETED":
                continue
            started = datetime.fromisoformat(job["creationDateTime"])
            if now >= started + timedelta(seconds=self.launch_seconds):
                job.update(status="COMPLETED", endDateTime=now.isoformat())
                for entry in job["participatingServers"]:
                    if job["type"] == "TERMINATE":
                        self.instances[entry["recoveryInstanceID"]]["state"] = "terminated"
                        entry["launchStatus"] = "TERMINATED"
                    elif entry["sourceServerID"] in self.fail:
                        entry["launchStatus"] = "FAILED"
                    else:
                        rid = f"i-{len(self.instances):017d}"
                        self.instances[rid] = {"recoveryInstanceID": rid, "ec2InstanceID": rid, "state": "running",
                                               "sourceServerID": entry["sourceServerID"], "isDrill": job["isDrill"],
                                               "pointInTimeSnapshotDateTime":
                                                   self.launch_points.pop(entry["sourceServerID"], None)
                                                   or job["creationDateTime"]}
                        entry.update(launchStatus="LAUNCHED", recoveryInstanceID=rid)
            elif now >= started:
                job["status"] = "STARTED"

    def source_servers(self, scope: str, server_ids: list[str]) -> dict[str, Item]:
        return {s: copy.deepcopy(self.servers[s]) for s in server_ids if s in self.servers}

    def list_jobs(self, scope: str) -> list[Item]:
        self._progress()
        return copy.deepcopy(self.jobs)

    def jobs_that_may_be_active(self, scope: str) -> list[Item]:
        return self.list_jobs(scope)  # COMPLETED ones too: the port allows it

    def describe_jobs(self, scope: str, job_ids: list[str]) -> dict[str, Item]:
        self._progress()
        return {j["jobID"]: copy.deepcopy(j) for j in self.jobs if j["jobID"] in job_ids}

    def _job(self, kind: str, entries: list[Item], is_drill: bool, tags: Mapping[str, str]) -> Item:
        job = {"jobID": f"drsjob-{len(self.jobs):017d}", "type": kind, "status": "PENDING", "isDrill": is_drill,
               "tags": dict(tags), "creationDateTime": self._now(), "participatingServers": entries,
               "initiatedBy": "START_DRILL" if is_drill else "START_RECOVERY"}
        self.jobs.append(job)
        return copy.deepcopy(job)

    def start_recovery(self, scope: str, server_ids: list[str], is_drill: bool, tags: Mapping[str, str],
                       snapshots: Mapping[str, str] | None = None) -> Item:
        self.starts += 1
        unknown = [s for s in server_ids if s not in self.servers]
        if unknown:
            raise StartRefused("ValidationException", 400, f"unknown servers {unknown}")
        entries: list[Item] = []
        for server in server_ids:
            entry: Item = {"sourceServerID": server, "launchStatus": "PENDING"}
            wanted = (snapshots or {}).get(server)
            if wanted:
                snap = next((x for x in self.snapshots.get(server, []) if x["snapshotID"] == wanted), None)
                if snap is None:
                    raise StartRefused("ResourceNotFoundException", 404, f"no snapshot {wanted} of {server}")
                self.launch_points[server] = snap["timestamp"]
            entries.append(entry)
        return self._job("LAUNCH", entries, is_drill, tags)

    def recovery_snapshots(self, scope: str, server_id: str) -> list[Item]:
        return copy.deepcopy(self.snapshots.get(server_id, []))

    def job_log(self, scope: str, job_id: str) -> list[Item]:
        job = next(j for j in self.jobs if j["jobID"] == job_id)
        return [{"event": "LAUNCH_FAILED", "logDateTime": job.get("endDateTime"),
                 "eventData": {"sourceServerID": e["sourceServerID"], "rawError": "the instance did not boot"}}
                for e in job["participatingServers"] if e.get("launchStatus") == "FAILED"]

    def recovery_instances(self, scope: str, *, instance_ids: list[str] | None = None,
                           server_ids: list[str] | None = None) -> list[Item]:
        return [copy.deepcopy(r) for rid, r in self.instances.items()
                if (instance_ids is None or rid in instance_ids) and r["state"] != "terminated"]

    def terminate_recovery_instances(self, scope: str, instance_ids: list[str]) -> Item:
        return self._job("TERMINATE", [{"sourceServerID": self.instances[i]["sourceServerID"],
                                        "recoveryInstanceID": i} for i in instance_ids], True, {})


class SimEc2:
    def __init__(self, drs: SimDrs) -> None:
        self.drs = drs

    def instances(self, scope: str, instance_ids: list[str]) -> dict[str, Item]:
        out = {}
        for iid in instance_ids:
            record = self.drs.instances.get(iid)
            if record is not None:
                out[iid] = {"InstanceId": iid, "PrivateIpAddress": "10.0.0.10", "InstanceType": "c5.large",
                            "LaunchTime": self.drs.clock.now(), "State": {"Name": record["state"]}, "Tags": []}
        return out


class FakeStateMachine:
    def __init__(self) -> None:
        self.started: list[str] = []
        self.tokens_sent: list[str] = []
        self.ended_waits: set[str] = set()  # tokens of waits that timed out

    def start(self, name: str, payload: Mapping[str, Any]) -> str:
        self.started.append(name)
        return f"arn:aws:states:{REGION}:{HUB}:execution:orchestration:{name}"

    def stop(self, execution_arn: str, cause: str) -> None:
        pass

    def send_success(self, task_token: str, output: Mapping[str, Any]) -> bool:
        if task_token in self.ended_waits:  # Step Functions refuses it (TaskTimedOut)
            return False
        self.tokens_sent.append(task_token)
        return True


class ListNotifier:
    def __init__(self) -> None:
        self.published: list[tuple[str, str, str | None]] = []
        self.topics: set[str] = set()

    def publish(self, event_type: str, plan_id: str, subject: str, message: Mapping[str, Any],
                topic_arn: str | None = None) -> None:
        self.published.append((event_type, plan_id, topic_arn))

    def topic_exists(self, topic_arn: str) -> bool:
        return topic_arn in self.topics


class World:
    def __init__(self, launch_seconds: float = 600) -> None:
        self.clock = SteppingClock()
        self.store = MemoryExecutionStore()
        self.plans = MemoryPlans()
        self.drs = SimDrs(self.clock, launch_seconds)
        self.sfn = FakeStateMachine()
        self.notifier = ListNotifier()
        self.deps = EngineDeps(store=self.store, plans=self.plans, drs=self.drs, ec2=SimEc2(self.drs),
                               sfn=self.sfn, notifier=self.notifier, hub_account_id=HUB, clock=self.clock)

    def group(self, group_id: str, servers: list[str]) -> str:
        self.plans.groups[group_id] = {"groupId": group_id, "groupName": group_id, "region": REGION, "accountId": HUB,
                                       "sourceServerIds": servers, "createdDate": CREATED, "lastModifiedDate": CREATED}
        return group_id

    def plan(self, plan_id: str, waves: list[Item]) -> str:
        self.plans.plans[plan_id] = {"planId": plan_id, "planName": plan_id, "version": 1, "schemaVersion": 2,
                                     "waves": waves, "createdDate": CREATED, "lastModifiedDate": CREATED}
        return plan_id


def make_wave(n: int, groups: list[str], **fields: Any) -> Item:
    """A plan's wave (after the previous one, STOP on failure unless ``fields`` say otherwise)."""
    return {"waveNumber": n, "waveName": f"w{n}", "protectionGroupIds": groups, "dependsOnWaves": [],
            "pauseBeforeWave": False, "onServerFailure": "STOP", **fields}


def run(world: World, execution_id: str, max_ticks: int = 500) -> list[Item]:
    """Begin, then tick (advancing the clock by each answer's wait) until the run is DONE or
    ``max_ticks`` answers were given; every answer, in order."""
    engine = Engine(world.deps)
    results = [engine.begin(execution_id).to_dict()]
    while results[-1]["next"] == "CONTINUE" and len(results) < max_ticks:
        world.clock.advance(max(1, results[-1]["waitSeconds"]))
        results.append(engine.tick(execution_id).to_dict())
    return results


def launching_execution(first: int, second: int, launching: slice) -> tuple[World, str, list[str], list[str]]:
    """A drill of two waves (``first`` and ``second`` servers) whose wave-1 job DRS reports with the
    servers of ``launching`` IN_PROGRESS, ticked once after that: the job item says they launch,
    their own items still say PENDING. Returns the world, the execution and the two waves' servers."""
    from drs_orch.services.engine.start import start_execution

    world = World()
    one, two = world.drs.add_servers(first, "x"), world.drs.add_servers(second, "y")
    world.plan("p", [make_wave(1, [world.group("g1", one)]), make_wave(2, [world.group("g2", two)])])
    execution_id = start_execution(world.deps, {"planId": "p", "executionType": "DRILL"}, "t")["executionId"]
    engine = Engine(world.deps)
    engine.begin(execution_id)
    engine.tick(execution_id)  # wave 1's job started
    job = next(j for j in world.drs.jobs if j["type"] == "LAUNCH")
    for entry in job["participatingServers"][launching]:
        entry["launchStatus"] = "IN_PROGRESS"
    engine.tick(execution_id)
    return world, execution_id, one, two


def server_pages(world: World, execution_id: str, query: Mapping[str, str]) -> list[list[Item]]:
    """Every page of GET /executions/{id}/servers with ``query``, following the tokens."""
    from drs_orch.services.engine.queries import execution_servers

    pages: list[list[Item]] = []
    token = None
    while True:
        page = execution_servers(world.deps, execution_id, {**query, **({"nextToken": token} if token else {})})
        pages.append(page["servers"])
        token = page["nextToken"]
        if not token:
            return pages
