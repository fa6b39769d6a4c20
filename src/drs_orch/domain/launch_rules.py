"""Rules around the launch-settings merge of :mod:`drs_orch.domain.launch_config`: which fields a
server's settings manage, how what DRS and EC2 hold is compared with them, how a launch-template
version carries forward what it does not change, how ``launchConfigStatus`` records are built, and
which path a wave takes. Pure: no I/O, time is passed in.

Managed fields. A field the effective config sets is managed; a null field is left alone. One
exception: when the effective config manages the subnet and does not let DRS copy the source IP
(``copyPrivateIp`` not true), the template's fixed private IP is managed too, so removing a static
IP override really removes the address from the launch template instead of leaving the old one.

Instance type. DRS right-sizing (BASIC, the DRS default, or IN_AWS) picks the instance type itself
and ignores the launch template's, so a managed ``instanceType`` only takes effect with right-sizing
NONE: :func:`intended_config` adds ``targetInstanceTypeRightSizingMethod: NONE`` when the merged
settings set an instance type and leave right-sizing unset (an explicit BASIC/IN_AWS next to an
instance type is refused by the static validation).

Drift. The stored ``configHash`` of a server is the hash of its effective config when it was
applied. What DRS and EC2 hold now is read back with :func:`~drs_orch.domain.launch_config.from_observed`,
restricted to the managed fields (:func:`project_observed`) and hashed with the same
:func:`~drs_orch.domain.launch_config.config_hash`; a server with overrides therefore hashes like its
own merged settings and never looks drifted because of them.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from drs_orch.domain.launch_config import (
    EffectiveLaunchConfig,
    LaunchConfig,
    LaunchConfigStatus,
    RightSizingMethod,
    ServerConfigStatus,
    ServerLaunchOverride,
    aggregate_status,
    config_hash,
    effective_config,
    split_for_drs_and_ec2,
)
from drs_orch.domain.statuses import LaunchConfigState

L = LaunchConfigState

_SETTINGS = tuple(name for name in EffectiveLaunchConfig.model_fields if name != "static_private_ip")


def intended_config(group: LaunchConfig | None, override: ServerLaunchOverride | None) -> EffectiveLaunchConfig:
    """The settings applied, hashed, drift-checked and shown for one server: the merge of
    :func:`~drs_orch.domain.launch_config.effective_config` plus the instance-type rule above."""
    merged = effective_config(group, override)
    if merged.instance_type is not None and merged.target_instance_type_right_sizing_method is None:
        return merged.model_copy(update={"target_instance_type_right_sizing_method": RightSizingMethod.NONE})
    return merged


def manages_private_ip(intended: EffectiveLaunchConfig) -> bool:
    """Whether the template's fixed private IP is ours to set or clear (module docstring)."""
    return intended.static_private_ip is not None or (
        intended.subnet_id is not None and intended.copy_private_ip is not True
    )


def is_managed(intended: EffectiveLaunchConfig) -> bool:
    """Whether the server has any launch setting to apply."""
    return any(getattr(intended, name) is not None for name in _SETTINGS) or intended.static_private_ip is not None


def project_observed(intended: EffectiveLaunchConfig, observed: EffectiveLaunchConfig) -> EffectiveLaunchConfig:
    """``observed`` restricted to the fields ``intended`` manages."""
    values: dict[str, Any] = {
        name: getattr(observed, name) for name in _SETTINGS if getattr(intended, name) is not None
    }
    if manages_private_ip(intended):
        values["static_private_ip"] = observed.static_private_ip
    return EffectiveLaunchConfig.model_validate(values)


def observed_hash(intended: EffectiveLaunchConfig, observed: EffectiveLaunchConfig) -> str:
    """The hash of what DRS and EC2 hold, as far as ``intended`` manages it."""
    return config_hash(project_observed(intended, observed))


def drs_part_matches(intended: EffectiveLaunchConfig, drs_configuration: Mapping[str, Any]) -> bool:
    """Whether DRS already holds every DRS-side field ``intended`` sets."""
    wanted, _ = split_for_drs_and_ec2(intended)
    return all(drs_configuration.get(key) == value for key, value in wanted.items())


# ---------------------------------------------------------------------------- what AWS holds


@dataclass(frozen=True)
class SubnetInfo:
    subnet_id: str
    vpc_id: str
    cidr: str


@dataclass(frozen=True)
class AddressUse:
    """A network interface holding a private IP."""

    network_interface_id: str
    instance_id: str | None
    description: str


@dataclass(frozen=True)
class TemplateVersion:
    """One version of an EC2 launch template: id, number and ``LaunchTemplateData``."""

    template_id: str
    version: int
    data: dict[str, Any]


# ---------------------------------------------------------------------------- launch templates

_TOP_LEVEL_GROUP_KEYS = ("SecurityGroupIds", "SecurityGroups")


@dataclass(frozen=True)
class TemplateChange:
    """The complete data of the next launch-template version.

    ``inheritable`` is false when a top-level key of the current version had to be removed: a
    version based on ``SourceVersion`` would inherit it, so the version is written without one
    (``data`` already holds everything carried forward).
    """

    data: dict[str, Any]
    changed: bool
    inheritable: bool


def _primary_index(interfaces: Sequence[Mapping[str, Any]]) -> int | None:
    for index, interface in enumerate(interfaces):
        if int(interface.get("DeviceIndex", 0) or 0) == 0:
            return index
    return 0 if interfaces else None


def merge_template_data(current: Mapping[str, Any], intended: EffectiveLaunchConfig) -> TemplateChange:
    """``current`` (the default version's ``LaunchTemplateData``) with the EC2 fields of
    ``intended`` written over it. Everything else, including the other keys of the primary network
    interface and the other interfaces, is carried forward unchanged."""
    data = copy.deepcopy(dict(current))
    _, ec2 = split_for_drs_and_ec2(intended)
    removed_top_level = False
    if "InstanceType" in ec2:
        data["InstanceType"] = ec2["InstanceType"]
    if "IamInstanceProfile" in ec2:
        data["IamInstanceProfile"] = ec2["IamInstanceProfile"]
    wanted = dict(ec2["NetworkInterfaces"][0]) if "NetworkInterfaces" in ec2 else {}
    wanted.pop("DeviceIndex", None)
    private_ip_managed = manages_private_ip(intended)
    # a managed private IP implies a managed subnet or a static IP, so ``wanted`` is not empty
    if wanted:
        interfaces = [dict(i) for i in data.get("NetworkInterfaces") or []]
        index = _primary_index(interfaces)
        if index is None:
            interfaces.append({"DeviceIndex": 0})
            index = 0
        primary = interfaces[index]
        primary.update(wanted)
        if "Groups" in wanted:
            for key in _TOP_LEVEL_GROUP_KEYS:
                if key in data:
                    del data[key]
                    removed_top_level = True
        if private_ip_managed:
            addresses = [a for a in primary.get("PrivateIpAddresses") or [] if not a.get("Primary")]
            if addresses:
                primary["PrivateIpAddresses"] = addresses
            else:
                primary.pop("PrivateIpAddresses", None)
            if intended.static_private_ip is None:
                primary.pop("PrivateIpAddress", None)
        data["NetworkInterfaces"] = interfaces
    return TemplateChange(data=data, changed=data != dict(current), inheritable=not removed_top_level)


# ---------------------------------------------------------------------------- apply targets


class Reason(StrEnum):
    NEVER_APPLIED = "never applied"
    NOT_READY = "last apply failed or did not finish"
    CHANGED = "settings changed since the last apply"
    FORCED = "re-apply forced"
    DRIFTED = "DRS or EC2 changed out of band"


@dataclass(frozen=True)
class ServerPlan:
    """The servers of one group and what each needs."""

    intended: dict[str, EffectiveLaunchConfig]
    unmanaged: list[str]
    targets: dict[str, Reason]
    up_to_date: list[str]

    @property
    def hashes(self) -> dict[str, str]:
        return {sid: config_hash(cfg) for sid, cfg in self.intended.items()}


def plan_servers(
    intended: Mapping[str, EffectiveLaunchConfig],
    stored: LaunchConfigStatus | None,
    *,
    force: bool = False,
    only: Iterable[str] | None = None,
) -> ServerPlan:
    """Split the servers into unmanaged ones, ones to apply (with the reason) and ones whose stored
    ready hash equals their effective-config hash. ``only`` restricts the result to some servers."""
    wanted = set(only) if only is not None else None
    managed: dict[str, EffectiveLaunchConfig] = {}
    unmanaged: list[str] = []
    targets: dict[str, Reason] = {}
    up_to_date: list[str] = []
    entries = stored.server_configs if stored is not None else {}
    for server_id, cfg in intended.items():
        if wanted is not None and server_id not in wanted:
            continue
        if not is_managed(cfg):
            unmanaged.append(server_id)
            continue
        managed[server_id] = cfg
        entry = entries.get(server_id)
        if entry is None or entry.status is L.NOT_CONFIGURED:
            reason: Reason | None = Reason.NEVER_APPLIED
        elif entry.status is not L.READY:
            reason = Reason.NOT_READY
        elif entry.config_hash != config_hash(cfg):
            reason = Reason.CHANGED
        else:
            reason = Reason.FORCED if force else None
        if reason is None:
            up_to_date.append(server_id)
        else:
            targets[server_id] = reason
    return ServerPlan(managed, sorted(unmanaged), targets, sorted(up_to_date))


# ---------------------------------------------------------------------------- status records


@dataclass(frozen=True)
class ServerOutcome:
    """What applying one server did. ``config_hash`` is the hash of the settings applied."""

    status: LaunchConfigState
    config_hash: str | None = None
    errors: list[str] = field(default_factory=list)
    launch_template_id: str | None = None


def applying_record(
    previous: LaunchConfigStatus | None, targets: Iterable[str], actor: str, now_iso: str
) -> LaunchConfigStatus:
    """The status written when an apply starts: the group and its target servers ``applying``,
    everything else as it was. ``lastApplied`` is the previous one, or ``now_iso`` for a first
    apply (a status other than not_configured always carries a timestamp)."""
    base = previous or LaunchConfigStatus()
    configs = dict(base.server_configs)
    for server_id in targets:
        old = configs.get(server_id)
        configs[server_id] = ServerConfigStatus(
            status=L.APPLYING,
            config_hash=old.config_hash if old else None,
            last_applied=old.last_applied if old else None,
        )
    return LaunchConfigStatus(
        status=L.APPLYING,
        last_applied=base.last_applied or now_iso,
        applied_by=actor,
        server_configs=configs,
        errors=[],
    )


def released_record(previous: LaunchConfigStatus | None, why: str | None, now_iso: str) -> LaunchConfigStatus:
    """An apply let go before it settled: the group ``pending`` (with ``why``), its servers still
    ``applying`` pending again (their last applied hash kept), everything else as it was."""
    base = previous or LaunchConfigStatus()
    return LaunchConfigStatus(
        status=L.PENDING,
        last_applied=base.last_applied or now_iso,
        applied_by=base.applied_by,
        server_configs={s: c if c.status is not L.APPLYING else ServerConfigStatus(
            status=L.PENDING, config_hash=c.config_hash, last_applied=c.last_applied)
            for s, c in base.server_configs.items()},
        errors=[why] if why else [],
    )


def settled_record(
    previous: LaunchConfigStatus | None,
    outcomes: Mapping[str, ServerOutcome],
    latest_intended: Mapping[str, EffectiveLaunchConfig],
    now_iso: str,
    actor: str,
) -> tuple[LaunchConfigStatus, dict[str, str]]:
    """The status after an apply, for the servers of the group as it is now (``latest_intended``:
    every member's effective config, read again after applying).

    A server is ready only when the hash applied equals its current effective-config hash, so an
    edit made while applying leaves the server pending instead of falsely ready. Returns the record
    and the launch template id learnt per server.
    """
    old_configs = previous.server_configs if previous is not None else {}
    configs: dict[str, ServerConfigStatus] = {}
    template_ids: dict[str, str] = {}
    errors: list[str] = []
    for server_id in sorted(latest_intended):
        cfg = latest_intended[server_id]
        want = config_hash(cfg)
        outcome = outcomes.get(server_id)
        old = old_configs.get(server_id)
        if not is_managed(cfg):
            configs[server_id] = ServerConfigStatus(status=L.NOT_CONFIGURED, config_hash=want)
            continue
        if outcome is not None:
            if outcome.launch_template_id:
                template_ids[server_id] = outcome.launch_template_id
            entry = ServerConfigStatus(
                status=outcome.status,
                config_hash=outcome.config_hash,
                last_applied=now_iso if outcome.status is not L.PENDING else (old.last_applied if old else None),
                errors=list(outcome.errors),
            )
        elif old is not None and old.status is not L.APPLYING:
            entry = old
        else:
            entry = ServerConfigStatus(status=L.PENDING, config_hash=old.config_hash if old else None,
                                       last_applied=old.last_applied if old else None)
        if entry.status is L.READY and entry.config_hash != want:
            entry = ServerConfigStatus(
                status=L.PENDING,
                config_hash=entry.config_hash,
                last_applied=entry.last_applied,
                errors=["launch settings changed after this server was applied"],
            )
        configs[server_id] = entry
        errors.extend(f"{server_id}: {message}" for message in entry.errors if entry.status is L.FAILED)
    status = aggregate_status(c.status for c in configs.values())
    record = LaunchConfigStatus(
        status=status,
        last_applied=now_iso if status is not L.NOT_CONFIGURED else (previous.last_applied if previous else None),
        applied_by=actor,
        server_configs=configs,
        errors=errors,
    )
    return record, template_ids


def unconfigured_record(previous: LaunchConfigStatus | None, members: Iterable[str]) -> LaunchConfigStatus:
    """The status of a group none of whose servers has launch settings."""
    return LaunchConfigStatus(
        status=L.NOT_CONFIGURED,
        last_applied=previous.last_applied if previous else None,
        applied_by=previous.applied_by if previous else None,
        server_configs={sid: ServerConfigStatus(status=L.NOT_CONFIGURED) for sid in sorted(members)},
        errors=[],
    )


# ---------------------------------------------------------------------------- wave start


class WavePath(StrEnum):
    FAST = "FAST"
    FALLBACK = "FALLBACK"
    NONE = "NONE"


def wave_path(managed: int, needing: Mapping[str, str]) -> tuple[WavePath, str]:
    """The path a wave takes given how many of its servers have launch settings and which of them
    need applying (server id -> why)."""
    if managed == 0:
        return WavePath.NONE, "no server of this wave has launch settings"
    if not needing:
        return WavePath.FAST, f"{managed} server(s) ready and not drifted"
    counts: dict[str, int] = {}
    for why in needing.values():
        counts[why] = counts.get(why, 0) + 1
    detail = ", ".join(f"{n} {why}" for why, n in sorted(counts.items()))
    return WavePath.FALLBACK, f"{len(needing)} of {managed} server(s) need applying: {detail}"
