"""Paging: the one page type, the one ``limit`` parser and the one ``nextToken`` codec of every
listing. A token is the listing's resume state (a JSON object) in URL-safe base64: an offset bound to
its query for lists computed in memory (``domain/inventory.py``), the paginator's own state for
DynamoDB queries (``adapters/dynamodb_tx.py``). Anything else is 400 ``INVALID_NEXT_TOKEN``."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic

from typing_extensions import TypeVar

from drs_orch.domain.errors import ValidationFailed

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


T = TypeVar("T", default=dict[str, Any])


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing; ``next_token`` (opaque) asks for the next one, None at the end.
    ``Page`` alone holds items as read; a store of typed records says so (``Page[ProtectionGroup]``)."""

    items: list[T]
    next_token: str | None


def parse_limit(raw: str | int | None, default: int = DEFAULT_PAGE_SIZE, maximum: int = MAX_PAGE_SIZE) -> int:
    """A ``limit`` query parameter: 1..``maximum``, ``default`` when absent."""
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationFailed(f"limit must be an integer, got {raw!r}", code="INVALID_PARAMETER") from None
    if not 1 <= value <= maximum:
        raise ValidationFailed(f"limit must be between 1 and {maximum}", code="INVALID_PARAMETER")
    return value


def encode_token(state: Mapping[str, Any]) -> str:
    text = json.dumps(dict(state), separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_token(token: str, *required: str) -> dict[str, Any]:
    """The state a ``nextToken`` carries; refused unless it is one of ours holding ``required``."""
    try:
        value = json.loads(base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode()).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        value = None
    if not isinstance(value, dict) or any(key not in value for key in required):
        raise ValidationFailed("nextToken is not a token this API issued", code="INVALID_NEXT_TOKEN")
    return value
