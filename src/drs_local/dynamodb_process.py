"""The local stack's DynamoDB, served by moto in a process of its own.

In AWS, DynamoDB does its work on its own machines: a Lambda waits for an answer but spends none of
its CPU on the table. The local stack ran moto's DynamoDB in the one process that also runs every
function, the state machine and the DRS emulator, under one interpreter lock, and DynamoDB was the
largest share of that process's work: in ``bench/engine.py``, moving it out took that process's CPU
per 100-server wave from 1.49 to 1.05 s. Here it runs in a child process, reached as AWS is reached:
through the endpoint setting ``AWS_ENDPOINT_URL_DYNAMODB``, which boto3 prefers to
``AWS_ENDPOINT_URL`` for DynamoDB.

The child applies the same moto patches (:mod:`drs_local.moto_patches`: per-table locks, whole
answers, the speed-ups), serves with werkzeug's threaded server as moto's own server does, and exits
when its standard input closes: when the stack stops it, or when the stack's process dies.

The tables are the template's: moto's CloudFormation creates them in the stack's own process, and
:func:`move_tables` recreates each in the child from its description (keys, indexes, billing, time to
live) and deletes the original, so a client that still reached the stack's moto for DynamoDB would
fail loudly (``ResourceNotFoundException``) instead of reading an empty table.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from werkzeug.exceptions import HTTPException  # moto's errors are these
from werkzeug.wrappers import Response

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


def main() -> None:
    """The child: serve DynamoDB (the only service the stack sends here) until stdin closes."""
    logging.basicConfig(level=logging.WARNING)
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    from drs_local import moto_patches

    moto_patches.apply()

    class Quiet(MotoRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

    server = make_server("127.0.0.1", 0, DynamoDbApp(), threaded=True, request_handler=Quiet)
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
