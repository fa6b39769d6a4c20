"""DynamoDB helpers shared by the repositories (boto3 resource layer, Decimal-safe)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from drs_orch.adapters.aws import DEFAULT_CONFIG

_ser = TypeSerializer()
_de = TypeDeserializer()


def table(name: str) -> Any:
    return boto3.session.Session().resource("dynamodb", config=DEFAULT_CONFIG).Table(name)


def low_level() -> Any:
    return boto3.session.Session().client("dynamodb", config=DEFAULT_CONFIG)


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
