"""DynamoDB helpers shared by the repositories (boto3 resource layer, Decimal-safe)."""

from __future__ import annotations

import queue
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from functools import cache
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from drs_orch.adapters.aws import DEFAULT_CONFIG, session

_ser = TypeSerializer()
_de = TypeDeserializer()


def table(name: str) -> Any:
    """The ``name`` table's resource, safe to share between threads (:class:`_PooledTable`)."""
    return _PooledTable(name)


class _PooledTable:
    """A boto3 Table resource that threads may share. A resource is not thread-safe: its client's
    condition-expression builder is one object, reset at each call, so two threads building
    ``Key(...)``/``Attr(...)`` conditions at once can swap placeholders (DynamoDB then refuses the
    query: "Query condition missed key schema element"). Each call takes a resource of its own
    from a pool (one is made when none is free) and gives it back after; a batch writer keeps its
    resource until its ``with`` block ends. Attributes that are not calls (``name``, ``meta``) are
    read from the first resource."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._first = self._make()
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._idle.put(self._first)

    def _make(self) -> Any:
        return session().resource("dynamodb", config=DEFAULT_CONFIG).Table(self._name)

    def _take(self) -> Any:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return self._make()

    def __getattr__(self, attribute: str) -> Any:
        value = getattr(self._first, attribute)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            resource = self._take()
            try:
                return getattr(resource, attribute)(*args, **kwargs)
            finally:
                self._idle.put(resource)

        return call

    @contextmanager
    def batch_writer(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        resource = self._take()
        try:
            with resource.batch_writer(*args, **kwargs) as batch:
                yield batch
        finally:
            self._idle.put(resource)


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
