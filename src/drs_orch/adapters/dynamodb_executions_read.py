"""Read-only view of the executions table that data management needs: the active executions (the
``ByStatus`` index, META items only), the servers an execution holds (its ``SERVER#`` items) and the
latest ended run of each plan (its ``PLAN#<planId>`` item)."""

from __future__ import annotations

from collections.abc import Iterable

from drs_orch.adapters import dynamodb_tx as dx
from drs_orch.adapters.dynamodb import batch_get_keys
from drs_orch.adapters.dynamodb_executions import PLAN_RUN_SK, plan_run_key
from drs_orch.domain.statuses import ACTIVE_EXECUTION
from drs_orch.services.data_ports import Item


class DynamoExecutionReader:
    def __init__(self, table: str) -> None:
        self.table = table

    def active(self) -> list[Item]:
        found: list[Item] = []
        for status in sorted(s.value for s in ACTIVE_EXECUTION):
            found.extend(
                dx.query_all(self.table, index="ByStatus", key_condition="#s = :s", values={":s": status, ":m": "META"},
                             names={"#s": "status"}, filter_expression="sk = :m")
            )
        return found

    def last_runs(self, plan_ids: Iterable[str]) -> dict[str, Item]:
        """The latest ended execution of each plan (as the engine recorded it), in one batch read."""
        keys = [{"executionId": plan_run_key(p), "sk": PLAN_RUN_SK} for p in sorted(set(plan_ids))]
        return {str(item["forPlanId"]): item for item in batch_get_keys(self.table, keys) if item.get("forPlanId")}

    def server_ids(self, execution_id: str) -> list[str]:
        ids: list[str] = []
        for item in dx.query_all(self.table, index=None, key_condition="executionId = :e AND begins_with(sk, :p)",
                                 values={":e": execution_id, ":p": "SERVER#"}):
            server = item.get("sourceServerId") or str(item.get("sk", "")).removeprefix("SERVER#")
            if server:
                ids.append(str(server))
        return ids
