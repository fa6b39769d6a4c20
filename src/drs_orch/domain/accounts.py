"""Account context: which account and region an operation targets and how it is reached."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


@dataclass(frozen=True)
class AccountContext:
    account_id: str
    region: str
    role_arn: str | None = None  # None: the hub's own credentials
    external_id: str | None = None

    @property
    def is_hub(self) -> bool:
        return self.role_arn is None


def role_name_problem(ctx: AccountContext, role_name: str | None) -> str | None:
    """Why ``role_name`` (the seeds' ``assumeRoleName``) does not name the role the platform uses to
    reach ``ctx``'s account, or None when it does (or none was given). The role itself comes from
    the registered target account: a request cannot reach an account through another role."""
    if not role_name:
        return None
    if ctx.role_arn is None:
        return (f"account {ctx.account_id} is the hub and is used with the platform's own credentials; "
                "give no assumeRoleName for it")
    registered = ctx.role_arn.rsplit("/", 1)[-1]
    if registered != role_name:
        return (f"account {ctx.account_id} is reached through role {registered} (its registered roleArn), "
                f"not {role_name}; change the target account's roleArn to use another role")
    return None


class _Record(BaseModel):
    """A stored record: snake_case in Python, camelCase in DynamoDB and JSON. Attributes a record
    does not know (none are written today) are ignored on read rather than failing the read."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore")


class StagingAccountRecord(_Record):
    account_id: str
    role_arn: str
    account_name: str | None = None
    external_id: str | None = None

    def public(self) -> dict[str, Any]:
        """As the API shows it: the external id is a secret, only whether there is one."""
        out = self.model_dump(by_alias=True, exclude_none=True, exclude={"external_id"})
        out["hasExternalId"] = bool(self.external_id)
        return out


class TargetAccount(_Record):
    """A registered target account (and the staging accounts under it), as stored."""

    account_id: str
    version: int = 1
    account_name: str | None = None
    role_arn: str | None = None  # None: the hub itself, reached with the platform's own credentials
    external_id: str | None = None
    staging_accounts: tuple[StagingAccountRecord, ...] = ()
    created_at: str | None = None
    created_by: str | None = None
    last_modified_at: str | None = None
    last_modified_by: str | None = None
    last_validated: str | None = None
    last_validation_status: str | None = None

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> TargetAccount:
        return cls.model_validate(dict(item))

    def to_item(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def editable(self) -> dict[str, Any]:
        """The fields a change request may give, as stored (the base an update merges into)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True,
                               include={"account_id", "account_name", "role_arn", "external_id", "staging_accounts"})

    def public(self, hub_account_id: str) -> dict[str, Any]:
        out = self.model_dump(by_alias=True, exclude_none=True, exclude={"external_id", "staging_accounts"})
        out["hasExternalId"] = bool(self.external_id)
        out["isHub"] = self.account_id == hub_account_id
        out["stagingAccounts"] = [s.public() for s in self.staging_accounts]
        return out

    def staging(self, account_id: str) -> StagingAccountRecord | None:
        return next((s for s in self.staging_accounts if s.account_id == account_id), None)
