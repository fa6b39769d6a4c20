"""The wire layer, driven by botocore's ``drs`` service model at run time.

* routes: every operation's ``http.method`` + ``http.requestUri``; a URI label that ends the path
  (``/tags/{resourceArn}``) matches greedily because WSGI hands us a percent-decoded path and DRS
  ARNs contain ``/``;
* request parsing: JSON body members plus ``location: uri`` and ``location: querystring`` members
  (repeated query keys become lists, e.g. UntagResource ``tagKeys``), converted to the member type;
* validation: ``botocore.validate.ParamValidator`` against the input shape (types, required, min)
  plus what botocore leaves to the service: ``pattern``, ``max`` lengths/values and enums;
* output: the handler's dict filtered recursively by the output shape (unknown keys and ``None``
  dropped, so private state never leaks), serialised as JSON with the modelled status code;
* errors: the error shape's ``httpStatusCode``, its body members, header-bound members
  (``Retry-After``) and always ``x-amzn-ErrorType`` (botocore takes the code from it first).

Dates are modelled as strings; the emulator emits ISO-8601 with an explicit offset
(``2026-01-01T10:00:00.000000+00:00``) and, for inputs, accepts both ``Z`` and ``+HH:MM`` forms.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.validate import ParamValidator

from .errors import DrsError, validation

DATETIME_SHAPE = "ISO8601DatetimeString"


@functools.lru_cache(maxsize=1)
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("drs")


def operation_model(name: str) -> OperationModel:
    return service_model().operation_model(name)


@functools.lru_cache(maxsize=128)
def modelled_errors(name: str) -> frozenset[str]:
    return frozenset(e.name for e in operation_model(name).error_shapes)


# --------------------------------------------------------------------------------------------- time


def iso(ts: float | None) -> str | None:
    """Epoch seconds -> ISO-8601 with offset, microsecond precision."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")


def parse_iso(value: str) -> float:
    """ISO-8601 with ``Z`` or an offset -> epoch seconds; raises ValueError otherwise."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("timestamp must carry a time zone designator")
    return parsed.timestamp()


def iso_duration(seconds: float | None) -> str | None:
    """Seconds -> ISO-8601 duration such as ``PT1H2M3S`` (``PT0S`` for zero)."""
    if seconds is None:
        return None
    total = max(0, int(round(seconds)))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    out = "P" + (f"{days}D" if days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{secs}S" if secs else "")
    if clock:
        out += "T" + clock
    return out if out != "P" else "PT0S"


# ------------------------------------------------------------------------------------------- routes


@dataclass(frozen=True)
class Route:
    operation: str
    method: str
    regex: re.Pattern[str]
    status: int


@dataclass
class RouteMatch:
    route: Route
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def operation(self) -> str:
        return self.route.operation


def _route_regex(request_uri: str) -> re.Pattern[str]:
    path = request_uri.split("?", 1)[0]
    out = ""
    pos = 0
    for m in re.finditer(r"\{([^}]+)\}", path):
        out += re.escape(path[pos : m.start()])
        label = m.group(1)
        greedy = label.endswith("+") or m.end() == len(path)
        name = label.rstrip("+")
        out += f"(?P<{name}>{'.+' if greedy else '[^/]+'})"
        pos = m.end()
    out += re.escape(path[pos:])
    return re.compile("^" + out + "/?$")


@functools.lru_cache(maxsize=1)
def routes() -> tuple[Route, ...]:
    model = service_model()
    built = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        built.append(
            Route(
                operation=name,
                method=http.get("method", "POST").upper(),
                regex=_route_regex(http["requestUri"]),
                status=int(http.get("responseCode", 200)),
            )
        )
    # literal routes before labelled ones so /tags/... never shadows a literal path
    built.sort(key=lambda r: ("(?P<" in r.regex.pattern, r.regex.pattern))
    return tuple(built)


def match_route(method: str, path: str) -> RouteMatch | None:
    method = method.upper()
    for route in routes():
        if route.method != method:
            continue
        m = route.regex.match(path)
        if m:
            return RouteMatch(route, dict(m.groupdict()))
    return None


# ------------------------------------------------------------------------------------------ parsing


def _convert_scalar(shape: Shape, raw: str, name: str) -> Any:
    try:
        if shape.type_name in ("integer", "long"):
            return int(raw)
        if shape.type_name in ("float", "double"):
            return float(raw)
        if shape.type_name == "boolean":
            if raw.lower() not in ("true", "false"):
                raise ValueError(raw)
            return raw.lower() == "true"
    except ValueError:
        raise validation(
            f"Could not parse {name}={raw!r} as {shape.type_name}",
            reason="cannotParse",
            field_list=[{"name": name, "message": f"expected {shape.type_name}"}],
        ) from None
    return raw


def parse_request(
    operation: str, labels: Mapping[str, str], query: Mapping[str, list[str]], body: bytes
) -> dict[str, Any]:
    """Build the operation's input dict from the URI labels, query string and JSON body."""
    op = operation_model(operation)
    shape = op.input_shape
    params: dict[str, Any] = {}
    if shape is None:
        return params
    has_body_members = any("location" not in m.serialization for m in shape.members.values())
    if has_body_members and body.strip():
        try:
            decoded = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise validation(f"Request body is not valid JSON: {exc}", reason="cannotParse") from None
        if not isinstance(decoded, dict):
            raise validation("Request body must be a JSON object", reason="cannotParse")
        params.update(decoded)
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if location == "uri" and wire_name in labels:
            params[name] = labels[wire_name]
        elif location == "querystring" and wire_name in query:
            values = query[wire_name]
            if member.type_name == "list":
                params[name] = [_convert_scalar(member.member, v, name) for v in values]
            else:
                params[name] = _convert_scalar(member, values[-1], name)
    return params


# --------------------------------------------------------------------------------------- validation


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _check_constraints(shape: Shape, value: Any, name: str, problems: list[dict[str, str]]) -> None:
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for key, member in shape.members.items():
            if key in value and value[key] is not None:
                _check_constraints(member, value[key], f"{name}.{key}" if name else key, problems)
    elif kind == "list" and isinstance(value, list):
        if "max" in meta and len(value) > meta["max"]:
            problems.append({"name": name, "message": f"must contain at most {meta['max']} items"})
        for i, item in enumerate(value):
            _check_constraints(shape.member, item, f"{name}[{i}]", problems)
    elif kind == "map" and isinstance(value, dict):
        if "max" in meta and len(value) > meta["max"]:
            problems.append({"name": name, "message": f"must contain at most {meta['max']} entries"})
        for k, v in value.items():
            _check_constraints(shape.key, k, f"{name}.key", problems)
            _check_constraints(shape.value, v, f"{name}[{k}]", problems)
    elif kind == "string" and isinstance(value, str):
        if "max" in meta and len(value) > meta["max"]:
            problems.append({"name": name, "message": f"length must be at most {meta['max']}"})
        enum = getattr(shape, "enum", None)
        if enum and value not in enum:
            problems.append({"name": name, "message": f"must be one of {', '.join(enum)}"})
        if shape.name == DATETIME_SHAPE:
            try:
                parse_iso(value)
            except ValueError:
                problems.append({"name": name, "message": "must be an ISO-8601 date-time with a time zone"})
        elif "pattern" in meta and value:
            regex = _compiled(meta["pattern"])
            if regex is not None and not regex.fullmatch(value):
                problems.append({"name": name, "message": f"must match pattern {meta['pattern']}"})
    elif kind in ("integer", "long") and type(value) is int and "max" in meta and value > meta["max"]:
        problems.append({"name": name, "message": f"must be at most {meta['max']}"})


def validate(operation: str, params: dict[str, Any]) -> None:
    """Raise ValidationException (fieldValidationFailed) with a fieldList if ``params`` break the model."""
    shape = operation_model(operation).input_shape
    if shape is None:
        return
    report = ParamValidator().validate(params, shape)
    problems: list[dict[str, str]] = []
    if report.has_errors():
        raw_errors = getattr(report, "_errors", None)
        fmt = getattr(report, "_format_error", None)
        if raw_errors is not None and fmt is not None:
            for err in raw_errors:
                problems.append({"name": str(err[1]).lstrip(".") or "input", "message": fmt(err)})
        else:
            for line in report.generate_report().splitlines():
                problems.append({"name": "input", "message": line})
    if not problems:
        _check_constraints(shape, params, "", problems)
    if problems:
        summary = "; ".join(f"{p['name']}: {p['message']}" for p in problems[:5])
        raise validation(f"Invalid request: {summary}", field_list=problems)


# ------------------------------------------------------------------------------------------- output


def shape_filter(shape: Shape | None, value: Any) -> Any:
    """Keep only what ``shape`` models, recursively; drop ``None`` values and unknown keys."""
    if shape is None or value is None:
        return None
    return _filter_of(shape)(value)


_Filter = Callable[[Any], Any]


@functools.cache  # the model's shapes live as long as the process, and hash by identity
def _filter_of(shape: Shape) -> _Filter:
    """The filter of ``shape``, built once: a 100-server job's answer walks its shape a thousand
    times, and asking each member's serialization and type every time was most of the cost."""
    kind = shape.type_name
    out: _Filter
    if kind == "structure":
        body = [(key, member) for key, member in shape.members.items()
                if member.serialization.get("location") not in ("header", "headers", "statusCode")]
        members: list[tuple[str, _Filter]] = []  # the members' filters, found at the first value (shapes may nest)

        def structure(value: Any) -> Any:
            if not isinstance(value, Mapping):
                return None
            if len(members) < len(body):
                members[:] = [(key, _filter_of(member)) for key, member in body]
            kept = {}
            for key, each in members:
                item = value.get(key)
                if item is not None:
                    filtered = each(item)
                    if filtered is not None:
                        kept[key] = filtered
            return kept
        out = structure
    elif kind == "list":
        element = shape.member

        def listing(value: Any) -> Any:
            if not isinstance(value, (list, tuple)):
                return None
            each = _filter_of(element)
            return [f for f in (each(v) for v in value if v is not None) if f is not None]
        out = listing
    elif kind == "map":
        entry = shape.value

        def mapping(value: Any) -> Any:
            if not isinstance(value, Mapping):
                return None
            each = _filter_of(entry)
            return {str(k): each(v) for k, v in value.items() if v is not None}
        out = mapping
    elif kind == "boolean":
        out = bool
    elif kind in ("integer", "long"):
        out = int
    elif kind in ("float", "double"):
        out = float
    else:
        def text(value: Any) -> Any:
            return value if isinstance(value, str) else str(value)
        out = text
    return out


@dataclass
class WireResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def _base_headers() -> list[tuple[str, str]]:
    return [("x-amzn-RequestId", str(uuid.uuid4())), ("Content-Type", "application/json")]


def render_success(operation: str, result: Mapping[str, Any] | None) -> WireResponse:
    op = operation_model(operation)
    status = int(op.http.get("responseCode", 200))
    headers = _base_headers()
    if status == 204:
        return WireResponse(status, [h for h in headers if h[0] != "Content-Type"], b"")
    body = shape_filter(op.output_shape, result or {}) if op.output_shape is not None else {}
    return WireResponse(status, headers, json.dumps(body or {}).encode("utf-8"))


def render_error(err: DrsError) -> WireResponse:
    model = service_model()
    shape = model.shape_for(err.error_type)
    status = int(shape.metadata.get("error", {}).get("httpStatusCode", 400))
    headers = _base_headers() + [("x-amzn-ErrorType", err.error_type)]
    values: dict[str, Any] = {"message": err.message, **err.fields}
    if "code" in shape.members:
        values.setdefault("code", err.error_type)
    for key, member in shape.members.items():
        if member.serialization.get("location") == "header" and values.get(key) is not None:
            headers.append((member.serialization.get("name", key), str(values[key])))
    body = shape_filter(shape, values) or {}
    return WireResponse(status, headers, json.dumps(body).encode("utf-8"))
