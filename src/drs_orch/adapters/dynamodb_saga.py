"""Writes that need more than one DynamoDB transaction (a protection group of more than 97 new
servers): a small saga with an intent record (issue 15).

1. The intent record (``GuardsTable``, ``guardKey = <kind>-intent#<owner>``) is written first,
   conditional on none existing: it names the owner, its ``intentId`` and every guard key the saga
   claims. Every guard the saga claims carries ``claimToken = intentId``.
2. The claims are applied in chunks of :data:`CHUNK` guards, one transaction each, in sorted order.
3. The last transaction writes the owner item itself (conditional on the version read), the last
   claims and deletes the intent record (conditional on its ``intentId``): the new owner item and
   the end of the saga are one atomic step.
4. The guards the owner gives up are released after that (what fails there stays a stale guard,
   purged by the next claim as before).

A refusal in 2 or 3 rolls back: the guards claimed with the intent's token are released and the
intent is deleted. A crash (the Lambda ended between chunks) leaves the intent record: whoever
next writes the owner, or reads it through :func:`recover`, finds it unfinished once it is older
than :data:`STALE_SECONDS` and rolls it back the same way (the owner item was not written, since that
happens only with the intent's deletion). So after recovery the owner is either the old or the new
one, never a mix, and a guard (one owner per server) is never held by two owners.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from drs_orch.adapters import dynamodb_tx as dx
from drs_orch.adapters.dynamodb import serialize
from drs_orch.domain.data_rules import MAX_TRANSACTION_ITEMS
from drs_orch.services.data_ports import CommitConflict, GuardRef

CHUNK = MAX_TRANSACTION_ITEMS
STALE_SECONDS = 300.0  # longer than the data-management Lambda may run


def intent_key(kind: str, owner: str) -> str:
    return f"{kind}-intent#{owner}"


class Saga:
    """One multi-transaction write of ``owner`` (``owner_attr`` names it on guard items)."""

    def __init__(self, guards_table: str, kind: str, owner_attr: str, owner: str, *,
                 between_chunks: Callable[[int], None] | None = None) -> None:
        self.guards = guards_table
        self.kind = kind
        self.owner_attr = owner_attr
        self.owner = owner
        self.intent_id = uuid.uuid4().hex
        self.between_chunks = between_chunks  # tests: raise here to stand for a crash between chunks

    # ------------------------------------------------------------------ the write
    def run(self, claims: Sequence[tuple[str, tuple[str, str | None], dict[str, Any]]],
            final: Callable[[dx.Transaction], None]) -> None:
        """Claim ``claims`` (guard key, conflict label, extra guard attributes), then commit the
        transaction that ``final`` fills (the owner item), with the last claims and the intent's end."""
        ordered = sorted(claims, key=lambda c: c[0])
        self._begin([key for key, _, _ in ordered])
        last_tx = dx.Transaction()
        final(last_tx)
        room = MAX_TRANSACTION_ITEMS - len(last_tx) - 1
        head, tail = ordered[:max(0, len(ordered) - room)], ordered[max(0, len(ordered) - room):]
        try:
            for index in range(0, len(head), CHUNK):
                tx = dx.Transaction()
                for key, label, extra in head[index:index + CHUNK]:
                    self._claim(tx, key, label, extra)
                dx.run(tx)
                if self.between_chunks is not None:
                    self.between_chunks(index // CHUNK)
            for key, label, extra in tail:
                self._claim(last_tx, key, label, extra)
            last_tx.add("Delete", {"TableName": self.guards, "Key": {"guardKey": dx.av(self._key())},
                                   "ConditionExpression": "intentId = :i",
                                   "ExpressionAttributeValues": {":i": dx.av(self.intent_id)}}, ("CONCURRENT", None))
            dx.run(last_tx)
        except CommitConflict:
            self.roll_back(self.intent_id, [key for key, _, _ in ordered])
            raise

    def _key(self) -> str:
        return intent_key(self.kind, self.owner)

    def _begin(self, keys: list[str]) -> None:
        item = {"guardKey": self._key(), "guardType": f"{self.kind}-intent", "ownerId": self.owner,
                self.owner_attr: self.owner, "intentId": self.intent_id, "claims": keys,
                "startedAt": datetime.now(UTC).isoformat(), "startedEpoch": int(time.time())}
        try:
            dx.client().put_item(TableName=self.guards, Item=serialize(item),
                                 ConditionExpression="attribute_not_exists(guardKey)")
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise CommitConflict("CONCURRENT") from exc
            raise

    def _claim(self, tx: dx.Transaction, key: str, label: tuple[str, str | None], extra: dict[str, Any]) -> None:
        item = {"guardKey": key, self.owner_attr: self.owner, "ownerId": self.owner, "claimToken": self.intent_id,
                **extra}
        tx.add("Put", {"TableName": self.guards, "Item": serialize(item),
                       "ConditionExpression": "attribute_not_exists(guardKey)"}, label)

    # ------------------------------------------------------------------ roll back / recover
    def roll_back(self, intent_id: str, keys: Sequence[str]) -> None:
        """Release what the saga ``intent_id`` claimed (only guards still carrying its token), then
        end the intent."""
        dx.release_later(self.guards, [GuardRef(key=k, owner=self.owner, token=intent_id) for k in keys])
        try:
            dx.client().delete_item(TableName=self.guards, Key={"guardKey": dx.av(self._key())},
                                    ConditionExpression="intentId = :i",
                                    ExpressionAttributeValues={":i": dx.av(intent_id)})
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise


def recover(guards_table: str, kind: str, owner_attr: str, owner: str, *,
            stale_seconds: float | None = None) -> str:
    """Finish an unfinished saga of ``owner``: ``NONE`` (there is none), ``RUNNING`` (one is under way,
    younger than ``stale_seconds``) or ``ROLLED_BACK``."""
    found = dx.get_item(guards_table, "guardKey", intent_key(kind, owner))
    if found is None:
        return "NONE"
    limit = STALE_SECONDS if stale_seconds is None else stale_seconds
    if time.time() - float(found.get("startedEpoch") or 0) < limit:
        return "RUNNING"
    saga = Saga(guards_table, kind, owner_attr, owner)
    saga.roll_back(str(found["intentId"]), [str(k) for k in found.get("claims") or []])
    return "ROLLED_BACK"
