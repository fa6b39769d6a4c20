"""Failover into instance pairs and the way back (issue 14): the engine's pairing hooks (what each
launch must give, and the launch-into drift check at a wave's start), the failover start, reverse
replication after a failover, and the per-server status of the cycle."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from drs_orch.domain.errors import Conflict, NotFound, ValidationFailed
from drs_orch.domain.execution_snapshot import scope_of, split_scope
from drs_orch.domain.failover import (
    FAILOVER,
    CycleState,
    FailoverInput,
    ReverseInput,
    cycle_of_server,
    expectations,
    iso_lag_seconds,
    replication_ready,
    source_view,
)
from drs_orch.domain.models import parse

Item = dict[str, Any]
DEFAULT_LAG_THRESHOLD_SECONDS = 60


class PairStore(Protocol):
    def list(self, group_id: str) -> list[Item]: ...
    def update_state(self, group_id: str, server_id: str, changes: Mapping[str, Any]) -> bool: ...


class FailoverDrs(Protocol):
    def launch_into_target(self, scope: str, server_id: str) -> str | None: ...
    def reverse_replication(self, scope: str, recovery_instance_id: str) -> str: ...
    def source_servers(self, scope: str, server_ids: list[str]) -> dict[str, Item]: ...


class Executions(Protocol):
    def get_meta(self, execution_id: str) -> Item | None: ...
    def load_servers(self, execution_id: str) -> list[Item]: ...


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
    def expectations(self, kind: str, group_ids: list[str], servers_by_scope: Mapping[str, list[str]],
                     described: Mapping[str, Item]) -> dict[str, dict[str, Any]]:
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
    def _failover(self, execution_id: str) -> tuple[Item, list[Item]]:
        meta = self.executions.get_meta(execution_id)
        if meta is None:
            raise NotFound(f"execution {execution_id} not found", code="EXECUTION_NOT_FOUND")
        if meta.get("executionType") != FAILOVER:
            raise ValidationFailed(f"execution {execution_id} is a {meta.get('executionType')}, not a FAILOVER",
                                   code="NOT_A_FAILOVER")
        return meta, self.executions.load_servers(execution_id)

    def _pairs_of(self, meta: Mapping[str, Any]) -> dict[str, Item]:
        out: dict[str, Item] = {}
        for group_id in meta.get("protectionGroupIds") or []:
            for pair in self.pairs.list(str(group_id)):
                out[str(pair["sourceServerId"])] = pair
        return out

    def reverse_replication(self, execution_id: str, body: Mapping[str, Any], actor: str) -> dict[str, Any]:
        """ReverseReplication of every server the failover launched into its pair; the reversed
        source server, the staging account and the recovery instance are recorded on the pair."""
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
        if meta.get("isDrill"):
            raise Conflict("a failover drill cannot be replicated back: DRS reverses replication only from "
                           "recovery (non-drill) instances", code="DRILL_NOT_REVERSIBLE")
        pairs = self._pairs_of(meta)
        results = []
        for server in sorted(servers, key=lambda s: str(s["sourceServerId"])):
            sid = str(server["sourceServerId"])
            pair = pairs.get(sid)
            entry: dict[str, Any] = {"sourceServerId": sid, "recoveryInstanceId": server.get("recoveryInstanceId")}
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
                                **({"remediation": "the origin is not EC2: install and connect the DRS Failback "
                                                   "Client on the recovery instance's origin, then fail back"}
                                   if agent else {})})
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
        meta = self.executions.get_meta(execution_id)
        if meta is None:
            raise NotFound(f"execution {execution_id} not found", code="EXECUTION_NOT_FOUND")
        if meta.get("executionType") != FAILOVER:
            raise ValidationFailed(f"execution {execution_id} is a {meta.get('executionType')}, not a FAILOVER",
                                   code="NOT_A_FAILOVER")
        servers = {str(s["sourceServerId"]): s for s in self.executions.load_servers(execution_id)}
        pairs = self._pairs_of(meta)
        reversed_by_scope: dict[str, list[str]] = {}
        for pair in pairs.values():
            parsed = _parse_arn(str(pair.get("reversedSourceServerArn") or ""))
            if parsed and pair.get("lastFailoverExecutionId") == execution_id:
                reversed_by_scope.setdefault(parsed[0], []).append(parsed[1])
        replication: dict[str, dict[str, Any]] = {}
        for scope, ids in reversed_by_scope.items():
            for rid, item in self.drs.source_servers(scope, ids).items():
                info = item.get("dataReplicationInfo") or {}
                account, region = split_scope(scope)
                replication[rid] = {"state": info.get("dataReplicationState"),
                                    "lagSeconds": iso_lag_seconds(info.get("lagDuration")),
                                    "accountId": account, "region": region}
        rows = []
        for sid in sorted(set(servers) | set(pairs)):
            server, pair = servers.get(sid), pairs.get(sid) or {}
            parsed = _parse_arn(str(pair.get("reversedSourceServerArn") or ""))
            rep = replication.get(parsed[1]) if parsed and pair.get("lastFailoverExecutionId") == execution_id else None
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
            rows.append(row)
        ready = [r for r in rows if r["cycleState"] == CycleState.READY_FOR_FAILBACK.value]
        counts: dict[str, int] = {}
        for r in rows:
            counts[r["cycleState"]] = counts.get(r["cycleState"], 0) + 1
        return {"executionId": execution_id, "executionType": meta.get("executionType"),
                "status": meta.get("status"), "isDrill": bool(meta.get("isDrill")),
                "lagThresholdSeconds": threshold, "cycleCounts": counts,
                "readyForFailback": bool(rows) and len(ready) == len(rows), "servers": rows}
