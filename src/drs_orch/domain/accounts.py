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
