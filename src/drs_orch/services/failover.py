"""Failover into instance pairs and the way back (issue 14): the engine's pairing hooks (what each
launch must give, and the launch-into drift check at a wave's start), the failover start, reverse
replication after a failover, and the per-server status of the cycle."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Protocol

from drs_orch.domain.errors import Conflict, NotFound, ValidationFailed
from drs_orch.domain.execution_records import ExecutionMeta, ServerRecord
from drs_orch.domain.execution_snapshot import scope_of, split_scope
from drs_orch.domain.failover import (
    FAILBACK,
    FAILOVER,
    CycleState,
    Expectation,
    FailoverInput,
    ReverseInput,
    agent_step,
    cycle_of_server,
    expectations,
    iso_lag_seconds,
    replication_ready,
    source_view,
)
from drs_orch.domain.models import parse

Item = dict[str, Any]
DEFAULT_LAG_THRESHOLD_SECONDS = 60
_REVERSED = (CycleState.REVERSE_REPLICATING.value, CycleState.READY_FOR_FAILBACK.value)


class PairStore(Protocol):
    def list(self, group_id: str) -> list[Item]: ...
    def update_state(self, group_id: str, server_id: str, changes: Mapping[str, Any]) -> bool: ...


class FailoverDrs(Protocol):
    def launch_into_target(self, scope: str, server_id: str) -> str | None: ...
    def set_launch_into(self, scope: str, server_id: str, instance_id: str) -> None: ...
    def reverse_replication(self, scope: str, recovery_instance_id: str) -> str: ...
    def source_servers(self, scope: str, server_ids: list[str]) -> dict[str, Item]: ...
    def recovery_instances(self, scope: str, instance_ids: list[str]) -> dict[str, Item]: ...


class Executions(Protocol):
    def get_meta(self, execution_id: str) -> ExecutionMeta | None: ...
    def load_servers(self, execution_id: str) -> list[ServerRecord]: ...


def _parse_arn(arn: str) -> tuple[str, str] | None:
    """(scope, server id) of ``arn:aws:drs:<region>:<account>:source-server/<id>``."""
    parts = arn.split(":")
    if len(parts) != 6 or not parts[5].startswith("source-server/"):
        return None
    return scope_of(parts[4], parts[3]), parts[5].split("/", 1)[1]


class FailoverService:
    def __init__(self, pairs: PairStore, drs: FailoverDrs, executions: Executions,
                 start: Callable[[dict[str, Any], str], dict[str, Any]], now: Callable[[], str]) -> None:
        self.pairs = pairs
        self.drs = drs
        self.executions = executions
        self._start = start
        self.now = now

    # ------------------------------------------------------------------ engine hooks (ports.Pairing)
    def failback_refs(self, refs: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        problems = []
        for group_id, ref in refs.items():
            pairs = {str(p["sourceServerId"]): p for p in self.pairs.list(group_id)}
            scopes: set[str] = set()
            reversed_ids = []
            for sid in ref.server_ids:
                pair = pairs.get(sid) or {}
                parsed = _parse_arn(str(pair.get("reversedSourceServerArn") or ""))
                if parsed is not None and pair.get("cycleState") not in _REVERSED:
                    problems.append({"field": f"servers.{sid}", "message": f"its cycle is {pair.get('cycleState')}: "
                                     "nothing to fail back"})
                    continue
                if parsed is None and pair.get("agentStepSince"):
                    problems.append({"field": f"servers.{sid}", "message": "its origin is not EC2: it fails back "
                                     "through the DRS Failback Client on the origin machine (StartFailbackLaunch), "
                                     "which this platform does not drive"})
                    continue
                if parsed is None:
                    problems.append({"field": f"servers.{sid}", "message": "not replicating back: start reverse "
                                     "replication after its failover (POST /executions/{id}/allow-launching/"
                                     "reverse-replication)"})
                    continue
                scopes.add(parsed[0])
                reversed_ids.append(parsed[1])
            if len(scopes) > 1:
                problems.append({"field": f"protectionGroups.{group_id}",
                                 "message": f"its servers came from several origins ({', '.join(sorted(scopes))})"})
            elif scopes:
                account, region = split_scope(next(iter(scopes)))
                out[group_id] = replace(ref, account_id=account, region=region, server_ids=tuple(reversed_ids))
        if problems:
            raise ValidationFailed(f"{len(problems)} server(s) or group(s) of the plan cannot fail back",
                                   code="NOT_READY_FOR_FAILBACK", details=problems)
        return out

    def _failback_expectations(self, group_ids: list[str], servers_by_scope: Mapping[str, list[str]],
                               described: Mapping[str, Item], dry_run: bool) -> dict[str, dict[str, Any]]:
        """Each reversed server launches into the original source instance, with the original IP;
        its reverse replication must be CONTINUOUS within the lag threshold."""
        by_reversed: dict[str, Item] = {}
        for group_id in group_ids:
            for pair in self.pairs.list(group_id):
                parsed = _parse_arn(str(pair.get("reversedSourceServerArn") or ""))
                if parsed:
                    by_reversed[parsed[1]] = pair
        originals: dict[str, Item] = {}
        by_scope: dict[str, list[str]] = {}
        for pair in by_reversed.values():
            by_scope.setdefault(scope_of(str(pair["accountId"]), str(pair["region"])), []).append(
                str(pair["sourceServerId"]))
        for scope, ids in by_scope.items():
            originals.update(self.drs.source_servers(scope, ids))
        problems, out = [], {}
        for scope, ids in servers_by_scope.items():
            for rid in ids:
                pair = by_reversed[rid]
                info = (described.get(rid) or {}).get("dataReplicationInfo") or {}
                rep = {"state": info.get("dataReplicationState"), "lagSeconds": iso_lag_seconds(info.get("lagDuration"))}
                if not replication_ready(rep, DEFAULT_LAG_THRESHOLD_SECONDS):
                    problems.append({"field": f"servers.{pair['sourceServerId']}",
                                     "message": f"reverse replication is {rep['state']} (lag {rep['lagSeconds']}s); "
                                                f"wait for CONTINUOUS within {DEFAULT_LAG_THRESHOLD_SECONDS}s"})
                    continue
                hints = ((originals.get(str(pair["sourceServerId"])) or {}).get("sourceProperties") or {}).get(
                    "identificationHints") or {}
                original = hints.get("awsInstanceID")
                if not original:
                    problems.append({"field": f"servers.{pair['sourceServerId']}",
                                     "message": "its origin is not an EC2 instance: fail back with the DRS Failback "
                                                "Client (agent) instead"})
                    continue
                if not dry_run:
                    self.drs.set_launch_into(scope, rid, str(original))
                out[rid] = Expectation(target_instance_id=str(original), pair_id=str(pair["pairId"]),
                                       source_private_ip=pair.get("sourcePrivateIp"), target_private_ip=None,
                                       preserve_private_ip=bool(pair.get("preservePrivateIp", True)),
                                       staging_account_id=pair.get("stagingAccountId")).to_item()
        if problems:
            raise Conflict(f"{len(problems)} server(s) are not ready for failback", code="NOT_READY_FOR_FAILBACK",
                           details=problems)
        return out

    def expectations(self, kind: str, group_ids: list[str], servers_by_scope: Mapping[str, list[str]],
                     described: Mapping[str, Item], *, dry_run: bool = False) -> dict[str, dict[str, Any]]:
        if kind == FAILBACK:
            return self._failback_expectations(group_ids, servers_by_scope, described, dry_run)
        by_server: dict[str, Item] = {}
        for group_id in group_ids:
            for pair in self.pairs.list(group_id):
                by_server[str(pair["sourceServerId"])] = pair
        servers = [(scope, s) for scope, ids in servers_by_scope.items() for s in ids]
        unpaired = sorted(s for _, s in servers if s not in by_server)
        if unpaired:
            raise ValidationFailed(
                f"{len(unpaired)} server(s) of the plan have no instance pair: {', '.join(unpaired[:20])}",
                code="SERVERS_NOT_PAIRED",
                details=[{"field": f"servers.{s}", "message": "pair it: POST /protection-groups/{id}/instance-pairs"}
                         for s in unpaired])
        if kind == FAILOVER:
            self._check_targets({scope: {s: {"targetInstanceId": by_server[s]["targetInstanceId"]} for s in ids}
                                 for scope, ids in servers_by_scope.items()}, "LAUNCH_INTO_NOT_CONFIGURED", Conflict)
        sources = {sid: source_view(item) for sid, item in described.items()}
        found = expectations([by_server[s] for _, s in servers], sources)
        return {sid: e.to_item() for sid, e in found.items()}

    def check_wave(self, identity_by_scope: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> None:
        self._check_targets(identity_by_scope, "LAUNCH_INTO_DRIFT", Conflict)

    def _check_targets(self, wanted: Mapping[str, Mapping[str, Mapping[str, Any]]], code: str,
                       error: type[Conflict]) -> None:
        wrong = []
        for scope, servers in wanted.items():
            for server_id, expect in servers.items():
                held = self.drs.launch_into_target(scope, server_id)
                if held != expect["targetInstanceId"]:
                    wrong.append({"serverId": server_id, "expected": expect["targetInstanceId"], "drsHolds": held})
        if wrong:
            raise error(f"DRS does not launch {len(wrong)} server(s) into their paired instances "
                        f"({', '.join(w['serverId'] for w in wrong[:10])}); run POST "
                        "/protection-groups/{id}/configure-allow-launching", code=code, details={"servers": wrong})

    # ------------------------------------------------------------------ start
    def start(self, kind: str, body: Mapping[str, Any], actor: str) -> dict[str, Any]:
        req = parse(FailoverInput, body)
        start: dict[str, Any] = {"planId": req.plan_id, "executionType": kind, "isDrill": req.is_drill,
                                 "dryRun": req.dry_run}
        if req.initiated_by:
            start["initiatedBy"] = req.initiated_by
        if req.poll_interval_seconds is not None:
            start["pollIntervalSeconds"] = req.poll_interval_seconds
        return self._start(start, actor)

    # ------------------------------------------------------------------ after a failover
    def _paired_execution(self, execution_id: str) -> ExecutionMeta:
        meta = self.executions.get_meta(execution_id)
        if meta is None:
            raise NotFound(f"execution {execution_id} not found", code="EXECUTION_NOT_FOUND")
        if meta.get("executionType") not in (FAILOVER, FAILBACK):
            raise ValidationFailed(f"execution {execution_id} is a {meta.get('executionType')}, not a FAILOVER or "
                                   "FAILBACK", code="NOT_A_FAILOVER")
        return meta

    def _failover(self, execution_id: str) -> tuple[ExecutionMeta, list[Mapping[str, Any]]]:
        meta = self._paired_execution(execution_id)
        return meta, list[Mapping[str, Any]](self.executions.load_servers(execution_id))

    def _server_of_pair(self, meta: Mapping[str, Any], servers: Mapping[str, Mapping[str, Any]]
                        ) -> Callable[[Item], Mapping[str, Any] | None]:
        """The execution's server record of a pair: the server itself (FAILOVER) or its reversed
        source server (FAILBACK)."""
        def find(pair: Item) -> Mapping[str, Any] | None:
            if meta.get("executionType") == FAILOVER:
                return servers.get(str(pair["sourceServerId"]))
            parsed = _parse_arn(str(pair.get("reversedSourceServerArn") or ""))
            return servers.get(parsed[1]) if parsed else None
        return find

    def _pairs_of(self, meta: Mapping[str, Any]) -> dict[str, Item]:
        out: dict[str, Item] = {}
        for group_id in meta.get("protectionGroupIds") or []:
            for pair in self.pairs.list(str(group_id)):
                out[str(pair["sourceServerId"])] = pair
        return out

    def reverse_replication(self, execution_id: str, body: Mapping[str, Any], actor: str) -> dict[str, Any]:
        """After a FAILOVER: ReverseReplication of every server the failover launched into its pair;
        the reversed source server, the staging account and the recovery instance are recorded on the
        pair. After a FAILBACK: the failed-back instances are protected again (ReverseReplication
        toward the recovery region) and their pairs' cycle is FAILED_BACK (done)."""
        from drs_orch.adapters.drs_failover import ReverseRefused

        req = parse(ReverseInput, body)
        meta, servers = self._failover(execution_id)
        if req.source_server_ids is not None:
            unknown = sorted(set(req.source_server_ids) - {str(s["sourceServerId"]) for s in servers})
            if unknown:
                raise ValidationFailed(f"server(s) not in execution {execution_id}: {', '.join(unknown[:20])}",
                                       code="SERVERS_NOT_IN_EXECUTION")
            servers = [s for s in servers if s["sourceServerId"] in set(req.source_server_ids)]
        if meta.get("status") not in ("COMPLETED", "PARTIAL", "FAILED"):
            raise Conflict(f"execution {execution_id} is {meta.get('status')}: reverse replication starts after "
                           "the failover ended", code="EXECUTION_NOT_ENDED")
        if meta.get("isDrill") and meta.get("executionType") == FAILOVER:
            raise Conflict("a failover drill cannot be replicated back: DRS reverses replication only from "
                           "recovery (non-drill) instances", code="DRILL_NOT_REVERSIBLE")
        pairs = self._pairs_of(meta)
        failback = meta.get("executionType") == FAILBACK
        if failback:  # the SERVER items are the reversed servers: back to the pairs' own server ids
            find = self._server_of_pair(meta, {str(s["sourceServerId"]): s for s in servers})
            servers = [{**found, "sourceServerId": sid} for sid, p in pairs.items() if (found := find(p))]
        results = []
        for server in sorted(servers, key=lambda s: str(s["sourceServerId"])):
            sid = str(server["sourceServerId"])
            pair = pairs.get(sid)
            entry: dict[str, Any] = {"sourceServerId": sid, "recoveryInstanceId": server.get("recoveryInstanceId")}
            if failback:
                if server.get("status") != "LAUNCHED" or not server.get("identityVerified"):
                    results.append({**entry, "status": "SKIPPED", "reason": "not failed back into its instance"})
                    continue
                if pair is not None and pair.get("lastFailbackExecutionId") == execution_id:
                    results.append({**entry, "status": "STARTED",
                                    "reversedSourceServerArn": pair.get("protectionSourceServerArn")})
                    continue
                try:  # protect the failed-back instance again, toward the recovery region
                    arn = self.drs.reverse_replication(scope_of(str(server["accountId"]), str(server["region"])),
                                                       str(server["recoveryInstanceId"]))
                except ReverseRefused as refused:
                    results.append({**entry, "status": "REFUSED", "reason": f"{refused.code}: {refused.message}"})
                    continue
                if pair is not None:
                    self.pairs.update_state(str(pair["groupId"]), sid, {
                        "cycleState": CycleState.FAILED_BACK.value, "lastFailbackExecutionId": execution_id,
                        "protectionSourceServerArn": arn, "failedBackAt": self.now(), "failedBackBy": actor})
                results.append({**entry, "status": "STARTED", "reversedSourceServerArn": arn})
                continue
            if server.get("status") != "LAUNCHED" or not server.get("identityVerified"):
                results.append({**entry, "status": "SKIPPED", "reason": "not failed over into its paired instance"})
                continue
            if pair is not None and pair.get("reversedSourceServerArn") and pair.get("lastFailoverExecutionId") == \
                    execution_id:
                results.append({**entry, "status": "STARTED", "reversedSourceServerArn": pair["reversedSourceServerArn"]})
                continue
            scope = scope_of(str(server["accountId"]), str(server["region"]))
            try:
                arn = self.drs.reverse_replication(scope, str(server["recoveryInstanceId"]))
            except ReverseRefused as refused:
                agent = refused.code == "ValidationException"
                results.append({**entry, "status": "AGENT_REQUIRED" if agent else "REFUSED",
                                "reason": f"{refused.code}: {refused.message}",
                                **({"remediation": "the origin is not EC2: boot the DRS Failback Client on the "
                                                   "origin machine and connect it to this recovery instance; the "
                                                   "status route follows that step"}
                                   if agent else {})})
                if agent and pair is not None:  # the agent step becomes explicit, with its own status
                    self.pairs.update_state(str(pair["groupId"]), sid, {
                        "agentStepSince": self.now(), "recoveryInstanceId": server.get("recoveryInstanceId"),
                        "lastFailoverExecutionId": execution_id, "stagingAccountId": server.get("stagingAccountId")})
                continue
            if pair is not None:  # the failover launched into this pair: its cycle moves on
                self.pairs.update_state(str(pair["groupId"]), sid, {
                    "cycleState": CycleState.REVERSE_REPLICATING.value, "reversedSourceServerArn": arn,
                    "recoveryInstanceId": server.get("recoveryInstanceId"), "lastFailoverExecutionId": execution_id,
                    "stagingAccountId": server.get("stagingAccountId"), "reverseStartedAt": self.now(),
                    "reverseStartedBy": actor})
            results.append({**entry, "status": "STARTED", "reversedSourceServerArn": arn})
        started = sum(1 for r in results if r["status"] == "STARTED")
        return {"executionId": execution_id, "started": started, "servers": results}

    # ------------------------------------------------------------------ status
    def status(self, execution_id: str, lag_threshold_seconds: int | None) -> dict[str, Any]:
        threshold = DEFAULT_LAG_THRESHOLD_SECONDS if lag_threshold_seconds is None else lag_threshold_seconds
        meta = self._paired_execution(execution_id)
        pairs = self._pairs_of(meta)
        find = self._server_of_pair(meta, {str(s["sourceServerId"]): s for s in self.executions.load_servers(
            execution_id)})
        servers = {sid: found for sid, p in pairs.items() if (found := find(p))}
        failback = meta.get("executionType") == FAILBACK
        reversed_by_scope: dict[str, list[str]] = {}
        for pair in pairs.values():
            parsed = _parse_arn(str(pair.get("reversedSourceServerArn") or ""))
            if parsed and (failback or pair.get("lastFailoverExecutionId") == execution_id):
                reversed_by_scope.setdefault(parsed[0], []).append(parsed[1])
        replication: dict[str, dict[str, Any]] = {}
        for scope, ids in reversed_by_scope.items():
            for rid, item in self.drs.source_servers(scope, ids).items():
                info = item.get("dataReplicationInfo") or {}
                account, region = split_scope(scope)
                replication[rid] = {"state": info.get("dataReplicationState"),
                                    "lagSeconds": iso_lag_seconds(info.get("lagDuration")),
                                    "accountId": account, "region": region}
        agents: dict[str, Item] = {}  # recovery instance id -> DescribeRecoveryInstances item
        by_scope: dict[str, list[str]] = {}
        for sid, pair in pairs.items():
            server = servers.get(sid)
            if pair.get("agentStepSince") and server and server.get("recoveryInstanceId") and not failback:
                by_scope.setdefault(scope_of(str(server["accountId"]), str(server["region"])), []).append(
                    str(server["recoveryInstanceId"]))
        for scope, ids in by_scope.items():
            agents.update(self.drs.recovery_instances(scope, ids))
        rows = []
        for sid in sorted(set(servers) | set(pairs)):
            server, pair = servers.get(sid), pairs.get(sid) or {}
            parsed = _parse_arn(str(pair.get("reversedSourceServerArn") or ""))
            rep = replication.get(parsed[1]) if parsed and (
                failback or pair.get("lastFailoverExecutionId") == execution_id) else None
            if failback:
                done = server is not None and server.get("status") == "LAUNCHED" and server.get("identityVerified")
                state = CycleState.FAILED_BACK if done else cycle_of_server(pair.get("cycleState"), None, rep,
                                                                            threshold)
            else:
                state = cycle_of_server(pair.get("cycleState"), server, rep, threshold)
            row: dict[str, Any] = {"sourceServerId": sid, "cycleState": state.value, "pairId": pair.get("pairId"),
                                   "targetInstanceId": pair.get("targetInstanceId"),
                                   "serverStatus": (server or {}).get("status")}
            for key in ("recoveryInstanceId", "ec2InstanceId", "sourcePrivateIp", "targetPrivateIp",
                        "recoveryPrivateIp", "identityVerified", "failureCode", "failureReason", "stagingAccountId"):
                if server and server.get(key) is not None:
                    row[key] = server[key]
            if pair.get("reversedSourceServerArn"):
                row["reversedSourceServerArn"] = pair["reversedSourceServerArn"]
            if rep is not None:
                row["reverseReplication"] = {**rep, "ready": replication_ready(rep, threshold)}
            instance = agents.get(str((server or {}).get("recoveryInstanceId")))
            if pair.get("agentStepSince") and instance is not None:
                failback_state = (instance.get("failback") or {}).get("state")
                step = agent_step(failback_state)
                row["agentStep"] = {"status": step, "failbackState": failback_state, "since": pair["agentStepSince"]}
                if state is CycleState.FAILED_OVER and step in ("AGENT_REPLICATING", "AGENT_READY"):
                    state = CycleState.READY_FOR_FAILBACK if step == "AGENT_READY" else CycleState.REVERSE_REPLICATING
                    row["cycleState"] = state.value
            rows.append(row)
        ready = [r for r in rows if r["cycleState"] == CycleState.READY_FOR_FAILBACK.value]
        counts: dict[str, int] = {}
        for r in rows:
            counts[r["cycleState"]] = counts.get(r["cycleState"], 0) + 1
        return {"executionId": execution_id, "executionType": meta.get("executionType"),
                "status": meta.get("status"), "isDrill": bool(meta.get("isDrill")),
                "lagThresholdSeconds": threshold, "cycleCounts": counts,
                "readyForFailback": bool(rows) and len(ready) == len(rows), "servers": rows}
