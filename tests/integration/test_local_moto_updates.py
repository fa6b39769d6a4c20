"""The local stack's UpdateItem (drs_local/moto_speed.py, patch 9) skips the item copies that an
update does not read, and answers as moto answered: every ``ReturnValues`` gets the old or new
attributes it names, however the update changes the item (sets grown in place, maps replaced,
attributes removed), and a table with a stream still records the item as it was before."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.integration

BEFORE = {"pk": {"S": "p"}, "tags": {"SS": ["a", "b"]}, "servers": {"M": {"s-1": {"S": "LAUNCHING"}}},
          "count": {"N": "1"}, "gone": {"S": "x"}, "same": {"S": "kept"}}
UPDATE = {"UpdateExpression": "ADD tags :t, #c :one SET servers = :s REMOVE gone",
          "ExpressionAttributeNames": {"#c": "count"},
          "ExpressionAttributeValues": {":t": {"SS": ["c"]}, ":one": {"N": "1"},
                                        ":s": {"M": {"s-1": {"S": "LAUNCHED"}}}}}
AFTER = {"pk": {"S": "p"}, "tags": {"SS": ["a", "b", "c"]}, "servers": {"M": {"s-1": {"S": "LAUNCHED"}}},
         "count": {"N": "2"}, "same": {"S": "kept"}}


def _sets_sorted(attributes: dict[str, Any]) -> dict[str, Any]:
    return {k: {"SS": sorted(v["SS"])} if "SS" in v else v for k, v in attributes.items()}


@pytest.fixture()
def table(stack: Any) -> Any:
    client = stack.client("dynamodb")
    name = f"local-moto-updates-{uuid.uuid4().hex[:8]}"
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    yield client, name
    client.delete_table(TableName=name)


@pytest.mark.parametrize("returns, expected", [
    ("NONE", None),
    ("ALL_NEW", AFTER),
    ("ALL_OLD", BEFORE),
    ("UPDATED_OLD", {k: BEFORE[k] for k in ("tags", "servers", "count", "gone")}),
    ("UPDATED_NEW", {k: AFTER[k] for k in ("tags", "servers", "count")}),
])
def test_each_return_value_answers_what_the_update_changed(table: Any, returns: str,
                                                           expected: dict[str, Any] | None) -> None:
    client, name = table
    client.put_item(TableName=name, Item=BEFORE)
    answer = client.update_item(TableName=name, Key={"pk": {"S": "p"}}, ReturnValues=returns, **UPDATE)
    if expected is None:
        assert "Attributes" not in answer
    else:
        assert _sets_sorted(answer["Attributes"]) == _sets_sorted(expected)
    stored = client.get_item(TableName=name, Key={"pk": {"S": "p"}}, ConsistentRead=True)["Item"]
    assert _sets_sorted(stored) == _sets_sorted(AFTER)


def test_a_table_with_a_stream_still_records_the_old_image(stack: Any, table: Any) -> None:
    client, name = table
    client.put_item(TableName=name, Item=BEFORE)
    client.update_item(TableName=name, Key={"pk": {"S": "p"}}, **UPDATE)
    streams = stack.client("dynamodbstreams")
    arn = client.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    modify = [r["dynamodb"] for r in records if r["eventName"] == "MODIFY"]
    assert len(modify) == 1
    assert _sets_sorted(modify[0]["OldImage"]) == _sets_sorted(BEFORE)
    assert _sets_sorted(modify[0]["NewImage"]) == _sets_sorted(AFTER)


def _shape(node: Any) -> Any:
    """A parsed expression's structure: node types and leaf values, depth first."""
    children = getattr(node, "children", None)
    if children is None:
        return node if isinstance(node, str | int | float | type(None)) else repr(node)
    return type(node).__name__, tuple(_shape(c) for c in children)


def test_an_update_expression_is_parsed_once_and_its_tree_serves_every_request(table: Any) -> None:
    """Patch 16 (drs_local/moto_expressions.py): one tree per text, which no update changes; the
    same text with other names and values updates other attributes, and a text that does not parse
    is refused each time."""
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    text = "SET #a = :a ADD #n :one"
    tree = UpdateExpressionParser.make(text)
    assert UpdateExpressionParser.make(text) is tree
    before = _shape(tree)
    client, name = table
    for attribute, counter in (("first", "n1"), ("second", "n2"), ("first", "n1")):
        client.update_item(TableName=name, Key={"pk": {"S": "p"}}, UpdateExpression=text,
                           ExpressionAttributeNames={"#a": attribute, "#n": counter},
                           ExpressionAttributeValues={":a": {"S": attribute}, ":one": {"N": "1"}})
    stored = client.get_item(TableName=name, Key={"pk": {"S": "p"}}, ConsistentRead=True)["Item"]
    assert stored == {"pk": {"S": "p"}, "first": {"S": "first"}, "second": {"S": "second"},
                      "n1": {"N": "2"}, "n2": {"N": "1"}}
    assert _shape(UpdateExpressionParser.make(text)) == before == _shape(UpdateExpressionParser.unpatched_make(text))
    for _ in range(2):
        with pytest.raises(Exception):  # noqa: B017 - moto's own parse error
            UpdateExpressionParser.make("SET = :a")
