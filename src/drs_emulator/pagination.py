"""Opaque ``nextToken`` pagination.

A token is URL-safe base64 of ``{"v": 1, "k": kind, "o": offset, "h": fingerprint}`` where the
fingerprint hashes the account, region, operation and the request's filters (everything except
``nextToken`` and ``maxResults``). A token that does not decode, or that was issued for another
operation, another caller or other filters, is rejected with ValidationException reason
``cannotParse``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from typing import Any, TypeVar

from .errors import validation

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 1000


def fingerprint(*parts: Any) -> str:
    raw = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


def encode(kind: str, offset: int, fp: str) -> str:
    raw = json.dumps({"v": 1, "k": kind, "o": offset, "h": fp}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode(token: str, kind: str, fp: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
        if not isinstance(data, dict) or data.get("v") != 1:
            raise ValueError("unknown token version")
        if data.get("k") != kind or data.get("h") != fp:
            raise ValueError("token was issued for another request")
        offset = data.get("o")
        if not isinstance(offset, int) or offset < 0:
            raise ValueError("bad offset")
        return offset
    except (ValueError, UnicodeError, binascii.Error, json.JSONDecodeError) as exc:
        raise validation(
            f"Invalid nextToken: {exc}",
            reason="cannotParse",
            field_list=[{"name": "nextToken", "message": "the token could not be parsed for this request"}],
        ) from None


def paginate(
    items: Sequence[T],
    params: dict[str, Any],
    kind: str,
    *scope: Any,
    default_page_size: int = DEFAULT_PAGE_SIZE,
) -> tuple[list[T], str | None]:
    """Slice ``items`` per ``maxResults``/``nextToken``; returns (page, next token or None)."""
    filters = {k: v for k, v in params.items() if k not in ("nextToken", "maxResults")}
    fp = fingerprint(kind, list(scope), filters)
    token = params.get("nextToken")
    offset = decode(token, kind, fp) if token else 0
    size = params.get("maxResults") or default_page_size
    page = list(items[offset : offset + size])
    end = offset + len(page)
    return page, (encode(kind, end, fp) if end < len(items) else None)
