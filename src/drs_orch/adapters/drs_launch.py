"""DRS launch configuration of source servers: GetLaunchConfiguration and UpdateLaunchConfiguration.

AWS errors become domain errors: a missing server is :class:`NotFound`, throttling is
:class:`UpstreamError` with code ``THROTTLED`` (the caller backs off and retries), a refused value
is :class:`ValidationFailed`, anything else :class:`UpstreamError`.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from drs_orch.adapters.paging import THROTTLING_CODES
from drs_orch.domain.errors import DomainError, NotFound, UpstreamError, ValidationFailed


class CallCounter:
    """Counts AWS calls by ``service:Operation`` (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))


def aws_error(exc: ClientError | BotoCoreError, what: str) -> DomainError:
    """The domain error for an AWS failure while doing ``what``."""
    if isinstance(exc, BotoCoreError):
        return UpstreamError(f"{what}: {exc}", code="AWS_UNREACHABLE")
    err = exc.response.get("Error", {})
    code = str(err.get("Code", ""))
    message = f"{what}: {code}: {err.get('Message', '')}"
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if code in THROTTLING_CODES or status == 429:
        return UpstreamError(message, code="THROTTLED", details={"awsError": code})
    if code in ("ResourceNotFoundException", "NoSuchEntity", "NoSuchEntityException") or code.endswith(
        ".NotFound"
    ):
        return NotFound(message, code="AWS_RESOURCE_NOT_FOUND", details={"awsError": code})
    if code in ("ValidationException", "InvalidParameterValue", "InvalidParameterCombination",
                "InvalidParameter", "ConflictException") or code.startswith("Invalid"):
        return ValidationFailed(message, code="AWS_REFUSED", details={"awsError": code})
    return UpstreamError(message, code="AWS_ERROR", details={"awsError": code})


class DrsLaunch:
    """One account and region's DRS launch configurations."""

    def __init__(self, drs_client: Any, counter: CallCounter | None = None) -> None:
        self._drs = drs_client
        self.calls = counter or CallCounter()

    def get_launch_configuration(self, server_id: str) -> dict[str, Any]:
        self.calls.add("drs:GetLaunchConfiguration")
        try:
            out = self._drs.get_launch_configuration(sourceServerID=server_id)
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(exc, f"DRS GetLaunchConfiguration of {server_id}") from exc
        return _clean(out)

    def update_launch_configuration(self, server_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        self.calls.add("drs:UpdateLaunchConfiguration")
        try:
            out = self._drs.update_launch_configuration(sourceServerID=server_id, **fields)
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(exc, f"DRS UpdateLaunchConfiguration of {server_id}") from exc
        return _clean(out)


def _clean(out: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in out.items() if k != "ResponseMetadata"}
