"""Target accounts (and the staging accounts under them): register, read, change, remove,
validate. The external id is a secret: it is stored and sent to STS, never returned."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import suppress
from datetime import datetime
from typing import Any

from drs_orch.domain.accounts import StagingAccountRecord, TargetAccount
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

_READ_ONLY = frozenset({"createdAt", "createdBy", "lastValidated", "lastValidationStatus", "lastModifiedAt",
                        "lastModifiedBy", "hasExternalId", "isHub", "version"})


def keep_secrets(body: Mapping[str, Any], old: TargetAccount | None) -> dict[str, Any]:
    """``body`` with the stored external ids where it does not give one (responses and exports never
    carry them, so a body built from them must not erase them)."""
    out = {k: v for k, v in body.items() if k != "hasExternalId"}
    if old is None:
        return out
    if "externalId" not in out and old.external_id:
        out["externalId"] = old.external_id
    if isinstance(out.get("stagingAccounts"), list):
        staging: list[Any] = []
        for entry in out["stagingAccounts"]:
            if isinstance(entry, Mapping):
                entry = {k: v for k, v in entry.items() if k != "hasExternalId"}
                stored = old.staging(str(entry.get("accountId")))
                if "externalId" not in entry and stored is not None and stored.external_id:
                    entry["externalId"] = stored.external_id
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

    def _load(self, account_id: str) -> TargetAccount:
        item = self.accounts.get(account_id)
        if item is None:
            raise NotFound(f"account {account_id} is not registered", code="ACCOUNT_NOT_FOUND")
        return item

    def list_all(self) -> Item:
        items = sorted(self.accounts.all(), key=lambda a: a.account_id)
        return {"accounts": [a.public(self.hub) for a in items], "count": len(items)}

    def get(self, account_id: str) -> Item:
        return self._load(account_id).public(self.hub)

    def build(self, spec: TargetAccountInput, *, old: TargetAccount | None, actor: str) -> TargetAccount:
        if spec.account_id == self.hub and spec.role_arn is not None:
            raise ValidationFailed("the hub account is reached with the platform's own credentials; do not give a "
                                   "roleArn for it", details=[{"field": "roleArn", "message": "not allowed for the hub"}])
        if spec.account_id != self.hub and spec.role_arn is None:
            raise ValidationFailed(f"account {spec.account_id} is not the hub, so a roleArn is required",
                                   details=[{"field": "roleArn", "message": "required"}])
        now = to_iso(self.now())
        staging = tuple(StagingAccountRecord.model_validate(s) for s in dump(spec).get("stagingAccounts") or [])
        return TargetAccount(
            account_id=spec.account_id, account_name=spec.account_name, role_arn=spec.role_arn,
            external_id=spec.external_id, staging_accounts=staging,
            version=1 if old is None else old.version + 1,
            created_at=now if old is None else old.created_at,
            created_by=actor if old is None else old.created_by,
            last_modified_at=now, last_modified_by=actor,
            last_validated=None if old is None else old.last_validated,
            last_validation_status=None if old is None else old.last_validation_status,
        )

    def create(self, body: Mapping[str, Any], actor: str) -> Item:
        spec = parse(TargetAccountInput, body)
        account = self.build(spec, old=None, actor=actor)
        self.insert(account)
        return account.public(self.hub)

    def insert(self, account: TargetAccount) -> None:
        try:
            self.accounts.create(account)
        except CommitConflict:
            raise Conflict(f"account {account.account_id} is already registered", code="ACCOUNT_EXISTS",
                           details={"accountId": account.account_id}) from None

    def remove(self, account_id: str, version: int) -> None:
        try:
            self.accounts.delete(account_id, version)
        except CommitConflict:
            raise Conflict(f"account {account_id} changed meanwhile; retry", code="VERSION_CONFLICT") from None

    def update(self, account_id: str, body: Mapping[str, Any], actor: str) -> Item:
        old = self._load(account_id)
        given = body.get("version")
        if given is not None and given != old.version:
            raise version_conflict(account_id, given if isinstance(given, int) else None, old.version)
        merged = old.editable()
        merged.update({k: v for k, v in body.items() if k not in _READ_ONLY})
        merged["accountId"] = account_id
        merged = keep_secrets(merged, old)
        account = self.build(parse(TargetAccountInput, merged), old=old, actor=actor)
        self.replace(account, old)
        return account.public(self.hub)

    def replace(self, account: TargetAccount, old: TargetAccount) -> None:
        try:
            self.accounts.replace(account, old.version)
        except CommitConflict:
            current = self.accounts.get(account.account_id)
            raise version_conflict(account.account_id, None, current.version if current else None) from None

    def delete(self, account_id: str, actor: str) -> Item:
        old = self._load(account_id)
        users = [g for g in self.groups.all() if g.account_id == account_id]
        if users:
            raise Conflict(
                f"account {account_id} is used by protection group(s) "
                f"{', '.join(g.group_name for g in users[:10])}; delete or move them first",
                code="ACCOUNT_IN_USE",
                details={"groups": [{"groupId": g.group_id, "groupName": g.group_name} for g in users]},
            )
        self.remove(account_id, old.version)
        return {"accountId": account_id, "deleted": True, "deletedBy": actor}

    def add_staging(self, account_id: str, body: Mapping[str, Any], actor: str) -> Item:
        old = self._load(account_id)
        raw = body.get("stagingAccount") or {k: v for k, v in body.items() if k not in ("targetAccountId", "addedBy")}
        staging = parse(StagingAccount, raw)
        if old.staging(staging.account_id) is not None:
            raise Conflict(f"{staging.account_id} is already a staging account of {account_id}",
                           code="STAGING_ACCOUNT_EXISTS")
        merged = old.editable()
        merged["stagingAccounts"] = [*merged.get("stagingAccounts", []), dump(staging)]
        account = self.build(parse(TargetAccountInput, merged), old=old, actor=actor)
        self.replace(account, old)
        return account.public(self.hub)

    def remove_staging(self, account_id: str, staging_id: str, actor: str) -> Item:
        old = self._load(account_id)
        if old.staging(staging_id) is None:
            raise NotFound(f"{staging_id} is not a staging account of {account_id}", code="STAGING_ACCOUNT_NOT_FOUND")
        merged = old.editable()
        merged["stagingAccounts"] = [s for s in merged.get("stagingAccounts", []) if s["accountId"] != staging_id]
        account = self.build(parse(TargetAccountInput, merged), old=old, actor=actor)
        self.replace(account, old)
        return account.public(self.hub)

    def validate(self, account_id: str, body: Mapping[str, Any]) -> Item:
        """Assume the role and call DRS in each region asked for (default: the regions of the
        account's protection groups, else the hub region); report every check."""
        old = self.accounts.get(account_id)
        if old is None and account_id != self.hub:
            raise NotFound(f"account {account_id} is not registered", code="ACCOUNT_NOT_FOUND")
        raw_regions = body.get("regions") or ([body["region"]] if body.get("region") else None)
        check_count(raw_regions, MAX_REGIONS, "regions")
        if raw_regions is None:
            raw_regions = sorted({g.region for g in self.groups.all() if g.account_id == account_id})
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
            # the version is kept (a validation is not a change); changed meanwhile: the report
            # stands, the timestamp is not recorded
            with suppress(CommitConflict):
                self.accounts.replace(old.model_copy(update={"last_validated": checked_at,
                                                             "last_validation_status": status}), old.version)
        return {"accountId": account_id, "valid": not failed, "status": status, "checkedAt": checked_at,
                "regions": results}
