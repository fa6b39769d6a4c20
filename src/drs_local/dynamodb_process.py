"""The local stack's DynamoDB, served by moto in a process of its own.

In AWS, DynamoDB does its work on its own machines: a Lambda waits for an answer but spends none of
its CPU on the table. The local stack ran moto's DynamoDB in the one process that also runs every
function, the state machine and the DRS emulator, under one interpreter lock, and DynamoDB was the
largest share of that process's work: in ``bench/engine.py``, moving it out took that process's CPU
per 100-server wave from 1.49 to 1.05 s. Here it runs in a child process, reached as AWS is reached:
through the endpoint setting ``AWS_ENDPOINT_URL_DYNAMODB``, which boto3 prefers to
``AWS_ENDPOINT_URL`` for DynamoDB.

The child applies the same moto patches (:mod:`drs_local.moto_patches`: per-table locks, whole
answers, the speed-ups), serves over HTTP/1.1 with connections kept open (:class:`_KeepAlive`), and exits
when its standard input closes: when the stack stops it, or when the stack's process dies.

The tables are the template's: moto's CloudFormation creates them in the stack's own process, and
:func:`move_tables` recreates each in the child from its description (keys, indexes, billing, time to
live) and deletes the original, so a client that still reached the stack's moto for DynamoDB would
fail loudly (``ResourceNotFoundException``) instead of reading an empty table.
"""

from __future__ import annotations

import http.server
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from werkzeug.exceptions import HTTPException  # moto's errors are these
from werkzeug.wrappers import Response

from drs_local import loopback

READY_SECONDS = 60  # moto's import and the patches take a few seconds on a slow machine


@dataclass
class DynamoDbProcess:
    """The child process and, once it is ready, its address."""

    process: subprocess.Popen[bytes]
    url: str = ""

    @classmethod
    def launch(cls) -> DynamoDbProcess:
        """Start the child; :meth:`ready` waits for it."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        return cls(subprocess.Popen([sys.executable, "-m", "drs_local.dynamodb_process"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, env=env))

    @classmethod
    def start(cls) -> DynamoDbProcess:
        started = cls.launch()
        started.ready()
        return started

    def ready(self) -> str:
        """The child's URL, once it serves (it prints its port)."""
        if not self.url:
            line = _read_line(self.process, READY_SECONDS)
            if not line.startswith(b"port "):
                self.process.kill()
                raise RuntimeError(f"the local DynamoDB process did not start: {line!r}")
            self.url = f"http://127.0.0.1:{int(line.split()[1])}"
        return self.url

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        try:
            assert self.process.stdin is not None
            self.process.stdin.close()  # the child's signal to stop
            self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


def _read_line(process: subprocess.Popen[bytes], timeout: float) -> bytes:
    out: list[bytes] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: out.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    return out[0].strip() if out else b""


def move_tables(source: Any, target: Any, ttl: Mapping[str, str]) -> list[str]:
    """Recreate every table of ``source`` (a DynamoDB client) in ``target`` and delete it from
    ``source``; ``ttl`` names each table's time-to-live attribute (the template's
    ``TimeToLiveSpecification``, which moto's CloudFormation does not apply). The template's tables
    are on-demand; a provisioned one is refused rather than moved with made-up capacity. Returns the
    table names."""
    names = [n for page in source.get_paginator("list_tables").paginate() for n in page["TableNames"]]
    for name in names:
        table = source.describe_table(TableName=name)["Table"]
        billing = (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
        if billing != "PAY_PER_REQUEST":
            raise RuntimeError(f"table {name} is {billing}: the local stack moves on-demand tables only")
        request: dict[str, Any] = {"TableName": name, "BillingMode": billing, "KeySchema": table["KeySchema"],
                                   "AttributeDefinitions": table["AttributeDefinitions"]}
        for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if table.get(kind):
                request[kind] = [{k: index[k] for k in ("IndexName", "KeySchema", "Projection")}
                                 for index in table[kind]]
        if table.get("StreamSpecification"):
            request["StreamSpecification"] = table["StreamSpecification"]
        target.create_table(**request)
        if name in ttl:
            target.update_time_to_live(TableName=name, TimeToLiveSpecification={"AttributeName": ttl[name],
                                                                                 "Enabled": True})
        source.delete_table(TableName=name)
    return names


class DynamoDbApp:
    """The child's WSGI application: a DynamoDB or DynamoDB Streams request (``X-Amz-Target``, POST
    to ``/``) goes straight to the handler moto's URL table names for it, with the request type moto's
    server builds; anything else goes through moto's server application (host inference, Flask). The
    answer is the same; the dispatch by host and Flask's request handling are left out (a small
    UpdateItem took 7.6 ms instead of 10.0, the client's wall time, one run of 300 each)."""

    def __init__(self) -> None:
        from moto.dynamodb.responses import DynamoHandler
        from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
        from moto.moto_server.werkzeug_app import (
            BackendRequest,
            DomainDispatcherApplication,
            create_backend_app,
        )

        self._handlers = {"DynamoDB_20120810": DynamoHandler.dispatch,
                          "DynamoDBStreams_20120810": DynamoDBStreamsHandler.dispatch}
        self._request = BackendRequest
        self._moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        handler = self._handlers.get(str(environ.get("HTTP_X_AMZ_TARGET", "")).split(".", 1)[0])
        if handler is None or environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != "/":
            return self._moto(environ, start_response)
        request = self._request(environ)
        try:
            status, headers, body = handler(request, request.raw_url, dict(request.headers))
        except HTTPException as exc:  # what moto's server answers for its errors
            status, headers, body = exc.code, exc.get_headers(), exc.get_body()
        except ClientError as exc:  # as moto's Flask view answers one
            status, headers, body = 400, {}, exc.response["Error"]["Message"]
        return Response(response=body, status=status, headers=headers)(environ, start_response)


class _KeepAlive(http.server.BaseHTTPRequestHandler):
    """The child's HTTP server: HTTP/1.1 with connections kept open between requests, as DynamoDB's
    are. werkzeug's development server (moto's) closes every connection after one answer, so each
    call paid for a new connection and the server for a new thread: of a small UpdateItem's 3.3 ms
    of this process's CPU, moto's own work was under a third. Each connection has one thread, which
    reads a request's whole body (``Content-Length``) before the application runs, so the next request
    starts where this one ended. A request without a length (chunked) is refused and its connection
    closed; botocore sends a length with every DynamoDB request."""

    protocol_version = "HTTP/1.1"
    app: Any = None

    def setup(self) -> None:
        super().setup()
        # an answer is written as its head and then its body: without this, the body waits for the
        # client's acknowledgement of the head, which a kept-open connection delays by 40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
        pass

    def _serve(self) -> None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.close_connection = True
            self._answer(411, [], b"")
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path, _, query = self.path.partition("?")
        try:
            status, headers, payload = loopback.answer(
                self.app, self.command, f"http://{self.headers.get('Host') or '127.0.0.1'}", path, query,
                list(self.headers.items()), body, remote_addr=self.client_address[0])
        except Exception:  # what werkzeug's server answers when the application fails
            logging.getLogger("drs_local").exception("local DynamoDB failed on %s", self.headers.get("X-Amz-Target"))
            self._answer(500, [("Content-Type", "text/plain")], b"Internal Server Error")
            return
        self._answer(status, headers, payload)

    def _answer(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _serve


def main() -> None:
    """The child: serve DynamoDB (the only service the stack sends here) until stdin closes."""
    logging.basicConfig(level=logging.WARNING)
    from drs_local import moto_patches

    moto_patches.apply()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _KeepAlive)
    server.daemon_threads = True
    _KeepAlive.app = DynamoDbApp()
    threading.Thread(target=server.serve_forever, daemon=True, name="local-dynamodb").start()
    from drs_local.stack import _long_lived_process

    _long_lived_process()  # the tables live as long as the process: the stack's collector settings
    sys.stdout.write(f"port {server.server_address[1]}\n")
    sys.stdout.flush()
    while sys.stdin.buffer.read(1):  # the stack writes nothing; EOF means it stopped or died
        pass
    server.shutdown()


if __name__ == "__main__":
    main()
