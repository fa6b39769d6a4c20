"""Input rules every request model shares: which characters text may hold, how names are compared,
how large collections and request bodies may be. One helper per concern; the request models
(``domain/models.py``, ``domain/plan_graph.py``, ``domain/data_models.py``,
``domain/execution_snapshot.py``, ``domain/launch_config.py``) apply them to their fields, and
``entrypoints/routing.py`` applies the body limits once, before any model sees a body.

Text. Names and descriptions refuse control characters (Unicode category Cc, e.g. NUL), format
characters (Cf: bidi overrides such as U+202E, zero-width joiners, the BOM) and lone surrogates (Cs,
which DynamoDB cannot store). Names also refuse line and paragraph separators (Zl, Zp);
descriptions keep tab, line feed and carriage return so that they can span lines. The refusal names
the character's code point.

Names are NFC-normalised when they are read, so a precomposed ``é`` and ``e`` + combining acute
are one name; :func:`name_key` is the case-insensitive key under which uniqueness is checked.

Collections (see docs/ARCHITECTURE.md, "Input limits"): AWS's bounds where AWS has one, ours
elsewhere. Request bodies: :data:`MAX_BODY_BYTES` (API Gateway's payload limit) and
:data:`MAX_JSON_DEPTH` levels of nesting.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping, Sized
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, GetCoreSchemaHandler, GetJsonSchemaHandler, StringConstraints
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from drs_orch.domain.data_rules import DRS_REGIONS, MAX_GROUPS_PER_PLAN, MAX_SERVERS_PER_GROUP
from drs_orch.domain.errors import PayloadTooLarge, ValidationFailed

# Bodies ---------------------------------------------------------------------------------------
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway REST payload limit (10 MB)
MAX_JSON_DEPTH = 32  # the deepest valid body (an import in the earlier system's format) nests 8 levels

# Collections with an AWS bound ----------------------------------------------------------------
MAX_TAGS = 50  # tags per resource (EC2, DRS); key 128 / value 256 characters: domain/tags.py
MAX_IDS_PER_REQUEST = 200  # DRS: StartRecovery sourceServers, DescribeSourceServers filters.sourceServerIDs
MAX_SECURITY_GROUPS = 16  # EC2: security groups per network interface (default quota 5, at most 16)

# Collections with our own bound ----------------------------------------------------------------
MAX_WAVES_PER_PLAN = 50
MAX_STAGING_ACCOUNTS = 50  # staging accounts per target account: one page of DRS ListStagingAccounts
MAX_GROUPS_PER_WAVE = MAX_GROUPS_PER_PLAN  # a wave cannot use more groups than its plan
MAX_OVERRIDES_PER_GROUP = MAX_SERVERS_PER_GROUP  # one override per member server at most
MAX_REGIONS = len(DRS_REGIONS)
MAX_EXECUTION_IDS_PER_DELETE = 100  # DELETE /executions?ids=
MAX_IMPORT_ITEMS = 500  # per kind (targetAccounts, protectionGroups, recoveryPlans) in one import
MAX_OBJECTIVE_MINUTES = 10080  # rtoMinutes / rpoMinutes of a plan or a wave: one week

# Text ------------------------------------------------------------------------------------------
MAX_NAME_LENGTH = 64
MAX_DESCRIPTION_LENGTH = 1000

_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
_SEPARATOR_CATEGORIES = frozenset({"Zl", "Zp"})
_LINE_BREAKS = frozenset("\t\n\r")
_KINDS = {"Cc": "control", "Cf": "format", "Cs": "surrogate", "Zl": "line separator",
          "Zp": "paragraph separator"}


def refused_character(text: str, *, multiline: bool = False) -> tuple[int, str] | None:
    """The first character ``text`` may not hold, with its index, or None. ``multiline`` lets
    tab, line feed, carriage return and the Unicode line/paragraph separators through."""
    if text.isprintable():  # C fast path: no Cc, Cf, Cs, Zl or Zp at all
        return None
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if category in _REFUSED_CATEGORIES and not (multiline and char in _LINE_BREAKS):
            return index, char
        if category in _SEPARATOR_CATEGORIES and not multiline:
            return index, char
    return None


def code_point(char: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def check_text(value: str, *, multiline: bool = False) -> str:
    """``value`` unchanged, or ValueError naming the refused character's code point."""
    found = refused_character(value, multiline=multiline)
    if found is not None:
        index, char = found
        kind = _KINDS[unicodedata.category(char)]
        raise ValueError(f"contains {code_point(char)} (a {kind} character) at position {index}; "
                         "control and format characters are not allowed")
    return value


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def clean_name(value: str) -> str:
    """A name as stored: no refused characters, NFC."""
    return nfc(check_text(value))


def name_key(name: str) -> str:
    """The key under which names are unique: NFC, surrounding whitespace dropped, lower case."""
    return nfc(nfc(name.strip()).lower())


def _plain(value: str | None) -> str | None:
    return None if value is None else check_text(value)


def _multiline(value: str | None) -> str | None:
    return None if value is None else check_text(value, multiline=True)


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_LENGTH),
    AfterValidator(clean_name),
]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=MAX_DESCRIPTION_LENGTH), AfterValidator(_multiline)
]
# For other free-text fields: ``Annotated[str, PlainText] = Field(max_length=...)``.
PlainText = AfterValidator(_plain)
MultilineText = AfterValidator(_multiline)
# Ids of our own records (protection groups, plans) as requests name them.
GroupId = Annotated[str, StringConstraints(strip_whitespace=True, max_length=128), PlainText]


# Collections ------------------------------------------------------------------------------------


def count_problem(value: object, limit: int) -> str | None:
    if isinstance(value, Sized) and not isinstance(value, str | bytes) and len(value) > limit:
        return f"at most {limit} items are allowed, got {len(value)}"
    return None


@dataclass(frozen=True)
class MaxItems:
    """A field annotation bounding a list or object to ``limit`` entries. It runs before the
    entries are validated, so an absurd collection gives one problem, not one per entry; the JSON
    schema carries the bound as ``maxItems`` / ``maxProperties``."""

    limit: int

    def check(self, value: Any) -> Any:
        problem = count_problem(value, self.limit)
        if problem is not None:
            raise ValueError(problem)
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_before_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        out = handler(schema)
        for branch in [out, *out.get("anyOf", [])]:
            if branch.get("type") == "array":
                branch["maxItems"] = self.limit
            elif branch.get("type") == "object":
                branch["maxProperties"] = self.limit
        return out


def max_items(limit: int) -> MaxItems:
    return MaxItems(limit)


def check_count(value: object, limit: int, field: str) -> None:
    """:func:`max_items` for bodies that are not read through a model."""
    problem = count_problem(value, limit)
    if problem is not None:
        raise ValidationFailed(f"{field}: {problem}", code="TOO_MANY_ITEMS",
                               details=[{"field": field, "message": problem}])


# Bodies -----------------------------------------------------------------------------------------


def nesting_depth(value: Any, stop_after: int = MAX_JSON_DEPTH) -> int:
    """How deep lists and objects nest in ``value`` (a scalar is 0, ``{}`` is 1), counted without
    recursion; counting stops once ``stop_after`` is exceeded."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > stop_after:
            return deepest
        stack.extend((child, depth + 1) for child in children if isinstance(child, Mapping | list | tuple))
    return deepest


def too_deep() -> ValidationFailed:
    return ValidationFailed(f"the request nests deeper than {MAX_JSON_DEPTH} levels", code="JSON_TOO_DEEP",
                            details={"maxDepth": MAX_JSON_DEPTH})


def too_large(size: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body is {size} bytes; at most {MAX_BODY_BYTES} are accepted",
                           details={"maxBytes": MAX_BODY_BYTES})


def check_depth(value: Any) -> Any:
    if nesting_depth(value) > MAX_JSON_DEPTH:
        raise too_deep()
    return value


def check_size(size: int) -> None:
    if size > MAX_BODY_BYTES:
        raise too_large(size)


def load_json(raw: str | bytes) -> Any:
    """Parse a JSON text within the size and depth limits (413 / 400 JSON_TOO_DEEP); text that is
    not JSON is 400 INVALID_JSON."""
    check_size(len(raw.encode("utf-8", "surrogatepass")) if isinstance(raw, str) else len(raw))
    try:
        value = json.loads(raw)
    except RecursionError:  # nesting beyond the interpreter's limit: far beyond ours
        raise too_deep() from None
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"request body is not valid JSON: {exc}", code="INVALID_JSON") from None
    return check_depth(value)


def check_decoded(value: Any) -> Any:
    """The limits for a body that arrived already decoded (direct invocation): depth first (so that
    measuring cannot recurse too deep), then the size of its JSON text."""
    check_depth(value)
    if isinstance(value, Mapping | list) and value:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
        check_size(len(text.encode("utf-8", "surrogatepass")))
    return value
