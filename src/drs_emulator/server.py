"""Serve an emulator on a loopback port from a daemon thread (werkzeug's threaded dev server)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .emulator import Emulator
from .wsgi import make_app


class _QuietHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: botocore reuses connections

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None

    def log(self, type: str, message: str, *args: Any) -> None:
        if type == "error":
            super().log(type, message, *args)


@dataclass
class ServerHandle:
    """A running emulator server; ``url`` is what ``AWS_ENDPOINT_URL_DRS`` should be set to."""

    emulator: Emulator
    host: str
    port: int
    _server: BaseWSGIServer
    _thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def app(self) -> Any:
        """The WSGI application the server runs (a caller in this process may call it directly)."""
        return self._server.app

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> ServerHandle:
    """Start serving ``emulator`` on ``host:port`` (0 = a free port) and return a handle."""
    server = make_server(host, port, make_app(emulator), threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name=f"drs-emulator:{server.port}",
        daemon=True,
    )
    thread.start()
    return ServerHandle(emulator=emulator, host=host, port=int(server.port), _server=server, _thread=thread)
