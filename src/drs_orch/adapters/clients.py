"""Clients per account and region. The hub uses its own credentials; spokes are reached with STS
AssumeRole (ExternalId, a session name naming the platform), and the credentials are cached per
role and external id until shortly before they expire: one AssumeRole per account per session
lifetime, however many requests, regions and threads use it.

A refusal names the account and what failed (code ``ASSUME_ROLE_DENIED`` for AccessDenied: the
role does not exist, does not trust the hub, or wants another external id - STS does not say
which), never a bare 500."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from drs_orch.adapters.aws import client
from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.errors import UpstreamError

SESSION_NAME = "drs-orchestration"
REFRESH_MARGIN_SECONDS = 300

_DENIED = {"AccessDenied", "AccessDeniedException"}
_HUB_CREDENTIALS = {"InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "SignatureDoesNotMatch"}


@dataclass
class _Cached:
    credentials: dict[str, str]
    expires_at: float


class ClientFactory:
    def __init__(self, hub_region: str, session_seconds: int = 3600,
                 clock: Callable[[], float] = time.time) -> None:
        self._hub_region = hub_region
        self._session_seconds = session_seconds
        self._clock = clock
        self._cache: dict[tuple[str, str | None], _Cached] = {}
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[str, str | None], threading.Lock] = {}
        self.assume_role_calls = 0
        self.assume_role_calls_by_account: dict[str, int] = {}

    def _key_lock(self, key: tuple[str, str | None]) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    def credentials(self, ctx: AccountContext) -> dict[str, str] | None:
        """None for the hub; otherwise the cached or freshly assumed role credentials. Callers for
        the same role wait for one AssumeRole instead of each making their own."""
        if ctx.role_arn is None:
            return None
        key = (ctx.role_arn, ctx.external_id)
        with self._key_lock(key):
            cached = self._cache.get(key)
            if cached and cached.expires_at - REFRESH_MARGIN_SECONDS > self._clock():
                return cached.credentials
            creds = self._assume(ctx)
            with self._lock:
                self._cache[key] = _Cached(creds, _expiry(creds, self._clock() + self._session_seconds))
                # credentials changed: drop clients built on the old ones
                self._clients = {k: v for k, v in self._clients.items() if k[0] != ctx.account_id}
            return creds

    def _assume(self, ctx: AccountContext) -> dict[str, str]:
        kwargs: dict[str, Any] = {"RoleArn": ctx.role_arn, "RoleSessionName": SESSION_NAME,
                                  "DurationSeconds": self._session_seconds}
        if ctx.external_id:
            kwargs["ExternalId"] = ctx.external_id
        with self._lock:
            self.assume_role_calls += 1
            self.assume_role_calls_by_account[ctx.account_id] = (
                self.assume_role_calls_by_account.get(ctx.account_id, 0) + 1
            )
        try:
            out = client("sts", region=self._hub_region).assume_role(**kwargs)
        except ClientError as exc:
            raise _assume_error(ctx, exc) from exc
        except BotoCoreError as exc:
            raise UpstreamError(
                f"cannot reach STS to assume {ctx.role_arn} for account {ctx.account_id}: {exc}",
                code="STS_UNREACHABLE",
                details={"accountId": ctx.account_id, "roleArn": ctx.role_arn},
            ) from exc
        creds = out["Credentials"]
        expiration = creds["Expiration"]
        return {
            "AccessKeyId": creds["AccessKeyId"],
            "SecretAccessKey": creds["SecretAccessKey"],
            "SessionToken": creds["SessionToken"],
            "Expiration": str(expiration.timestamp() if hasattr(expiration, "timestamp") else expiration),
        }

    def get(self, service: str, ctx: AccountContext) -> Any:
        creds = self.credentials(ctx)
        key = (ctx.account_id, ctx.region, service)
        with self._lock:
            existing = self._clients.get(key)
            if existing is not None:
                return existing
        made = client(service, region=ctx.region, credentials=creds)
        with self._lock:
            return self._clients.setdefault(key, made)


def _assume_error(ctx: AccountContext, exc: ClientError) -> UpstreamError:
    err = exc.response.get("Error", {})
    aws_code = str(err.get("Code") or "Unknown")
    aws_message = str(err.get("Message") or "")
    details = {"accountId": ctx.account_id, "roleArn": ctx.role_arn, "externalIdSent": bool(ctx.external_id),
               "awsError": aws_code, "awsMessage": aws_message}
    if aws_code in _DENIED:
        return UpstreamError(
            f"account {ctx.account_id}: STS refused to let the hub assume {ctx.role_arn} "
            f"({'with' if ctx.external_id else 'without'} an external id). The role is missing, does not "
            "trust the hub account, or expects a different external id.",
            code="ASSUME_ROLE_DENIED",
            details=details,
        )
    if aws_code in _HUB_CREDENTIALS:
        return UpstreamError(
            f"account {ctx.account_id}: the hub's own credentials were refused by STS ({aws_code})",
            code="HUB_CREDENTIALS_INVALID",
            details=details,
        )
    if aws_code in ("ValidationError", "MalformedPolicyDocument"):
        return UpstreamError(
            f"account {ctx.account_id}: STS rejected the AssumeRole request for {ctx.role_arn}: {aws_message}",
            code="ASSUME_ROLE_INVALID",
            details=details,
        )
    if aws_code == "RegionDisabledException":
        return UpstreamError(
            f"account {ctx.account_id}: STS is not activated in the hub region for this account",
            code="STS_REGION_DISABLED",
            details=details,
        )
    return UpstreamError(
        f"account {ctx.account_id}: cannot assume {ctx.role_arn}: {aws_code}: {aws_message}",
        code="ASSUME_ROLE_FAILED",
        details=details,
    )


def _expiry(creds: dict[str, str], fallback: float) -> float:
    try:
        return float(creds["Expiration"])
    except (KeyError, ValueError):
        return fallback
