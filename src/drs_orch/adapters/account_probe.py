"""Checks of one target account and region, run by POST /accounts/targets/{accountId}/validate:
can the hub assume the role, is the identity the expected account, does the role's trust policy
demand the external id we send, does DRS answer. Secrets never appear in a result."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import BotoCoreError, ClientError

from drs_orch.adapters.aws import client
from drs_orch.domain.accounts import AccountContext

OK, WARNING, FAILED = "OK", "WARNING", "FAILED"
SESSION_NAME = "drs-orchestration-validate"


def _check(name: str, status: str, message: str) -> dict[str, Any]:
    return {"check": name, "status": status, "message": message}


def _aws_code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "Unknown")
    return type(exc).__name__


def _assume_message(ctx: AccountContext, exc: Exception) -> str:
    code = _aws_code(exc)
    if code in ("AccessDenied", "AccessDeniedException"):
        return (f"STS refused to let the hub assume {ctx.role_arn} ({'with' if ctx.external_id else 'without'} an "
                "external id): the role is missing, does not trust the hub account, or expects a different "
                "external id")
    return f"AssumeRole of {ctx.role_arn} failed: {code}"


def _required_external_ids(policy: Any) -> set[str] | None:
    """External ids an AssumeRole trust policy requires (None: it requires none)."""
    if isinstance(policy, str):
        policy = json.loads(unquote(policy))
    statements = policy.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    found: set[str] = set()
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        for operator, conditions in (statement.get("Condition") or {}).items():
            if not operator.startswith("StringEquals"):
                continue
            for key, value in (conditions or {}).items():
                if key.lower() == "sts:externalid":
                    found.update([value] if isinstance(value, str) else list(value))
    return found or None


class AwsAccountProbe:
    def __init__(self, hub_region: str) -> None:
        self._hub_region = hub_region

    def check(self, ctx: AccountContext) -> list[dict[str, Any]]:
        checks: list[dict[str, Any]] = []
        creds: dict[str, str] | None = None
        if ctx.role_arn is None:
            checks.append(_check("assumeRole", OK, "the hub account is reached with the platform's own credentials"))
        else:
            try:
                creds = self._assume(ctx)
            except (ClientError, BotoCoreError) as exc:
                checks.append(_check("assumeRole", FAILED, _assume_message(ctx, exc)))
                return checks
            checks.append(_check("assumeRole", OK, f"assumed {ctx.role_arn}"))
            checks.append(self._identity(ctx, creds))
            checks.append(self._trust_policy(ctx, creds))
        checks.append(self._drs(ctx, creds))
        return checks

    def assume(self, ctx: AccountContext) -> dict[str, str]:
        return self._assume(ctx)

    def _assume(self, ctx: AccountContext) -> dict[str, str]:
        """A fresh AssumeRole (never the cached credentials of the client factory), so that what is
        reported is what STS says now."""
        kwargs: dict[str, Any] = {"RoleArn": ctx.role_arn, "RoleSessionName": SESSION_NAME, "DurationSeconds": 900}
        if ctx.external_id:
            kwargs["ExternalId"] = ctx.external_id
        out = client("sts", region=self._hub_region).assume_role(**kwargs)["Credentials"]
        return {"AccessKeyId": out["AccessKeyId"], "SecretAccessKey": out["SecretAccessKey"],
                "SessionToken": out["SessionToken"]}

    def _identity(self, ctx: AccountContext, creds: dict[str, str] | None) -> dict[str, Any]:
        try:
            account = client("sts", region=self._hub_region, credentials=creds).get_caller_identity()["Account"]
        except (ClientError, BotoCoreError) as exc:
            return _check("identity", FAILED, f"GetCallerIdentity failed: {_aws_code(exc)}")
        if str(account) != ctx.account_id:
            return _check("identity", FAILED, f"the role's credentials belong to account {account}, not {ctx.account_id}")
        return _check("identity", OK, f"credentials belong to account {ctx.account_id}")

    def _trust_policy(self, ctx: AccountContext, creds: dict[str, str] | None) -> dict[str, Any]:
        role_name = str(ctx.role_arn).rsplit("/", 1)[-1]
        try:
            role = client("iam", region=self._hub_region, credentials=creds).get_role(RoleName=role_name)["Role"]
            required = _required_external_ids(role.get("AssumeRolePolicyDocument") or {})
        except (ClientError, BotoCoreError, ValueError) as exc:
            return _check("externalId", WARNING,
                          f"could not read the role's trust policy ({_aws_code(exc)}), so whether it requires the "
                          "external id is unknown")
        if required is None:
            return _check("externalId", WARNING,
                          "the role's trust policy does not require an external id; add an sts:ExternalId "
                          "condition to protect against the confused-deputy problem")
        if not ctx.external_id:
            return _check("externalId", FAILED, "the role requires an external id but none is registered")
        if ctx.external_id not in required:
            return _check("externalId", FAILED, "the role requires a different external id than the registered one")
        return _check("externalId", OK, "the role's trust policy requires the registered external id")

    def _drs(self, ctx: AccountContext, creds: dict[str, str] | None) -> dict[str, Any]:
        try:
            out = client("drs", region=ctx.region, credentials=creds).describe_source_servers(maxResults=1)
        except (ClientError, BotoCoreError) as exc:
            code = _aws_code(exc)
            if code == "UninitializedAccountException":
                return _check("drs", FAILED, f"DRS is not initialized in {ctx.region}")
            return _check("drs", FAILED, f"DescribeSourceServers in {ctx.region} failed: {code}")
        more = " or more" if out.get("nextToken") else ""
        return _check("drs", OK, f"DRS answers in {ctx.region} ({len(out.get('items') or [])}{more} source servers seen)")
