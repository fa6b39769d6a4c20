"""Paging: the one page type and the one ``limit`` parser of every listing."""

from __future__ import annotations

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
