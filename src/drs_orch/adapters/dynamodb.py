"""DynamoDB helpers shared by the repositories (boto3 resource layer, Decimal-safe)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from functools import cache
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from drs_orch.adapters.aws import DEFAULT_CONFIG, session

_ser = TypeSerializer()
_de = TypeDeserializer()


def table(name: str) -> Any:
    return session().resource("dynamodb", config=DEFAULT_CONFIG).Table(name)


@cache
def low_level() -> Any:
    """One low-level client per process: boto3 clients are thread-safe, and creating one is not cheap."""
    return session().client("dynamodb", config=DEFAULT_CONFIG)


def batch_get_keys(table_name: str, keys: Iterable[Mapping[str, Any]],
                   attributes: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Consistent reads of items by full key, 100 keys per request, unprocessed keys retried; only
    ``attributes`` when named. Missing items are simply absent from the answer."""
    wanted = [serialize(dict(k)) for k in keys]
    found: list[dict[str, Any]] = []
    projection: dict[str, Any] = {}
    if attributes:
        names = {f"#a{i}": a for i, a in enumerate(attributes)}
        projection = {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}
    for start in range(0, len(wanted), 100):
        request: dict[str, Any] = {table_name: {"Keys": wanted[start:start + 100], "ConsistentRead": True,
                                                **projection}}
        while request:
            answer = low_level().batch_get_item(RequestItems=request)
            found += [deserialize(raw) for raw in answer.get("Responses", {}).get(table_name, [])]
            request = answer.get("UnprocessedKeys") or {}
    return found


def to_dynamo(value: Any) -> Any:
    """Python value -> what the resource layer accepts (floats become Decimals, None dropped)."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [to_dynamo(v) for v in value]
    return value


def from_dynamo(value: Any) -> Any:
    """DynamoDB value -> plain JSON-able Python (Decimals become int or float)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [from_dynamo(v) for v in value]
    return value


def serialize(item: dict[str, Any]) -> dict[str, Any]:
    """Plain item -> low-level attribute-value map (for transact_write_items)."""
    return {k: _ser.serialize(to_dynamo(v)) for k, v in item.items() if v is not None}


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    return {k: from_dynamo(_de.deserialize(v)) for k, v in item.items()}


class TargetAccountsTable:
    def __init__(self, name: str) -> None:
        self._table = table(name)

    def get(self, account_id: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key={"accountId": account_id}).get("Item")
        return from_dynamo(item) if item else None
