"""Fleet files: the accounts, regions, source servers and staging accounts an emulator is seeded with.

YAML or JSON (YAML is a superset, so both load with ``yaml.safe_load``)::

    timings: {jobPendingSeconds: 10, defaultLaunchSeconds: 300}   # optional, see state.Timings
    quotas: {maxActiveJobs: 20}                                   # optional, see state.Quotas
    conventions: {busyError: ConflictException, quotaCodes: {maxActiveJobs: L-D88FAC3A}}  # state.Conventions
    defaults: {launch: {durationSeconds: 300}}                    # merged into every server
    accounts:
      - accountId: "123456789012"
        stagingAccounts: ["222222222222"]      # accounts whose servers may be extended into this one
        quotas: {maxSourceServers: 6000}       # optional: this account's increases (all its regions)
        regions:
          - region: us-east-1
            initialized: true                  # default true; false -> UninitializedAccountException
            quotas: {maxReplicatingServers: 500}   # optional: this account-region's increases
            servers:
              - hostname: db-01.example.internal
                tags: {Application: OrderSystem, Tier: db}
                replicationState: CONTINUOUS   # any DataReplicationState
                lagSeconds: 5
                stateSinceSeconds: 7200        # how long ago the current state began
                transitions: [{afterSeconds: 600, state: CONTINUOUS}]
                os: "Ubuntu 22.04 LTS"
                cpus: 4                        # or [{cores: 4, modelName: ...}]
                ramGiB: 16                     # or ramBytes
                disks: [{deviceName: /dev/sda, sizeGiB: 100}]
                recommendedInstanceType: r5.xlarge
                privateIp: 172.31.1.10
                sourceCloud: {accountId: "111111111111", region: us-east-1, runInstance: true}
                launch: {durationSeconds: 600, outcome: FAILED, reason: "...", phase: CONVERSION}
                launchConfiguration: {copyPrivateIp: true, copyTags: true}
                pitPolicy: [{units: MINUTE, interval: 10, retentionDuration: 60}]   # default: DRS's
              - hostname: "web-{n:02d}.example.internal"   # templated entry
                count: 3                                   # {n} = start .. start+count-1
                privateIp: "172.31.2.{n}"

Quota keys are the :class:`~drs_emulator.state.Quotas` fields in camelCase (maxServersPerJob,
maxActiveJobs, maxServersInActiveJobs, maxReplicatingServers, maxSourceServers); a region's quotas
are the top-level ones, then the account's, then the region's. ``pitPolicy`` rules are shaped like
the API's PITPolicyRule (see :mod:`drs_emulator.snapshots` for the default and what it drives).

Server ids are derived with :func:`drs_emulator.ids.server_id_for` (account, region, hostname) unless
an ``id`` matching ``s-[0-9a-zA-Z]{17}`` is given. Seeding does not enforce the replicating-servers
quota (benchmarks may seed thousands of servers); the API operations do.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import ids, snapshots
from .state import BUSY_ERRORS, LAUNCHABLE_STATES, LaunchBehaviour, Quotas, SourceServer
from .wire import service_model

GIB = 1024**3
DAY = 86400.0
DEFAULT_FLEET = Path(__file__).with_name("fleets") / "default.yaml"

SERVER_KEYS = frozenset(
    {
        "hostname", "id", "tags", "replicationState", "lagSeconds", "stateSinceSeconds", "replicationError",
        "transitions", "os", "cpus", "ramGiB", "ramBytes", "disks", "recommendedInstanceType", "architecture",
        "privateIp", "macAddress", "vmWareUuid", "sourceCloud", "launch", "launchConfiguration", "agentVersion",
        "pitPolicy", "count", "start",
    }
)  # fmt: skip
TOP_LEVEL_KEYS = frozenset({"accounts", "conventions", "defaults", "quotas", "timings"})
MERGED_KEYS = ("tags", "launch", "launchConfiguration")
DEFAULT_LAUNCH_CONFIGURATION: dict[str, Any] = {
    "launchDisposition": "STARTED",
    "targetInstanceTypeRightSizingMethod": "BASIC",
    "copyPrivateIp": False,
    "copyTags": True,
    "licensing": {"osByol": True},
    "postLaunchEnabled": False,
}
_STATE_SINCE_DEFAULTS = {
    "STALLED": 2 * 3600.0,
    "DISCONNECTED": DAY,
    "INITIAL_SYNC": 3600.0,
    "INITIATING": 60.0,
}


class FleetError(ValueError):
    """The fleet document is malformed."""


@dataclass
class RegionSpec:
    account: str
    region: str
    initialized: bool = True
    staging_accounts: list[str] = field(default_factory=list)
    servers: list[dict[str, Any]] = field(default_factory=list)
    quotas: dict[str, int] = field(default_factory=dict)


@dataclass
class FleetSpec:
    regions: list[RegionSpec]
    quotas: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    busy_error: str | None = None
    quota_codes: dict[str, str] = field(default_factory=dict)


def load_fleet_file(path: str | Path) -> dict[str, Any]:
    text = Path(path).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise FleetError(f"{path}: a fleet file must hold a mapping")
    return data


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _replication_states() -> list[str]:
    return list(service_model().shape_for("DataReplicationState").enum)


def _merge(defaults: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(defaults)
    for key, value in entry.items():
        if key in MERGED_KEYS and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = copy.deepcopy(value)
    return out


def _fill(value: Any, n: int) -> Any:
    if isinstance(value, str):
        return value.format(n=n) if "{n" in value else value
    if isinstance(value, dict):
        return {k: _fill(v, n) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, n) for v in value]
    return value


def expand_servers(entries: list[Any], defaults: dict[str, Any], where: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, raw in enumerate(entries or []):
        here = f"{where}.servers[{i}]"
        if not isinstance(raw, dict):
            raise FleetError(f"{here}: a server must be a mapping")
        unknown = set(raw) - SERVER_KEYS
        if unknown:
            raise FleetError(f"{here}: unknown keys {sorted(unknown)}")
        entry = _merge(defaults, raw)
        if not entry.get("hostname"):
            raise FleetError(f"{here}: hostname is required")
        count = int(entry.pop("count", 1))
        start = int(entry.pop("start", 1))
        if count > 1 or "{n" in str(entry["hostname"]):
            out.extend(_fill(entry, n) for n in range(start, start + count))
        else:
            out.append(entry)
    return out


def parse_fleet(data: dict[str, Any]) -> FleetSpec:
    if not isinstance(data, dict):
        raise FleetError("a fleet must be a mapping")
    unknown_top = {k for k in data if k not in TOP_LEVEL_KEYS and not str(k).startswith("x-")}
    if unknown_top:
        raise FleetError(f"unknown top-level keys {sorted(unknown_top)} (use an x- prefix for YAML anchors)")
    defaults = data.get("defaults") or {}
    if set(defaults) - SERVER_KEYS:
        raise FleetError(f"defaults: unknown keys {sorted(set(defaults) - SERVER_KEYS)}")
    spec = FleetSpec(
        regions=[],
        quotas=_quotas(data.get("quotas"), "quotas"),
        timings={_snake(k): float(v) for k, v in (data.get("timings") or {}).items()},
    )
    _conventions(data.get("conventions"), spec)
    states = _replication_states()
    for a, account_entry in enumerate(data.get("accounts") or []):
        where = f"accounts[{a}]"
        account = str(account_entry.get("accountId", ""))
        if not re.fullmatch(r"[0-9]{12}", account):
            raise FleetError(f"{where}: accountId must be 12 digits")
        staging = [str(s) for s in account_entry.get("stagingAccounts") or []]
        account_quotas = _quotas(account_entry.get("quotas"), f"{where}.quotas")
        for r, region_entry in enumerate(account_entry.get("regions") or []):
            rwhere = f"{where}.regions[{r}]"
            region = str(region_entry.get("region", ""))
            if not region:
                raise FleetError(f"{rwhere}: region is required")
            servers = expand_servers(region_entry.get("servers") or [], defaults, rwhere)
            for s in servers:
                state = s.get("replicationState", "CONTINUOUS")
                if state not in states:
                    raise FleetError(f"{rwhere}: {s['hostname']}: replicationState must be one of {states}")
                outcome = (s.get("launch") or {}).get("outcome", "LAUNCHED")
                if outcome not in ("LAUNCHED", "FAILED"):
                    raise FleetError(f"{rwhere}: {s['hostname']}: launch.outcome must be LAUNCHED or FAILED")
                if (s.get("launch") or {}).get("phase", "LAUNCH") not in ("LAUNCH", "CONVERSION"):
                    raise FleetError(f"{rwhere}: {s['hostname']}: launch.phase must be LAUNCH or CONVERSION")
                for t in s.get("transitions") or []:
                    if t.get("state") not in states or "afterSeconds" not in t:
                        raise FleetError(
                            f"{rwhere}: {s['hostname']}: transitions need afterSeconds and a valid state"
                        )
                if "pitPolicy" in s:
                    try:
                        s["pitPolicy"] = snapshots.validate_policy(s["pitPolicy"], f"{rwhere}: {s['hostname']}")
                    except ValueError as exc:
                        raise FleetError(str(exc)) from None
                if s.get("id") and not re.fullmatch(r"s-[0-9a-zA-Z]{17}", str(s["id"])):
                    raise FleetError(f"{rwhere}: {s['hostname']}: id must match s-[0-9a-zA-Z]{{17}}")
            spec.regions.append(
                RegionSpec(
                    account=account,
                    region=region,
                    initialized=bool(region_entry.get("initialized", True)),
                    staging_accounts=staging,
                    servers=servers,
                    quotas={**account_quotas, **_quotas(region_entry.get("quotas"), f"{rwhere}.quotas")},
                )
            )
    return spec


def _conventions(value: Any, spec: FleetSpec) -> None:
    if value is None:
        return
    if not isinstance(value, dict) or set(value) - {"busyError", "quotaCodes"}:
        raise FleetError("conventions: a mapping of busyError and quotaCodes")
    if "busyError" in value:
        if value["busyError"] not in BUSY_ERRORS:
            raise FleetError(f"conventions.busyError must be one of {list(BUSY_ERRORS)}")
        spec.busy_error = str(value["busyError"])
    codes = value.get("quotaCodes") or {}
    known = {f.name for f in dataclasses.fields(Quotas)}
    for key, code in codes.items():
        if _snake(str(key)) not in known or not isinstance(code, str) or not code:
            raise FleetError(f"conventions.quotaCodes.{key}: a quota name and a non-empty code")
        spec.quota_codes[_snake(str(key))] = code


def _quotas(value: Any, where: str) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FleetError(f"{where}: must be a mapping")
    known = {f.name for f in dataclasses.fields(Quotas)}
    out = {}
    for key, limit in value.items():
        name = _snake(str(key))
        if name not in known:
            raise FleetError(f"{where}: unknown quota {key!r} (known: {sorted(known)})")
        if not isinstance(limit, int) or limit < 0:
            raise FleetError(f"{where}.{key}: must be a non-negative integer")
        out[name] = limit
    return out


def _cpus(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return [{"cores": 2, "modelName": "Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz"}]
    if isinstance(value, int):
        return [{"cores": value, "modelName": "Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz"}]
    return [{"cores": int(c.get("cores", 1)), "modelName": str(c.get("modelName", "unknown"))} for c in value]


def _disks(value: Any) -> list[dict[str, Any]]:
    if not value:
        return [{"deviceName": "/dev/sda", "bytes": 50 * GIB}]
    out = []
    for i, d in enumerate(value):
        size = int(d["bytes"]) if "bytes" in d else int(float(d.get("sizeGiB", 50)) * GIB)
        out.append({"deviceName": str(d.get("deviceName", f"/dev/sd{chr(97 + i)}")), "bytes": size})
    return out


def build_server(entry: dict[str, Any], account: str, region: str, now: float) -> SourceServer:
    """A :class:`SourceServer` from one expanded fleet entry (EC2 resources are made by the caller)."""
    hostname = str(entry["hostname"])
    server_id = str(entry.get("id") or ids.server_id_for(account, region, hostname))
    state = str(entry.get("replicationState", "CONTINUOUS"))
    since = now - float(entry.get("stateSinceSeconds", _STATE_SINCE_DEFAULTS.get(state, 7 * DAY)))
    added = min(now - 30 * DAY, since)
    cloud = entry.get("sourceCloud")
    source_cloud = None
    if cloud:
        origin_region = str(cloud.get("region", region))
        source_cloud = {
            "originAccountID": str(cloud.get("accountId", account)),
            "originRegion": origin_region,
            "originAvailabilityZone": str(cloud.get("availabilityZone", f"{origin_region}a")),
        }
    launch = entry.get("launch") or {}
    ram = int(entry["ramBytes"]) if "ramBytes" in entry else int(float(entry.get("ramGiB", 8)) * GIB)
    server = SourceServer(
        server_id=server_id,
        account=account,
        region=region,
        hostname=hostname,
        tags={str(k): str(v) for k, v in (entry.get("tags") or {}).items()},
        os_name=str(entry.get("os", "Linux")),
        cpus=_cpus(entry.get("cpus")),
        ram_bytes=ram,
        disks=_disks(entry.get("disks")),
        recommended_instance_type=str(entry.get("recommendedInstanceType", "t3.medium")),
        architecture=str(entry.get("architecture", "x86_64")),
        private_ip=entry.get("privateIp"),
        mac_address=str(entry.get("macAddress") or ids.mac_for(server_id)),
        vmware_uuid=None if cloud else str(entry.get("vmWareUuid") or ids.uuid_for(server_id)),
        source_cloud=source_cloud,
        replication_state=state,
        lag_seconds=float(entry.get("lagSeconds", 0)),
        replication_error=entry.get("replicationError"),
        state_since=since,
        added_at=added,
        first_byte_at=None if state == "INITIATING" else added + 3600,
        launch=LaunchBehaviour(
            duration_seconds=float(launch["durationSeconds"]) if "durationSeconds" in launch else None,
            outcome=str(launch.get("outcome", "LAUNCHED")),
            reason=launch.get("reason"),
            phase=str(launch.get("phase", "LAUNCH")),
        ),
        launch_config={
            "name": hostname,
            **DEFAULT_LAUNCH_CONFIGURATION,
            **(entry.get("launchConfiguration") or {}),
        },
        agent_version=str(entry.get("agentVersion", "4.7.1")),
    )
    if state == "STALLED" and not server.replication_error:
        server.replication_error = {
            "error": "UNSTABLE_NETWORK",
            "rawError": "Replication stalled: network unstable",
        }
    server.pit_policy = list(entry.get("pitPolicy") or [])
    # replication history: healthy for (at least) the last 7 days, up to the current state's start
    # when replication is not healthy now; never for a server still in (or restarting) its initial sync
    if state in LAUNCHABLE_STATES:
        server.pit_windows = [(min(now - 7 * DAY, since), None)]
    elif state in ("STALLED", "PAUSED", "DISCONNECTED"):
        server.pit_windows = [(min(now - 7 * DAY, since - 3600), since)]
    server.transitions = sorted(
        (now + float(t["afterSeconds"]), str(t["state"])) for t in entry.get("transitions") or []
    )
    return server
