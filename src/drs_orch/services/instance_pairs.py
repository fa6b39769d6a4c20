"""Instance pairs of a protection group (issue 14): match, store, validate, and configure DRS to
launch into the paired instances through the launch-settings machinery (so status, hashes, drift
detection and the wave fast path cover the launch-into target)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.errors import Conflict, NotFound, ValidationFailed
from drs_orch.domain.failover import (
    IN_CYCLE,
    ConfigureInput,
    CycleState,
    InstanceView,
    MatchInput,
    PairInput,
    PairsInput,
    PairUpdateInput,
    SourceView,
    ValidatePairsInput,
    can_move,
    instance_view,
    match_instances,
    new_pair_id,
    pair_problems,
    pair_record,
    pair_target_problems,
    source_view,
)
from drs_orch.domain.inventory import RegionUnavailable
from drs_orch.domain.launch_config import LaunchConfig, ServerLaunchOverride, canonical_config
from drs_orch.domain.launch_rules import intended_config
from drs_orch.domain.models import ProtectionGroup, parse

Item = dict[str, Any]


class PairStore(Protocol):
    def list(self, group_id: str) -> list[Item]: ...
    def write(self, group_id: str, put: Any, delete_servers: Any = ()) -> None: ...
    def update_state(self, group_id: str, server_id: str, changes: Mapping[str, Any]) -> bool: ...


class GroupLookup(Protocol):
    def get(self, group_id: str) -> ProtectionGroup | None: ...


class DrsSource(Protocol):
    def source_servers(self, server_ids: Any = None) -> list[dict[str, Any]]: ...


class Ec2Source(Protocol):
    def instances(self, instance_ids: Any) -> list[dict[str, Any]]: ...
    def instances_not_terminated(self) -> list[dict[str, Any]]: ...


class Readers(Protocol):
    def drs(self, ctx: AccountContext) -> Any: ...
    def ec2(self, ctx: AccountContext) -> Any: ...


class LaunchSettings(Protocol):
    def bulk_update(self, group_id: str, body: dict[str, Any], actor: str,
                    background: Callable[[str, dict[str, str]], None] | None = None) -> dict[str, Any]: ...


class InstancePairService:
    def __init__(self, pairs: PairStore, groups: GroupLookup, readers: Readers,
                 context_for: Callable[[str | None, str], AccountContext], launch: LaunchSettings,
                 hub_account_id: str, now: Callable[[], str],
                 clear_launch_into: Callable[[AccountContext, str], None]) -> None:
        self.pairs = pairs
        self.groups = groups
        self.readers = readers
        self.context_for = context_for
        self.launch = launch
        self.hub = hub_account_id
        self.now = now
        self.clear_launch_into = clear_launch_into

    # ------------------------------------------------------------------ helpers
    def group(self, group_id: str) -> ProtectionGroup:
        group = self.groups.get(group_id)
        if group is None:
            raise NotFound(f"protection group {group_id} not found", code="GROUP_NOT_FOUND")
        return group

    def _ctx(self, group: ProtectionGroup) -> AccountContext:
        return self.context_for(group.account_id, group.region)

    def _sources(self, ctx: AccountContext, server_ids: list[str]) -> dict[str, SourceView]:
        if not server_ids:
            return {}
        found = self.readers.drs(ctx).source_servers(server_ids)
        return {v.server_id: v for v in (source_view(s) for s in found)}

    def _instances(self, ctx: AccountContext, instance_ids: list[str]) -> dict[str, InstanceView]:
        if not instance_ids:
            return {}
        return {v.instance_id: v for v in (instance_view(i) for i in self.readers.ec2(ctx).instances(instance_ids))}

    def list_pairs(self, group_id: str) -> dict[str, Any]:
        group = self.group(group_id)
        pairs = self.pairs.list(group_id)
        return {"groupId": group_id, "accountId": group.account_id, "region": group.region,
                "pairs": pairs, "count": len(pairs)}

    # ------------------------------------------------------------------ match
    def match(self, body: Mapping[str, Any]) -> dict[str, Any]:
        req = parse(MatchInput, body)
        began = time.monotonic()
        if req.group_id:
            group = self.group(req.group_id)
            account, region = group.account_id, group.region
            server_ids: list[str] | None = list(group.source_server_ids)
        else:
            account, region = req.account_id or self.hub, str(req.region)
            server_ids = req.source_server_ids
        ctx = self.context_for(account, region)
        try:
            servers = [source_view(s) for s in self.readers.drs(ctx).source_servers(server_ids)]
            instances = [instance_view(i) for i in self.readers.ec2(ctx).instances_not_terminated()]
        except RegionUnavailable as exc:  # DRS not initialized there, or no access: the caller's to fix
            if exc.code in ("DRS_NOT_INITIALIZED", "ACCESS_DENIED"):
                raise Conflict(exc.message, code=exc.code, details=exc.details) from None
            raise
        result = match_instances(servers, instances)
        return {"accountId": account, "region": region, "groupId": req.group_id,
                "matches": result.matches, "unmatched": result.unmatched, "ambiguous": result.ambiguous,
                "serverCount": len(servers), "instanceCount": len(instances),
                "elapsedMs": round((time.monotonic() - began) * 1000, 1)}

    # ------------------------------------------------------------------ store
    def put_pairs(self, group_id: str, body: Mapping[str, Any], actor: str) -> dict[str, Any]:
        req = parse(PairsInput, body)
        group = self.group(group_id)
        problems = [p for pair in req.pairs for p in pair_target_problems(group, pair)]
        existing = {str(p["sourceServerId"]): p for p in self.pairs.list(group_id)}
        kept = {} if req.replace else {k: v for k, v in existing.items()
                                       if k not in {p.source_server_id for p in req.pairs}}
        busy = sorted(sid for sid, p in existing.items() if p.get("cycleState") in IN_CYCLE and (
            req.replace or sid in {q.source_server_id for q in req.pairs}))
        if busy:
            raise Conflict(f"instance pair(s) of {', '.join(busy)} are failed over: fail back before changing them",
                           code="PAIR_IN_CYCLE")
        taken = {str(p["targetInstanceId"]): sid for sid, p in kept.items()}
        for pair in req.pairs:
            other = taken.get(pair.target_instance_id)
            if other:
                problems.append({"field": f"pairs.{pair.source_server_id}.targetInstanceId",
                                 "message": f"{pair.target_instance_id} is already the target of {other}"})
        if problems:
            raise ValidationFailed(f"invalid instance pairs: {len(problems)} problem(s)", code="INVALID_INSTANCE_PAIRS",
                                   details=problems)
        sources = self._sources(self._ctx(group), [p.source_server_id for p in req.pairs])
        targets = self._instances(self._ctx(group), [p.target_instance_id for p in req.pairs])
        now = self.now()
        records = [pair_record(group, pair, pair_id=str((existing.get(pair.source_server_id) or {}).get("pairId")
                                                        or new_pair_id()),
                               now=now, actor=actor, source=sources.get(pair.source_server_id),
                               previous=existing.get(pair.source_server_id),
                               target=targets.get(pair.target_instance_id))
                   for pair in req.pairs]
        dropped = [sid for sid in existing if req.replace and sid not in {p.source_server_id for p in req.pairs}]
        self.pairs.write(group_id, records, dropped)
        return {**self.list_pairs(group_id), "written": len(records), "removed": len(dropped)}

    def _pair(self, group_id: str, pair_id: str) -> Item:
        for pair in self.pairs.list(group_id):
            if pair["pairId"] == pair_id:
                return pair
        raise NotFound(f"instance pair {pair_id} not found in group {group_id}", code="PAIR_NOT_FOUND")

    def update_pair(self, group_id: str, pair_id: str, body: Mapping[str, Any], actor: str) -> dict[str, Any]:
        req = parse(PairUpdateInput, body)
        group = self.group(group_id)
        pair = self._pair(group_id, pair_id)
        if pair.get("cycleState") in IN_CYCLE:
            raise Conflict(f"instance pair {pair_id} is {pair['cycleState']}: fail back before changing it",
                           code="PAIR_IN_CYCLE")
        merged = PairInput(source_server_id=str(pair["sourceServerId"]),
                           target_instance_id=req.target_instance_id or str(pair["targetInstanceId"]),
                           preserve_private_ip=req.preserve_private_ip if req.preserve_private_ip is not None
                           else bool(pair.get("preservePrivateIp", True)),
                           copy_tags=req.copy_tags if req.copy_tags is not None else bool(pair.get("copyTags")))
        others = {str(p["targetInstanceId"]): str(p["sourceServerId"]) for p in self.pairs.list(group_id)
                  if p["pairId"] != pair_id}
        if merged.target_instance_id in others:
            raise ValidationFailed(f"{merged.target_instance_id} is already the target of "
                                   f"{others[merged.target_instance_id]}", code="INVALID_INSTANCE_PAIRS",
                                   details=[{"field": "targetInstanceId", "message": "already paired"}])
        sources = self._sources(self._ctx(group), [merged.source_server_id])
        targets = self._instances(self._ctx(group), [merged.target_instance_id])
        record = pair_record(group, merged, pair_id=pair_id, now=self.now(), actor=actor,
                             source=sources.get(merged.source_server_id), previous=pair,
                             target=targets.get(merged.target_instance_id))
        self.pairs.write(group_id, [record])
        return record

    def delete_pair(self, group_id: str, pair_id: str, actor: str) -> dict[str, Any]:
        group = self.group(group_id)
        pair = self._pair(group_id, pair_id)
        if pair.get("cycleState") in IN_CYCLE:
            raise Conflict(f"instance pair {pair_id} is {pair['cycleState']}: fail back before removing it",
                           code="PAIR_IN_CYCLE")
        sid = str(pair["sourceServerId"])
        override = dict((group.servers or {}).get(sid) or {})
        if override.pop("launchIntoInstanceProperties", None) is not None:
            # DRS would go on launching into the instance: the launch settings drop the target, and DRS
            # is told (an unset launch setting is left as DRS holds it)
            self.launch.bulk_update(group_id, {"servers": {sid: override or None}}, actor)
            self.clear_launch_into(self._ctx(group), sid)
        self.pairs.write(group_id, [], [sid])
        return {"groupId": group_id, "pairId": pair_id, "deleted": True}

    # ------------------------------------------------------------------ validate
    def pairs_of(self, group_id: str) -> list[Item]:
        return self.pairs.list(group_id)

    def validate(self, body: Mapping[str, Any]) -> dict[str, Any]:
        req = parse(ValidatePairsInput, body)
        group = self.group(req.group_id)
        pairs = self.pairs.list(req.group_id)
        if req.pair_ids is not None:
            unknown = sorted(set(req.pair_ids) - {str(p["pairId"]) for p in pairs})
            if unknown:
                raise NotFound(f"instance pair(s) not in group {req.group_id}: {', '.join(unknown)}",
                               code="PAIR_NOT_FOUND")
            pairs = [p for p in pairs if p["pairId"] in set(req.pair_ids)]
        return self.check_pairs(group, pairs)

    def check_pairs(self, group: ProtectionGroup, pairs: list[Item],
                    described: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
        """Every problem of each pair. ``described``: DescribeSourceServers items by id a caller has
        already read in the group's account-region (readiness reads each account-region once)."""
        ctx = self._ctx(group)
        ids = [str(p["sourceServerId"]) for p in pairs]
        sources = (self._sources(ctx, ids) if described is None else
                   {v.server_id: v for v in (source_view(described[i]) for i in ids if i in described)})
        instances = self._instances(ctx, [str(p["targetInstanceId"]) for p in pairs])
        base = LaunchConfig.model_validate(group.launch_config or {})
        overrides = group.servers or {}
        results = []
        for pair in pairs:
            sid = str(pair["sourceServerId"])
            override = ServerLaunchOverride.model_validate(overrides[sid]) if sid in overrides else None
            launch = canonical_config(intended_config(base, override))
            problems = pair_problems(pair, sources.get(sid), instances.get(str(pair["targetInstanceId"])), launch)
            inst = instances.get(str(pair["targetInstanceId"]))
            source = sources.get(sid)
            results.append({"pairId": pair["pairId"], "sourceServerId": sid,
                            "targetInstanceId": pair["targetInstanceId"], "valid": not problems,
                            "sourcePrivateIp": source.private_ip if source else None,
                            "targetPrivateIp": inst.private_ip if inst else None,
                            "targetState": inst.state if inst else None, "problems": problems})
        invalid = sum(1 for r in results if not r["valid"])
        return {"groupId": group.group_id, "valid": invalid == 0, "pairCount": len(results),
                "invalidCount": invalid, "results": results}

    # ------------------------------------------------------------------ configure DRS
    def configure(self, group_id: str, body: Mapping[str, Any], actor: str,
                  background: Callable[[str, dict[str, str]], None] | None = None) -> dict[str, Any]:
        """Write ``launchIntoInstanceProperties`` into each paired server's launch settings (DRS
        requires copyPrivateIp and copyTags off for a launch into an instance: the IP is the paired
        instance's own, checked by validation and after the launch). ``background`` queues the
        background runs of the apply when it does not fit the save's budget (a large group)."""
        req = parse(ConfigureInput, body)
        group = self.group(group_id)
        pairs = self.pairs.list(group_id)
        if not pairs:
            raise ValidationFailed(f"protection group {group_id} has no instance pairs", code="NO_INSTANCE_PAIRS")
        current = dict(group.servers or {})
        servers: dict[str, Any] = {}
        for pair in pairs:
            sid = str(pair["sourceServerId"])
            override = dict(current.get(sid) or {})
            override.update({"launchIntoInstanceProperties": {"launchIntoEC2InstanceID": pair["targetInstanceId"]},
                             "copyPrivateIp": False, "copyTags": False})
            override.pop("staticPrivateIp", None)
            servers[sid] = override
        if req.dry_run:
            return {"groupId": group_id, "dryRun": True, "servers": servers, "configured": 0}
        result = self.launch.bulk_update(group_id, {"servers": servers}, actor, background)
        for pair in pairs:
            if can_move(pair.get("cycleState"), CycleState.CONFIGURED):
                self.pairs.update_state(group_id, str(pair["sourceServerId"]),
                                        {"cycleState": CycleState.CONFIGURED.value, "configuredAt": self.now()})
        return {"groupId": group_id, "dryRun": False, "servers": servers, "configured": len(servers),
                "launchConfigStatus": result.get("launchConfigStatus")}
