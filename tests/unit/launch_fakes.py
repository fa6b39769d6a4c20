"""In-memory DRS, EC2 and group store for the launch-settings service tests.

The fake EC2 behaves like moto (and unlike real AWS) in one respect that matters: a version created
with ``SourceVersion`` does not inherit the source's data, so carrying fields forward must be done by
the caller. Each call is counted; faults (throttling, refusals) can be injected per operation/server.
"""

from __future__ import annotations

import copy
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.errors import NotFound, UpstreamError, ValidationFailed
from drs_orch.domain.launch_rules import AddressUse, SubnetInfo, TemplateVersion
from drs_orch.domain.models import ProtectionGroup
from drs_orch.services.launch_groups import LaunchOptions
from drs_orch.services.launch_settings import LaunchSettingsService

VPC = "vpc-00000001"
OTHER_VPC = "vpc-00000002"
SUBNET = "subnet-00000001"
SUBNET_B = "subnet-00000002"
SG = "sg-0000000a"
SG_B = "sg-0000000b"
SG_OTHER_VPC = "sg-0000000c"
GROUP_SETTINGS = {"subnetId": "subnet-00000001", "securityGroupIds": ["sg-0000000a"], "instanceType": "m5.large",
                  "copyTags": True, "launchDisposition": "STOPPED"}


def server_ids(n: int, prefix: str = "a") -> list[str]:
    return [f"s-{prefix}{i:016x}" for i in range(n)]


class FakeClock:
    """Wall clock and monotonic clock moved by hand (and by ``tick`` per AWS call)."""

    def __init__(self) -> None:
        self.wall = datetime(2025, 1, 1, tzinfo=UTC)
        self.mono = 1000.0
        self.tick = 0.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.mono += seconds
            self.wall += timedelta(seconds=seconds)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)


@dataclass
class FakeAws:
    """DRS launch configurations and EC2 launch templates of one account/region."""

    clock: FakeClock
    drs: dict[str, dict[str, Any]] = field(default_factory=dict)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    subnets: dict[str, SubnetInfo] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    types: set[str] = field(default_factory=lambda: {"t3.micro", "m5.large", "c5.xlarge"})
    profiles: set[str] = field(default_factory=lambda: {"DRSRecoveryProfile"})
    enis: dict[tuple[str, str], AddressUse] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    faults: dict[tuple[str, str | None], list[Exception]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_server(self, server_id: str, template_data: dict[str, Any] | None = None) -> None:
        tid = f"lt-{server_id[2:]}"
        self.drs[server_id] = {"sourceServerID": server_id, "ec2LaunchTemplateID": tid,
                               "launchDisposition": "STARTED", "copyPrivateIp": False, "copyTags": False,
                               "targetInstanceTypeRightSizingMethod": "BASIC", "licensing": {"osByol": True}}
        data = template_data if template_data is not None else {
            "InstanceType": "t3.micro", "ImageId": "ami-12345678",
            "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": False}],
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "k", "Value": "v"}]}]}
        self.templates[tid] = {"versions": [copy.deepcopy(data)], "default": 1}

    def default_data(self, server_id: str) -> dict[str, Any]:
        t = self.templates[self.drs[server_id]["ec2LaunchTemplateID"]]
        return copy.deepcopy(t["versions"][t["default"] - 1])

    def set_template_out_of_band(self, server_id: str, data: dict[str, Any]) -> None:
        t = self.templates[self.drs[server_id]["ec2LaunchTemplateID"]]
        t["versions"].append(copy.deepcopy(data))
        t["default"] = len(t["versions"])

    def fail(self, operation: str, server: str | None, *errors: Exception) -> None:
        self.faults.setdefault((operation, server), []).extend(errors)

    def _call(self, operation: str, server: str | None = None) -> None:
        with self.lock:
            self.calls[operation] += 1
            for key in ((operation, server), (operation, None)):
                queue = self.faults.get(key)
                if queue:
                    raise queue.pop(0)
        self.clock.advance(self.clock.tick)

    def writes(self) -> int:
        return sum(self.calls[op] for op in ("drs:UpdateLaunchConfiguration", "ec2:CreateLaunchTemplateVersion",
                                              "ec2:ModifyLaunchTemplate"))


class FakeDrs:
    def __init__(self, aws: FakeAws) -> None:
        self.aws = aws

    def get_launch_configuration(self, server_id: str) -> dict[str, Any]:
        self.aws._call("drs:GetLaunchConfiguration", server_id)
        if server_id not in self.aws.drs:
            raise NotFound(f"no server {server_id}", code="AWS_RESOURCE_NOT_FOUND")
        return copy.deepcopy(self.aws.drs[server_id])

    def update_launch_configuration(self, server_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        self.aws._call("drs:UpdateLaunchConfiguration", server_id)
        if server_id not in self.aws.drs:
            raise NotFound(f"no server {server_id}", code="AWS_RESOURCE_NOT_FOUND")
        self.aws.drs[server_id].update(copy.deepcopy(fields))
        return copy.deepcopy(self.aws.drs[server_id])


class FakeEc2:
    def __init__(self, aws: FakeAws) -> None:
        self.aws = aws

    def subnets(self, subnet_ids: list[str]) -> dict[str, SubnetInfo]:
        self.aws._call("ec2:DescribeSubnets")
        return {s: self.aws.subnets[s] for s in subnet_ids if s in self.aws.subnets}

    def security_groups(self, group_ids: list[str]) -> dict[str, str]:
        self.aws._call("ec2:DescribeSecurityGroups")
        return {g: self.aws.groups[g] for g in group_ids if g in self.aws.groups}

    def instance_types(self, names: list[str]) -> set[str]:
        self.aws._call("ec2:DescribeInstanceTypes")
        return set(names) & self.aws.types

    def instance_profiles(self, names: list[str]) -> set[str]:
        self.aws._call("iam:GetInstanceProfile")
        return set(names) & self.aws.profiles

    def addresses_in_use(self, subnet_ids: list[str], ips: list[str]) -> dict[tuple[str, str], AddressUse]:
        self.aws._call("ec2:DescribeNetworkInterfaces")
        return {k: v for k, v in self.aws.enis.items() if k[0] in subnet_ids and k[1] in ips}

    def _template(self, template_id: str) -> dict[str, Any]:
        if template_id not in self.aws.templates:
            raise NotFound(f"no template {template_id}", code="AWS_RESOURCE_NOT_FOUND")
        return self.aws.templates[template_id]

    def default_version(self, template_id: str) -> TemplateVersion:
        self.aws._call("ec2:DescribeLaunchTemplateVersions", template_id)
        t = self._template(template_id)
        return TemplateVersion(template_id, t["default"], copy.deepcopy(t["versions"][t["default"] - 1]))

    def default_versions(self) -> dict[str, TemplateVersion]:
        self.aws._call("ec2:DescribeLaunchTemplateVersions")
        return {tid: TemplateVersion(tid, t["default"], copy.deepcopy(t["versions"][t["default"] - 1]))
                for tid, t in self.aws.templates.items()}

    def create_version(self, template_id: str, data: dict[str, Any], source_version: int | None,
                       description: str) -> int:
        self.aws._call("ec2:CreateLaunchTemplateVersion", template_id)
        t = self._template(template_id)
        if source_version is not None and not 1 <= source_version <= len(t["versions"]):
            raise ValidationFailed("bad source version", code="AWS_REFUSED")
        with self.aws.lock:
            t["versions"].append(copy.deepcopy(data))
            return len(t["versions"])

    def set_default_version(self, template_id: str, version: int) -> None:
        self.aws._call("ec2:ModifyLaunchTemplate", template_id)
        self._template(template_id)["default"] = version


class FakeGateway:
    def __init__(self, aws: FakeAws) -> None:
        self.aws = aws
        self._drs = FakeDrs(aws)
        self._ec2 = FakeEc2(aws)
        self._start = Counter(aws.calls)

    @property
    def drs(self) -> FakeDrs:
        return self._drs

    @property
    def ec2(self) -> FakeEc2:
        return self._ec2

    def call_counts(self) -> dict[str, int]:
        return {k: v for k, v in (self.aws.calls - self._start).items() if v}


class FakeStore:
    """The group table: ``get``, optimistic override writes and compare-and-swap status writes.
    Every successful status write is recorded whole in ``status_writes``."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.status_writes: list[tuple[str, dict[str, Any]]] = []
        self.before_get: list[Any] = []
        self.after_write: list[Any] = []  # called after each successful status write, outside the lock
        self.lock = threading.Lock()

    def get(self, group_id: str) -> ProtectionGroup | None:
        for hook in list(self.before_get):
            hook(group_id)
        item = self.items.get(group_id)
        return ProtectionGroup.from_item(copy.deepcopy(item)) if item is not None else None

    def get_settings(self, group_id: str) -> ProtectionGroup | None:
        return self.get(group_id)

    def save_overrides(self, group_id: str, servers: dict[str, Any], expected_version: int, now_iso: str,
                       actor: str) -> int:
        from drs_orch.domain.errors import Conflict

        with self.lock:
            item = self.items.get(group_id)
            if item is None:
                raise NotFound("gone", code="GROUP_NOT_FOUND")
            if int(item.get("version", 1)) != expected_version:
                raise Conflict("changed", code="VERSION_CONFLICT")
            item["servers"] = copy.deepcopy(servers)
            item["version"] = expected_version + 1
            item["lastModifiedDate"] = now_iso
            item["lastModifiedBy"] = actor
            return expected_version + 1

    def write_status(self, group_id: str, record: dict[str, Any], expected_revision: int | None) -> bool:
        with self.lock:
            item = self.items.get(group_id)
            if item is None:
                return False
            current = (item.get("launchConfigStatus") or {}).get("revision")
            if current != expected_revision:
                return False
            item["launchConfigStatus"] = copy.deepcopy(record)
            self.status_writes.append((group_id, copy.deepcopy(record)))
        for hook in list(self.after_write):
            hook(group_id)
        return True


class Accounts:
    def __init__(self) -> None:
        self.unreachable: set[str] = set()

    def context_for(self, account_id: str | None, region: str) -> AccountContext:
        if account_id in self.unreachable:
            raise UpstreamError(f"cannot assume a role in {account_id}", code="ASSUME_ROLE_FAILED")
        return AccountContext(account_id or "123456789012", region)


@dataclass
class World:
    clock: FakeClock
    aws: FakeAws
    store: FakeStore
    accounts: Accounts
    service: LaunchSettingsService

    def group(self, group_id: str, members: list[str], launch_config: dict[str, Any] | None = None,
              servers: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
        for sid in members:
            if sid not in self.aws.drs:
                self.aws.add_server(sid)
        item = {"groupId": group_id, "groupName": group_id, "region": "us-east-1", "accountId": "111111111111",
                "sourceServerIds": list(members), "launchConfig": launch_config, "servers": servers or {},
                "version": 1, "createdDate": "2025-01-01T00:00:00.000Z",
                "lastModifiedDate": "2025-01-01T00:00:00.000Z", **extra}
        self.store.items[group_id] = item
        return copy.deepcopy(item)

    def status(self, group_id: str) -> dict[str, Any]:
        return copy.deepcopy(self.store.items[group_id].get("launchConfigStatus") or {})


def make_world(edit_guard: Any = None, **options: Any) -> World:
    clock = FakeClock()
    aws = FakeAws(clock)
    aws.subnets = {SUBNET: SubnetInfo(SUBNET, VPC, "10.0.1.0/24"), SUBNET_B: SubnetInfo(SUBNET_B, VPC, "10.0.2.0/24")}
    aws.groups = {SG: VPC, SG_B: VPC, SG_OTHER_VPC: OTHER_VPC}
    store = FakeStore()
    accounts = Accounts()
    service = LaunchSettingsService(store, accounts, lambda ctx: FakeGateway(aws), options=LaunchOptions(**options),
                                    clock=clock.now, monotonic=clock.monotonic, sleep=clock.sleep,
                                    edit_guard=edit_guard)
    return World(clock, aws, store, accounts, service)
