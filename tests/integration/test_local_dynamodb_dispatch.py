"""The DynamoDB process's application (drs_local/dynamodb_process.py ``DynamoDbApp``) hands DynamoDB
requests to moto's handler without moto's host dispatch and Flask: every answer, a refusal too, is
the one moto's server application gives."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.test import Client

from drs_local import moto_patches
from drs_local.dynamodb_process import DynamoDbApp

TABLE = "dispatch-compared"
AUTH = ("AWS4-HMAC-SHA256 Credential=testing/20261130/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host;x-amz-date;x-amz-target, Signature=0")


def _call(app: Any, target: str, body: dict[str, Any]) -> tuple[int, str | None, dict[str, Any]]:
    response = Client(app).post("/", data=json.dumps(body), headers={
        "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0", "Authorization": AUTH,
        "Host": "127.0.0.1"})
    return response.status_code, response.headers.get("Content-Type"), json.loads(response.get_data() or b"{}")


@pytest.fixture(scope="module")
def apps() -> Any:
    moto_patches.apply()
    ours, moto_server = DynamoDbApp(), DomainDispatcherApplication(create_backend_app)
    _call(ours, "DynamoDB_20120810.CreateTable", {
        "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})
    _call(ours, "DynamoDB_20120810.PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "a"}, "n": {"N": "1"}}})
    yield ours, moto_server
    _call(ours, "DynamoDB_20120810.DeleteTable", {"TableName": TABLE})


REQUESTS = [
    ("DynamoDB_20120810.GetItem", {"TableName": TABLE, "Key": {"pk": {"S": "a"}}}),
    ("DynamoDB_20120810.GetItem", {"TableName": "no-such-table", "Key": {"pk": {"S": "a"}}}),
    ("DynamoDB_20120810.PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "a"}},
                                   "ConditionExpression": "attribute_not_exists(pk)"}),
    ("DynamoDB_20120810.UpdateItem", {"TableName": TABLE, "Key": {"pk": {"S": "a"}},
                                      "UpdateExpression": "SET n = n +", "ReturnValues": "ALL_NEW"}),
    ("DynamoDB_20120810.Query", {"TableName": TABLE, "KeyConditionExpression": "pk = :p",
                                 "ExpressionAttributeValues": {":p": {"S": "a"}}}),
]


@pytest.mark.parametrize(("target", "body"), REQUESTS, ids=[f"{t.split('.')[1]}-{i}" for i, (t, _) in enumerate(REQUESTS)])
def test_an_answer_is_moto_s_server_answer(apps: Any, target: str, body: dict[str, Any]) -> None:
    ours, moto_server = apps
    assert _call(ours, target, body) == _call(moto_server, target, body)


def test_a_request_for_another_service_goes_through_moto_s_server(apps: Any) -> None:
    ours, moto_server = apps
    body = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Host": "127.0.0.1",
               "Authorization": AUTH.replace("/dynamodb/", "/sts/")}
    answers = [Client(app).post("/", data=body, headers=headers) for app in (ours, moto_server)]
    assert answers[0].status_code == answers[1].status_code == 200
    assert b"GetCallerIdentityResponse" in answers[0].get_data()
