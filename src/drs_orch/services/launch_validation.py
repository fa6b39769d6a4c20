"""Every problem with a group's launch settings, before anything is written: the static checks of
:func:`~drs_orch.domain.launch_config.validate_launch_config_static` plus what needs the target
account and region: subnet, security groups, instance type and instance profile exist; the security
groups belong to the subnet's VPC; a static private IP lies in the subnet, is not reserved and is
not held by a network interface.

A problem is ``{"field": "launchConfig.subnetId" | "servers.<serverId>.staticPrivateIp" | ...,
"message": ...}``. A problem of a group setting is reported once, under ``launchConfig``; a server
is only blamed for what its own override sets or combines differently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from ipaddress import AddressValueError, IPv4Address
from typing import Any

from pydantic import ValidationError

from drs_orch.domain.launch_config import (
    EffectiveLaunchConfig,
    LaunchConfig,
    ServerLaunchOverride,
    effective_config,
    ip_problems,
    validate_launch_config_static,
)
from drs_orch.domain.launch_rules import AddressUse, SubnetInfo
from drs_orch.domain.models import ProtectionGroup
from drs_orch.services.launch_apply import Ec2LaunchPort

Problem = dict[str, str]


@dataclass(frozen=True)
class ParsedSettings:
    group: LaunchConfig | None
    overrides: dict[str, ServerLaunchOverride]

    @property
    def is_empty(self) -> bool:
        group_empty = self.group is None or not self.group.model_dump(exclude_none=True)
        return group_empty and not self.overrides


def parse_settings(group: ProtectionGroup) -> tuple[ParsedSettings, list[Problem]]:
    """The group's launch settings as models, plus the static problems (formats, contradictions,
    a static IP given twice). Unparseable parts are left out of the models."""
    raw_group = group.launch_config or None
    raw_servers: Mapping[str, Any] = group.servers or {}
    problems: list[Problem] = []
    for key, messages in validate_launch_config_static(raw_group, raw_servers).items():
        field = "launchConfig" if key == "group" else f"servers.{key}"
        problems.extend({"field": field, "message": m} for m in messages)
    parsed_group: LaunchConfig | None = None
    if raw_group is not None:
        try:
            parsed_group = LaunchConfig.model_validate(raw_group)
        except ValidationError:
            parsed_group = None
    overrides: dict[str, ServerLaunchOverride] = {}
    for server_id, raw in raw_servers.items():
        try:
            overrides[server_id] = ServerLaunchOverride.model_validate(raw)
        except ValidationError:
            continue
    return ParsedSettings(parsed_group, overrides), problems


def _blame(server_id: str, override: ServerLaunchOverride, field: str) -> str:
    """Where a problem with ``field`` of a server's effective settings belongs."""
    own = getattr(override, field, None) is not None or not override.use_group_defaults
    return f"servers.{server_id}.{_camel(field)}" if own else f"launchConfig.{_camel(field)}"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class _Facts:
    """The AWS lookups a validation needs, made once for the whole group."""

    def __init__(self, ec2: Ec2LaunchPort, configs: list[EffectiveLaunchConfig]) -> None:
        subnet_ids = {c.subnet_id for c in configs if c.subnet_id}
        group_ids = {g for c in configs for g in c.security_group_ids or []}
        types = {c.instance_type for c in configs if c.instance_type}
        profiles = {c.instance_profile_name for c in configs if c.instance_profile_name}
        self.subnets: dict[str, SubnetInfo] = ec2.subnets(sorted(subnet_ids)) if subnet_ids else {}
        self.security_groups: dict[str, str] = ec2.security_groups(sorted(group_ids)) if group_ids else {}
        self.instance_types: set[str] = ec2.instance_types(sorted(types)) if types else set()
        self.profiles: set[str] = ec2.instance_profiles(sorted(profiles)) if profiles else set()
        ips = {c.static_private_ip for c in configs if c.static_private_ip}
        ip_subnets = {c.subnet_id for c in configs if c.static_private_ip and c.subnet_id in self.subnets}
        self.in_use: dict[tuple[str, str], AddressUse] = (
            ec2.addresses_in_use(sorted(ip_subnets), sorted(ips)) if ips and ip_subnets else {}
        )


def _config_problems(
    cfg: EffectiveLaunchConfig, facts: _Facts, where: Callable[[str], str]
) -> list[Problem]:
    """Problems of one effective config; ``where(field)`` names the field a problem is reported under."""
    out: list[Problem] = []
    subnet = facts.subnets.get(cfg.subnet_id) if cfg.subnet_id else None
    if cfg.subnet_id and subnet is None:
        out.append({"field": where("subnet_id"), "message": f"subnet {cfg.subnet_id} does not exist"})
    for group_id in cfg.security_group_ids or []:
        vpc = facts.security_groups.get(group_id)
        if vpc is None:
            out.append({"field": where("security_group_ids"), "message": f"security group {group_id} does not exist"})
        elif subnet is not None and vpc != subnet.vpc_id:
            field = where("subnet_id") if where("subnet_id").startswith("servers.") else where("security_group_ids")
            out.append({
                "field": field,
                "message": f"security group {group_id} is in {vpc}, not in the VPC {subnet.vpc_id} "
                           f"of subnet {subnet.subnet_id}",
            })
    if cfg.instance_type and cfg.instance_type not in facts.instance_types:
        out.append({"field": where("instance_type"),
                    "message": f"instance type {cfg.instance_type} is not offered in this region"})
    if cfg.instance_profile_name and cfg.instance_profile_name not in facts.profiles:
        out.append({"field": where("instance_profile_name"),
                    "message": f"instance profile {cfg.instance_profile_name} does not exist"})
    if cfg.static_private_ip and subnet is not None:
        for message in ip_problems(cfg.static_private_ip, subnet.cidr):
            out.append({"field": where("static_private_ip"), "message": message})
        use = facts.in_use.get((subnet.subnet_id, cfg.static_private_ip))
        if use is not None:
            holder = f" of instance {use.instance_id}" if use.instance_id else ""
            out.append({
                "field": where("static_private_ip"),
                "message": f"{cfg.static_private_ip} is in use by network interface "
                           f"{use.network_interface_id}{holder}",
            })
    return out


def find_problems(group: ProtectionGroup, ec2: Ec2LaunchPort | None) -> list[Problem]:
    """Every problem of the group's launch settings. ``ec2`` may be None only when the group has no
    launch settings (nothing to look up)."""
    settings, problems = parse_settings(group)
    if settings.is_empty or ec2 is None:
        return problems
    group_cfg = effective_config(settings.group, None)
    per_server = {sid: effective_config(settings.group, o) for sid, o in settings.overrides.items()}
    facts = _Facts(ec2, [group_cfg, *per_server.values()])
    seen: set[tuple[str, str]] = set()

    def add(found: list[Problem]) -> None:
        for p in found:
            key = (p["field"], p["message"])
            if key not in seen:
                seen.add(key)
                problems.append(p)

    add(_config_problems(group_cfg, facts, lambda f: f"launchConfig.{_camel(f)}"))
    for server_id, cfg in sorted(per_server.items()):
        override = settings.overrides[server_id]
        add(_config_problems(cfg, facts, partial(_blame, server_id, override)))
    return problems


def static_ip_report(
    ip: str,
    subnet_id: str | None,
    ec2: Ec2LaunchPort,
    others: Mapping[str, str],
) -> dict[str, Any]:
    """POST .../validate-ip: can ``ip`` be the static private IP of a server placed in ``subnet_id``?
    ``others`` maps the static IPs of the group's other servers to their server ids."""
    problems: list[str] = []
    cidr: str | None = None
    try:
        ip = str(IPv4Address(ip.strip()))
    except AddressValueError:
        return {"ip": ip, "subnetId": subnet_id, "cidr": None, "valid": False,
                "problems": [f"{ip!r} is not a valid IPv4 address"]}
    if subnet_id is None:
        problems.append("no subnetId: give one, or set one on the server or the group")
    else:
        subnet = ec2.subnets([subnet_id]).get(subnet_id)
        if subnet is None:
            problems.append(f"subnet {subnet_id} does not exist")
        else:
            cidr = subnet.cidr
            found = ip_problems(ip, subnet.cidr)
            problems.extend(found)
            if not found:
                use = ec2.addresses_in_use([subnet_id], [ip]).get((subnet_id, ip))
                if use is not None:
                    holder = f" of instance {use.instance_id}" if use.instance_id else ""
                    problems.append(f"{ip} is in use by network interface {use.network_interface_id}{holder}")
    if ip in others:
        problems.append(f"{ip} is already the static IP of server {others[ip]} in this group")
    return {"ip": ip, "subnetId": subnet_id, "cidr": cidr, "valid": not problems, "problems": problems}
