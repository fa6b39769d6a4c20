"""Plan readiness items (issue 21) in the executions table, beside each plan's ``LAST_RUN`` item:

- ``PLAN#<planId>`` / ``READINESS``: the latest evaluation, the fingerprint of the last COMPLETED
  drill (``baseline``) and the last ended execution the evaluations have seen (``lastRunSeen``);
- ``PLAN#<planId>`` / ``READINESS#<evaluatedAt>``: one history entry per change of readiness
  (status, finding codes or re-test flag), with a TTL (``expiresAt``).

Like ``LAST_RUN`` they carry none of the indexed attributes (``entityType``, ``planId``, ``status``,
``startTime``), so no listing of executions sees them; a page of plans reads its current items in
one BatchGetItem."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from boto3.dynamodb.conditions import Key

from drs_orch.adapters import dynamodb_tx as dx
from drs_orch.adapters.dynamodb import batch_get_keys, from_dynamo, table, to_dynamo
from drs_orch.adapters.dynamodb_executions import plan_run_key
from drs_orch.adapters.execution_items import FINGERPRINT_SK
from drs_orch.services.plan_fingerprint import unpack_fingerprint

CURRENT_SK = "READINESS"
HISTORY_PREFIX = "READINESS#"

Item = dict[str, Any]


class DynamoReadinessStore:
    def __init__(self, executions_table: str) -> None:
        self._name = executions_table
        self._table = table(executions_table)

    def current(self, plan_id: str) -> Item | None:
        item = self._table.get_item(Key={"executionId": plan_run_key(plan_id), "sk": CURRENT_SK},
                                    ConsistentRead=True).get("Item")
        return from_dynamo(item) if item else None

    def current_many(self, plan_ids: Iterable[str]) -> dict[str, Item]:
        keys = [{"executionId": plan_run_key(p), "sk": CURRENT_SK} for p in sorted(set(plan_ids))]
        return {str(i["forPlanId"]): i for i in batch_get_keys(self._name, keys) if i.get("forPlanId")}

    def save(self, plan_id: str, current: Item, history: Item | None, expires_at: int) -> None:
        """The current item, and (when readiness changed) one history entry, in one batch."""
        with self._table.batch_writer() as batch:
            batch.put_item(Item=to_dynamo({"executionId": plan_run_key(plan_id), "sk": CURRENT_SK,
                                           "forPlanId": plan_id, **current}))
            if history is not None:
                batch.put_item(Item=to_dynamo({
                    "executionId": plan_run_key(plan_id), "sk": f"{HISTORY_PREFIX}{history['evaluatedAt']}",
                    "forPlanId": plan_id, "entry": history, "expiresAt": expires_at}))

    def history(self, plan_id: str, limit: int = 50) -> list[Item]:
        out = self._table.query(
            KeyConditionExpression=Key("executionId").eq(plan_run_key(plan_id)) & Key("sk").begins_with(HISTORY_PREFIX),
            ScanIndexForward=False, Limit=limit)
        return [from_dynamo(i["entry"]) for i in out.get("Items", []) if i.get("entry")]

    def ended_runs(self, plan_id: str, limit: int = 10) -> list[Item]:
        """The plan's latest executions (META items of the ``ByPlan`` index, newest first)."""
        result = dx.page(self._name, index="ByPlan", key_condition="planId = :p", values={":p": plan_id},
                         names=None, filter_expression=None, limit=limit, token=None, forward=False)
        return [from_dynamo(i) for i in result.items]

    def latest_completed_drill(self, plan_id: str, after: str | None) -> Item | None:
        """The newest COMPLETED drill of the plan that started after ``after``: its META item with
        ``fingerprint`` (None for executions started before fingerprints were recorded)."""
        condition = Key("planId").eq(plan_id)
        if after:
            condition = condition & Key("startTime").gt(after)
        params: dict[str, Any] = {"IndexName": "ByPlan", "KeyConditionExpression": condition,
                                  "ScanIndexForward": False}
        while True:
            out = self._table.query(**params)
            for item in out.get("Items", []):
                if item.get("executionType") == "DRILL" and item.get("status") == "COMPLETED":
                    found = dict(from_dynamo(item))
                    kept = self._table.get_item(Key={"executionId": found["executionId"], "sk": FINGERPRINT_SK}
                                                ).get("Item")
                    found["fingerprint"] = unpack_fingerprint(from_dynamo(kept) if kept else None)
                    return found
            if not out.get("LastEvaluatedKey"):
                return None
            params["ExclusiveStartKey"] = out["LastEvaluatedKey"]
