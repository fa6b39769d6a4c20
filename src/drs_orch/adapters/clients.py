"""Clients per account and region. The hub uses its own credentials; spokes are reached with STS
AssumeRole (ExternalId, a session name naming the platform), and the credentials are cached per
role until shortly before they expire: one AssumeRole per account per session lifetime."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from drs_orch.adapters.aws import client
from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.errors import UpstreamError

SESSION_NAME = "drs-orchestration"
REFRESH_MARGIN_SECONDS = 300


@dataclass
class _Cached:
    credentials: dict[str, str]
    expires_at: float


class ClientFactory:
    def __init__(self, hub_region: str, session_seconds: int = 3600) -> None:
        self._hub_region = hub_region
        self._session_seconds = session_seconds
        self._cache: dict[tuple[str, str | None], _Cached] = {}
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._lock = threading.Lock()
        self.assume_role_calls = 0

    def credentials(self, ctx: AccountContext) -> dict[str, str] | None:
        if ctx.role_arn is None:
            return None
        key = (ctx.role_arn, ctx.external_id)
        with self._lock:
            cached = self._cache.get(key)
            if cached and cached.expires_at - REFRESH_MARGIN_SECONDS > time.time():
                return cached.credentials
            creds = self._assume(ctx)
            self._cache[key] = _Cached(creds, _expiry(creds, self._session_seconds))
            # credentials changed: drop clients built on the old ones
            self._clients = {k: v for k, v in self._clients.items() if k[0] != ctx.account_id}
            return creds

    def _assume(self, ctx: AccountContext) -> dict[str, str]:
        kwargs: dict[str, Any] = {"RoleArn": ctx.role_arn, "RoleSessionName": SESSION_NAME,
                                  "DurationSeconds": self._session_seconds}
        if ctx.external_id:
            kwargs["ExternalId"] = ctx.external_id
        self.assume_role_calls += 1
        try:
            out = client("sts", region=self._hub_region).assume_role(**kwargs)
        except ClientError as exc:
            err = exc.response["Error"]
            raise UpstreamError(
                f"cannot assume {ctx.role_arn} for account {ctx.account_id}: {err.get('Code')}: {err.get('Message')}",
                code="ASSUME_ROLE_FAILED",
                details={"accountId": ctx.account_id, "roleArn": ctx.role_arn, "awsError": err.get("Code")},
            ) from exc
        except BotoCoreError as exc:
            raise UpstreamError(f"STS unreachable while assuming {ctx.role_arn}: {exc}", code="STS_ERROR") from exc
        creds = out["Credentials"]
        return {
            "AccessKeyId": creds["AccessKeyId"],
            "SecretAccessKey": creds["SecretAccessKey"],
            "SessionToken": creds["SessionToken"],
            "Expiration": str(creds["Expiration"].timestamp() if hasattr(creds["Expiration"], "timestamp")
                              else creds["Expiration"]),
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


def _expiry(creds: dict[str, str], fallback_seconds: int) -> float:
    try:
        return float(creds["Expiration"])
    except (KeyError, ValueError):
        return time.time() + fallback_seconds
