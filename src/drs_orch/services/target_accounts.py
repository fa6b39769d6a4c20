"""Target accounts (and the staging accounts under them): register, read, change, remove,
validate. The external id is a secret: it is stored and sent to STS, never returned."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import suppress
from datetime import datetime
from typing import Any

from drs_orch.domain.data_rules import check_drs_region
from drs_orch.domain.errors import Conflict, NotFound, ValidationFailed
from drs_orch.domain.input_rules import MAX_REGIONS, check_count
from drs_orch.domain.models import StagingAccount, TargetAccountInput, dump, parse, to_iso
from drs_orch.services.data_ports import (
    AccountContexts,
    AccountProbe,
    AccountStore,
    CommitConflict,
    GroupStore,
    Item,
)
from drs_orch.services.protection_groups import version_conflict

_EDITABLE = ("accountName", "roleArn", "externalId", "stagingAccounts")
_READ_ONLY = frozenset({"createdAt", "createdBy", "lastValidated", "lastValidationStatus", "lastModifiedAt",
                        "lastModifiedBy", "hasExternalId", "isHub", "version"})


def public_account(item: Mapping[str, Any], hub_account_id: str) -> Item:
    out = {k: v for k, v in item.items() if k != "externalId"}
    out["hasExternalId"] = bool(item.get("externalId"))
    out["isHub"] = item.get("accountId") == hub_account_id
    out["stagingAccounts"] = [
        {**{k: v for k, v in s.items() if k != "externalId"}, "hasExternalId": bool(s.get("externalId"))}
        for s in item.get("stagingAccounts") or []
    ]
    return out


def keep_secrets(body: Mapping[str, Any], old: Mapping[str, Any] | None) -> dict[str, Any]:
    """``body`` with the stored external ids where it does not give one (responses and exports never
    carry them, so a body built from them must not erase them)."""
    out = {k: v for k, v in body.items() if k != "hasExternalId"}
    if old is None:
        return out
    if "externalId" not in out and old.get("externalId"):
        out["externalId"] = old["externalId"]
    stored = {s.get("accountId"): s for s in old.get("stagingAccounts") or []}
    if isinstance(out.get("stagingAccounts"), list):
        staging: list[Any] = []
        for entry in out["stagingAccounts"]:
            if isinstance(entry, Mapping):
                entry = {k: v for k, v in entry.items() if k != "hasExternalId"}
                secret = (stored.get(entry.get("accountId")) or {}).get("externalId")
                if "externalId" not in entry and secret:
                    entry["externalId"] = secret
            staging.append(entry)
        out["stagingAccounts"] = staging
    return out


class TargetAccountService:
    def __init__(self, accounts: AccountStore, groups: GroupStore, contexts: AccountContexts, probe: AccountProbe,
                 now: Callable[[], datetime], hub_region: str) -> None:
        self.accounts = accounts
        self.groups = groups
        self.contexts = contexts
        self.probe = probe
        self.now = now
        self.hub_region = hub_region

    @property
    def hub(self) -> str:
        return self.contexts.hub_account_id

    def _load(self, account_id: str) -> Item:
        item = self.accounts.get(account_id)
        if item is None:
            raise NotFound(f"account {account_id} is not registered", code="ACCOUNT_NOT_FOUND")
        return item

    def list_all(self) -> Item:
        items = sorted(self.accounts.all(), key=lambda i: str(i.get("accountId")))
        return {"accounts": [public_account(i, self.hub) for i in items], "count": len(items)}

    def get(self, account_id: str) -> Item:
        return public_account(self._load(account_id), self.hub)

    def build(self, spec: TargetAccountInput, *, old: Item | None, actor: str) -> Item:
        if spec.account_id == self.hub and spec.role_arn is not None:
            raise ValidationFailed("the hub account is reached with the platform's own credentials; do not give a "
                                   "roleArn for it", details=[{"field": "roleArn", "message": "not allowed for the hub"}])
        if spec.account_id != self.hub and spec.role_arn is None:
            raise ValidationFailed(f"account {spec.account_id} is not the hub, so a roleArn is required",
                                   details=[{"field": "roleArn", "message": "required"}])
        now = to_iso(self.now())
        data = dump(spec)
        item: Item = {
            "accountId": spec.account_id,
            "accountName": spec.account_name,
            "roleArn": spec.role_arn,
            "externalId": spec.external_id,
            "stagingAccounts": data.get("stagingAccounts") or [],
            "version": 1 if old is None else int(old.get("version") or 1) + 1,
            "createdAt": now if old is None else old.get("createdAt"),
            "createdBy": actor if old is None else old.get("createdBy"),
            "lastModifiedAt": now,
            "lastModifiedBy": actor,
            "lastValidated": None if old is None else old.get("lastValidated"),
            "lastValidationStatus": None if old is None else old.get("lastValidationStatus"),
        }
        return {k: v for k, v in item.items() if v is not None}

    def create(self, body: Mapping[str, Any], actor: str) -> Item:
        spec = parse(TargetAccountInput, body)
        item = self.build(spec, old=None, actor=actor)
        self.insert(item)
        return public_account(item, self.hub)

    def insert(self, item: Item) -> None:
        try:
            self.accounts.create(item)
        except CommitConflict:
            raise Conflict(f"account {item['accountId']} is already registered", code="ACCOUNT_EXISTS",
                           details={"accountId": item["accountId"]}) from None

    def remove(self, account_id: str, version: int) -> None:
        try:
            self.accounts.delete(account_id, version)
        except CommitConflict:
            raise Conflict(f"account {account_id} changed meanwhile; retry", code="VERSION_CONFLICT") from None

    def update(self, account_id: str, body: Mapping[str, Any], actor: str) -> Item:
        old = self._load(account_id)
        given = body.get("version")
        if given is not None and given != old.get("version"):
            raise version_conflict(account_id, given if isinstance(given, int) else None, old.get("version"))
        merged: dict[str, Any] = {k: old[k] for k in _EDITABLE if old.get(k) is not None}
        merged.update({k: v for k, v in body.items() if k not in _READ_ONLY})
        merged["accountId"] = account_id
        merged = keep_secrets(merged, old)
        item = self.build(parse(TargetAccountInput, merged), old=old, actor=actor)
        self.replace(item, old)
        return public_account(item, self.hub)

    def replace(self, item: Item, old: Item) -> None:
        try:
            self.accounts.replace(item, int(old.get("version") or 1))
        except CommitConflict:
            current = self.accounts.get(str(item["accountId"]))
            raise version_conflict(str(item["accountId"]), None, current.get("version") if current else None) from None

    def delete(self, account_id: str, actor: str) -> Item:
        old = self._load(account_id)
        users = [g for g in self.groups.all() if g.get("accountId") == account_id]
        if users:
            raise Conflict(
                f"account {account_id} is used by protection group(s) "
                f"{', '.join(str(g['groupName']) for g in users[:10])}; delete or move them first",
                code="ACCOUNT_IN_USE",
                details={"groups": [{"groupId": g["groupId"], "groupName": g["groupName"]} for g in users]},
            )
        self.remove(account_id, int(old.get("version") or 1))
        return {"accountId": account_id, "deleted": True, "deletedBy": actor}

    def add_staging(self, account_id: str, body: Mapping[str, Any], actor: str) -> Item:
        old = self._load(account_id)
        raw = body.get("stagingAccount") or {k: v for k, v in body.items() if k not in ("targetAccountId", "addedBy")}
        staging = parse(StagingAccount, raw)
        existing = list(old.get("stagingAccounts") or [])
        if any(s.get("accountId") == staging.account_id for s in existing):
            raise Conflict(f"{staging.account_id} is already a staging account of {account_id}",
                           code="STAGING_ACCOUNT_EXISTS")
        merged = {**{k: old[k] for k in _EDITABLE if old.get(k) is not None}, "accountId": account_id,
                  "stagingAccounts": [*existing, dump(staging)]}
        item = self.build(parse(TargetAccountInput, merged), old=old, actor=actor)
        self.replace(item, old)
        return public_account(item, self.hub)

    def remove_staging(self, account_id: str, staging_id: str, actor: str) -> Item:
        old = self._load(account_id)
        existing = list(old.get("stagingAccounts") or [])
        kept = [s for s in existing if s.get("accountId") != staging_id]
        if len(kept) == len(existing):
            raise NotFound(f"{staging_id} is not a staging account of {account_id}", code="STAGING_ACCOUNT_NOT_FOUND")
        merged = {**{k: old[k] for k in _EDITABLE if old.get(k) is not None}, "accountId": account_id,
                  "stagingAccounts": kept}
        item = self.build(parse(TargetAccountInput, merged), old=old, actor=actor)
        self.replace(item, old)
        return public_account(item, self.hub)

    def validate(self, account_id: str, body: Mapping[str, Any]) -> Item:
        """Assume the role and call DRS in each region asked for (default: the regions of the
        account's protection groups, else the hub region); report every check."""
        old = self.accounts.get(account_id)
        if old is None and account_id != self.hub:
            raise NotFound(f"account {account_id} is not registered", code="ACCOUNT_NOT_FOUND")
        raw_regions = body.get("regions") or ([body["region"]] if body.get("region") else None)
        check_count(raw_regions, MAX_REGIONS, "regions")
        if raw_regions is None:
            raw_regions = sorted({str(g["region"]) for g in self.groups.all() if g.get("accountId") == account_id})
        regions = [check_drs_region(str(r)) for r in (raw_regions or [self.hub_region])]
        results: Item = {}
        for region in regions:
            ctx = self.contexts.context_for(account_id, region)
            results[region] = self.probe.check(ctx)
        failed = any(c["status"] == "FAILED" for checks in results.values() for c in checks)
        warned = any(c["status"] == "WARNING" for checks in results.values() for c in checks)
        status = "FAILED" if failed else ("WARNING" if warned else "OK")
        checked_at = to_iso(self.now())
        if old is not None:
            item = {**old, "lastValidated": checked_at, "lastValidationStatus": status}
            # changed meanwhile: the report stands, the timestamp is not recorded
            with suppress(CommitConflict):
                self.accounts.replace({**item, "version": int(old.get("version") or 1)}, int(old.get("version") or 1))
        return {"accountId": account_id, "valid": not failed, "status": status, "checkedAt": checked_at,
                "regions": results}
