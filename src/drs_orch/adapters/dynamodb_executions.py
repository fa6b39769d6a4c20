"""Executions in DynamoDB: the META item, one item per wave (``WAVE#<nnnn>``), per DRS job
(``JOB#<wave>#<n>``) and per server (``SERVER#<id>``), and the per-server ``exec-server#`` guards
in the guards table. The services see the items as typed records (``adapters/execution_items.py``
maps them both ways); the keys stay here.

A start is committed by one transaction holding the META item and every server guard (each guard
conditional on the key being free, or still held by the stale holder it replaces). Starts of more
than 99 servers claim the guards in sorted chunks of 100 first and put the META item with the last
chunk; if a chunk is refused, the chunks already claimed are released (conditionally on still being
ours). Wave, job and server items are written before that commit and are invisible until the META
item exists.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from drs_orch.adapters import dynamodb_tx as dx
from drs_orch.adapters import execution_items as ei
from drs_orch.adapters.dynamodb import (
    batch_get_keys,
    from_dynamo,
    low_level,
    serialize,
    table,
    to_dynamo,
)
from drs_orch.domain.execution_records import (
    ChildRecord,
    ExecutionMeta,
    ExecutionRecords,
    JobRecord,
    ServerRecord,
    WaveRecord,
    WaveSummary,
    summaries_of,
    tick_wave_numbers,
)
from drs_orch.domain.paging import Page
from drs_orch.domain.statuses import TERMINAL_EXECUTION, TERMINAL_WAVE, WaveStatus
from drs_orch.services.engine.ports import Changes, GuardClaim, GuardsTaken, Item, LaunchTally
from drs_orch.services.engine.wake import WAIT_TOKEN, WAKE_PENDING

MAX_TRANSACTION = 100
CONFLICT_RETRIES = 5
CONFLICT_PAUSE_SECONDS = 0.05
TERMINAL_WAVE_VALUES = frozenset(s.value for s in TERMINAL_WAVE)
SETTLED_OR_PENDING = TERMINAL_WAVE_VALUES | {WaveStatus.PENDING.value}
GUARD_KIND = "exec-server"
# what names a job's server locks and tells a job never started (read when the execution ends)
LOCK_ATTRIBUTES = ("executionId", "sk", "jobKey", "waveNumber", "status", "accountId", "region", "serverIds")
JOB_NOTE_PREFIX = "drs-job#"  # guards-table items naming the execution of a DRS job (launch events)
ENDED = sorted(s.value for s in TERMINAL_EXECUTION)


PLAN_RUN_SK = "LAST_RUN"


def plan_run_key(plan_id: str) -> str:
    return f"PLAN#{plan_id}"


def _chunks(values: list[Any], size: int) -> list[list[Any]]:
    return [values[i:i + size] for i in range(0, len(values), size)]


class _Expression:
    """Builds update and condition expressions with placeholders for every name and value."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, path: str | tuple[str, ...]) -> str:
        parts = (path,) if isinstance(path, str) else path
        out = []
        for part in parts:
            placeholder = f"#n{len(self.names)}"
            existing = [k for k, v in self.names.items() if v == part]
            if existing:
                placeholder = existing[0]
            else:
                self.names[placeholder] = part
            out.append(placeholder)
        return ".".join(out)

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return placeholder


def _update_expression(changes: Changes, expr: _Expression) -> str:
    sets = [f"{expr.name(path)} = {expr.value(to_dynamo(v))}" for path, v in changes.set.items()]
    for attr, values in changes.append.items():
        name = expr.name(attr)
        sets.append(f"{name} = list_append(if_not_exists({name}, {expr.value([])}), {expr.value(to_dynamo(values))})")
    clauses = []
    if sets:
        clauses.append("SET " + ", ".join(sets))
    adds = [f"{expr.name(a)} {expr.value(set(v))}" for a, v in changes.add.items() if v]
    adds += [f"{expr.name(a)} {expr.value(n)}" for a, n in changes.increment.items()]
    if adds:
        clauses.append("ADD " + ", ".join(adds))
    deletes = [f"{expr.name(a)} {expr.value(set(v))}" for a, v in changes.delete.items() if v]
    if deletes:
        clauses.append("DELETE " + ", ".join(deletes))
    if changes.remove:
        clauses.append("REMOVE " + ", ".join(expr.name(a) for a in changes.remove))
    return " ".join(clauses)


def _condition(expect: Mapping[str, Any] | None, expr: _Expression) -> str:
    parts = [f"attribute_exists({expr.name('sk')})"]
    for attr, value in (expect or {}).items():
        if value is None:
            parts.append(f"attribute_not_exists({expr.name(attr)})")
        elif isinstance(value, list | tuple | set | frozenset):
            options = ", ".join(expr.value(to_dynamo(v)) for v in value)
            parts.append(f"{expr.name(attr)} IN ({options})")
        else:
            parts.append(f"{expr.name(attr)} = {expr.value(to_dynamo(value))}")
    return " AND ".join(parts)


class DynamoExecutionStore:
    def __init__(self, executions_table: str, guards_table: str) -> None:
        self._name = executions_table
        self._guards_name = guards_table
        self._table = table(executions_table)
        self._guards = table(guards_table)
        self._client = low_level()

    # ------------------------------------------------------------------ reads
    def _meta_item(self, execution_id: str) -> Item | None:
        item = self._table.get_item(Key={"executionId": execution_id, "sk": ei.META}, ConsistentRead=True).get("Item")
        return from_dynamo(item) if item else None

    def get_meta(self, execution_id: str) -> ExecutionMeta | None:
        return ei.meta_of(self._meta_item(execution_id))

    def _query(self, condition: Any, *, consistent: bool = True, attributes: Iterable[str] = ()) -> list[Item]:
        out: list[Item] = []
        kwargs: dict[str, Any] = {"KeyConditionExpression": condition, "ConsistentRead": consistent}
        names = {f"#a{i}": a for i, a in enumerate(attributes)}
        if names:
            kwargs.update(ProjectionExpression=", ".join(names), ExpressionAttributeNames=names)
        while True:
            page = self._table.query(**kwargs)
            out.extend(from_dynamo(i) for i in page.get("Items", []))
            if not page.get("LastEvaluatedKey"):
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def load(self, execution_id: str, *, servers: bool = False, settled_jobs: bool = True) -> ExecutionRecords | None:
        """The execution's items. ``settled_jobs=False`` is a tick's working set: the META item, the
        WAVE items of the waves not summarised on it (``finishedWaves``) that have started or may
        start now (:func:`tick_wave_numbers`) and the JOB items of the waves under way (QUEUED,
        LAUNCHING); a few items however long the plan, read by key. The jobs of a wave that starts
        are read then (:meth:`load_jobs`), and the waves the tick did not read when it needs them
        (:meth:`load_waves`)."""
        pk = Key("executionId").eq(execution_id)
        finished: dict[int, WaveSummary] = {}
        if servers:
            items = self._query(pk)
        elif settled_jobs:  # sort order: JOB# < META < SERVER# < WAVE#
            items = (self._query(pk & Key("sk").lt(ei.SERVER_PREFIX))
                     + self._query(pk & Key("sk").begins_with(ei.WAVE_PREFIX)))
        else:
            meta = self._meta_item(execution_id)
            if meta is None:
                return None
            finished = summaries_of(meta.get("finishedWaves"))
            numbers = tick_wave_numbers(meta, finished)
            if numbers is None:  # started before waves were summarised
                waves = self._query(pk & Key("sk").begins_with(ei.WAVE_PREFIX))
            else:
                waves = self._get_many(execution_id, [ei.wave_sk(n) for n in numbers])
            waves = [w for w in waves if int(w["waveNumber"]) not in finished]
            keys = [ei.job_sk(k) for w in waves if w.get("status") not in SETTLED_OR_PENDING
                    for k in w.get("jobKeys") or []]
            items = [meta, *waves, *self._get_many(execution_id, keys)]
        grouped = ei.group(items)
        return replace(grouped, finished=finished) if grouped is not None and finished else grouped

    def load_waves(self, execution_id: str, numbers: Iterable[int]) -> list[WaveRecord]:
        return ei.waves_of(self._get_many(execution_id, [ei.wave_sk(n) for n in sorted(set(numbers))]))

    def lock_jobs(self, execution_id: str) -> list[JobRecord]:
        return ei.jobs_of(self._query(Key("executionId").eq(execution_id) & Key("sk").begins_with(ei.JOB_PREFIX),
                                      attributes=LOCK_ATTRIBUTES))

    def load_jobs(self, execution_id: str, job_keys: Iterable[str]) -> list[JobRecord]:
        return ei.jobs_of(self._get_many(execution_id, [ei.job_sk(k) for k in job_keys]))

    def _get_many(self, execution_id: str, sort_keys: list[str]) -> list[Item]:
        return batch_get_keys(self._name, [{"executionId": execution_id, "sk": k} for k in sort_keys])

    def load_servers(self, execution_id: str) -> list[ServerRecord]:
        return ei.servers_of(self._query(Key("executionId").eq(execution_id)
                                         & Key("sk").begins_with(ei.SERVER_PREFIX)))

    def page_servers(self, execution_id: str, *, statuses: Collection[str] | None = None, limit: int,
                     token: str | None) -> Page[ServerRecord]:
        """The execution's ``SERVER#`` items by id, a page at a time, through the one paged query;
        statuses are a FilterExpression (the paginator reads on until the page is full). A wave's
        servers are read by key instead (:meth:`wave_server_ids`, :meth:`get_servers`)."""
        if statuses is not None and not statuses:
            return Page(items=[], next_token=None)
        values: dict[str, Any] = {":e": execution_id, ":p": ei.SERVER_PREFIX}
        names: dict[str, str] | None = None
        filter_expression: str | None = None
        wanted = sorted(set(statuses or ()))
        if statuses is not None:
            values.update({f":s{i}": s for i, s in enumerate(wanted)})
            names = {"#s": "status"}
            filter_expression = f"#s IN ({', '.join(f':s{i}' for i in range(len(wanted)))})"
        listing = f"{execution_id}|*|{wanted if statuses is not None else '*'}"
        result = dx.page(self._name, index=None, key_condition="executionId = :e AND begins_with(sk, :p)",
                         values=values, names=names, filter_expression=filter_expression,
                         limit=limit, token=token, consistent=True,
                         bound_to=hashlib.sha256(listing.encode()).hexdigest()[:16])
        servers = [ei.server_of(i) for i in result.items]
        return Page(items=[s for s in servers if s is not None], next_token=result.next_token)

    def wave_server_ids(self, execution_id: str, waves: Collection[int]) -> list[str]:
        """The ids of the servers of ``waves`` (their jobs' ``serverIds``), by id: the WAVE items and
        then those jobs' server lists, read by key."""
        wave_items = self._get_many(execution_id, [ei.wave_sk(n) for n in sorted({int(w) for w in waves})])
        keys = [{"executionId": execution_id, "sk": ei.job_sk(str(k))} for w in wave_items for k in w.get("jobKeys") or []]
        jobs = batch_get_keys(self._name, keys, attributes=["serverIds"])
        return sorted({str(s) for job in jobs for s in job.get("serverIds") or []})

    def get_servers(self, execution_id: str, server_ids: Iterable[str]) -> list[ServerRecord]:
        return ei.servers_of(self._get_many(execution_id, [ei.server_sk(s) for s in sorted(set(server_ids))]))

    def page(self, *, plan_id: str | None, status: str | None, limit: int, token: str | None) -> Page[ExecutionMeta]:
        """Executions newest first, by plan and/or status, through the one paged query."""
        names: dict[str, str] | None = None
        filter_expression: str | None = None
        if plan_id:
            index, key_condition, values = "ByPlan", "planId = :k", {":k": plan_id}
            if status:
                names, filter_expression, values[":s"] = {"#s": "status"}, "#s = :s", status
        elif status:
            index, key_condition, values, names = "ByStatus", "#s = :k", {":k": status}, {"#s": "status"}
        else:
            index, key_condition, values = "ByStartTime", "entityType = :k", {":k": "EXECUTION"}
        result = dx.page(self._name, index=index, key_condition=key_condition, values=values, names=names,
                         filter_expression=filter_expression, limit=limit, token=token, forward=False)
        metas = [ei.meta_of(from_dynamo(i)) for i in result.items]
        return Page(items=[m for m in metas if m is not None], next_token=result.next_token)

    # ------------------------------------------------------------------ writes
    def put_children(self, records: Sequence[ChildRecord]) -> None:
        with self._table.batch_writer() as batch:
            for record in records:
                batch.put_item(Item=to_dynamo(ei.to_item(record)))

    def delete_children(self, execution_id: str, records: Iterable[ChildRecord]) -> None:
        self._delete_keys(execution_id, ei.child_keys(records))

    def _delete_keys(self, execution_id: str, sort_keys: Iterable[str]) -> None:
        with self._table.batch_writer() as batch:
            for sk in sort_keys:
                batch.delete_item(Key={"executionId": execution_id, "sk": sk})

    def delete_execution(self, execution_id: str) -> None:
        items = self._query(Key("executionId").eq(execution_id))
        keys = [i["sk"] for i in items]
        plan_ids = {str(i["planId"]) for i in items if i["sk"] == ei.META and i.get("planId")}
        # META last: a half-deleted execution stays visible and can be deleted again
        self._delete_keys(execution_id, [k for k in keys if k != ei.META])
        for plan_id in plan_ids:  # a plan's latest run is no longer one that can be read
            try:
                self._table.delete_item(Key={"executionId": plan_run_key(plan_id), "sk": PLAN_RUN_SK},
                                        ConditionExpression="lastExecutionId = :e",
                                        ExpressionAttributeValues={":e": execution_id})
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
        self._delete_keys(execution_id, [k for k in keys if k == ei.META])

    def update_meta(self, execution_id: str, changes: Changes, *,
                    expect: Mapping[str, Any] | None = None) -> ExecutionMeta | None:
        return ei.meta_of(self._update(execution_id, ei.META, changes, expect))

    def write_meta(self, execution_id: str, changes: Changes, *,
                   expect: Mapping[str, Any] | None = None) -> bool:
        return self._update(execution_id, ei.META, changes, expect, returning=False) is not None

    def update_wave(self, execution_id: str, number: int, changes: Changes, *,
                    expect: Mapping[str, Any] | None = None) -> WaveRecord | None:
        return ei.wave_of(self._update(execution_id, ei.wave_sk(number), changes, expect))

    def update_job(self, execution_id: str, key: str, changes: Changes, *,
                   expect: Mapping[str, Any] | None = None) -> JobRecord | None:
        return ei.job_of(self._update(execution_id, ei.job_sk(key), changes, expect))

    def write_job(self, execution_id: str, key: str, changes: Changes, *,
                  expect: Mapping[str, Any] | None = None) -> bool:
        return self._update(execution_id, ei.job_sk(key), changes, expect, returning=False) is not None

    def _update(self, execution_id: str, sort_key: str, changes: Changes,
                expect: Mapping[str, Any] | None, *, returning: bool = True) -> Item | None:
        """The item after the update (``{}`` when not ``returning`` it: a job's item is up to 25 KB,
        and META carries the summaries of the waves that ended; neither is read back for nothing),
        or None when ``expect`` did not hold."""
        expr = _Expression()
        update = _update_expression(changes, expr)
        condition = _condition(expect, expr)
        kwargs: dict[str, Any] = {
            "Key": {"executionId": execution_id, "sk": sort_key},
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": expr.names,
            "ReturnValues": "ALL_NEW" if returning else "NONE",
        }
        if expr.values:
            kwargs["ExpressionAttributeValues"] = expr.values
        try:
            out = self._table.update_item(**kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        attributes: dict[str, Any] = from_dynamo(out.get("Attributes") or {})
        return attributes

    # ------------------------------------------------------------------ latest run of a plan
    def record_plan_run(self, meta: ExecutionMeta) -> None:
        """One item per plan (``PLAN#<planId>`` / ``LAST_RUN``) naming its latest ended execution, so
        a page of plans gets theirs in one BatchGetItem. It carries none of the indexed attributes
        (``entityType``, ``status``, ``planId``, ``startTime``), so no listing of executions sees it."""
        start = str(meta.get("startTime") or "")
        values = {":e": meta["executionId"], ":s": meta.get("status"), ":t": meta.get("executionType"),
                  ":st": start, ":et": meta.get("endTime"), ":p": meta.get("planId"), ":n": meta.get("planName")}
        try:
            self._table.update_item(
                Key={"executionId": plan_run_key(str(meta["planId"])), "sk": PLAN_RUN_SK},
                UpdateExpression="SET lastExecutionId = :e, lastExecutionStatus = :s, lastExecutionType = :t, "
                                 "lastStartTime = :st, lastEndTime = :et, forPlanId = :p, forPlanName = :n",
                ConditionExpression="attribute_not_exists(lastStartTime) OR lastStartTime <= :st",
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    # ------------------------------------------------------------------ launch events
    def note_drs_job(self, drs_job_id: str, execution_id: str, server_ids: list[str], expires_at: int) -> None:
        self._guards.put_item(Item={"guardKey": JOB_NOTE_PREFIX + drs_job_id, "kind": "drs-job",
                                    "executionId": execution_id, "servers": len(set(server_ids)),
                                    "expiresAt": expires_at})

    def tally_launch_result(self, drs_job_id: str, server_id: str) -> LaunchTally | None:
        try:
            out = self._guards.update_item(
                Key={"guardKey": JOB_NOTE_PREFIX + drs_job_id}, UpdateExpression="ADD reported :s",
                ConditionExpression="attribute_exists(guardKey) AND NOT contains(reported, :id)",
                ExpressionAttributeValues={":s": {server_id}, ":id": server_id}, ReturnValues="ALL_NEW")
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        item = out["Attributes"]
        return LaunchTally(str(item["executionId"]), len(item.get("reported") or ()), int(item["servers"]))

    def take_wait_token(self, execution_id: str) -> str | None:
        ended = {f":e{i}": v for i, v in enumerate(ENDED)}
        running = f"attribute_exists(sk) AND NOT #s IN ({', '.join(ended)})"
        for _ in range(3):  # the wait's token, or else a wake-up left for the next wait
            try:
                out = self._table.update_item(
                    Key={"executionId": execution_id, "sk": ei.META}, UpdateExpression="REMOVE #t",
                    ConditionExpression=f"attribute_exists(#t) AND {running}",
                    ExpressionAttributeNames={"#t": WAIT_TOKEN, "#s": "status"},
                    ExpressionAttributeValues=ended, ReturnValues="UPDATED_OLD")  # the token alone, not META
                return str(out["Attributes"][WAIT_TOKEN])
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
            try:
                self._table.update_item(
                    Key={"executionId": execution_id, "sk": ei.META}, UpdateExpression="SET #p = :yes",
                    ConditionExpression=f"attribute_not_exists(#t) AND {running}",
                    ExpressionAttributeNames={"#t": WAIT_TOKEN, "#s": "status", "#p": WAKE_PENDING},
                    ExpressionAttributeValues={**ended, ":yes": True})
                return None
            except ClientError as exc:  # ended, unknown, or a token was stored meanwhile: look again
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
        return None

    def keep_wait_token(self, execution_id: str, task_token: str) -> bool:
        key = {"executionId": execution_id, "sk": ei.META}
        try:
            self._table.update_item(Key=key, UpdateExpression="SET #t = :t",
                                    ConditionExpression="attribute_exists(sk) AND attribute_not_exists(#p)",
                                    ExpressionAttributeNames={"#t": WAIT_TOKEN, "#p": WAKE_PENDING},
                                    ExpressionAttributeValues={":t": task_token})
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        try:  # a wake-up came while no wait was on: take it instead of waiting
            self._table.update_item(Key=key, UpdateExpression="REMOVE #p", ConditionExpression="attribute_exists(sk)",
                                    ExpressionAttributeNames={"#p": WAKE_PENDING})
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return True  # no such execution: nothing to wake
        return False

    # ------------------------------------------------------------------ guards
    def read_guards(self, keys: Iterable[str]) -> dict[str, Item]:
        return {str(item["guardKey"]): item
                for item in batch_get_keys(self._guards_name, [{"guardKey": k} for k in sorted(set(keys))])}

    def _guard_put(self, claim: GuardClaim, execution_id: str, acquired_at: str) -> dict[str, Any]:
        item = {"guardKey": claim.key, "kind": GUARD_KIND, "executionId": execution_id, "owner": execution_id,
                "token": execution_id, "acquiredAt": acquired_at}
        put: dict[str, Any] = {"TableName": self._guards_name, "Item": serialize(item)}
        if claim.take_over_from:
            put.update(ConditionExpression="executionId = :holder",
                       ExpressionAttributeValues={":holder": {"S": claim.take_over_from}})
        else:
            put["ConditionExpression"] = "attribute_not_exists(guardKey)"
        return {"Put": put}

    def commit_start(self, meta: ExecutionMeta, claims: list[GuardClaim]) -> None:
        execution_id = meta.execution_id
        acquired_at = str(meta.get("startTime"))
        ordered = sorted(claims, key=lambda c: c.key)
        head, last = ordered[:-(MAX_TRANSACTION - 1)] if len(ordered) > MAX_TRANSACTION - 1 else [], \
            ordered[-(MAX_TRANSACTION - 1):]
        claimed: list[str] = []
        try:
            for chunk in _chunks(head, MAX_TRANSACTION):
                self._transact([self._guard_put(c, execution_id, acquired_at) for c in chunk], [c.key for c in chunk])
                claimed.extend(c.key for c in chunk)
            meta_put = {"Put": {"TableName": self._name, "Item": serialize(ei.to_item(meta)),
                                "ConditionExpression": "attribute_not_exists(sk)"}}
            self._transact([meta_put] + [self._guard_put(c, execution_id, acquired_at) for c in last],
                           [ei.META] + [c.key for c in last])
        except GuardsTaken:
            if claimed:
                self.release_guards(execution_id, claimed)
            raise

    def _transact(self, operations: list[dict[str, Any]], labels: list[str]) -> None:
        """One claim transaction. A transaction cancelled only because another one was writing the
        same guards at that moment (``TransactionConflict``, nothing held) changed nothing and is
        tried again after a jittered pause: of two overlapping starts one must win, and a conflict
        is not a refusal."""
        for attempt in range(CONFLICT_RETRIES + 1):
            try:
                self._client.transact_write_items(TransactItems=operations)
                return
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                reasons = exc.response.get("CancellationReasons") or []
                taken = [labels[i] for i, r in enumerate(reasons)
                         if i < len(labels) and r.get("Code") == "ConditionalCheckFailed" and labels[i] != ei.META]
                conflicted = any(r.get("Code") == "TransactionConflict" for r in reasons)
                if taken or not conflicted or attempt == CONFLICT_RETRIES:
                    raise GuardsTaken(taken) from exc
                time.sleep(random.uniform(0, CONFLICT_PAUSE_SECONDS * 2 ** attempt))  # noqa: S311 - jitter

    def release_guards(self, execution_id: str, keys: Iterable[str]) -> None:
        """Delete the guards still held by ``execution_id`` (never another execution's)."""
        for chunk in _chunks(sorted(set(keys)), MAX_TRANSACTION):
            deletes = [{"Delete": {"TableName": self._guards_name, "Key": {"guardKey": {"S": k}},
                                   "ConditionExpression": "executionId = :me",
                                   "ExpressionAttributeValues": {":me": {"S": execution_id}}}} for k in chunk]
            try:
                self._client.transact_write_items(TransactItems=deletes)
                continue
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
            for key in chunk:  # some were gone or taken over: delete the others one by one
                try:
                    self._guards.delete_item(Key={"guardKey": key}, ConditionExpression="executionId = :me",
                                             ExpressionAttributeValues={":me": execution_id})
                except ClientError as exc:
                    if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                        raise
