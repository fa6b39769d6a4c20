"""Low-level DynamoDB plumbing of the data-management repositories: transactions whose cancelled
conditions are reported by name, guard items, key-served pages with opaque tokens, batch gets.

Guard items (``GuardsTable``) carry the contract's owner attribute (``groupId`` / ``planId``) plus
``ownerId`` and ``claimToken``: every claim writes a fresh token, and releases and purges are
conditional on owner and token, so they can never remove a newer claim."""

from __future__ import annotations

import binascii
import functools
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError
from botocore.paginate import TokenDecoder

from drs_orch.adapters.dynamodb import batch_get_keys, deserialize, low_level, serialize, to_dynamo
from drs_orch.domain.data_rules import MAX_TRANSACTION_ITEMS
from drs_orch.domain.errors import DomainError, UpstreamError, ValidationFailed
from drs_orch.domain.paging import Page, decode_token, encode_token
from drs_orch.services.data_ports import CommitConflict, GuardRef

_ser = TypeSerializer()


@functools.cache
def client() -> Any:
    """One low-level client per process (boto3 clients are thread-safe; creating one is not cheap)."""
    return low_level()


def av(value: Any) -> dict[str, Any]:
    """One attribute value in the low-level wire format."""
    return dict(_ser.serialize(to_dynamo(value)))


def group_name_key(name_lower: str) -> str:
    return f"group-name#{name_lower}"


def plan_name_key(name_lower: str) -> str:
    return f"plan-name#{name_lower}"


def group_server_key(account_id: str, region: str, server_id: str) -> str:
    return f"group-server#{account_id}#{region}#{server_id}"


def group_plans_key(group_id: str) -> str:
    return f"group-plans#{group_id}"


@dataclass
class Transaction:
    """TransactWriteItems with a label ``(kind, key)`` per item, so that a cancellation says
    which condition failed."""

    items: list[dict[str, Any]] = field(default_factory=list)
    labels: list[tuple[str, str | None]] = field(default_factory=list)

    def add(self, op: str, body: dict[str, Any], label: tuple[str, str | None]) -> None:
        self.items.append({op: body})
        self.labels.append(label)

    def __len__(self) -> int:
        return len(self.items)

    def claim(self, table: str, key: str, owner_attr: str, owner: str, label: tuple[str, str | None],
              **extra: Any) -> None:
        item = {"guardKey": key, owner_attr: owner, "ownerId": owner, "claimToken": uuid.uuid4().hex, **extra}
        self.add("Put", {"TableName": table, "Item": serialize(item),
                         "ConditionExpression": "attribute_not_exists(guardKey)"}, label)

    def release(self, table: str, guard: GuardRef, label: tuple[str, str | None]) -> None:
        self.add("Delete", release_request(table, guard), label)


def release_request(table: str, guard: GuardRef) -> dict[str, Any]:
    return {
        "TableName": table,
        "Key": {"guardKey": av(guard.key)},
        "ConditionExpression": "ownerId = :owner AND claimToken = :token",
        "ExpressionAttributeValues": {":owner": av(guard.owner), ":token": av(guard.token)},
    }


def run(tx: Transaction) -> None:
    """Commit ``tx``; a cancelled condition raises :class:`CommitConflict` naming it."""
    if not tx.items:
        return
    if len(tx.items) > MAX_TRANSACTION_ITEMS:
        raise ValidationFailed(
            f"this change needs {len(tx.items)} writes in one transaction; at most {MAX_TRANSACTION_ITEMS} "
            "are possible - split it into smaller changes",
            code="CHANGE_TOO_LARGE",
        )
    try:
        client().transact_write_items(TransactItems=tx.items)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        reasons = exc.response.get("CancellationReasons") or []
        if is_item_too_large(exc) or any(r.get("Code") == "ValidationError" and "size" in str(r.get("Message", ""))
                                         for r in reasons):
            raise item_too_large() from exc
        if code == "TransactionCanceledException":
            for index, reason in enumerate(reasons):
                if reason.get("Code") == "ConditionalCheckFailed" and index < len(tx.labels):
                    kind, key = tx.labels[index]
                    raise CommitConflict(kind, key) from exc
            if any(r.get("Code") == "TransactionConflict" for r in reasons):
                raise CommitConflict("CONCURRENT") from exc
            raise CommitConflict("UNKNOWN") from exc
        raise UpstreamError(f"DynamoDB refused the write: {code}", code="DYNAMODB_ERROR") from exc


def is_item_too_large(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    return error.get("Code") == "ValidationException" and "size" in str(error.get("Message", "")).lower()


def item_too_large() -> ValidationFailed:
    """DynamoDB refused an item over 400 KB: the caller's data is too large, not a fault of ours."""
    return ValidationFailed("this change makes a stored item larger than DynamoDB's 400 KB item limit; store less "
                            "per item (e.g. shorter per-server overrides, or split the group)", code="ITEM_TOO_LARGE")


def release_later(table: str, guards: Iterable[GuardRef]) -> None:
    """Releases that did not fit into the transaction, 100 to a transaction (a 3,000-server group
    gives up 3,000 guards); a transaction that one condition cancels is done one release at a time.
    A failed release leaves a stale guard, which the next claim of that server or name recognises
    and purges."""
    pending = list(guards)
    for start in range(0, len(pending), MAX_TRANSACTION_ITEMS):
        chunk = pending[start:start + MAX_TRANSACTION_ITEMS]
        tx = Transaction()
        for guard in chunk:
            tx.release(table, guard, ("STALE", guard.key))
        try:
            run(tx)
            continue
        except (CommitConflict, DomainError):
            pass
        for guard in chunk:
            try:
                client().delete_item(**release_request(table, guard))
            except ClientError:
                continue


def split_releases(tx: Transaction, table: str, releases: list[GuardRef]) -> list[GuardRef]:
    """Add as many releases to ``tx`` as fit; return the rest for :func:`release_later`."""
    room = max(0, MAX_TRANSACTION_ITEMS - len(tx))
    for guard in releases[:room]:
        tx.release(table, guard, ("VERSION", None))
    return releases[room:]


def batch_get(table: str, key_name: str, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Items by a single-attribute key (missing keys are absent)."""
    unique = list(dict.fromkeys(keys))
    return {str(item[key_name]): item for item in batch_get_keys(table, [{key_name: k} for k in unique])}


def guard_refs(table: str, keys: Iterable[str]) -> dict[str, GuardRef]:
    found = batch_get(table, "guardKey", keys)
    return {
        key: GuardRef(key=key, owner=str(item.get("ownerId", "")), token=str(item.get("claimToken", "")))
        for key, item in found.items()
    }


def get_item(table: str, key_name: str, key: str) -> dict[str, Any] | None:
    raw = client().get_item(TableName=table, Key={key_name: av(key)}, ConsistentRead=True).get("Item")
    return deserialize(raw) if raw else None


def purge(guards_table: str, guard: GuardRef, owner_table: str, owner_key: str, owner_version: int | None) -> bool:
    """Delete a stale guard: its owner is gone (``owner_version`` None) or, at ``owner_version``,
    no longer holds what the guard protects. False when either changed meanwhile."""
    if owner_version is None:
        check = {"TableName": owner_table, "Key": {owner_key: av(guard.owner)},
                 "ConditionExpression": "attribute_not_exists(#k)", "ExpressionAttributeNames": {"#k": owner_key}}
    else:
        check = {"TableName": owner_table, "Key": {owner_key: av(guard.owner)},
                 "ConditionExpression": "version = :v", "ExpressionAttributeValues": {":v": av(owner_version)}}
    tx = Transaction()
    tx.release(guards_table, guard, ("STALE", guard.key))
    tx.add("ConditionCheck", check, ("STALE", guard.key))
    try:
        run(tx)
    except CommitConflict:
        return False
    return True


def set_fields(tx: Transaction, table: str, key: dict[str, Any], item: dict[str, Any], removable: Iterable[str],
               condition: str, values: dict[str, Any], label: tuple[str, str | None]) -> None:
    """Update ``key`` so that it holds ``item``'s attributes (others, e.g. written by other areas,
    stay), removing each ``removable`` attribute that ``item`` does not carry."""
    names: dict[str, str] = {}
    expr_values = {k: av(v) for k, v in values.items()}
    sets: list[str] = []
    for index, (name, value) in enumerate(sorted(item.items())):
        if name in key or value is None:
            continue
        names[f"#a{index}"] = name
        expr_values[f":a{index}"] = av(value)
        sets.append(f"#a{index} = :a{index}")
    removes: list[str] = []
    for index, name in enumerate(sorted(removable)):
        if item.get(name) is None:
            names[f"#r{index}"] = name
            removes.append(f"#r{index}")
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    tx.add("Update", {"TableName": table, "Key": {k: av(v) for k, v in key.items()},
                      "UpdateExpression": expression, "ConditionExpression": condition,
                      "ExpressionAttributeNames": names, "ExpressionAttributeValues": expr_values}, label)


def _query_params(table: str, index: str | None, key_condition: str, values: dict[str, Any],
                  names: dict[str, str] | None, filter_expression: str | None,
                  projection: str | None, forward: bool = True, consistent: bool = False) -> dict[str, Any]:
    params: dict[str, Any] = {"TableName": table, "KeyConditionExpression": key_condition,
                              "ExpressionAttributeValues": {k: av(v) for k, v in values.items()}}
    if not forward:
        params["ScanIndexForward"] = False
    if consistent:
        params["ConsistentRead"] = True
    optional = {"IndexName": index, "ExpressionAttributeNames": names, "FilterExpression": filter_expression,
                "ProjectionExpression": projection}
    params.update({k: v for k, v in optional.items() if v})
    return params


def page(table: str, *, index: str | None, key_condition: str, values: dict[str, Any], names: dict[str, str] | None,
         filter_expression: str | None, limit: int, token: str | None, forward: bool = True,
         bound_to: str | None = None, consistent: bool = False) -> Page:
    """One page of a Query served by a key or index, resumable with the opaque ``token``
    (``forward`` False: newest first). With a filter the paginator queries on until the page is
    full or the key ends (DynamoDB applies ``Limit`` before the filter). ``bound_to`` names the
    listing's filters: it is carried in the token, and a token of other filters is refused."""
    params = _query_params(table, index, key_condition, values, names, filter_expression, None, forward, consistent)
    config: dict[str, Any] = {"MaxItems": limit, "PageSize": 100 if filter_expression else limit}
    if token:  # ours (domain/paging.py), carrying the paginator's own resume state
        carried = decode_token(token, "paginator")
        if bound_to is not None and carried.get("f") != bound_to:
            raise ValidationFailed("nextToken belongs to a listing with other filters", code="INVALID_NEXT_TOKEN")
        state = carried.get("paginator")
        if not isinstance(state, str):
            raise ValidationFailed("nextToken is not a token this API issued", code="INVALID_NEXT_TOKEN")
        try:
            decoded = TokenDecoder().decode(state)
        except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
            raise ValidationFailed("nextToken is not a token this API issued", code="INVALID_NEXT_TOKEN") from None
        if not isinstance(decoded, dict):
            raise ValidationFailed("nextToken is not a token this API issued", code="INVALID_NEXT_TOKEN")
        config["StartingToken"] = state
    try:
        result = client().get_paginator("query").paginate(**params, PaginationConfig=config).build_full_result()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ValidationException" and token:
            raise ValidationFailed("nextToken does not belong to this listing", code="INVALID_NEXT_TOKEN") from exc
        raise
    except (ValueError, TypeError, KeyError):
        raise ValidationFailed("nextToken is not a token this API issued", code="INVALID_NEXT_TOKEN") from None
    items = [deserialize(raw) for raw in result.get("Items", [])]
    following = result.get("NextToken")
    carry = {"paginator": following} if bound_to is None else {"paginator": following, "f": bound_to}
    return Page(items=items, next_token=encode_token(carry) if following else None)


def query_all(table: str, *, index: str | None, key_condition: str, values: dict[str, Any],
              names: dict[str, str] | None = None, filter_expression: str | None = None,
              projection: str | None = None) -> Iterator[dict[str, Any]]:
    params = _query_params(table, index, key_condition, values, names, filter_expression, projection)
    for result in client().get_paginator("query").paginate(**params):
        for raw in result.get("Items", []):
            yield deserialize(raw)
