"""Writes that need more than one DynamoDB transaction: a small saga with an intent record
(issue 15). One mechanism for every such write: a protection group claiming more servers than one
transaction holds (``dynamodb_groups``), a recovery plan referencing more groups than one
transaction holds (``dynamodb_plans``) and ``POST /config/import`` (``dynamodb_import``).

A saga is a list of :class:`Step`\\ s (one ``TransactWriteItems`` entry each, with the write that
undoes it) and optionally ``final`` steps that must land together with the end of the saga.

1. The intent record (``GuardsTable``, ``guardKey = <kind>-intent#<owner>``) is written first,
   conditional on none existing: it names the owner, its ``intentId``, how many chunks the saga has
   (``chunks``) and how many are applied (``done``, 0), and a summary of what it writes, claims and
   releases. The undo writes of every chunk are stored beside it, compressed, in ``parts`` items
   (``<intent key>#part#<intentId>#<n>``), before any chunk is applied.
2. The steps are applied in chunks, one transaction each, at most :data:`CHUNK` items, never two
   writes to one item in a chunk. Each chunk's transaction also moves the intent's ``done`` on by
   one (conditional on the intent and on ``done``), so the intent always says exactly which chunks
   are applied.
3. The last transaction holds the last steps, the ``final`` steps (a group or plan item itself) and
   the deletion of the intent (conditional on its ``intentId``): the end of the saga is one atomic
   step. What is given up (guards released, references removed) is written after that (``after``);
   what fails there stays a stale guard, purged by the next claim as before.

A refusal in 2 or 3 rolls back: the undo writes of the applied chunks, newest first, each
conditional on still finding what the saga wrote (so applying them twice is harmless), then the
intent goes. A crash (the Lambda ended between chunks) leaves the intent: whoever next finds it
unfinished (:func:`recover`) once it is older than :data:`STALE_SECONDS` rolls it back the same
way. A saga may also write *markers*: intent records of other owners (``parent`` names the saga's
own intent), so that a write of one of those owners meets the unfinished saga and waits for or
recovers it. A marker whose saga has ended is deleted by whoever finds it.
"""

from __future__ import annotations

import json
import time
import uuid
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import Binary
from botocore.exceptions import ClientError

from drs_orch.adapters import dynamodb_tx as dx
from drs_orch.adapters.dynamodb import serialize
from drs_orch.domain.data_rules import MAX_TRANSACTION_ITEMS
from drs_orch.domain.errors import DomainError
from drs_orch.services.data_ports import CommitConflict, GuardRef

CHUNK = MAX_TRANSACTION_ITEMS
STALE_SECONDS = 300.0  # longer than the data-management Lambda may run (its timeout is 300 s)
PART_BYTES = 300_000  # compressed undo log per item, under DynamoDB's 400 KB item limit
UNDO_PARALLELISM = 16
_METHODS = {"Put": "put_item", "Delete": "delete_item", "Update": "update_item"}


@dataclass(frozen=True)
class Step:
    """One write of a saga: ``op`` is a ``TransactWriteItems`` entry (``{"Put": {...}}``), ``target``
    names the item it writes (two writes of one item never share a transaction), ``undo`` the
    conditional single-item write that takes it back (None: nothing to undo, e.g. a check)."""

    op: dict[str, Any]
    target: str
    label: tuple[str, str | None]
    undo: dict[str, Any] | None = None


def intent_key(kind: str, owner: str) -> str:
    return f"{kind}-intent#{owner}"


# ---------------------------------------------------------------------------- step builders
def claim_step(guards: str, key: str, owner_attr: str, owner: str, token: str, label: tuple[str, str | None],
               **extra: Any) -> Step:
    """Claim a free guard with the saga's token; undone by deleting it while it still carries it."""
    item = {"guardKey": key, owner_attr: owner, "ownerId": owner, "claimToken": token, **extra}
    return Step({"Put": {"TableName": guards, "Item": serialize(item),
                         "ConditionExpression": "attribute_not_exists(guardKey)"}},
                f"{guards}#{key}", label, _release_op(guards, key, owner, token))


def transfer_step(guards: str, guard: GuardRef, owner_attr: str, owner: str, token: str,
                  label: tuple[str, str | None]) -> Step:
    """Hand a guard held by ``guard.owner`` (which gives it up in the same saga) to ``owner``."""
    def setting(to_owner: str, to_token: str, if_token: str, if_owner: str | None) -> dict[str, Any]:
        condition = "claimToken = :if" + (" AND ownerId = :ifo" if if_owner else "")
        values = {":o": dx.av(to_owner), ":t": dx.av(to_token), ":if": dx.av(if_token)}
        if if_owner:
            values[":ifo"] = dx.av(if_owner)
        return {"TableName": guards, "Key": {"guardKey": dx.av(guard.key)},
                "UpdateExpression": "SET ownerId = :o, #owner = :o, claimToken = :t",
                "ConditionExpression": condition, "ExpressionAttributeNames": {"#owner": owner_attr},
                "ExpressionAttributeValues": values}
    return Step({"Update": setting(owner, token, guard.token, guard.owner)}, f"{guards}#{guard.key}", label,
                {"Update": setting(guard.owner, guard.token, token, None)})


def marker_step(guards: str, kind: str, owner: str, parent_key: str, intent_id: str) -> Step:
    """Mark ``owner`` as being written by the saga ``parent_key`` (see the module doc)."""
    key = intent_key(kind, owner)
    item = {"guardKey": key, "guardType": f"{kind}-intent", "ownerId": owner, "intentId": intent_id,
            "parent": parent_key, "startedEpoch": int(time.time())}
    return Step({"Put": {"TableName": guards, "Item": serialize(item),
                         "ConditionExpression": "attribute_not_exists(guardKey)"}},
                f"{guards}#{key}", ("CONCURRENT", owner),
                {"Delete": {"TableName": guards, "Key": {"guardKey": dx.av(key)},
                            "ConditionExpression": "intentId = :i",
                            "ExpressionAttributeValues": {":i": dx.av(intent_id)}}})


def item_step(table: str, key_name: str, key: str, op: dict[str, Any], label: tuple[str, str | None],
              before: Mapping[str, Any] | None, written_version: int) -> Step:
    """Write an owner item (``op``, conditional on the version read); undone by putting ``before``
    back (the stored item as read, wire form: :func:`before_images`; None: delete it), only while
    it is still the version written."""
    condition = {"ConditionExpression": "version = :w", "ExpressionAttributeValues": {":w": dx.av(written_version)}}
    undo: dict[str, Any]
    if before is None:
        undo = {"Delete": {"TableName": table, "Key": {key_name: dx.av(key)}, **condition}}
    else:
        undo = {"Put": {"TableName": table, "Item": dict(before), **condition}}
    return Step(op, f"{table}#{key}", label, undo)


def before_images(table: str, key_name: str, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Stored items as read now (consistently), in the wire form an undo puts back."""
    return {k: serialize(v) for k, v in dx.batch_get(table, key_name, keys).items()}


def final_steps(tx: dx.Transaction, owner: str) -> list[Step]:
    """The writes of ``tx`` (an owner item and its name claim) as the final steps of a saga."""
    return [Step(entry, f"final#{owner}#{n}", label) for n, (entry, label) in enumerate(zip(tx.items, tx.labels,
                                                                                              strict=True))]


def _release_op(guards: str, key: str, owner: str, token: str) -> dict[str, Any]:
    return {"Delete": dx.release_request(guards, GuardRef(key=key, owner=owner, token=token))}


# ---------------------------------------------------------------------------- the saga
def chunks_of(steps: Sequence[Step], final: Sequence[Step] = ()) -> list[list[Step]]:
    """Transactions of at most ``CHUNK - 1`` steps (one item is the intent's own write), none
    writing one item twice; ``final`` all in the last one."""
    out: list[list[Step]] = []
    current: list[Step] = []
    targets: set[str] = set()
    for step in steps:
        if len(current) >= CHUNK - 1 or step.target in targets:
            out.append(current)
            current, targets = [], set()
        current.append(step)
        targets.add(step.target)
    if final:
        if len(final) > CHUNK - 1:
            raise ValueError(f"the final steps of a saga fit in one transaction, not {len(final)}")
        if len(current) + len(final) > CHUNK - 1 or targets & {s.target for s in final}:
            out.append(current)
            current = []
        current.extend(final)
    if current:
        out.append(current)
    return [c for c in out if c]


class Saga:
    """One multi-transaction write of ``owner`` (its intent record is ``<kind>-intent#<owner>``)."""

    def __init__(self, guards_table: str, kind: str, owner: str, *,
                 between_chunks: Callable[[int], None] | None = None, intent_id: str | None = None) -> None:
        self.guards = guards_table
        self.kind = kind
        self.owner = owner
        self.intent_id = intent_id or uuid.uuid4().hex
        self.between_chunks = between_chunks  # tests: raise here to stand for a crash between chunks
        self._parts = 0

    @property
    def key(self) -> str:
        return intent_key(self.kind, self.owner)

    def run(self, steps: Sequence[Step], final: Sequence[Step] = (), *, summary: Mapping[str, Any] | None = None,
            after: Callable[[], None] | None = None) -> None:
        """Apply ``steps`` in chunks and ``final`` with the end of the saga; then ``after``.
        A refusal rolls back what was applied and raises :class:`CommitConflict` naming it (or the
        :class:`DomainError` of a write DynamoDB refused for another reason, e.g. ``ITEM_TOO_LARGE``)."""
        chunks = chunks_of(steps, final)
        if not chunks:  # nothing to write
            if after is not None:
                after()
            return
        undo = [[s.undo for s in chunk if s.undo is not None] for chunk in chunks]
        self._begin(len(chunks), undo, summary or {})
        done = 0
        try:
            for index, chunk in enumerate(chunks):
                tx = dx.Transaction()
                for step in chunk:
                    op, body = next(iter(step.op.items()))
                    tx.add(op, body, step.label)
                last = index == len(chunks) - 1
                if last:
                    tx.add("Delete", {"TableName": self.guards, "Key": {"guardKey": dx.av(self.key)},
                                      "ConditionExpression": "intentId = :i",
                                      "ExpressionAttributeValues": {":i": dx.av(self.intent_id)}}, ("CONCURRENT", None))
                else:
                    tx.add("Update", {"TableName": self.guards, "Key": {"guardKey": dx.av(self.key)},
                                      "UpdateExpression": "SET done = :n",
                                      "ConditionExpression": "intentId = :i AND done = :d",
                                      "ExpressionAttributeValues": {":i": dx.av(self.intent_id), ":n": dx.av(index + 1),
                                                                    ":d": dx.av(index)}}, ("CONCURRENT", None))
                dx.run(tx)
                done = index + 1
                if not last and self.between_chunks is not None:
                    self.between_chunks(index)
        except (CommitConflict, DomainError):  # refused (or DynamoDB said no): roll back now
            _undo(undo[:done])
            _delete_keys(self.guards, _part_keys(self.key, self.intent_id, self._parts))
            delete_intent(self.guards, self.key, self.intent_id)
            raise
        _delete_keys(self.guards, _part_keys(self.key, self.intent_id, self._parts))
        if after is not None:
            after()

    def _begin(self, chunks: int, undo: list[list[dict[str, Any]]], summary: Mapping[str, Any]) -> None:
        blob = zlib.compress(json.dumps(undo, separators=(",", ":")).encode())
        parts = [blob[i:i + PART_BYTES] for i in range(0, len(blob), PART_BYTES)] or [b""]
        self._parts = len(parts)
        item = {"guardKey": self.key, "guardType": f"{self.kind}-intent", "ownerId": self.owner,
                "intentId": self.intent_id, "chunks": chunks, "done": 0, "parts": len(parts),
                "startedAt": datetime.now(UTC).isoformat(), "startedEpoch": int(time.time()), **summary}
        try:
            dx.client().put_item(TableName=self.guards, Item=serialize(item),
                                 ConditionExpression="attribute_not_exists(guardKey)")
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise CommitConflict("CONCURRENT") from exc
            raise
        for key, part in zip(_part_keys(self.key, self.intent_id, len(parts)), parts, strict=True):
            dx.client().put_item(TableName=self.guards, Item={"guardKey": dx.av(key), "guardType": dx.av("intent-part"),
                                                              "data": {"B": part}})


def _part_keys(key: str, intent_id: str, parts: int) -> list[str]:
    return [f"{key}#part#{intent_id}#{n}" for n in range(parts)]


def _delete_keys(guards: str, keys: Sequence[str]) -> None:
    for key in keys:
        dx.client().delete_item(TableName=guards, Key={"guardKey": dx.av(key)})


def delete_intent(guards: str, key: str, intent_id: str) -> None:
    """Delete the intent record (or marker) ``key`` if it is still the one of ``intent_id``."""
    try:
        dx.client().delete_item(TableName=guards, Key={"guardKey": dx.av(key)}, ConditionExpression="intentId = :i",
                                ExpressionAttributeValues={":i": dx.av(intent_id)})
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def _apply_one(op: dict[str, Any]) -> None:
    name, body = next(iter(op.items()))
    try:
        getattr(dx.client(), _METHODS[name])(**body)
    except ClientError as exc:  # already undone, or never applied: nothing to take back
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def _undo(chunks: Sequence[Sequence[dict[str, Any]]]) -> None:
    """The undo writes of the applied chunks, newest chunk first (one chunk's writes touch distinct
    items, so they go in parallel)."""
    with ThreadPoolExecutor(max_workers=UNDO_PARALLELISM) as pool:
        for chunk in reversed(chunks):
            list(pool.map(_apply_one, chunk))


def _roll_back(guards: str, found: Mapping[str, Any]) -> None:
    key, intent_id, parts = str(found["guardKey"]), str(found["intentId"]), int(found.get("parts") or 0)
    done = int(found.get("done") or 0)
    part_keys = _part_keys(key, intent_id, parts)
    if done:
        stored = dx.batch_get(guards, "guardKey", part_keys)
        blob = b"".join(_bytes(stored[k]["data"]) for k in part_keys)
        _undo(json.loads(zlib.decompress(blob))[:done])
    _delete_keys(guards, part_keys)
    delete_intent(guards, key, intent_id)


def _bytes(value: Any) -> bytes:
    return bytes(value.value) if isinstance(value, Binary) else bytes(value)


def recover(guards_table: str, kind: str, owner: str, *, stale_seconds: float | None = None) -> str:
    """Finish an unfinished saga of ``owner`` (or the saga that marked it): ``NONE`` (there is
    none), ``RUNNING`` (one is under way, younger than ``stale_seconds``) or ``ROLLED_BACK``."""
    found = dx.get_item(guards_table, "guardKey", intent_key(kind, owner))
    if found is None:
        return "NONE"
    if found.get("parent"):
        parent = dx.get_item(guards_table, "guardKey", str(found["parent"]))
        if parent is None or parent.get("intentId") != found.get("intentId"):  # its saga has ended
            delete_intent(guards_table, intent_key(kind, owner), str(found["intentId"]))
            return "NONE"
        found = parent
    limit = STALE_SECONDS if stale_seconds is None else stale_seconds
    if time.time() - float(found.get("startedEpoch") or 0) < limit:
        return "RUNNING"
    _roll_back(guards_table, found)
    return "ROLLED_BACK"
