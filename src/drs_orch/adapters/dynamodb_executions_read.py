"""Read-only view of the executions table that data management needs: the active executions (the
``ByStatus`` index, META items only) and the servers an execution holds (its ``SERVER#`` items)."""

from __future__ import annotations

from drs_orch.adapters import dynamodb_tx as dx
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

    def server_ids(self, execution_id: str) -> list[str]:
        ids: list[str] = []
        for item in dx.query_all(self.table, index=None, key_condition="executionId = :e AND begins_with(sk, :p)",
                                 values={":e": execution_id, ":p": "SERVER#"}):
            server = item.get("sourceServerId") or str(item.get("sk", "")).removeprefix("SERVER#")
            if server:
                ids.append(str(server))
        return ids
