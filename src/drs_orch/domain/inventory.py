"""The read side's pure rules: how a DRS source server is presented, the filters of
``GET /drs/source-servers``, opaque page tokens, and the per-region status a listing reports when
DRS in one region cannot answer.

Presentation of a source server (:func:`summarize_source_server`):

- ``hostname`` from ``sourceProperties.identificationHints.hostname`` (else the FQDN's first label);
- ``nameTag`` the ``Name`` tag; ``replicationState`` the ``dataReplicationInfo.dataReplicationState``;
- ``lifecycleState`` derived from the replication state (:data:`LIFECYCLE_BY_REPLICATION`):
  CONTINUOUS -> READY_FOR_LAUNCH; INITIATING, INITIAL_SYNC, BACKLOG, CREATING_SNAPSHOT, RESCAN ->
  SYNCING; STALLED -> STALLED; DISCONNECTED -> DISCONNECTED; STOPPED, PAUSED -> STOPPED; none -> UNKNOWN;
- ``hardware``: cores summed over ``cpus``, RAM and disks in GiB (1 GiB = 2**30 bytes, rounded to one
  decimal, whole numbers as integers).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from drs_orch.domain import paging
from drs_orch.domain.errors import UpstreamError, ValidationFailed
from drs_orch.domain.input_rules import MAX_IDS_PER_REQUEST
from drs_orch.domain.models import ProtectionGroup
from drs_orch.domain.tags import matches, normalize_selection

REPLICATION_STATES: tuple[str, ...] = (
    "STOPPED", "INITIATING", "INITIAL_SYNC", "BACKLOG", "CREATING_SNAPSHOT", "CONTINUOUS", "PAUSED",
    "RESCAN", "STALLED", "DISCONNECTED",
)

LIFECYCLE_BY_REPLICATION: Mapping[str, str] = {
    "CONTINUOUS": "READY_FOR_LAUNCH",
    "INITIATING": "SYNCING",
    "INITIAL_SYNC": "SYNCING",
    "BACKLOG": "SYNCING",
    "CREATING_SNAPSHOT": "SYNCING",
    "RESCAN": "SYNCING",
    "STALLED": "STALLED",
    "DISCONNECTED": "DISCONNECTED",
    "STOPPED": "STOPPED",
    "PAUSED": "STOPPED",
}

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
GIB = 2**30


class RegionState(StrEnum):
    """Whether DRS in one account and region could answer."""

    OK = "OK"
    DRS_NOT_INITIALIZED = "DRS_NOT_INITIALIZED"
    ACCESS_DENIED = "ACCESS_DENIED"
    UNREACHABLE = "UNREACHABLE"
    THROTTLED = "THROTTLED"
    ERROR = "ERROR"


class RegionUnavailable(UpstreamError):
    """DRS (or EC2) in one account and region could not answer. Listings over several regions turn
    it into a per-region status; a single-region request answers 200 with that status."""

    default_code = "REGION_UNAVAILABLE"

    def __init__(self, account_id: str, region: str, state: RegionState, message: str) -> None:
        super().__init__(
            f"account {account_id}, region {region}: {message}",
            code=state.value,
            details={"accountId": account_id, "region": region, "status": state.value},
        )
        self.account_id = account_id
        self.region = region
        self.state = state
        self.reason = message


def region_status(state: RegionState, message: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"status": state.value}
    if message:
        out["message"] = message
    return out


# ------------------------------------------------------------------ presentation


def _gib(value: float) -> int | float:
    rounded = round(value / GIB, 1)
    return int(rounded) if rounded == int(rounded) else rounded


def hardware(source_properties: Mapping[str, Any]) -> dict[str, Any]:
    cpus = [c for c in source_properties.get("cpus") or [] if isinstance(c, Mapping)]
    disks = [d for d in source_properties.get("disks") or [] if isinstance(d, Mapping)]
    total_disk = sum(int(d.get("bytes") or 0) for d in disks)
    return {
        "totalCores": sum(int(c.get("cores") or 0) for c in cpus),
        "cpuModel": next((str(c["modelName"]) for c in cpus if c.get("modelName")), None),
        "ramGiB": _gib(int(source_properties.get("ramBytes") or 0)),
        "totalDiskGiB": _gib(total_disk),
        "disks": [{"deviceName": d.get("deviceName"), "sizeGiB": _gib(int(d.get("bytes") or 0))} for d in disks],
    }


def _primary_ip(source_properties: Mapping[str, Any]) -> str | None:
    interfaces = [n for n in source_properties.get("networkInterfaces") or [] if isinstance(n, Mapping)]
    interfaces.sort(key=lambda n: not n.get("isPrimary"))
    for interface in interfaces:
        ips = interface.get("ips") or []
        if ips:
            return str(ips[0])
    return None


def lifecycle_state(replication_state: str | None) -> str:
    if not replication_state:
        return "UNKNOWN"
    return LIFECYCLE_BY_REPLICATION.get(replication_state, "UNKNOWN")


def summarize_source_server(
    raw: Mapping[str, Any], group: ProtectionGroup | None = None, current_group_id: str | None = None
) -> dict[str, Any]:
    """The API shape of one DRS ``SourceServer`` (see the module docstring)."""
    props: Mapping[str, Any] = raw.get("sourceProperties") or {}
    hints: Mapping[str, Any] = props.get("identificationHints") or {}
    replication: Mapping[str, Any] = raw.get("dataReplicationInfo") or {}
    life: Mapping[str, Any] = raw.get("lifeCycle") or {}
    last_launch: Mapping[str, Any] = life.get("lastLaunch") or {}
    initiated: Mapping[str, Any] = last_launch.get("initiated") or {}
    staging: Mapping[str, Any] = raw.get("stagingArea") or {}
    tags = {str(k): str(v) for k, v in (raw.get("tags") or {}).items()}
    fqdn = hints.get("fqdn")
    hostname = hints.get("hostname") or (str(fqdn).split(".", 1)[0] if fqdn else None)
    state = replication.get("dataReplicationState")
    group_ref = {"groupId": group.group_id, "groupName": group.group_name} if group else None
    return {
        "sourceServerID": raw.get("sourceServerID"),
        "arn": raw.get("arn"),
        "hostname": hostname,
        "fqdn": fqdn,
        "nameTag": tags.get("Name"),
        "sourceInstanceId": hints.get("awsInstanceID"),
        "sourceIp": _primary_ip(props),
        "os": (props.get("os") or {}).get("fullString"),
        "replicationState": state,
        "lifecycleState": lifecycle_state(state),
        "lagDuration": replication.get("lagDuration"),
        "replicationError": (replication.get("dataReplicationError") or {}).get("error"),
        "lastLaunchResult": raw.get("lastLaunchResult"),
        "lastLaunch": (
            {
                "jobId": initiated.get("jobID"),
                "type": initiated.get("type"),
                "initiatedAt": initiated.get("apiCallDateTime"),
                "status": last_launch.get("status"),
            }
            if last_launch
            else None
        ),
        "recoveryInstanceId": raw.get("recoveryInstanceId"),
        "recommendedInstanceType": props.get("recommendedInstanceType"),
        "hardware": hardware(props),
        "tags": tags,
        "stagingAccountId": staging.get("stagingAccountID"),
        "replicationDirection": raw.get("replicationDirection"),
        "protectionGroup": group_ref,
        "selectable": group is None or (current_group_id is not None and group.group_id == current_group_id),
    }


def group_index(groups: Iterable[ProtectionGroup]) -> dict[str, ProtectionGroup]:
    """Source server id -> the protection group whose ``sourceServerIds`` holds it."""
    index: dict[str, ProtectionGroup] = {}
    for group in groups:
        for server_id in group.source_server_ids:
            index.setdefault(server_id, group)
    return index


# ------------------------------------------------------------------ filters


@dataclass(frozen=True)
class ServerFilter:
    tags: Mapping[str, str] | None = None
    replication_states: frozenset[str] = frozenset()
    server_ids: frozenset[str] = frozenset()

    def accepts(self, raw: Mapping[str, Any]) -> bool:
        if self.server_ids and str(raw.get("sourceServerID")) not in self.server_ids:
            return False
        if self.replication_states:
            state = (raw.get("dataReplicationInfo") or {}).get("dataReplicationState")
            if state not in self.replication_states:
                return False
        return not (self.tags and not matches({str(k): str(v) for k, v in (raw.get("tags") or {}).items()}, self.tags))

    def fingerprint(self, *scope: str) -> str:
        material = json.dumps(
            [list(scope), sorted((self.tags or {}).items()), sorted(self.replication_states), sorted(self.server_ids)]
        )
        return hashlib.sha256(material.encode()).hexdigest()[:16]


def parse_tag_filter(raw: str | None) -> dict[str, str] | None:
    """``tags`` as a JSON object (``{"Tier": "db"}``) or ``Key=Value,Key2=Value2``."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise ValidationFailed(f"tags is not a valid JSON object: {exc}", code="INVALID_PARAMETER") from None
        if not isinstance(value, dict):
            raise ValidationFailed("tags must be a JSON object", code="INVALID_PARAMETER")
        return normalize_selection(value)
    pairs: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep:
            raise ValidationFailed(
                f"tags entry {part.strip()!r} is not Key=Value", code="INVALID_PARAMETER",
                details=[{"field": "tags", "message": "use Key=Value,Key2=Value2 or a JSON object"}],
            )
        if key.strip() in pairs:
            raise ValidationFailed(f"tag key {key.strip()!r} is given more than once", code="INVALID_PARAMETER")
        pairs[key.strip()] = value
    return normalize_selection(pairs)


def parse_replication_states(raw: str | None) -> frozenset[str]:
    if raw is None or not raw.strip():
        return frozenset()
    states = {s.strip().upper() for s in raw.split(",") if s.strip()}
    unknown = sorted(states - set(REPLICATION_STATES))
    if unknown:
        raise ValidationFailed(
            f"unknown replicationState {', '.join(unknown)} (allowed: {', '.join(REPLICATION_STATES)})",
            code="INVALID_PARAMETER",
        )
    return frozenset(states)


def parse_limit(raw: str | None, default: int = DEFAULT_PAGE_SIZE, maximum: int = MAX_PAGE_SIZE) -> int:
    """``limit`` of the inventory listings: 1..1000, default 100 (DRS pages are large)."""
    return paging.parse_limit(raw, default, maximum)


_SERVER_ID = re.compile(r"^s-[0-9a-zA-Z]{17}$")


def parse_server_ids(raw: str | None) -> frozenset[str]:
    if raw is None or not raw.strip():
        return frozenset()
    ids = {s.strip() for s in raw.split(",") if s.strip()}
    if len(ids) > MAX_IDS_PER_REQUEST:
        raise ValidationFailed(f"at most {MAX_IDS_PER_REQUEST} source server ids per request, got {len(ids)}",
                               code="INVALID_PARAMETER")
    bad = sorted(i for i in ids if not _SERVER_ID.match(i))
    if bad:
        raise ValidationFailed(f"invalid source server ids: {', '.join(bad)}", code="INVALID_PARAMETER")
    return frozenset(ids)


# ------------------------------------------------------------------ paging


def encode_token(offset: int, fingerprint: str) -> str:
    return paging.encode_token({"o": offset, "f": fingerprint})


def decode_token(token: str | None, fingerprint: str) -> int:
    """The offset a ``nextToken`` points at; a token from another query is refused."""
    if not token:
        return 0
    value = paging.decode_token(token, "o", "f")
    try:
        offset = int(value["o"])
    except (TypeError, ValueError):
        raise ValidationFailed("nextToken is not a token this API issued", code="INVALID_NEXT_TOKEN") from None
    if str(value["f"]) != fingerprint or offset < 0:
        raise ValidationFailed(
            "nextToken belongs to a query with other filters, account or region", code="INVALID_NEXT_TOKEN"
        )
    return offset


def page(items: Sequence[Any], limit: int, token: str | None, fingerprint: str) -> tuple[list[Any], str | None]:
    start = decode_token(token, fingerprint)
    chunk = list(items[start : start + limit])
    end = start + len(chunk)
    return chunk, (encode_token(end, fingerprint) if end < len(items) else None)
