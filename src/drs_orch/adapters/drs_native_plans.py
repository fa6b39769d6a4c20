"""DRS native Recovery Plans in one account and region: create one (plan then steps, the plan
deleted again if a step is refused, so nothing half-written stays), read one with its steps.

Throttling is retried with backoff on top of botocore's retries; creates carry a ``clientToken``
derived from the caller's key, so a retried create cannot make a second plan or step. DRS refusals
map to our errors: ConflictException -> 409, ResourceNotFoundException -> 404,
ValidationException -> 400, ServiceQuotaExceededException -> 429, anything else (not initialised,
access denied, unreachable) -> the region error of :func:`drs_orch.adapters.drs.region_error`."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from drs_orch.adapters.drs import region_error
from drs_orch.adapters.paging import THROTTLING_CODES, Sleep, Throttled, backoff_delay, error_code, pages
from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.errors import (
    Conflict,
    DomainError,
    LimitExceeded,
    NotFound,
    UpstreamError,
    ValidationFailed,
)
from drs_orch.domain.native_plans import NativeExport

ATTEMPTS = 4
MIN_BOTOCORE = "1.43.80"  # the first botocore whose drs model has the native Recovery Plan operations


def token(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:48]


class DrsNativePlans:
    """Native recovery plan reads and writes through ``client_for(ctx)`` (a boto3 ``drs`` client)."""

    def __init__(self, client_for: Callable[[AccountContext], Any], *, sleep: Sleep = time.sleep) -> None:
        self._client_for = client_for
        self._sleep = sleep

    def _call(self, ctx: AccountContext, operation: str, **params: Any) -> dict[str, Any]:
        client = self._client_for(ctx)
        if not hasattr(client, operation):
            raise UpstreamError(
                f"the AWS SDK in this runtime predates DRS native recovery plans (no {operation});"
                f" botocore >= {MIN_BOTOCORE} is needed",
                code="NATIVE_PLANS_UNSUPPORTED",
                details={"operation": operation},
            )
        for attempt in range(ATTEMPTS):
            try:
                result: dict[str, Any] = getattr(client, operation)(**params)
                return result
            except ClientError as exc:
                if error_code(exc) in THROTTLING_CODES and attempt + 1 < ATTEMPTS:
                    self._sleep(backoff_delay(attempt))
                    continue
                raise _mapped(ctx, exc) from exc
            except BotoCoreError as exc:
                raise region_error("DRS", ctx, exc) from exc
        raise region_error("DRS", ctx, Throttled(operation, ATTEMPTS))

    def create(self, ctx: AccountContext, export: NativeExport, *, key: str, tags: dict[str, str]) -> str:
        """Create the native plan ``export`` describes; returns its ARN. ``key`` makes retries idempotent."""
        plan = self._call(
            ctx, "create_recovery_plan", name=export.name, description=export.description, tags=tags,
            clientToken=token(key, "plan"),
        )["recoveryPlan"]  # fmt: skip
        arn = str(plan["recoveryPlanArn"])
        try:
            for index, step in enumerate(export.steps, start=1):
                self._call(
                    ctx, "create_recovery_plan_step", recoveryPlanArn=arn, stepName=step.name, stepOrder=index,
                    configuration=step.configuration(ctx.account_id, ctx.region), clientToken=token(key, str(index)),
                )  # fmt: skip
        except DomainError:
            self._call(ctx, "delete_recovery_plan", recoveryPlanArn=arn)
            raise
        return arn

    def read(self, ctx: AccountContext, arn: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The native plan and its steps in order."""
        plan = self._call(ctx, "get_recovery_plan", recoveryPlanArn=arn)["recoveryPlan"]
        client = self._client_for(ctx)
        try:
            steps = [
                step
                for page in pages(
                    client,
                    "list_recovery_plan_steps",
                    token_key="nextToken",
                    sleep=self._sleep,
                    recoveryPlanArn=arn,
                )  # fmt: skip
                for step in page["recoveryPlanSteps"]
            ]
        except ClientError as exc:
            raise _mapped(ctx, exc) from exc
        except (Throttled, BotoCoreError) as exc:
            raise region_error("DRS", ctx, exc) from exc
        return dict(plan), sorted(steps, key=lambda s: int(s["stepOrder"]))


def _mapped(ctx: AccountContext, exc: ClientError) -> DomainError:
    code = error_code(exc)
    message = str(exc.response.get("Error", {}).get("Message") or code)
    where = {"accountId": ctx.account_id, "region": ctx.region, "awsError": code}
    if code == "ConflictException":
        return Conflict(f"DRS refused: {message}", code="NATIVE_PLAN_CONFLICT", details=where)
    if code == "ResourceNotFoundException":
        return NotFound(f"DRS: {message}", code="NATIVE_PLAN_NOT_FOUND", details=where)
    if code == "ValidationException":
        fields = exc.response.get("fieldList") or []
        return ValidationFailed(f"DRS refused the request: {message}", code="NATIVE_PLAN_REJECTED",
                                details={**where, "fieldList": fields})  # fmt: skip
    if code == "ServiceQuotaExceededException":
        return LimitExceeded(f"DRS quota: {message}", code="NATIVE_PLAN_QUOTA", details=where)
    return region_error("DRS", ctx, exc)
