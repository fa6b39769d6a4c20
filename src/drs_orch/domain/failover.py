"""Failover and failback that keep instance identity and private IPs (issue 14, seed 002). Pure.

- Instance pairs: a DRS source server of a protection group paired with a pre-provisioned EC2
  instance in the group's account-region (where DRS launches its recovery instance). DRS launches
  into that instance (``launchIntoInstanceProperties.launchIntoEC2InstanceID``) when the instance
  is stopped and carries the tag ``AWSDRS=AllowLaunchingIntoThisInstance``.
- Matching (:func:`match_instances`): by the instance's Name tag against the server's Name tag,
  hostname or short hostname (case-insensitive); one candidate is a match, several are ambiguous.
- Validation (:func:`pair_problems`): every problem of a pair at once, each with a remediation.
- Verification after a launch (:func:`verify_launch`): the recovery instance IS the paired
  instance, and its private IP is the source's when preservation is asked.
- The cycle of a server (:class:`CycleState`, :data:`CYCLE_MOVES`): paired -> configured ->
  failed over -> reverse replicating -> ready for failback -> failed back.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field

from drs_orch.domain.input_rules import MAX_OVERRIDES_PER_GROUP, PlainText
from drs_orch.domain.models import AccountId, InputModel, ProtectionGroup, Region

LAUNCH_INTO_TAG_KEY = "AWSDRS"
LAUNCH_INTO_TAG_VALUE = "AllowLaunchingIntoThisInstance"
INSTANCE_ID_PATTERN = r"^i-[0-9a-fA-F]{8,17}$"
SERVER_ID_PATTERN = r"^s-[0-9a-zA-Z]{17}$"
MAX_PAIRS_PER_GROUP = MAX_OVERRIDES_PER_GROUP  # one pair per server, 98 servers per group

FAILOVER = "FAILOVER"
FAILBACK = "FAILBACK"
PAIRED_TYPES = frozenset({FAILOVER, FAILBACK})

# failure codes written on a SERVER item when a launch did not keep identity or IP
PRIVATE_IP_MISMATCH = "PRIVATE_IP_MISMATCH"
INSTANCE_IDENTITY_MISMATCH = "INSTANCE_IDENTITY_MISMATCH"


# ---------------------------------------------------------------------------- request bodies


class PairInput(InputModel):
    source_server_id: str = Field(pattern=SERVER_ID_PATTERN)
    target_instance_id: str = Field(pattern=INSTANCE_ID_PATTERN)
    target_account_id: AccountId | None = Field(default=None,
                                                description="must be the group's account (DRS launches there)")
    target_region: Region | None = Field(default=None, description="must be the group's region (DRS launches there)")
    preserve_private_ip: bool = Field(default=True, strict=True,
                                      description="the recovery instance must keep the source's private IP")
    copy_tags: bool = Field(default=False, strict=True)


class PairsInput(InputModel):
    pairs: list[PairInput] = Field(min_length=1, max_length=MAX_PAIRS_PER_GROUP)
    replace: bool = Field(default=False, strict=True, description="drop the group's pairs not in this body")

    def problems(self) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        for label, values in (("sourceServerId", [p.source_server_id for p in self.pairs]),
                              ("targetInstanceId", [p.target_instance_id for p in self.pairs])):
            dupes = sorted({v for v in values if values.count(v) > 1})
            if dupes:
                out.append({"field": f"pairs.{label}", "message": f"given more than once: {', '.join(dupes)}"})
        return out


class PairUpdateInput(InputModel):
    target_instance_id: str | None = Field(default=None, pattern=INSTANCE_ID_PATTERN)
    preserve_private_ip: bool | None = Field(default=None, strict=True)
    copy_tags: bool | None = Field(default=None, strict=True)


class MatchInput(InputModel):
    """Propose pairs for a group's servers (``groupId``) or for servers of an account-region."""

    group_id: str | None = Field(default=None, min_length=1, max_length=128)
    account_id: AccountId | None = None
    region: Region | None = None
    source_server_ids: list[Annotated[str, Field(pattern=SERVER_ID_PATTERN)]] | None = Field(default=None,
                                                                                             max_length=200)

    def problems(self) -> list[dict[str, str]]:
        if self.group_id is None and self.region is None:
            return [{"field": "groupId", "message": "give groupId, or region (with accountId for a spoke)"}]
        if self.group_id is not None and (self.region is not None or self.account_id is not None):
            return [{"field": "groupId", "message": "give groupId alone, or accountId/region"}]
        return []


class ValidatePairsInput(InputModel):
    group_id: str = Field(min_length=1, max_length=128)
    pair_ids: list[Annotated[str, Field(max_length=64)]] | None = Field(default=None, max_length=MAX_PAIRS_PER_GROUP)


class ConfigureInput(InputModel):
    dry_run: bool = Field(default=False, strict=True)


class FailoverInput(InputModel):
    """``POST /executions/allow-launching/failover`` and ``.../failback``: the plan to run."""

    plan_id: str = Field(min_length=1, max_length=128)
    is_drill: bool = Field(default=False, strict=True,
                           description="failover drill into the paired instances (DRS allows it)")
    initiated_by: Annotated[str | None, PlainText] = Field(default=None, min_length=1, max_length=256)
    poll_interval_seconds: int | None = Field(default=None, ge=5, le=3600)
    dry_run: bool = Field(default=False, strict=True)


class ReverseInput(InputModel):
    """``POST /executions/{id}/allow-launching/reverse-replication``: the servers to reverse (default:
    every server the failover launched into its pair)."""

    source_server_ids: list[Annotated[str, Field(pattern=SERVER_ID_PATTERN)]] | None = Field(default=None,
                                                                                             max_length=200)


# ---------------------------------------------------------------------------- views of AWS items


@dataclass(frozen=True)
class SourceView:
    server_id: str
    hostname: str | None
    name_tag: str | None
    private_ip: str | None
    recommended_type: str | None = None
    staging_account_id: str | None = None


@dataclass(frozen=True)
class InstanceView:
    instance_id: str
    name: str | None
    private_ip: str | None
    state: str
    instance_type: str | None
    subnet_id: str | None = None
    availability_zone: str | None = None
    security_group_ids: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


def source_view(server: Mapping[str, Any]) -> SourceView:
    """From one DescribeSourceServers item."""
    props = server.get("sourceProperties") or {}
    hints = props.get("identificationHints") or {}
    ips = [ip for nic in props.get("networkInterfaces") or [] for ip in nic.get("ips") or []]
    tags = server.get("tags") or {}
    rec = props.get("recommendedInstanceType")
    staging = (server.get("stagingArea") or {}).get("stagingAccountID")
    return SourceView(server_id=str(server["sourceServerID"]),
                      hostname=hints.get("hostname") or hints.get("fqdn"),
                      name_tag=tags.get("Name"), private_ip=ips[0] if ips else None,
                      recommended_type=str(rec) if rec else None,
                      staging_account_id=str(staging) if staging else None)


def instance_view(instance: Mapping[str, Any]) -> InstanceView:
    """From one DescribeInstances item."""
    tags = {str(t.get("Key")): str(t.get("Value")) for t in instance.get("Tags") or []}
    return InstanceView(
        instance_id=str(instance["InstanceId"]), name=tags.get("Name"),
        private_ip=instance.get("PrivateIpAddress"), state=str((instance.get("State") or {}).get("Name") or ""),
        instance_type=instance.get("InstanceType"), subnet_id=instance.get("SubnetId"),
        availability_zone=(instance.get("Placement") or {}).get("AvailabilityZone"),
        security_group_ids=tuple(sorted(str(g.get("GroupId")) for g in instance.get("SecurityGroups") or [])),
        tags=tags)


# ---------------------------------------------------------------------------- matching


def _keys_of_server(server: SourceView) -> list[tuple[str, str]]:
    """(normalised key, what it is), most specific first."""
    out: list[tuple[str, str]] = []
    if server.name_tag:
        out.append((server.name_tag.strip().lower(), "NAME_TAG"))
    if server.hostname:
        host = server.hostname.strip().lower()
        out.append((host, "HOSTNAME"))
        short = host.split(".", 1)[0]
        if short != host:
            out.append((short, "SHORT_HOSTNAME"))
    return out


def _keys_of_instance(instance: InstanceView) -> set[str]:
    if not instance.name:
        return set()
    name = instance.name.strip().lower()
    return {name, name.split(".", 1)[0]}


@dataclass(frozen=True)
class MatchResult:
    matches: list[dict[str, Any]]
    unmatched: list[dict[str, Any]]
    ambiguous: list[dict[str, Any]]


def match_instances(servers: Sequence[SourceView], instances: Sequence[InstanceView]) -> MatchResult:
    """Propose one target per server. Terminated instances never match. A server whose first key
    that finds anything finds several instances is ambiguous; an instance claimed by two servers is
    ambiguous for both. O(servers + instances)."""
    index: dict[str, list[InstanceView]] = {}
    for inst in instances:
        if inst.state in ("terminated", "shutting-down"):
            continue
        for key in _keys_of_instance(inst):
            index.setdefault(key, []).append(inst)
    chosen: dict[str, tuple[InstanceView, str]] = {}
    ambiguous: list[dict[str, Any]] = []
    unmatched: list[dict[str, Any]] = []
    for server in servers:
        found: list[InstanceView] = []
        how = ""
        for key, what in _keys_of_server(server):
            found = list({i.instance_id: i for i in index.get(key, [])}.values())
            if found:
                how = what
                break
        if not found:
            unmatched.append({"sourceServerId": server.server_id, "hostname": server.hostname,
                              "reason": "no EC2 instance whose Name tag is the server's Name tag or hostname"})
        elif len(found) > 1:
            ambiguous.append({"sourceServerId": server.server_id, "hostname": server.hostname, "matchedBy": how,
                              "candidates": sorted(i.instance_id for i in found)})
        else:
            chosen[server.server_id] = (found[0], how)
    claimed: dict[str, list[str]] = {}
    for sid, (inst, _) in chosen.items():
        claimed.setdefault(inst.instance_id, []).append(sid)
    by_id = {s.server_id: s for s in servers}
    matches: list[dict[str, Any]] = []
    for sid, (inst, how) in chosen.items():
        server = by_id[sid]
        if len(claimed[inst.instance_id]) > 1:
            ambiguous.append({"sourceServerId": sid, "hostname": server.hostname, "matchedBy": how,
                              "candidates": [inst.instance_id],
                              "reason": f"{inst.instance_id} also matches "
                                        f"{', '.join(s for s in claimed[inst.instance_id] if s != sid)}"})
            continue
        matches.append({
            "sourceServerId": sid, "hostname": server.hostname, "targetInstanceId": inst.instance_id,
            "targetName": inst.name, "matchedBy": how, "sourcePrivateIp": server.private_ip,
            "targetPrivateIp": inst.private_ip,
            "privateIpMatches": bool(server.private_ip) and server.private_ip == inst.private_ip,
            "targetState": inst.state,
            "hasLaunchIntoTag": inst.tags.get(LAUNCH_INTO_TAG_KEY) == LAUNCH_INTO_TAG_VALUE,
        })
    return MatchResult(sorted(matches, key=lambda m: m["sourceServerId"]),
                       sorted(unmatched, key=lambda m: m["sourceServerId"]),
                       sorted(ambiguous, key=lambda m: m["sourceServerId"]))


# ---------------------------------------------------------------------------- pairs


def new_pair_id() -> str:
    return f"pair-{uuid.uuid4().hex[:16]}"


def pair_record(group: ProtectionGroup, pair: PairInput, *, pair_id: str, now: str, actor: str,
                source: SourceView | None, previous: Mapping[str, Any] | None = None,
                target: InstanceView | None = None) -> dict[str, Any]:
    """The stored form of a pair (camelCase)."""
    record: dict[str, Any] = {
        "pairId": pair_id, "groupId": group.group_id, "sourceServerId": pair.source_server_id,
        "targetInstanceId": pair.target_instance_id, "accountId": group.account_id, "region": group.region,
        "preservePrivateIp": pair.preserve_private_ip, "copyTags": pair.copy_tags,
        "createdAt": (previous or {}).get("createdAt", now), "createdBy": (previous or {}).get("createdBy", actor),
        "updatedAt": now, "updatedBy": actor, "cycleState": CycleState.PAIRED.value,
    }
    if source is not None:
        record.update({k: v for k, v in (("sourceHostname", source.hostname),
                                          ("sourcePrivateIp", source.private_ip)) if v})
    if target is not None and target.private_ip:
        record["targetPrivateIp"] = target.private_ip
    if previous and previous.get("targetInstanceId") == pair.target_instance_id:
        # the same target: the cycle and what it recorded go on
        return {**previous, **record, "cycleState": previous.get("cycleState") or CycleState.PAIRED.value}
    return record


IN_CYCLE = frozenset({"FAILED_OVER", "REVERSE_REPLICATING", "READY_FOR_FAILBACK"})


def pair_target_problems(group: ProtectionGroup, pair: PairInput) -> list[dict[str, str]]:
    """A pair's target must be where DRS launches the server's recovery instance."""
    out = []
    if pair.target_account_id and pair.target_account_id != group.account_id:
        out.append({"field": f"pairs.{pair.source_server_id}.targetAccountId",
                    "message": f"DRS launches {pair.source_server_id} in account {group.account_id}; the target "
                               "instance must be there"})
    if pair.target_region and pair.target_region != group.region:
        out.append({"field": f"pairs.{pair.source_server_id}.targetRegion",
                    "message": f"DRS launches {pair.source_server_id} in {group.region}; the target instance "
                               "must be there"})
    if pair.source_server_id not in group.source_server_ids:
        out.append({"field": f"pairs.{pair.source_server_id}", "message": "server is not in this group"})
    return out


_SIZES = ["nano", "micro", "small", "medium", "large", "xlarge"]


def _size_rank(instance_type: str) -> int | None:
    """Rank of an instance size within a family: nano < ... < xlarge < 2xlarge < ... (None: metal/unknown)."""
    size = instance_type.split(".", 1)[-1]
    if size in _SIZES:
        return _SIZES.index(size)
    m = re.fullmatch(r"(\d+)xlarge", size)
    return len(_SIZES) - 1 + int(m.group(1)) if m else None


def pair_problems(pair: Mapping[str, Any], source: SourceView | None, instance: InstanceView | None,
                  launch: Mapping[str, Any]) -> list[dict[str, str]]:
    """Every problem of one pair, each ``{code, message, remediation}``. ``launch``: the server's
    intended launch settings (camelCase: ``instanceType``, ``subnetId``, ``securityGroupIds``)."""
    target = str(pair["targetInstanceId"])
    out: list[dict[str, str]] = []

    def add(code: str, message: str, remediation: str) -> None:
        out.append({"code": code, "message": message, "remediation": remediation})

    if source is None:
        add("SOURCE_SERVER_NOT_FOUND", f"DRS does not know source server {pair['sourceServerId']}",
            "remove the pair, or add the server to DRS in the group's account-region")
    if instance is None or instance.state in ("terminated", "shutting-down"):
        add("TARGET_NOT_FOUND", f"EC2 instance {target} does not exist in {pair['accountId']}/{pair['region']}"
            + (f" (it is {instance.state})" if instance else ""),
            "pre-provision the target instance in the group's account and region, then update the pair")
        return out
    if instance.state != "stopped":
        add("TARGET_NOT_STOPPED", f"{target} is {instance.state}; DRS launches only into a stopped instance",
            f"stop {target} before the failover (aws ec2 stop-instances --instance-ids {target})")
    if instance.tags.get(LAUNCH_INTO_TAG_KEY) != LAUNCH_INTO_TAG_VALUE:
        add("MISSING_LAUNCH_INTO_TAG", f"{target} lacks the tag {LAUNCH_INTO_TAG_KEY}={LAUNCH_INTO_TAG_VALUE}",
            f"tag it: aws ec2 create-tags --resources {target} --tags "
            f"Key={LAUNCH_INTO_TAG_KEY},Value={LAUNCH_INTO_TAG_VALUE}")
    wanted_type = launch.get("instanceType")
    if wanted_type and instance.instance_type and wanted_type != instance.instance_type:
        add("INSTANCE_TYPE_MISMATCH", f"{target} is {instance.instance_type}; the launch settings say {wanted_type}",
            "resize the target instance or change the server's instanceType")
    elif source is not None and source.recommended_type and instance.instance_type:
        have, need = _size_rank(instance.instance_type), _size_rank(source.recommended_type)
        if have is not None and need is not None and have < need:
            add("INSTANCE_TYPE_TOO_SMALL", f"{target} is {instance.instance_type}, smaller than the source's "
                f"recommended {source.recommended_type}", "resize the target instance to at least the recommended size")
    subnet = launch.get("subnetId")
    if subnet and instance.subnet_id and subnet != instance.subnet_id:
        add("SUBNET_MISMATCH", f"{target} is in {instance.subnet_id} ({instance.availability_zone}); the launch "
            f"settings say {subnet}", "pair a target in the configured subnet, or change the server's subnetId")
    groups = sorted(launch.get("securityGroupIds") or [])
    if groups and sorted(instance.security_group_ids) != groups:
        add("SECURITY_GROUPS_MISMATCH", f"{target} has security groups {list(instance.security_group_ids)}; the "
            f"launch settings say {groups}", "attach the configured security groups to the target instance")
    if pair.get("preservePrivateIp", True):
        if source is None or not source.private_ip:
            if source is not None:
                add("SOURCE_IP_UNKNOWN", f"DRS reports no private IP for {pair['sourceServerId']}",
                    "wait for the source server's replication to report its network, or set preservePrivateIp false")
        elif instance.private_ip != source.private_ip:
            add(PRIVATE_IP_MISMATCH, f"{target} has private IP {instance.private_ip}; the source has "
                f"{source.private_ip}",
                f"re-create the target with private IP {source.private_ip} in a subnet whose CIDR contains it, "
                "or set preservePrivateIp false")
    return out


# ---------------------------------------------------------------------------- after a launch


@dataclass(frozen=True)
class Expectation:
    """What a launch into a paired instance must give, written on the execution's JOB item."""

    target_instance_id: str
    source_private_ip: str | None
    target_private_ip: str | None
    preserve_private_ip: bool
    pair_id: str
    staging_account_id: str | None = None

    def to_item(self) -> dict[str, Any]:
        out: dict[str, Any] = {"targetInstanceId": self.target_instance_id, "pairId": self.pair_id,
                               "preservePrivateIp": self.preserve_private_ip}
        for key, value in (("sourcePrivateIp", self.source_private_ip),
                           ("targetPrivateIp", self.target_private_ip),
                           ("stagingAccountId", self.staging_account_id)):
            if value:
                out[key] = value
        return out

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Expectation:
        return cls(target_instance_id=str(item["targetInstanceId"]), pair_id=str(item.get("pairId") or ""),
                   source_private_ip=item.get("sourcePrivateIp"), target_private_ip=item.get("targetPrivateIp"),
                   preserve_private_ip=bool(item.get("preservePrivateIp", True)),
                   staging_account_id=item.get("stagingAccountId"))


@dataclass(frozen=True)
class Verdict:
    ok: bool
    code: str | None = None
    reason: str | None = None
    remediation: str | None = None

    def record(self, expect: Expectation) -> dict[str, Any]:
        """Attributes for the SERVER item."""
        out: dict[str, Any] = {"pairId": expect.pair_id, "expectedInstanceId": expect.target_instance_id,
                               "identityVerified": self.ok}
        for key, value in (("sourcePrivateIp", expect.source_private_ip),
                           ("targetPrivateIp", expect.target_private_ip),
                           ("stagingAccountId", expect.staging_account_id),
                           ("failureCode", self.code), ("remediation", self.remediation)):
            if value:
                out[key] = value
        return out


def verify_launch(expect: Expectation, ec2_instance_id: str | None, private_ip: str | None) -> Verdict:
    """The recovery instance must be the paired instance, with the source's IP when asked."""
    target = expect.target_instance_id
    if ec2_instance_id != target:
        return Verdict(False, INSTANCE_IDENTITY_MISMATCH,
                       f"{INSTANCE_IDENTITY_MISMATCH}: DRS launched {ec2_instance_id or 'no instance'} instead of the "
                       f"paired instance {target}",
                       "check the server's launchIntoInstanceProperties (POST /protection-groups/{id}/configure-"
                       "allow-launching) and that the target is stopped and tagged AWSDRS=AllowLaunchingIntoThisInstance")
    if expect.preserve_private_ip and expect.source_private_ip and private_ip != expect.source_private_ip:
        return Verdict(False, PRIVATE_IP_MISMATCH,
                       f"{PRIVATE_IP_MISMATCH}: {target} came up with {private_ip or 'no private IP'}, the source has "
                       f"{expect.source_private_ip}",
                       f"give {target} the private IP {expect.source_private_ip} (its primary network interface) "
                       "before the next failover, or set the pair's preservePrivateIp false")
    return Verdict(True)


# ---------------------------------------------------------------------------- the cycle


class CycleState(StrEnum):
    PAIRED = "PAIRED"
    CONFIGURED = "CONFIGURED"
    FAILED_OVER = "FAILED_OVER"
    FAILOVER_FAILED = "FAILOVER_FAILED"
    REVERSE_REPLICATING = "REVERSE_REPLICATING"
    READY_FOR_FAILBACK = "READY_FOR_FAILBACK"
    FAILED_BACK = "FAILED_BACK"


_C = CycleState
CYCLE_MOVES: dict[CycleState, frozenset[CycleState]] = {
    _C.PAIRED: frozenset({_C.CONFIGURED}),
    _C.CONFIGURED: frozenset({_C.CONFIGURED, _C.FAILED_OVER, _C.FAILOVER_FAILED, _C.PAIRED}),
    _C.FAILOVER_FAILED: frozenset({_C.CONFIGURED, _C.FAILED_OVER, _C.FAILOVER_FAILED, _C.PAIRED}),
    _C.FAILED_OVER: frozenset({_C.REVERSE_REPLICATING, _C.FAILED_OVER, _C.CONFIGURED}),
    _C.REVERSE_REPLICATING: frozenset({_C.READY_FOR_FAILBACK, _C.REVERSE_REPLICATING}),
    _C.READY_FOR_FAILBACK: frozenset({_C.FAILED_BACK, _C.REVERSE_REPLICATING}),
    _C.FAILED_BACK: frozenset({_C.CONFIGURED, _C.PAIRED}),
}


def can_move(current: str | None, new: CycleState) -> bool:
    try:
        state = CycleState(current or _C.PAIRED.value)
    except ValueError:
        return False
    return new is state or new in CYCLE_MOVES[state]


def cycle_of_server(pair_state: str | None, server: Mapping[str, Any] | None,
                    replication: Mapping[str, Any] | None, lag_threshold_seconds: int) -> CycleState:
    """A server's state for the status view: the stored pair state, advanced by what an execution's
    SERVER item and the reversed replication say now."""
    state = CycleState(pair_state or _C.PAIRED.value)
    if server is not None and state in (_C.PAIRED, _C.CONFIGURED, _C.FAILOVER_FAILED):
        if server.get("status") == "LAUNCHED" and server.get("identityVerified"):
            state = _C.FAILED_OVER
        elif server.get("status") == "FAILED":
            state = _C.FAILOVER_FAILED
    if replication is not None and state in (_C.REVERSE_REPLICATING, _C.READY_FOR_FAILBACK):
        ready = replication_ready(replication, lag_threshold_seconds)
        state = _C.READY_FOR_FAILBACK if ready else _C.REVERSE_REPLICATING
    return state


# The DRS Failback Client step of an origin outside EC2 (an agent booted on the origin machine):
# its status from the recovery instance's failback state (DescribeRecoveryInstances).
AGENT_STEP = {
    "FAILBACK_NOT_STARTED": "AGENT_REQUIRED",
    "FAILBACK_IN_PROGRESS": "AGENT_REPLICATING",
    "FAILBACK_READY_FOR_LAUNCH": "AGENT_READY",
    "FAILBACK_COMPLETED": "AGENT_DONE",
    "FAILBACK_ERROR": "AGENT_ERROR",
    "FAILBACK_NOT_READY_FOR_LAUNCH": "AGENT_REPLICATING",
    "FAILBACK_LAUNCH_STATE_NOT_AVAILABLE": "AGENT_REQUIRED",
}


def agent_step(failback_state: str | None) -> str:
    return AGENT_STEP.get(str(failback_state), "AGENT_REQUIRED")


def replication_ready(replication: Mapping[str, Any], lag_threshold_seconds: int) -> bool:
    """CONTINUOUS with a lag within the threshold (``replication``: ``{state, lagSeconds}``)."""
    lag = replication.get("lagSeconds")
    return replication.get("state") == "CONTINUOUS" and (lag is None or float(lag) <= lag_threshold_seconds)


def iso_lag_seconds(value: str | None) -> float | None:
    """DRS ``lagDuration`` (ISO-8601 duration such as ``PT5S``, ``PT1M30S``, ``P0D``) in seconds."""
    if not value:
        return None
    m = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", value)
    if not m:
        return None
    d, h, mi, s = m.groups()
    return int(d or 0) * 86400 + int(h or 0) * 3600 + int(mi or 0) * 60 + float(s or 0)


def expectations(pairs: Iterable[Mapping[str, Any]], sources: Mapping[str, SourceView]) -> dict[str, Expectation]:
    """Server id -> what its launch must give, from the stored pairs and DRS's view of the servers."""
    out: dict[str, Expectation] = {}
    for pair in pairs:
        sid = str(pair["sourceServerId"])
        source = sources.get(sid)
        out[sid] = Expectation(
            target_instance_id=str(pair["targetInstanceId"]), pair_id=str(pair["pairId"]),
            source_private_ip=(source.private_ip if source else None) or pair.get("sourcePrivateIp"),
            target_private_ip=pair.get("targetPrivateIp"),
            preserve_private_ip=bool(pair.get("preservePrivateIp", True)),
            staging_account_id=source.staging_account_id if source else None)
    return out

