"""Resolve an account id to the context used to reach it (hub credentials or an assumed role)."""

from __future__ import annotations

from typing import Any, Protocol

from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.errors import NotFound


class TargetAccountLookup(Protocol):
    def get(self, account_id: str) -> dict[str, Any] | None: ...


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
        if item is None:
            raise NotFound(f"account {account_id} is not a registered target account", code="ACCOUNT_NOT_FOUND")
        role_arn = item.get("roleArn")
        if not role_arn:
            raise NotFound(f"account {account_id} has no roleArn", code="ACCOUNT_NOT_CONFIGURED")
        return AccountContext(account_id, region, role_arn=str(role_arn), external_id=item.get("externalId"))
