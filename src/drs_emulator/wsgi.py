"""WSGI front end: ``/_emulator/...`` goes to the admin routes, everything else to the DRS wire API."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from .admin import PREFIX, handle_admin
from .emulator import Emulator

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _status_line(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"{code} Unknown"


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    if stream is None or length <= 0:
        return b""
    return bytes(stream.read(length))


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    out = {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        out["content-type"] = str(environ["CONTENT_TYPE"])
    return out


def make_app(emulator: Emulator) -> WSGIApp:
    """A WSGI callable serving ``emulator`` (the DRS API and the ``/_emulator`` admin paths)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        # PEP 3333: PATH_INFO is percent-decoded bytes carried as latin-1
        path = str(environ.get("PATH_INFO") or "/").encode("latin-1").decode("utf-8", "replace")
        method = str(environ.get("REQUEST_METHOD", "GET"))
        query = str(environ.get("QUERY_STRING", ""))
        body = _read_body(environ)
        if path == PREFIX or path.startswith(PREFIX + "/"):
            response = handle_admin(emulator, method, path, query, body)
        else:
            response = emulator.handle(method, path, query, _headers(environ), body)
        headers = list(response.headers) + [("Content-Length", str(len(response.body)))]
        start_response(_status_line(response.status), headers)
        return [response.body]

    return app
