"""Account context: which account and region an operation targets and how it is reached."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AccountContext:
    account_id: str
    region: str
    role_arn: str | None = None  # None: the hub's own credentials
    external_id: str | None = None

    @property
    def is_hub(self) -> bool:
        return self.role_arn is None
