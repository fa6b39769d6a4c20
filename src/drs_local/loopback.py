"""The local stack's own AWS calls reach its servers' WSGI applications without a socket.

Every Lambda, the state machine and the DRS emulator's clients run in the local stack's one
process, and each of their calls to moto or to the emulator went through a loopback TCP connection:
botocore wrote the request, a server thread parsed it, and the caller waited for that thread to be
scheduled, all under the one interpreter lock. :func:`route` names the address of such a server and
its WSGI application; a botocore request to that address is then handed to the application in the
calling thread (the same method, path, query, headers and body, so the same request the server would
have parsed) and its answer returned as botocore's HTTP response. Requests to any other address
(AWS itself, another process's stack) go out as before. Production code is unchanged: its clients
still reach the local stack through ``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_DRS``; moto's own
in-process mode hands botocore requests to its backends the same way.

A call handed over in-process runs to its end: a client's read timeout does not apply. A caller that
needs one (the local API Gateway's integration timeout) addresses the server by another host name
(``localhost``), which is not routed.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSResponse
from werkzeug.test import EnvironBuilder, run_wsgi_app

WsgiApp = Callable[..., Any]

_routes: dict[str, WsgiApp] = {}
_lock = threading.Lock()
_installed = False


class _Body(io.BytesIO):
    """A response body as botocore reads it: ``read()`` for streaming shapes, ``stream()`` otherwise."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


def route(url: str, app: WsgiApp) -> None:
    """Hand requests for ``url``'s host and port to ``app`` in the calling thread."""
    _install()
    with _lock:
        _routes[urlsplit(url).netloc] = app


def unroute(url: str) -> None:
    with _lock:
        _routes.pop(urlsplit(url).netloc, None)


def _install() -> None:
    global _installed
    with _lock:
        if _installed:
            return
        from botocore.endpoint import Endpoint

        original = Endpoint._send

        def _send(self: Any, request: Any) -> Any:
            app = _routes.get(urlsplit(request.url).netloc)
            return original(self, request) if app is None else _call(app, request)

        Endpoint._send = _send
        _installed = True


def _call(app: WsgiApp, request: Any) -> AWSResponse:
    parts = urlsplit(request.url)
    body = request.body
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    headers = [(k, v.decode() if isinstance(v, bytes) else str(v)) for k, v in request.headers.items()]
    status, response_headers, content = answer(app, request.method, f"{parts.scheme}://{parts.netloc}",
                                                parts.path, parts.query, headers, body or b"")
    return AWSResponse(request.url, status, dict(response_headers), _Body(content))


def answer(app: WsgiApp, method: str, base_url: str, path: str, query: str, headers: list[tuple[str, str]],
           body: bytes, remote_addr: str = "127.0.0.1") -> tuple[int, list[tuple[str, str]], bytes]:
    """Run a WSGI application on one HTTP request: its status, headers and whole body. (A
    ``Content-Length`` among ``headers`` is replaced by the body's own.)"""
    headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
    raw_uri = path + (f"?{query}" if query else "")
    builder = EnvironBuilder(method=method, base_url=base_url, path=path, query_string=query, headers=headers,
                             data=body, environ_overrides={"RAW_URI": raw_uri, "REQUEST_URI": raw_uri,
                                                           "REMOTE_ADDR": remote_addr})
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    app_iter, status, response_headers = run_wsgi_app(app, environ, buffered=True)
    try:
        content = b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()
    return int(status.split(" ", 1)[0]), list(response_headers.items()), content
