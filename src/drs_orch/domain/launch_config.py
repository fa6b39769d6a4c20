"""Launch settings of protection groups: the group defaults, per-server overrides, the one merge
(:func:`effective_config`) used by apply, hash, drift check and display, and the status record.

Merge rule:

- no override: the group settings;
- ``useGroupDefaults`` true (the default): the group settings, with every field the override sets
  (not null) replacing the group's value;
- ``useGroupDefaults`` false: the override alone; the group settings are ignored entirely;
- ``staticPrivateIp`` comes only from the override. A static IP implies ``copyPrivateIp`` false:
  unless the override sets ``copyPrivateIp`` itself, the effective value is false even when the
  group says true (an explicit ``copyPrivateIp: true`` next to a static IP is refused by
  :func:`validate_launch_config_static`).

A field left null is not managed: it is neither written to DRS/EC2 nor part of the hash.

Static contradictions refused by :func:`validate_launch_config_static`:

- ``targetInstanceTypeRightSizingMethod`` BASIC or IN_AWS together with ``instanceType``: DRS then
  picks the instance type itself and overwrites the launch template's, so the explicit type would
  silently not apply;
- ``staticPrivateIp`` with ``copyPrivateIp`` true: DRS would copy the source IP instead;
- ``staticPrivateIp`` without a ``subnetId`` (from the group or the server): the address can only
  be checked against, and placed into, a known subnet.

Launch configuration status transitions are in :data:`drs_orch.domain.statuses.LAUNCH_CONFIG_TRANSITIONS`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from ipaddress import AddressValueError, IPv4Address, IPv4Network, NetmaskValueError
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from drs_orch.domain.errors import UpstreamError
from drs_orch.domain.field_errors import error_details
from drs_orch.domain.input_rules import MAX_SECURITY_GROUPS, max_items
from drs_orch.domain.statuses import LaunchConfigState

SOURCE_SERVER_ID_PATTERN = r"^s-[0-9a-zA-Z]{17}$"
SUBNET_ID_PATTERN = r"^subnet-[0-9a-f]{8,17}$"
SECURITY_GROUP_ID_PATTERN = r"^sg-[0-9a-f]{8,17}$"
INSTANCE_TYPE_PATTERN = r"^[a-z][a-z0-9-]*\.[a-z0-9-]+$"
INSTANCE_PROFILE_NAME_PATTERN = r"^[A-Za-z0-9_+=,.@-]{1,128}$"
CONFIG_HASH_PATTERN = r"^sha256:[0-9a-f]{64}$"


def _iso_timestamp(value: str) -> str:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO-8601 timestamp") from None
    return value


IsoTimestamp = Annotated[str, AfterValidator(_iso_timestamp)]


def _canonical_ip(value: str) -> str:
    try:
        return str(IPv4Address(value.strip()))
    except AddressValueError:
        raise ValueError(f"{value!r} is not a valid IPv4 address") from None


StaticIp = Annotated[str, AfterValidator(_canonical_ip)]
SecurityGroupId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=SECURITY_GROUP_ID_PATTERN)]


class LaunchDisposition(StrEnum):
    STARTED = "STARTED"
    STOPPED = "STOPPED"


class RightSizingMethod(StrEnum):
    NONE = "NONE"
    BASIC = "BASIC"
    IN_AWS = "IN_AWS"


class RecoveryMode(StrEnum):
    FAST = "FAST"
    OPTIMAL = "OPTIMAL"


_CAMEL = ConfigDict(
    alias_generator=to_camel, populate_by_name=True, extra="forbid", str_strip_whitespace=True
)


class Licensing(BaseModel):
    model_config = ConfigDict(**_CAMEL, frozen=True)

    os_byol: bool | None = None


class LaunchIntoInstanceProperties(BaseModel):
    """DRS ``launchIntoInstanceProperties``: the EC2 instance DRS launches into instead of a new one
    (issue 14, instance pairs). Set per server only; an empty one means unset."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    launch_into_ec2_instance_id: str | None = Field(
        default=None, alias="launchIntoEC2InstanceID", pattern=r"^i-[0-9a-fA-F]{8,17}$"
    )


class LaunchSettings(BaseModel):
    """The fields a group and an override share. Empty lists and empty licensing mean unset."""

    model_config = _CAMEL

    subnet_id: str | None = Field(default=None, pattern=SUBNET_ID_PATTERN)
    security_group_ids: Annotated[list[SecurityGroupId] | None, max_items(MAX_SECURITY_GROUPS)] = None
    instance_type: str | None = Field(default=None, pattern=INSTANCE_TYPE_PATTERN)
    instance_profile_name: str | None = Field(default=None, pattern=INSTANCE_PROFILE_NAME_PATTERN)
    copy_private_ip: bool | None = None
    copy_tags: bool | None = None
    launch_disposition: LaunchDisposition | None = None
    licensing: Licensing | None = None
    target_instance_type_right_sizing_method: RightSizingMethod | None = None
    post_launch_enabled: bool | None = None
    recovery_mode: RecoveryMode | None = None
    launch_into_instance_properties: LaunchIntoInstanceProperties | None = None

    @field_validator("launch_into_instance_properties")
    @classmethod
    def _drop_empty_launch_into(cls, value: LaunchIntoInstanceProperties | None) -> LaunchIntoInstanceProperties | None:
        return None if value is None or value.launch_into_ec2_instance_id is None else value

    @field_validator("security_group_ids")
    @classmethod
    def _dedupe_security_groups(cls, value: list[str] | None) -> list[str] | None:
        if not value:
            return None
        return list(dict.fromkeys(value))

    @field_validator("licensing")
    @classmethod
    def _drop_empty_licensing(cls, value: Licensing | None) -> Licensing | None:
        return None if value is None or value.os_byol is None else value


_SETTINGS_FIELDS: tuple[str, ...] = tuple(LaunchSettings.model_fields)


class LaunchConfig(LaunchSettings):
    """A protection group's launch settings (all optional)."""

    @field_validator("launch_into_instance_properties")
    @classmethod
    def _launch_into_is_per_server(cls, value: LaunchIntoInstanceProperties | None) -> None:
        if value is not None:
            raise ValueError("launchIntoInstanceProperties is one instance per server: set it on the server "
                             "(instance pairs, POST /protection-groups/{id}/configure-allow-launching)")
        return None


class ServerLaunchOverride(LaunchSettings):
    """Per-server launch settings; see the module docstring for how they combine with the group's."""

    use_group_defaults: bool = True
    static_private_ip: StaticIp | None = None


class EffectiveLaunchConfig(LaunchSettings):
    """The settings that apply to one server. Security groups sorted; a static IP with an unset
    ``copyPrivateIp`` means ``copyPrivateIp`` false."""

    model_config = ConfigDict(**_CAMEL, frozen=True)

    static_private_ip: StaticIp | None = None

    @field_validator("security_group_ids")
    @classmethod
    def _sort_security_groups(cls, value: list[str] | None) -> list[str] | None:
        return sorted(set(value)) if value else None

    @model_validator(mode="after")
    def _static_ip_disables_copy(self) -> EffectiveLaunchConfig:
        if self.static_private_ip is not None and self.copy_private_ip is None:
            object.__setattr__(self, "copy_private_ip", False)
        return self


def _set_fields(settings: LaunchSettings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in _SETTINGS_FIELDS if getattr(settings, name) is not None}


def effective_config(
    group: LaunchConfig | None, override: ServerLaunchOverride | None
) -> EffectiveLaunchConfig:
    """THE merge of group settings and a server override (rules in the module docstring)."""
    values: dict[str, Any] = {}
    if group is not None and (override is None or override.use_group_defaults):
        values.update(_set_fields(group))
    if override is not None:
        values.update(_set_fields(override))
        if override.static_private_ip is not None:
            values["static_private_ip"] = override.static_private_ip
            if override.copy_private_ip is None:
                values["copy_private_ip"] = False
    return EffectiveLaunchConfig.model_validate(values)


def canonical_config(effective: EffectiveLaunchConfig) -> dict[str, Any]:
    """The camelCase dict that is hashed: unset fields dropped, security groups sorted."""
    return effective.model_dump(mode="json", by_alias=True, exclude_none=True)


def config_hash(effective: EffectiveLaunchConfig) -> str:
    """``sha256:<hex>`` of the canonical JSON (sorted keys, no whitespace). Empty settings hash
    like ``{}``."""
    text = json.dumps(canonical_config(effective), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


# Everything but the network, type and profile fields goes to DRS UpdateLaunchConfiguration.
_EC2_FIELDS = frozenset({"subnet_id", "security_group_ids", "instance_type", "instance_profile_name"})
_DRS_FIELDS: tuple[str, ...] = tuple(name for name in _SETTINGS_FIELDS if name not in _EC2_FIELDS)


def split_for_drs_and_ec2(effective: EffectiveLaunchConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(drs_fields, ec2_fields)``: keyword arguments for DRS ``UpdateLaunchConfiguration``
    (without ``sourceServerID``) and the EC2 ``LaunchTemplateData`` to write. Unset fields are
    left out of both."""
    canonical = canonical_config(effective)
    drs = {to_camel(name): canonical[to_camel(name)] for name in _DRS_FIELDS if to_camel(name) in canonical}
    ec2: dict[str, Any] = {}
    if effective.instance_type is not None:
        ec2["InstanceType"] = effective.instance_type
    if effective.instance_profile_name is not None:
        ec2["IamInstanceProfile"] = {"Name": effective.instance_profile_name}
    interface: dict[str, Any] = {}
    if effective.subnet_id is not None:
        interface["SubnetId"] = effective.subnet_id
    if effective.security_group_ids is not None:
        interface["Groups"] = list(effective.security_group_ids)
    if effective.static_private_ip is not None:
        interface["PrivateIpAddress"] = effective.static_private_ip
    if interface:
        ec2["NetworkInterfaces"] = [{"DeviceIndex": 0, **interface}]
    return drs, ec2


def _primary_interface(ec2: Mapping[str, Any]) -> Mapping[str, Any]:
    interfaces = [i for i in ec2.get("NetworkInterfaces") or [] if isinstance(i, Mapping)]
    for interface in interfaces:
        if interface.get("DeviceIndex", 0) == 0:
            return interface
    return interfaces[0] if interfaces else {}


def from_observed(
    drs_launch_configuration: Mapping[str, Any], ec2_launch_template_data: Mapping[str, Any]
) -> EffectiveLaunchConfig:
    """Read what DRS (``GetLaunchConfiguration``) and EC2 (``LaunchTemplateData`` of the default
    version) hold back into the model, so an applied config hashes like the intended one."""
    values: dict[str, Any] = {}
    for name in _DRS_FIELDS:
        value = drs_launch_configuration.get(to_camel(name))
        if value is not None:
            values[name] = value
    ec2 = ec2_launch_template_data
    if ec2.get("InstanceType"):
        values["instance_type"] = ec2["InstanceType"]
    profile = ec2.get("IamInstanceProfile") or {}
    if profile.get("Name"):
        values["instance_profile_name"] = profile["Name"]
    elif profile.get("Arn"):
        values["instance_profile_name"] = str(profile["Arn"]).rsplit("/", 1)[-1]
    interface = _primary_interface(ec2)
    if interface.get("SubnetId"):
        values["subnet_id"] = interface["SubnetId"]
    groups = interface.get("Groups") or ec2.get("SecurityGroupIds")
    if groups:
        values["security_group_ids"] = list(groups)
    private_ip = interface.get("PrivateIpAddress")
    if private_ip is None:
        primaries = [a for a in interface.get("PrivateIpAddresses") or [] if a.get("Primary")]
        private_ip = primaries[0].get("PrivateIpAddress") if primaries else None
    if private_ip:
        values["static_private_ip"] = private_ip
    try:
        return EffectiveLaunchConfig.model_validate(values)
    except ValidationError as exc:
        raise UpstreamError(
            "DRS or EC2 returned launch settings this service does not understand",
            code="UNEXPECTED_LAUNCH_SETTINGS",
            details=[f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()],
        ) from None


def drifted_fields(intended: EffectiveLaunchConfig, observed: EffectiveLaunchConfig) -> list[str]:
    """camelCase names of the fields ``intended`` sets whose observed value differs."""
    names = (*_SETTINGS_FIELDS, "static_private_ip")
    return [
        to_camel(name)
        for name in names
        if getattr(intended, name) is not None and getattr(intended, name) != getattr(observed, name)
    ]


def ip_problems(ip: str, cidr: str) -> list[str]:
    """Why ``ip`` cannot be a static private IP in the subnet ``cidr`` (empty when it can).

    AWS reserves the network address, the next three (VPC router, DNS, future use) and the last
    address of every subnet.
    """
    try:
        address = IPv4Address(ip.strip())
    except AddressValueError:
        return [f"{ip!r} is not a valid IPv4 address"]
    try:
        network = IPv4Network(cidr.strip(), strict=False)
    except (AddressValueError, NetmaskValueError, ValueError):
        return [f"{cidr!r} is not a valid IPv4 CIDR block"]
    if address not in network:
        return [f"{address} is not inside the subnet {network}"]
    offset = int(address) - int(network.network_address)
    if offset == 0:
        return [f"{address} is the network address of {network}"]
    if address == network.broadcast_address:
        return [f"{address} is the last address of {network}, reserved by AWS"]
    if offset <= 3:
        return [f"{address} is one of the first four addresses of {network}, reserved by AWS"]
    return []


def _contradictions(effective: EffectiveLaunchConfig) -> list[str]:
    problems: list[str] = []
    method = effective.target_instance_type_right_sizing_method
    if method in (RightSizingMethod.BASIC, RightSizingMethod.IN_AWS) and effective.instance_type:
        problems.append(
            f"targetInstanceTypeRightSizingMethod {method.value} lets DRS choose the instance type, "
            f"so instanceType {effective.instance_type} would be overwritten; use NONE or drop instanceType"
        )
    if effective.static_private_ip is not None and effective.copy_private_ip:
        problems.append("copyPrivateIp must be false when staticPrivateIp is set")
    if effective.static_private_ip is not None and effective.subnet_id is None:
        problems.append("staticPrivateIp needs a subnetId (from the group or the server)")
    return problems


M = TypeVar("M", bound=BaseModel)


def _parsed(model_cls: type[M], raw: M | Mapping[str, Any] | None) -> tuple[M | None, list[str]]:
    if raw is None or isinstance(raw, model_cls):
        return raw, []
    try:
        return model_cls.model_validate(raw), []
    except ValidationError as exc:
        return None, [
            f"{d['field']}: {d['message']}" if d["field"] else d["message"] for d in error_details(exc)
        ]


def validate_launch_config_static(
    group: LaunchConfig | Mapping[str, Any] | None,
    overrides: Mapping[str, ServerLaunchOverride | Mapping[str, Any]],
) -> dict[str, list[str]]:
    """Every problem that can be found without calling AWS, keyed ``"group"`` or by server id.

    Covers field formats and enum values, the contradictions listed in the module docstring and
    the same static IP on two servers. Subnet membership (:func:`ip_problems`) and existence of
    subnets, security groups and profiles need AWS and are checked by the service.
    """
    problems: dict[str, list[str]] = {}
    group_model, group_errors = _parsed(LaunchConfig, group)
    group_errors += _contradictions(effective_config(group_model, None))
    if group_errors:
        problems["group"] = group_errors
    servers_by_ip: dict[str, list[str]] = {}
    for server_id, raw in overrides.items():
        errors = [] if re.fullmatch(SOURCE_SERVER_ID_PATTERN, server_id) else ["not a valid source server id"]
        override, parse_errors = _parsed(ServerLaunchOverride, raw)
        errors += parse_errors
        if override is not None:
            own = _contradictions(effective_config(group_model, override))
            errors += [message for message in own if message not in group_errors]
            if override.static_private_ip is not None:
                servers_by_ip.setdefault(override.static_private_ip, []).append(server_id)
        if errors:
            problems[server_id] = errors
    for ip, servers in servers_by_ip.items():
        for server_id in servers if len(servers) > 1 else ():
            others = ", ".join(s for s in servers if s != server_id)
            problems.setdefault(server_id, []).append(f"staticPrivateIp {ip} is also given to {others}")
    return problems


class ServerConfigStatus(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    status: LaunchConfigState
    config_hash: str | None = Field(default=None, pattern=CONFIG_HASH_PATTERN)
    last_applied: IsoTimestamp | None = None
    errors: list[str] = Field(default_factory=list)


class LaunchConfigStatus(BaseModel):
    """``launchConfigStatus`` of a protection group. A settled status (ready, partial, failed)
    always carries ``lastApplied``."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    status: LaunchConfigState = LaunchConfigState.NOT_CONFIGURED
    last_applied: IsoTimestamp | None = None
    applied_by: str | None = None
    server_configs: dict[str, ServerConfigStatus] = Field(default_factory=dict)
    errors: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _settled_has_timestamp(self) -> LaunchConfigStatus:
        settled = {LaunchConfigState.READY, LaunchConfigState.PARTIAL, LaunchConfigState.FAILED}
        if self.status in settled and self.last_applied is None:
            raise ValueError(f"lastApplied is required when status is {self.status.value}")
        return self

    def is_ready(self) -> bool:
        return self.status is LaunchConfigState.READY

    def failed_servers(self) -> list[str]:
        return sorted(s for s, c in self.server_configs.items() if c.status is LaunchConfigState.FAILED)


def aggregate_status(server_statuses: Iterable[LaunchConfigState | str]) -> LaunchConfigState:
    """The group status from its servers' statuses.

    applying if any server is applying, else pending if any is pending; ready when every
    configured server is ready, failed when every one failed, partial for a mix (a partial server
    counts as a mix). Servers that are not_configured are ignored; none left gives not_configured.
    """
    states = {LaunchConfigState(s) for s in server_statuses} - {LaunchConfigState.NOT_CONFIGURED}
    if not states:
        return LaunchConfigState.NOT_CONFIGURED
    for busy in (LaunchConfigState.APPLYING, LaunchConfigState.PENDING):
        if busy in states:
            return busy
    if states == {LaunchConfigState.READY}:
        return LaunchConfigState.READY
    if states == {LaunchConfigState.FAILED}:
        return LaunchConfigState.FAILED
    return LaunchConfigState.PARTIAL
