"""The native plan adapter against botocore's Stubber (a real drs client, canned AWS answers):
throttling retried, a refused step removes the plan again, DRS errors mapped, an SDK without the
operations refused clearly."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from drs_orch.adapters.drs_native_plans import DrsNativePlans
from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.errors import Conflict, UpstreamError, ValidationFailed
from drs_orch.domain.native_plans import NativeExport, NativeStep

CTX = AccountContext("123456789012", "eu-west-1")
PLAN_ARN = "arn:aws:drs:eu-west-1:123456789012:recovery-plan/rp-aaaaaaaaaaaaaaaaa"
NOW = "2026-03-01T12:00:00Z"
EXPORT = NativeExport(
    "orders", "", "123456789012", "eu-west-1",
    [NativeStep("db", (("s-" + "1" * 17, "CRITICAL"),)), NativeStep("settle", wait_minutes=5)], [], [],
)  # fmt: skip


def _client() -> Any:
    return boto3.client("drs", region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b")


def _plan_answer() -> dict[str, Any]:
    return {"recoveryPlan": {"recoveryPlanArn": PLAN_ARN, "name": "orders", "status": "ACTIVE",
                             "createdAt": NOW, "updatedAt": NOW}}  # fmt: skip


def _step_answer(name: str) -> dict[str, Any]:
    return {"recoveryPlanStep": {"recoveryPlanStepArn": PLAN_ARN + "/" + name, "stepOrder": 1, "stepName": name,
                                 "configuration": {"waitStepConfiguration": {"waitDurationMinutes": 5}},
                                 "createdAt": NOW, "updatedAt": NOW}}  # fmt: skip


def test_create_retries_throttling_and_uses_stable_client_tokens() -> None:
    client = _client()
    sleeps: list[float] = []
    with Stubber(client) as stub:
        stub.add_client_error("create_recovery_plan", "ThrottlingException", http_status_code=429)
        stub.add_response("create_recovery_plan", _plan_answer(), {
            "name": "orders", "description": "", "tags": {"k": "v"}, "clientToken": ANY})  # fmt: skip
        stub.add_response("create_recovery_plan_step", _step_answer("db"), {
            "recoveryPlanArn": PLAN_ARN, "stepName": "db", "stepOrder": 1, "clientToken": ANY,
            "configuration": {"serverStepConfiguration": {"servers": [{
                "serverArn": "arn:aws:drs:eu-west-1:123456789012:source-server/s-" + "1" * 17,
                "impactLevel": "CRITICAL"}]}}})  # fmt: skip
        stub.add_response("create_recovery_plan_step", _step_answer("settle"), {
            "recoveryPlanArn": PLAN_ARN, "stepName": "settle", "stepOrder": 2, "clientToken": ANY,
            "configuration": {"waitStepConfiguration": {"waitDurationMinutes": 5}}})  # fmt: skip
        arn = DrsNativePlans(lambda _: client, sleep=sleeps.append).create(
            CTX, EXPORT, key="p#1", tags={"k": "v"}
        )
        stub.assert_no_pending_responses()
    assert arn == PLAN_ARN and len(sleeps) == 1


def test_a_refused_step_deletes_the_plan_and_maps_the_error() -> None:
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("create_recovery_plan", _plan_answer())
        stub.add_client_error(
            "create_recovery_plan_step", "ValidationException", "bad step", http_status_code=400
        )
        stub.add_response(
            "delete_recovery_plan", {"recoveryPlanArn": PLAN_ARN}, {"recoveryPlanArn": PLAN_ARN}
        )
        with pytest.raises(ValidationFailed) as exc:
            DrsNativePlans(lambda _: client).create(CTX, EXPORT, key="p#1", tags={})
        stub.assert_no_pending_responses()
    assert exc.value.code == "NATIVE_PLAN_REJECTED"
    with Stubber(client) as stub:
        stub.add_client_error("create_recovery_plan", "ConflictException", "exists", http_status_code=409)
        with pytest.raises(Conflict):
            DrsNativePlans(lambda _: client).create(CTX, EXPORT, key="p#1", tags={})


def test_an_sdk_without_native_plans_is_an_upstream_error() -> None:
    class OldClient:
        pass

    with pytest.raises(UpstreamError) as exc:
        DrsNativePlans(lambda _: OldClient()).read(CTX, PLAN_ARN)
    assert exc.value.code == "NATIVE_PLANS_UNSUPPORTED" and exc.value.status == 502
