"""The local stack's DynamoDB runs in a process of its own (drs_local/dynamodb_process.py): the
template's tables are there, as the template defines them, none is left in the stack's own moto, and
the process does not outlive the stack, even one that is killed. It keeps connections open between
requests, and reads each request to its end before the next."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from drs_local.dynamodb_process import DynamoDbProcess
from drs_local.template import TEMPLATE, load_template


def _template_tables() -> dict[str, dict[str, Any]]:
    """Table name on the local stack -> the template's properties of that table."""
    template = load_template(TEMPLATE)
    project = template["Parameters"]["ProjectName"]["Default"]
    return {v["Properties"]["TableName"]["Fn::Sub"].replace("${ProjectName}", project)
            .replace("${Environment}", "local"): v["Properties"]
            for v in template["Resources"].values() if v["Type"] == "AWS::DynamoDB::Table"}


def test_the_template_s_tables_are_served_by_the_dynamodb_process(stack: Any) -> None:
    served = stack.client("dynamodb")
    template = _template_tables()
    assert set(template) <= set(served.list_tables()["TableNames"])
    for name, props in template.items():
        table = served.describe_table(TableName=name)["Table"]
        assert table["KeySchema"] == props["KeySchema"]
        assert sorted(i["IndexName"] for i in table.get("GlobalSecondaryIndexes") or []) == sorted(
            i["IndexName"] for i in props.get("GlobalSecondaryIndexes") or [])
        ttl = served.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if props.get("TimeToLiveSpecification"):
            assert ttl["AttributeName"] == props["TimeToLiveSpecification"]["AttributeName"]
            assert ttl["TimeToLiveStatus"] == "ENABLED"
    # the stack's own moto keeps none: a client sent there by mistake fails instead of reading nothing
    assert stack.client("dynamodb", endpoint_url=stack.moto_url).list_tables()["TableNames"] == []


_PARENT = """
import sys, time
from drs_local.dynamodb_process import DynamoDbProcess
child = DynamoDbProcess.start()
print(child.process.pid, child.url, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie has exited; its parent (gone) did not reap it
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_dynamodb_process_ends_when_the_stack_s_process_is_killed() -> None:
    parent = subprocess.Popen([sys.executable, "-c", _PARENT], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        pid, url = parent.stdout.readline().split()
        assert _alive(int(pid))
        parent.send_signal(signal.SIGKILL)  # no stop(), no atexit: only its standard input closes
        parent.wait(timeout=30)
        deadline = time.monotonic() + 30
        while _alive(int(pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(int(pid)), f"the DynamoDB process {pid} ({url}) outlived the stack"
    finally:
        if parent.poll() is None:
            parent.kill()


_AUTH = "AWS4-HMAC-SHA256 Credential=x/20261130/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x"


def _request(target: str, body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    data = json.dumps(body).encode()
    return data, {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"DynamoDB_20120810.{target}",
                  "Authorization": _AUTH, "Content-Length": str(len(data))}


def _raw(target: str, body: dict[str, Any]) -> bytes:
    data, headers = _request(target, body)
    return ("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            + "\r\n").encode() + data


def _read_answer(stream: Any) -> tuple[int, bytes]:
    status = int(stream.readline().split()[1])
    headers = dict(line.decode().split(":", 1) for line in iter(stream.readline, b"\r\n"))
    return status, stream.read(int(headers["Content-Length"]))


@pytest.fixture(scope="module")
def child() -> Iterator[DynamoDbProcess]:
    started = DynamoDbProcess.start()
    yield started
    started.stop()


def test_connections_stay_open_between_requests(child: DynamoDbProcess) -> None:
    host, port = child.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    table = f"keep-{uuid.uuid4().hex[:8]}"
    data, headers = _request("CreateTable", {
        "TableName": table, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})
    connection.request("POST", "/", data, headers)
    answer = connection.getresponse()
    assert answer.status == 200, answer.read()
    answer.read()
    opened = connection.sock
    for _ in range(3):
        connection.request("POST", "/", *_request("ListTables", {}))
        answer = connection.getresponse()
        assert answer.status == 200 and table in json.loads(answer.read())["TableNames"]
        assert answer.getheader("Connection") != "close" and connection.sock is opened
    # an error answer keeps the connection too
    connection.request("POST", "/", *_request("DescribeTable", {"TableName": "no-such-table"}))
    answer = connection.getresponse()
    assert answer.status == 400 and b"ResourceNotFoundException" in answer.read()
    assert connection.sock is opened
    connection.close()


def test_requests_sent_back_to_back_are_answered_in_order(child: DynamoDbProcess) -> None:
    """Each request's body is read to its end before the next request line: a body left unread
    would be taken for the next request."""
    host, port = child.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(_raw("DescribeTable", {"TableName": "first-missing"})
                     + _raw("DescribeTable", {"TableName": "second-missing"}) + _raw("ListTables", {}))
        stream = sock.makefile("rb")
        answers = [_read_answer(stream) for _ in range(3)]
    assert answers[0][0] == 400 and b"first-missing" in answers[0][1]
    assert answers[1][0] == 400 and b"second-missing" in answers[1][1]
    assert answers[2][0] == 200 and "TableNames" in json.loads(answers[2][1])


def test_a_chunked_request_is_refused_and_its_connection_closed(child: DynamoDbProcess) -> None:
    host, port = child.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                     b"X-Amz-Target: DynamoDB_20120810.ListTables\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        assert answer.status == 411
        answer.read()
        assert sock.recv(1) == b""  # closed by the server
