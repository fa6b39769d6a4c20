"""Resolve an account id to the context used to reach it (hub credentials or an assumed role), and
list the accounts the platform knows: the hub, the registered target accounts and their staging
accounts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from drs_orch.domain.accounts import AccountContext, TargetAccount
from drs_orch.domain.errors import NotFound


class TargetAccountLookup(Protocol):
    def get(self, account_id: str) -> TargetAccount | None: ...
    def list_all(self) -> list[TargetAccount]: ...


class AccountKind(StrEnum):
    HUB = "HUB"
    TARGET = "TARGET"
    STAGING = "STAGING"


@dataclass(frozen=True)
class KnownAccount:
    account_id: str
    kind: AccountKind
    account_name: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    target_account_id: str | None = None  # the target a staging account belongs to

    def context(self, region: str) -> AccountContext:
        return AccountContext(self.account_id, region, role_arn=self.role_arn, external_id=self.external_id)

    def public(self) -> dict[str, Any]:
        """What the API shows: never the external id, only whether one is set."""
        out: dict[str, Any] = {
            "accountId": self.account_id,
            "accountName": self.account_name,
            "accountType": self.kind.value,
            "roleArn": self.role_arn,
            "hasExternalId": bool(self.external_id),
        }
        if self.target_account_id:
            out["targetAccountId"] = self.target_account_id
        return out


class AccountDirectory:
    def __init__(self, hub_account_id: str, accounts: TargetAccountLookup) -> None:
        self.hub_account_id = hub_account_id
        self._accounts = accounts

    def context_for(self, account_id: str | None, region: str) -> AccountContext:
        """The hub when no account (or the hub's own) is named; otherwise a registered target or
        staging account, reached through its role and external id."""
        if not account_id or account_id == self.hub_account_id:
            return AccountContext(self.hub_account_id, region)
        item = self._accounts.get(account_id)
        if item is not None:
            role_arn = item.role_arn
            if not role_arn:
                raise NotFound(
                    f"account {account_id} is registered without a roleArn, so the hub cannot reach it",
                    code="ACCOUNT_NOT_CONFIGURED",
                    details={"accountId": account_id},
                )
            return AccountContext(account_id, region, role_arn=role_arn, external_id=item.external_id)
        staging = self._find_staging(account_id)
        if staging is not None:
            return staging.context(region)
        raise NotFound(
            f"account {account_id} is neither the hub nor a registered target or staging account",
            code="ACCOUNT_NOT_FOUND",
            details={"accountId": account_id},
        )

    def _find_staging(self, account_id: str) -> KnownAccount | None:
        for known in self.known_accounts():
            if known.kind is AccountKind.STAGING and known.account_id == account_id:
                return known
        return None

    def targets(self) -> list[TargetAccount]:
        return sorted(self._accounts.list_all(), key=lambda item: item.account_id)

    def known_accounts(self) -> list[KnownAccount]:
        """The hub first, then every target account followed by its staging accounts. The hub
        registered as a target appears once, as the hub."""
        hub_item = None
        out: list[KnownAccount] = []
        rest: list[KnownAccount] = []
        seen: set[str] = {self.hub_account_id}
        for item in self.targets():
            account_id = item.account_id
            if account_id == self.hub_account_id:
                hub_item = item
            elif account_id not in seen:
                seen.add(account_id)
                rest.append(KnownAccount(account_id, AccountKind.TARGET, item.account_name, item.role_arn,
                                         item.external_id))
            for staging in item.staging_accounts:
                if staging.account_id in seen:
                    continue
                seen.add(staging.account_id)
                rest.append(KnownAccount(staging.account_id, AccountKind.STAGING, staging.account_name,
                                         staging.role_arn, staging.external_id, target_account_id=account_id))
        out.append(KnownAccount(self.hub_account_id, AccountKind.HUB, hub_item.account_name if hub_item else None))
        return out + rest

    def account_name(self, account_id: str) -> str | None:
        item = self._accounts.get(account_id)
        return item.account_name if item else None
