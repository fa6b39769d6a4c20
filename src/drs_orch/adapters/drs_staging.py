"""Extending a staging account's source servers into a target account (DRS
CreateExtendedSourceServer, called in the target account-region), and the fresh look at an account
that ``POST /staging-accounts/validate`` takes with the role and external id it is given."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from drs_orch.adapters.account_probe import AwsAccountProbe
from drs_orch.adapters.aws import client
from drs_orch.adapters.clients import ClientFactory
from drs_orch.adapters.drs import DrsReader
from drs_orch.adapters.paging import error_code
from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.errors import UpstreamError


class AwsStagingGateway:
    def __init__(self, clients: ClientFactory, probe: AwsAccountProbe) -> None:
        self._clients = clients
        self._probe = probe

    def extend(self, target: AccountContext, source_server_arn: str) -> dict[str, Any]:
        """Extend one staging source server into ``target``; the new source server (botocore's
        standard retries cover throttling: a retried call that had succeeded is refused as
        already extended, which the caller reports, so nothing is extended twice)."""
        drs = self._clients.get("drs", target)
        try:
            out = drs.create_extended_source_server(sourceServerArn=source_server_arn)
        except ClientError as exc:
            message = str(exc.response.get("Error", {}).get("Message") or error_code(exc))
            raise UpstreamError(message, code=error_code(exc) or "DRS_ERROR",
                                details={"sourceServerArn": source_server_arn}) from exc
        except BotoCoreError as exc:
            raise UpstreamError(str(exc), code="DRS_UNREACHABLE", details={"sourceServerArn": source_server_arn}) from exc
        return dict(out.get("sourceServer") or {})

    def fresh_source_servers(self, ctx: AccountContext) -> list[dict[str, Any]]:
        """The account's DRS source servers read with credentials assumed now for exactly ``ctx``'s
        role and external id (never the cached ones of another registration)."""
        try:
            creds = self._probe.assume(ctx) if ctx.role_arn else None
        except (ClientError, BotoCoreError) as exc:
            raise UpstreamError(f"cannot assume {ctx.role_arn}: {exc}", code="ASSUME_ROLE_DENIED",
                                details={"accountId": ctx.account_id}) from exc
        return DrsReader(client("drs", region=ctx.region, credentials=creds), ctx).source_servers()
