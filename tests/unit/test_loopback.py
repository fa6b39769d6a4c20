"""The local stack's loopback hands a botocore request to the routed WSGI application unchanged (method,
raw path, query, headers, body) in the calling thread, returns its answer as botocore's response, and
leaves every other address to the network."""

from __future__ import annotations

import threading
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from drs_local import loopback

URL = "http://127.0.0.1:1"  # nothing listens on port 1: only the loopback can answer


def _client(service: str, url: str = URL) -> Any:
    return boto3.client(service, region_name="us-east-1", endpoint_url=url, aws_access_key_id="k",
                        aws_secret_access_key="s",
                        config=Config(retries={"total_max_attempts": 1}, connect_timeout=1))


class _Recorder:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.answer = (status, headers, body)
        self.seen: list[dict[str, Any]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        size = int(environ.get("CONTENT_LENGTH") or 0)
        self.seen.append({**environ, "body": environ["wsgi.input"].read(size),
                          "thread": threading.current_thread().name})
        status, headers, body = self.answer
        start_response(status, headers)
        return [body]


@pytest.fixture
def routed() -> Any:
    def route(app: Any, url: str = URL) -> Any:
        loopback.route(url, app)
        routes.append(url)
        return app

    routes: list[str] = []
    yield route
    for url in routes:
        loopback.unroute(url)


def test_a_routed_request_reaches_the_app_as_sent_and_its_answer_is_parsed(routed: Any) -> None:
    app = routed(_Recorder("200 OK", [("Content-Type", "application/x-amz-json-1.0")],
                           b'{"Item": {"id": {"S": "a"}, "n": {"N": "7"}}}'))
    out = _client("dynamodb").get_item(TableName="t", Key={"id": {"S": "a"}})
    assert out["Item"] == {"id": {"S": "a"}, "n": {"N": "7"}}
    seen = app.seen[0]
    assert seen["REQUEST_METHOD"] == "POST" and seen["PATH_INFO"] == "/"
    assert seen["HTTP_X_AMZ_TARGET"] == "DynamoDB_20120810.GetItem"
    assert seen["HTTP_AUTHORIZATION"].startswith("AWS4-HMAC-SHA256 Credential=k/")
    assert seen["HTTP_HOST"] == "127.0.0.1:1"
    assert b'"TableName": "t"' in seen["body"] and int(seen["CONTENT_LENGTH"]) == len(seen["body"])
    assert seen["thread"] == threading.current_thread().name  # no server thread in between


def test_an_encoded_path_and_query_arrive_as_a_server_would_pass_them(routed: Any) -> None:
    app = routed(_Recorder("200 OK", [("Content-Type", "binary/octet-stream")], b"the object"))
    out = _client("s3").get_object(Bucket="b", Key="a dir/ünïcode+key", VersionId="v 1")
    assert out["Body"].read() == b"the object"  # a streaming body reads as from a socket
    seen = app.seen[0]
    assert seen["PATH_INFO"].encode("latin-1").decode() == "/b/a dir/ünïcode+key"  # WSGI's latin-1 PATH_INFO
    assert seen["RAW_URI"].startswith("/b/a%20dir/%C3%BCn%C3%AFcode%2Bkey?")
    assert "versionId=v%201" in seen["QUERY_STRING"]


def test_an_error_answer_is_the_service_error(routed: Any) -> None:
    routed(_Recorder("400 Bad Request", [("Content-Type", "application/x-amz-json-1.0")],
                     b'{"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",'
                     b' "message": "The conditional request failed"}'))
    with pytest.raises(ClientError) as caught:
        _client("dynamodb").put_item(TableName="t", Item={"id": {"S": "a"}})
    assert caught.value.response["Error"]["Code"] == "ConditionalCheckFailedException"


def test_an_address_not_routed_goes_to_the_network() -> None:
    with pytest.raises(EndpointConnectionError):
        _client("dynamodb", "http://127.0.0.1:2").list_tables()
    loopback.route("http://127.0.0.1:2", _Recorder("200 OK", [], b"{}"))
    loopback.unroute("http://127.0.0.1:2")
    with pytest.raises(EndpointConnectionError):  # unrouted again
        _client("dynamodb", "http://127.0.0.1:2").list_tables()
