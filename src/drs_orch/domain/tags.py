"""The one tag matcher of the code base.

Semantics (used for protection-group resolution, previews and conflict checks alike):

- a selection is a non-empty set of ``key -> value`` pairs, and a server matches when it matches
  every pair (AND);
- keys are compared exactly (case-sensitive) after stripping surrounding whitespace;
- values are compared case-insensitively (Unicode case folding) after stripping surrounding
  whitespace, so ``{"Env": " Prod "}`` matches a server tagged ``Env=prod``;
- an empty selection matches nothing: a tag-based group without tags must never take in the
  whole fleet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.input_rules import MAX_TAGS, check_text

T = TypeVar("T")

MAX_TAG_KEY_LENGTH = 128
MAX_TAG_VALUE_LENGTH = 256


def normalize_selection(tags: Mapping[str, str]) -> dict[str, str]:
    """Strip keys and values; reject an empty selection, more than :data:`MAX_TAGS` pairs, empty
    keys, keys that collide, and control or format characters (``input_rules.check_text``).

    Raises :class:`ValidationFailed` (code ``VALIDATION_ERROR``) listing every problem in
    ``details`` as ``[{"field": "serverSelectionTags.<key>", "message": ...}]``.
    """
    if not isinstance(tags, Mapping):
        raise ValidationFailed(
            "serverSelectionTags must be an object of tag keys to values",
            details=[{"field": "serverSelectionTags", "message": "must be an object"}],
        )
    if len(tags) > MAX_TAGS:
        raise ValidationFailed(
            f"at most {MAX_TAGS} tags are allowed, got {len(tags)}",
            details=[{"field": "serverSelectionTags", "message": f"at most {MAX_TAGS} tags are allowed"}],
        )
    problems: list[dict[str, str]] = []
    result: dict[str, str] = {}
    for raw_key, raw_value in tags.items():
        field = f"serverSelectionTags.{raw_key}"
        if not isinstance(raw_key, str) or not isinstance(raw_value, str):
            problems.append({"field": field, "message": "tag keys and values must be strings"})
            continue
        key = raw_key.strip()
        value = raw_value.strip()
        if not key:
            problems.append({"field": field, "message": "tag key must not be empty"})
            continue
        if len(key) > MAX_TAG_KEY_LENGTH:
            problems.append(
                {"field": field, "message": f"tag key longer than {MAX_TAG_KEY_LENGTH} characters"}
            )
            continue
        if len(value) > MAX_TAG_VALUE_LENGTH:
            problems.append(
                {"field": field, "message": f"tag value longer than {MAX_TAG_VALUE_LENGTH} characters"}
            )
            continue
        refused = _text_problem(key, f"tag key {key!r}") or _text_problem(value, f"the value of tag {key!r}")
        if refused is not None:
            problems.append({"field": field, "message": refused})
            continue
        if key in result:
            problems.append({"field": field, "message": f"tag key {key!r} is given more than once"})
            continue
        result[key] = value
    if not result and not problems:
        problems.append({"field": "serverSelectionTags", "message": "at least one tag is required"})
    if problems:
        raise ValidationFailed("invalid server selection tags", details=problems)
    return result


def _text_problem(text: str, what: str) -> str | None:
    try:
        check_text(text)
    except ValueError as exc:
        return f"{what} {exc}"
    return None


def _fold(value: str) -> str:
    return value.strip().casefold()


def matches(server_tags: Mapping[str, str], selection: Mapping[str, str]) -> bool:
    """True when ``server_tags`` carries every ``key=value`` pair of ``selection``."""
    if not selection:
        return False
    by_key: dict[str, set[str]] = {}
    for key, value in server_tags.items():
        by_key.setdefault(key.strip(), set()).add(_fold(value))
    for key, wanted in selection.items():
        values = by_key.get(key.strip())
        if values is None or _fold(wanted) not in values:
            return False
    return True


def select(
    servers: Iterable[T],
    selection: Mapping[str, str],
    tags_of: Callable[[T], Mapping[str, str]],
) -> list[T]:
    """The servers (in input order) whose tags match ``selection``."""
    return [server for server in servers if matches(tags_of(server), selection)]
