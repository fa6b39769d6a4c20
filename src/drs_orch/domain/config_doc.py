"""The configuration document of GET /config/export and POST /config/import.

Schema ``2.0``::

    {"schemaVersion": "2.0", "exportedAt", "source": {"accountId", "region"},
     "targetAccounts": [{"accountId", "accountName", "roleArn"?, "stagingAccounts": [...]}],
     "protectionGroups": [{"groupName", "description", "region", "accountId",
                           "sourceServerIds" | "serverSelectionTags", "launchConfig"?, "servers"?}],
     "recoveryPlans": [{"planName", "description", "waves": [{"waveNumber", "waveName",
                        "protectionGroupNames": [...], "dependsOnWaves", "pauseBeforeWave",
                        "onServerFailure"}]}]}

Everything refers to everything else by name; no ids, no dates except ``exportedAt``, no secrets
(external ids are left out). Tag groups export their selection, not their resolved servers.
Lists are sorted by name so that equal configurations give equal documents.

The earlier system's export (no ``schemaVersion``, or ``1.x`` at the top or in ``metadata``) is
read too: groups with ``servers[]`` of ``{sourceServerId, useGroupDefaults, launchTemplate}``
become per-server overrides, wave ``protectionGroupName``/``protectionGroupId`` become group names,
and fields this system does not have (``assumeRoleName``, ``owner``, ``notificationEmail``, ...)
are dropped with a warning on the item.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.input_rules import MAX_IMPORT_ITEMS, check_count, nfc
from drs_orch.domain.launch_config import LaunchConfig, ServerLaunchOverride
from drs_orch.domain.models import ProtectionGroup, RecoveryPlan
from drs_orch.domain.plan_graph import migrate_stored_waves

SCHEMA_VERSION = "2.1"
# 2.0 documents predate explicit wave independence: an empty dependsOnWaves meant "start with the
# first wave" then, so their plans are read with that meaning (plan_graph.migrate_stored_waves).
_SCHEMA_BEFORE_INDEPENDENT = "2.0"
LEGACY = "legacy"

_GROUP_FIELDS = ("groupName", "description", "region", "accountId", "sourceServerIds", "serverSelectionTags",
                 "launchConfig", "servers")
_WAVE_FIELDS = ("waveNumber", "waveName", "waveDescription", "dependsOnWaves", "independent", "pauseBeforeWave",
                "onServerFailure", "rtoMinutes", "rpoMinutes")
_LAUNCH_FIELDS = frozenset(f.alias or n for n, f in LaunchConfig.model_fields.items())
_OVERRIDE_FIELDS = frozenset(f.alias or n for n, f in ServerLaunchOverride.model_fields.items())


@dataclass
class DocItem:
    kind: str  # targetAccount | protectionGroup | recoveryPlan
    name: str
    body: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


@dataclass
class ConfigDoc:
    schema: str
    accounts: list[DocItem]
    groups: list[DocItem]
    plans: list[DocItem]


# export ------------------------------------------------------------------------------------------


def export_group(group: ProtectionGroup) -> dict[str, Any]:
    out: dict[str, Any] = {"groupName": group.group_name, "description": group.description or "",
                           "region": group.region, "accountId": group.account_id}
    if group.server_selection_tags is not None:
        out["serverSelectionTags"] = dict(sorted(group.server_selection_tags.items()))
    else:
        out["sourceServerIds"] = sorted(group.source_server_ids)
    if group.launch_config:
        out["launchConfig"] = group.launch_config
    if group.servers:
        out["servers"] = dict(sorted(group.servers.items()))
    return out


def export_plan(plan: RecoveryPlan, group_names: Mapping[str, str]) -> dict[str, Any]:
    waves = []
    for wave in sorted(plan.wave_items(), key=lambda w: int(w["waveNumber"])):
        entry = {k: wave[k] for k in _WAVE_FIELDS if wave.get(k) is not None}
        entry["protectionGroupNames"] = [group_names.get(g, g) for g in wave.get("protectionGroupIds") or []]
        waves.append(entry)
    out: dict[str, Any] = {"planName": plan.plan_name, "description": plan.description or "", "waves": waves}
    objectives = {"rtoMinutes": plan.rto_minutes, "rpoMinutes": plan.rpo_minutes}  # issue 21
    out.update({k: v for k, v in objectives.items() if v is not None})
    return out


def export_account(account: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"accountId": account["accountId"]}
    for key in ("accountName", "roleArn"):
        if account.get(key):
            out[key] = account[key]
    out["stagingAccounts"] = [
        {k: s[k] for k in ("accountId", "accountName", "roleArn") if s.get(k)}
        for s in sorted(account.get("stagingAccounts") or [], key=lambda s: str(s.get("accountId")))
    ]
    return out


def export_document(groups: Iterable[ProtectionGroup], plans: Iterable[RecoveryPlan],
                    accounts: Iterable[Mapping[str, Any]], *, exported_at: str, account_id: str,
                    region: str) -> dict[str, Any]:
    group_list = sorted(groups, key=lambda g: g.group_name.lower())
    names = {g.group_id: g.group_name for g in group_list}
    return {
        "schemaVersion": SCHEMA_VERSION,
        "exportedAt": exported_at,
        "source": {"accountId": account_id, "region": region},
        "targetAccounts": [export_account(a) for a in sorted(accounts, key=lambda a: str(a["accountId"]))],
        "protectionGroups": [export_group(g) for g in group_list],
        "recoveryPlans": [export_plan(p, names) for p in sorted(plans, key=lambda p: p.plan_name.lower())],
    }


# import ------------------------------------------------------------------------------------------


def schema_of(config: Mapping[str, Any]) -> str:
    version = config.get("schemaVersion") or (config.get("metadata") or {}).get("schemaVersion")
    if version is not None and str(version).startswith("2"):
        return SCHEMA_VERSION
    if version is None or str(version).startswith("1"):
        return LEGACY
    raise ValidationFailed(f"unsupported schemaVersion {version!r} (this system reads 2.x and the earlier 1.x)",
                           code="UNSUPPORTED_SCHEMA")


def _declared_version(config: Mapping[str, Any]) -> str:
    return str(config.get("schemaVersion") or (config.get("metadata") or {}).get("schemaVersion") or "")


def _entries(config: Mapping[str, Any], key: str) -> list[Any]:
    value = config.get(key, [])
    if not isinstance(value, list):
        raise ValidationFailed(f"{key} must be a list", code="INVALID_CONFIG", details=[{"field": key,
                                                                                         "message": "must be a list"}])
    check_count(value, MAX_IMPORT_ITEMS, key)
    return value


def _name(entry: Any, key: str, index: int) -> str:
    if isinstance(entry, Mapping) and isinstance(entry.get(key), str) and entry[key].strip():
        return nfc(str(entry[key]).strip())
    return f"#{index}"


def parse_document(config: Mapping[str, Any]) -> ConfigDoc:
    """Items of either format, as bodies for the create/update models (still unvalidated)."""
    if not isinstance(config, Mapping):
        raise ValidationFailed("config must be an object", code="INVALID_CONFIG")
    schema = schema_of(config)
    accounts = [DocItem("targetAccount", _name(e, "accountId", i), dict(e) if isinstance(e, Mapping) else {})
                for i, e in enumerate(_entries(config, "targetAccounts"))]
    groups: list[DocItem] = []
    plans: list[DocItem] = []
    for i, entry in enumerate(_entries(config, "protectionGroups")):
        body = dict(entry) if isinstance(entry, Mapping) else {}
        item = DocItem("protectionGroup", _name(entry, "groupName", i), body)
        if schema == LEGACY:
            item.body, item.warnings = _legacy_group(body)
        groups.append(item)
    for i, entry in enumerate(_entries(config, "recoveryPlans")):
        body = dict(entry) if isinstance(entry, Mapping) else {}
        name_key = "planName" if isinstance(entry, Mapping) and "planName" in entry else "name"
        item = DocItem("recoveryPlan", _name(entry, name_key, i), body)
        if schema == LEGACY:
            item.body, item.warnings = _legacy_plan(body)
        elif _declared_version(config) == _SCHEMA_BEFORE_INDEPENDENT and isinstance(body.get("waves"), list):
            waves = [w for w in body["waves"] if isinstance(w, Mapping)]
            if len(waves) == len(body["waves"]):
                body["waves"] = migrate_stored_waves(waves, 1)
        plans.append(item)
    return ConfigDoc(schema, accounts, groups, plans)


def _legacy_group(entry: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    warnings: list[str] = []
    body = {k: entry[k] for k in _GROUP_FIELDS if k in entry and k != "servers"}
    dropped = sorted(k for k in entry if k not in _GROUP_FIELDS and k not in ("groupId",))
    if dropped:
        warnings.append(f"fields not used by this system were dropped: {', '.join(dropped)}")
    if body.get("serverSelectionTags") and "sourceServerIds" in body:
        body.pop("sourceServerIds")  # the earlier system stored the resolved snapshot next to the tags
    elif not body.get("serverSelectionTags"):
        body.pop("serverSelectionTags", None)
    config = body.get("launchConfig")
    if isinstance(config, Mapping):
        unknown = sorted(k for k in config if k not in _LAUNCH_FIELDS)
        if unknown:
            warnings.append(f"launchConfig fields not supported here were dropped: {', '.join(unknown)}")
        body["launchConfig"] = {k: v for k, v in config.items() if k in _LAUNCH_FIELDS and v is not None} or None
        if body["launchConfig"] is None:
            body.pop("launchConfig")
    servers = entry.get("servers")
    if isinstance(servers, list):
        overrides: dict[str, Any] = {}
        for server in servers:
            if not isinstance(server, Mapping) or not server.get("sourceServerId"):
                warnings.append("a servers[] entry without sourceServerId was dropped")
                continue
            template = server.get("launchTemplate") or {}
            override = {k: v for k, v in template.items() if k in _OVERRIDE_FIELDS and v is not None}
            if "useGroupDefaults" in server:
                override["useGroupDefaults"] = bool(server["useGroupDefaults"])
            unknown = sorted(k for k in template if k not in _OVERRIDE_FIELDS)
            if unknown:
                warnings.append(f"server {server['sourceServerId']}: launch fields dropped: {', '.join(unknown)}")
            if template or server.get("useGroupDefaults") is False:
                overrides[str(server["sourceServerId"])] = override
        if overrides:
            body["servers"] = overrides
    elif isinstance(servers, Mapping):
        body["servers"] = dict(servers)
    return body, warnings


def _legacy_plan(entry: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    warnings: list[str] = []
    body: dict[str, Any] = {"planName": entry.get("planName", entry.get("name")),
                            "description": entry.get("description") or ""}
    dropped = sorted(k for k in entry if k not in ("planName", "name", "description", "waves", "planId"))
    if dropped:
        warnings.append(f"fields not used by this system were dropped: {', '.join(dropped)}")
    waves = []
    for wave in entry.get("waves") or []:
        if not isinstance(wave, Mapping):
            waves.append(wave)
            continue
        out = {k: wave[k] for k in _WAVE_FIELDS if wave.get(k) is not None}
        if "waveName" not in out and wave.get("name"):
            out["waveName"] = wave["name"]
        names = list(wave.get("protectionGroupNames") or [])
        if wave.get("protectionGroupName") and wave["protectionGroupName"] not in names:
            names.insert(0, wave["protectionGroupName"])
        out["protectionGroupNames"] = names
        if not names and (wave.get("protectionGroupId") or wave.get("protectionGroupIds")):
            warnings.append(f"wave {wave.get('waveNumber')} refers to protection groups by the earlier system's "
                            "ids only; ids do not carry over, name the groups in protectionGroupName")
        waves.append(out)
    body["waves"] = waves
    return body, warnings
