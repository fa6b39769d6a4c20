"""The local stack's item sizes (drs_local/moto_speed.py) are moto's: the same size for any value,
and an item over moto's 400 KB limit refused whether it is put whole or grown by an update."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st
from moto.dynamodb.models.dynamo_type import DynamoType

_text = st.text(max_size=12)
_number = st.integers(-10**6, 10**6).map(str) | st.decimals(-1000, 1000, places=3, allow_nan=False).map(str)
_scalars = (st.builds(lambda v: {"S": v}, _text) | st.builds(lambda v: {"N": v}, _number)
            | st.builds(lambda v: {"BOOL": v}, st.booleans()) | st.just({"NULL": True})
            | st.builds(lambda v: {"B": v}, st.binary(max_size=8))
            | st.builds(lambda v: {"SS": v}, st.lists(_text, min_size=1, max_size=4, unique=True))
            | st.builds(lambda v: {"NS": v}, st.lists(_number, min_size=1, max_size=4, unique=True)))
_values = st.recursive(_scalars, lambda inner: st.builds(lambda v: {"L": v}, st.lists(inner, max_size=4))
                       | st.builds(lambda v: {"M": v}, st.dictionaries(_text, inner, max_size=4)), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(value=_values)
def test_a_value_measures_what_moto_measured(stack: Any, value: dict[str, Any]) -> None:  # the stack patched moto
    typed = DynamoType(value)
    assert typed.size() == DynamoType.unpatched_size(typed)  # type: ignore[attr-defined]


TABLE = "local-moto-sizes"


@pytest.fixture(scope="module")
def ddb(stack: Any) -> Any:
    client = stack.client("dynamodb")
    client.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    yield client
    client.delete_table(TableName=TABLE)


def _blob(kb: int) -> dict[str, Any]:
    return {"S": "x" * (kb * 1000)}


def test_an_item_under_the_limit_is_stored_and_one_over_it_is_refused(ddb: Any) -> None:
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "small"}, "a": _blob(200), "b": _blob(200)})
    with pytest.raises(ClientError, match="Item size has exceeded the maximum allowed size"):
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": "big"}, "a": _blob(200), "b": _blob(200), "c": _blob(10)})
    assert "Item" not in ddb.get_item(TableName=TABLE, Key={"pk": {"S": "big"}})


def test_an_update_that_grows_an_item_past_the_limit_is_refused(ddb: Any) -> None:
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "p"}, "a": _blob(300)})
    ddb.update_item(TableName=TABLE, Key={"pk": {"S": "p"}}, UpdateExpression="SET b = :b",
                    ExpressionAttributeValues={":b": _blob(100)})
    with pytest.raises(ClientError, match="Item size to update has exceeded the maximum allowed size"):
        ddb.update_item(TableName=TABLE, Key={"pk": {"S": "p"}}, UpdateExpression="SET c = :c",
                        ExpressionAttributeValues={":c": _blob(10)})
