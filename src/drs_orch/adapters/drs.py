"""DRS reads for one account and region: source servers, jobs and recovery instances, through
boto3 paginators with backoff on throttling. Id filters are sent in chunks of the API's maximum
(200 source servers, 1,000 jobs, 200 recovery instances per request).

Failures of the region as a whole become :class:`RegionUnavailable` (not initialised, access
denied, unreachable, throttled); any other AWS error an :class:`UpstreamError`."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from drs_orch.adapters.paging import Sleep, Throttled, error_code, pages
from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.errors import UpstreamError
from drs_orch.domain.inventory import RegionState, RegionUnavailable

MAX_SOURCE_SERVER_IDS = 200
MAX_JOB_IDS = 1000
MAX_RECOVERY_INSTANCE_IDS = 200

_DENIED = {"AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "UnrecognizedClientException",
           "InvalidClientTokenId", "AuthFailure"}


def chunks(ids: Sequence[str], size: int) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), size):
        yield unique[start : start + size]


def region_error(service: str, ctx: AccountContext, exc: Exception) -> UpstreamError:
    """Map an AWS failure of one account and region to a RegionUnavailable or UpstreamError."""
    if isinstance(exc, Throttled):
        return RegionUnavailable(ctx.account_id, ctx.region, RegionState.THROTTLED,
                                 f"{service} {exc.operation} is throttled; try again shortly")
    if isinstance(exc, EndpointConnectionError):
        return RegionUnavailable(ctx.account_id, ctx.region, RegionState.UNREACHABLE,
                                 f"{service} endpoint unreachable: {exc}")
    if isinstance(exc, ClientError):
        code = error_code(exc)
        message = str(exc.response.get("Error", {}).get("Message") or code)
        if code == "UninitializedAccountException":
            return RegionUnavailable(ctx.account_id, ctx.region, RegionState.DRS_NOT_INITIALIZED,
                                     "DRS is not initialized in this account and region")
        if code in _DENIED:
            return RegionUnavailable(ctx.account_id, ctx.region, RegionState.ACCESS_DENIED,
                                     f"{service} denied access ({code}): {message}")
        return UpstreamError(
            f"{service} in account {ctx.account_id}, region {ctx.region} failed: {code}: {message}",
            code=f"{service.upper()}_ERROR",
            details={"accountId": ctx.account_id, "region": ctx.region, "awsError": code},
        )
    if isinstance(exc, BotoCoreError):
        return RegionUnavailable(ctx.account_id, ctx.region, RegionState.UNREACHABLE, f"{service}: {exc}")
    raise exc


class DrsReader:
    """DRS reads; ``calls`` counts the requests (pages) made per operation."""

    def __init__(self, client: Any, ctx: AccountContext, *, page_size: int | None = None,
                 sleep: Sleep = time.sleep) -> None:
        self._client = client
        self._ctx = ctx
        self._page_size = page_size
        self._sleep = sleep
        self.calls: dict[str, int] = {}

    def _list(self, operation: str, result_key: str = "items", **params: Any) -> list[dict[str, Any]]:
        name = "".join(part.capitalize() for part in operation.split("_"))

        def count() -> None:
            self.calls[name] = self.calls.get(name, 0) + 1

        out: list[dict[str, Any]] = []
        try:
            for page in pages(self._client, operation, token_key="nextToken", page_size=self._page_size,
                              sleep=self._sleep, on_page=count, **params):
                out.extend(page.get(result_key) or [])
        except (ClientError, BotoCoreError, Throttled) as exc:
            raise region_error("drs", self._ctx, exc) from exc
        return out

    def _filtered(self, operation: str, key: str, ids: Sequence[str] | None, size: int) -> list[dict[str, Any]]:
        if ids is None:
            return self._list(operation)
        out: list[dict[str, Any]] = []
        for chunk in chunks(ids, size):
            out.extend(self._list(operation, filters={key: chunk}))
        return out

    def source_servers(self, server_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        return self._filtered("describe_source_servers", "sourceServerIDs", server_ids, MAX_SOURCE_SERVER_IDS)

    def jobs(self, job_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        return self._filtered("describe_jobs", "jobIDs", job_ids, MAX_JOB_IDS)

    def recovery_instances(self, recovery_instance_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        return self._filtered("describe_recovery_instances", "recoveryInstanceIDs", recovery_instance_ids,
                              MAX_RECOVERY_INSTANCE_IDS)

    def staging_accounts(self) -> list[str]:
        """The accounts DRS of this account-region accepts as staging accounts."""
        return [str(a["accountID"]) for a in self._list("list_staging_accounts", result_key="accounts")]

    def extensible_source_servers(self, staging_account_id: str) -> list[dict[str, Any]]:
        """Source servers of ``staging_account_id`` that can be extended into this account-region
        (``{hostname, arn, tags}``; those already extended are not listed)."""
        return self._list("list_extensible_source_servers", stagingAccountID=staging_account_id)
