"""The execution store's guard claims against botocore's Stubber (a real DynamoDB client, canned
answers): a claim cancelled only by a concurrent transaction is tried again, never a refusal; a
guard held by another start is a refusal naming it (issue 15: of two overlapping starts one wins)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import ANY, Stubber

from drs_orch.adapters import dynamodb_executions
from drs_orch.adapters.dynamodb_executions import DynamoExecutionStore
from drs_orch.domain.execution_records import ExecutionMeta
from drs_orch.services.engine.ports import GuardClaim, GuardsTaken


def _store(monkeypatch: pytest.MonkeyPatch) -> tuple[DynamoExecutionStore, Stubber]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "a")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "b")
    monkeypatch.setattr(dynamodb_executions, "CONFLICT_PAUSE_SECONDS", 0.0)
    store = DynamoExecutionStore("executions", "guards")
    store._client = boto3.client("dynamodb", region_name="eu-west-1")
    return store, Stubber(store._client)


def _cancelled(stubber: Stubber, codes: list[str]) -> None:
    stubber.add_client_error("transact_write_items", service_error_code="TransactionCanceledException",
                             http_status_code=400, expected_params={"TransactItems": ANY},
                             modeled_fields={"CancellationReasons": [{"Code": c} for c in codes]})


META = ExecutionMeta("e1", {"startTime": "2026-01-01T00:00:00Z"})
CLAIMS = [GuardClaim(f"exec-server#123456789012#eu-west-1#s-{n:017d}") for n in range(3)]


def test_a_claim_cancelled_by_a_concurrent_transaction_is_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    store, stubber = _store(monkeypatch)
    _cancelled(stubber, ["None", "TransactionConflict", "None", "None"])
    _cancelled(stubber, ["TransactionConflict", "None", "None", "None"])
    stubber.add_response("transact_write_items", {}, {"TransactItems": ANY})
    with stubber:
        store.commit_start(META, CLAIMS)
    stubber.assert_no_pending_responses()


def test_a_guard_held_by_another_start_is_a_refusal_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    store, stubber = _store(monkeypatch)
    _cancelled(stubber, ["None", "None", "ConditionalCheckFailed", "TransactionConflict"])
    with stubber, pytest.raises(GuardsTaken) as refused:
        store.commit_start(META, CLAIMS)
    assert refused.value.keys == [CLAIMS[1].key]  # labels: META first, then the sorted claims


def test_conflicts_that_never_end_are_a_refusal_after_the_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    store, stubber = _store(monkeypatch)
    for _ in range(dynamodb_executions.CONFLICT_RETRIES + 1):
        _cancelled(stubber, ["TransactionConflict", "None", "None", "None"])
    with stubber, pytest.raises(GuardsTaken):
        store.commit_start(META, CLAIMS)
    stubber.assert_no_pending_responses()
