"""The local stack's DynamoDB requests (drs_local/moto_speed.py, patch 13) are read as moto read
them: for any item, key condition and update the SDK sends, ``json.loads`` of the request gives the
parameters moto's parser built, and a request with a binary value still goes through moto's parser
(its bytes are bytes), as does a body that is not JSON."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.serialize import create_serializer
from hypothesis import given, settings
from hypothesis import strategies as st
from moto.core.parse import PROTOCOL_PARSERS
from moto.core.request import Request
from moto.core.utils import get_service_model
from moto.dynamodb.responses import DynamoHandler

pytestmark = pytest.mark.integration

_text = st.text(max_size=8)
_scalars = (st.builds(lambda v: {"S": v}, _text) | st.builds(lambda v: {"N": str(v)}, st.integers(-999, 999))
            | st.builds(lambda v: {"BOOL": v}, st.booleans()) | st.just({"NULL": True})
            | st.builds(lambda v: {"SS": v}, st.lists(_text, min_size=1, max_size=3, unique=True)))
_values = st.recursive(_scalars, lambda inner: st.builds(lambda v: {"L": v}, st.lists(inner, max_size=3))
                       | st.builds(lambda v: {"M": v}, st.dictionaries(_text, inner, max_size=3)), max_leaves=10)
_items = st.dictionaries(st.text(min_size=1, max_size=6), _values, max_size=5)


def _requests(item: dict[str, Any], value: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    key = {"pk": {"S": "p"}, "sk": {"S": "s"}}
    return [
        ("PutItem", {"TableName": "t", "Item": {**item, **key}, "ConditionExpression": "attribute_not_exists(pk)"}),
        ("UpdateItem", {"TableName": "t", "Key": key, "UpdateExpression": "SET #a = :v",
                        "ExpressionAttributeNames": {"#a": "a"}, "ExpressionAttributeValues": {":v": value},
                        "ReturnValues": "ALL_NEW"}),
        ("Query", {"TableName": "t", "KeyConditionExpression": "pk = :p", "Limit": 10, "ConsistentRead": True,
                   "ExpressionAttributeValues": {":p": {"S": "p"}}, "ExclusiveStartKey": key}),
        ("BatchWriteItem", {"RequestItems": {"t": [{"PutRequest": {"Item": {**item, **key}}},
                                                   {"DeleteRequest": {"Key": key}}]}}),
        ("TransactWriteItems", {"TransactItems": [{"Put": {"TableName": "t", "Item": {**item, **key}}},
                                                  {"ConditionCheck": {"TableName": "t", "Key": key,
                                                                      "ConditionExpression": "attribute_exists(pk)"}}]}),
    ]


def _handled(operation: str, body: bytes) -> dict[str, Any]:
    """The parameters the local stack's DynamoDB handler reads from ``body``."""
    request = Request.from_primitives("POST", "http://localhost/", {
        "X-Amz-Target": f"DynamoDB_20120810.{operation}", "Content-Type": "application/x-amz-json-1.0",
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20261130/us-east-1/dynamodb/aws4_request"}, body)
    handler = DynamoHandler()
    handler.setup_class(request, "http://localhost/", request.headers)
    return handler.params  # type: ignore[no-any-return]


def _parsed(operation: str, body: bytes) -> dict[str, Any]:
    """The parameters moto's own parser builds from ``body``."""
    return PROTOCOL_PARSERS["json"](get_service_model("dynamodb").operation_model(operation), map_type=dict).parse(
        {"method": "POST", "values": {}, "headers": {}, "body": body, "url_path": "/", "url_params": {}})


@settings(max_examples=200, deadline=None)
@given(item=_items, value=_values)
def test_a_request_reads_as_moto_parsed_it(stack: Any, item: dict[str, Any], value: dict[str, Any]) -> None:
    serializer = create_serializer("json")
    for operation, params in _requests(item, value):
        body = serializer.serialize_to_request(params, get_service_model("dynamodb").operation_model(operation))["body"]
        assert _handled(operation, body) == _parsed(operation, body), operation


def test_a_binary_value_goes_through_moto_parser(stack: Any) -> None:
    body = json.dumps({"TableName": "t", "Item": {"pk": {"S": "p"}, "blob": {"B": base64.b64encode(b"\x00d").decode()},
                                                  "blobs": {"BS": [base64.b64encode(b"a").decode()]}}}).encode()
    params = _handled("PutItem", body)
    assert params == _parsed("PutItem", body)
    assert params["Item"]["blob"] == {"B": b"\x00d"}


def test_a_body_that_is_not_json_goes_through_moto_parser(stack: Any) -> None:
    body = b'{"TableName": "t", "Key": '
    assert _handled("GetItem", body) == _parsed("GetItem", body)
