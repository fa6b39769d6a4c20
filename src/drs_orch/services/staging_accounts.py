"""Staging accounts: check one before it is added (``POST /staging-accounts/validate``) and sync the
staging accounts of a target (``POST /accounts/targets/{id}/staging-accounts/sync``).

A staging account replicates source servers that DRS in the target account can take over: DRS
``ListExtensibleSourceServers`` (in the target, per staging account) lists the staging servers not
yet extended, ``CreateExtendedSourceServer`` extends one. The sync re-validates each staging account
(its role can be assumed, DRS answers), reports the source servers it holds now, and extends into the
target every staging server not yet extended (``dryRun: true`` reports them and changes nothing) -
what the earlier system did every five minutes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.capacity import combined_replication, is_replicating, usage_from
from drs_orch.domain.data_rules import check_drs_region
from drs_orch.domain.errors import DomainError, NotFound, ValidationFailed
from drs_orch.domain.inventory import RegionState, RegionUnavailable, region_status
from drs_orch.domain.models import parse
from drs_orch.domain.requests import StagingSyncInput, StagingValidationInput
from drs_orch.services.accounts import AccountDirectory, AccountKind, KnownAccount
from drs_orch.services.query_ports import Readers

Item = dict[str, Any]


class StagingGateway(Protocol):
    def extend(self, target: AccountContext, source_server_arn: str) -> Item:
        """The new source server in ``target``; an UpstreamError (code: DRS's error code) when DRS
        refuses."""
        ...

    def fresh_source_servers(self, ctx: AccountContext) -> list[Item]: ...


class Probe(Protocol):
    def check(self, ctx: AccountContext) -> list[Item]: ...


def _passed(checks: Sequence[Mapping[str, Any]], name: str) -> bool:
    return any(c["check"] == name and c["status"] == "OK" for c in checks)


def _failed(checks: Sequence[Mapping[str, Any]]) -> bool:
    return any(c["status"] == "FAILED" for c in checks)


class StagingAccountService:
    def __init__(self, directory: AccountDirectory, readers: Readers, probe: Probe, gateway: StagingGateway,
                 default_regions: Sequence[str]) -> None:
        self.directory = directory
        self.readers = readers
        self.probe = probe
        self.gateway = gateway
        self.default_regions = list(default_regions)

    # ------------------------------------------------------------------ validate

    def validate(self, body: Mapping[str, Any]) -> Item:
        spec = parse(StagingValidationInput, body)
        region = check_drs_region(spec.region)
        if spec.target_account_id == spec.account_id:
            raise ValidationFailed("the target account cannot be its own staging account",
                                   details=[{"field": "targetAccountId", "message": "equals accountId"}])
        members = self._members(spec.target_account_id) if spec.target_account_id is not None else []
        ctx = AccountContext(spec.account_id, region, role_arn=spec.role_arn, external_id=spec.external_id)
        checks = self.probe.check(ctx)
        out: Item = {"accountId": spec.account_id, "region": region, "roleAccessible": _passed(checks, "assumeRole"),
                     "drsInitialized": _passed(checks, "drs"), "checks": checks}
        servers: list[Item] = []
        if out["roleAccessible"] and out["drsInitialized"]:
            try:
                servers = self.gateway.fresh_source_servers(ctx)
            except DomainError as exc:
                checks.append({"check": "sourceServers", "status": "FAILED", "message": exc.message})
        replicating = sum(1 for s in servers if is_replicating(s))
        out.update(currentServers=len(servers), replicatingServers=replicating, totalAfter=replicating)
        if spec.target_account_id is not None:
            out.update(self._after_adding(spec.target_account_id, members, spec.account_id, region, servers))
        out["valid"] = not _failed(checks)
        return out

    def _after_adding(self, target_id: str, members: Sequence[KnownAccount], staging_id: str, region: str,
                      servers: list[Item]) -> Item:
        """The target's combined replication in ``region`` once this staging account is added."""
        usages = []
        unreachable = []
        for member in members:
            if member.account_id == staging_id:
                continue  # already a staging account: counted once, with what it holds now
            try:
                drs = self.readers.drs(member.context(region))
                usages.append(usage_from(drs.source_servers(), [], []))
            except DomainError as exc:
                unreachable.append({"accountId": member.account_id, "code": exc.code, "message": exc.message})
        before = combined_replication(usages, len(usages))
        usages.append(usage_from(servers, [], []))
        after = combined_replication(usages, len(usages))
        return {"targetAccountId": target_id, "combinedBefore": before, "combinedAfter": after,
                "totalAfter": after["replicatingServers"], "unreachableAccounts": unreachable}

    def _members(self, target_id: str) -> list[KnownAccount]:
        known = self.directory.known_accounts()
        registered = {t.account_id for t in self.directory.targets()}
        target = [a for a in known if a.account_id == target_id and a.kind is not AccountKind.STAGING]
        if not target or target_id not in registered:
            raise NotFound(f"account {target_id} is not a registered target account", code="ACCOUNT_NOT_FOUND",
                           details={"accountId": target_id})
        return target + [a for a in known if a.target_account_id == target_id]

    # ------------------------------------------------------------------ sync

    def sync(self, target_id: str, body: Mapping[str, Any]) -> Item:
        spec = parse(StagingSyncInput, body)
        regions = [check_drs_region(r) for r in dict.fromkeys(spec.regions or self.default_regions)]
        members = self._members(target_id)
        target, staging = members[0], members[1:]
        target_scopes = {region: self._target_scope(target, region) for region in regions}
        reports = [self._sync_one(target, account, regions, target_scopes, spec.dry_run) for account in staging]
        extended = sum(len(r["extended"]) for rep in reports for r in rep["regions"])
        failed = sum(len(r["failed"]) for rep in reports for r in rep["regions"])
        pending = sum(len(r["extensible"]) for rep in reports for r in rep["regions"])
        return {
            "targetAccountId": target_id, "regions": regions, "dryRun": spec.dry_run,
            "targetRegions": [{"region": region, **{k: v for k, v in scope.items() if k != "extendedArns"}}
                              for region, scope in target_scopes.items()],
            "stagingAccounts": reports,
            "summary": {"stagingAccounts": len(reports), "reachable": sum(1 for r in reports if r["reachable"]),
                        "extended": extended, "failed": failed, "wouldExtend": pending if spec.dry_run else 0},
        }

    def _target_scope(self, target: KnownAccount, region: str) -> Item:
        """What DRS in the target says for ``region``: its staging accounts and the staging servers
        already extended into it."""
        try:
            drs = self.readers.drs(target.context(region))
            accepted = drs.staging_accounts()
            servers = drs.source_servers()
        except DomainError as exc:
            state = RegionState(exc.code) if isinstance(exc, RegionUnavailable) else RegionState.ERROR
            return {"regionStatus": region_status(state, exc.message), "stagingAccountIds": [], "extendedArns": {}}
        extended: dict[str, list[str]] = {}
        for server in servers:
            area = server.get("stagingArea") or {}
            if area.get("stagingAccountID") and area.get("stagingSourceServerArn"):
                extended.setdefault(str(area["stagingAccountID"]), []).append(str(area["stagingSourceServerArn"]))
        return {"regionStatus": region_status(RegionState.OK), "stagingAccountIds": accepted,
                "extendedArns": extended}

    def _sync_one(self, target: KnownAccount, account: KnownAccount, regions: Sequence[str],
                  scopes: Mapping[str, Item], dry_run: bool) -> Item:
        checks = self.probe.check(account.context(regions[0]))
        report: Item = {**account.public(), "reachable": _passed(checks, "assumeRole"), "valid": not _failed(checks),
                        "checks": checks, "regions": []}
        if not report["reachable"]:
            return report
        for region in regions:
            report["regions"].append(self._sync_region(target, account, region, scopes[region], dry_run))
        return report

    def _sync_region(self, target: KnownAccount, account: KnownAccount, region: str, scope: Item,
                     dry_run: bool) -> Item:
        entry: Item = {"region": region, "extensible": [], "extended": [], "failed": []}
        try:
            held = self.readers.drs(account.context(region)).source_servers()
            entry["regionStatus"] = region_status(RegionState.OK)
        except DomainError as exc:
            state = RegionState(exc.code) if isinstance(exc, RegionUnavailable) else RegionState.ERROR
            entry["regionStatus"] = region_status(state, exc.message)
            held = []
        entry["sourceServers"] = [
            {"sourceServerId": s.get("sourceServerID"), "hostname": (s.get("sourceProperties") or {})
             .get("identificationHints", {}).get("hostname"), "arn": s.get("arn"),
             "replicationState": (s.get("dataReplicationInfo") or {}).get("dataReplicationState")}
            for s in held
        ]
        entry["sourceServerCount"] = len(held)
        entry["replicatingServers"] = sum(1 for s in held if is_replicating(s))
        entry["extendedIntoTarget"] = sorted(scope["extendedArns"].get(account.account_id, []))
        if scope["regionStatus"]["status"] != RegionState.OK.value:
            target_state = scope["regionStatus"]
            entry["extension"] = {"status": "TARGET_UNAVAILABLE",
                                  "message": target_state.get("message") or target_state["status"]}
            return entry
        if account.account_id not in scope["stagingAccountIds"]:
            entry["extension"] = {"status": "NOT_A_STAGING_ACCOUNT",
                                  "message": f"DRS in target account {target.account_id} ({region}) does not list "
                                             f"{account.account_id} as a staging account; set it up in DRS first"}
            return entry
        target_ctx = target.context(region)
        try:
            candidates = self.readers.drs(target_ctx).extensible_source_servers(account.account_id)
        except DomainError as exc:
            entry["extension"] = {"status": "ERROR", "code": exc.code, "message": exc.message}
            return entry
        entry["extensible"] = [{"arn": c.get("arn"), "hostname": c.get("hostname")} for c in candidates]
        if dry_run:
            entry["extension"] = {"status": "DRY_RUN", "message": f"{len(candidates)} server(s) would be extended"}
            return entry
        for candidate in candidates:
            try:
                server = self.gateway.extend(target_ctx, str(candidate["arn"]))
            except DomainError as exc:  # DRS refused this one; the others are still tried
                entry["failed"].append({"arn": candidate["arn"], "code": exc.code, "message": exc.message})
                continue
            entry["extended"].append({"arn": candidate["arn"], "hostname": candidate.get("hostname"),
                                      "sourceServerId": server.get("sourceServerID")})
        entry["extensible"] = []
        entry["extension"] = {"status": "FAILED" if entry["failed"] else "OK",
                              "message": f"{len(entry['extended'])} extended, {len(entry['failed'])} failed"}
        return entry
