"""Execution retention reads and TTL writes on the executions table, served by the ``ByStatus``
index (status, startTime) that only META items carry."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from drs_orch.adapters.dynamodb_tx import client, query_all

Item = dict[str, Any]


class DynamoRetentionIndex:
    def __init__(self, table_name: str) -> None:
        self._table = table_name

    def started_before(self, status: str, cutoff: str) -> Iterator[Item]:
        """META items of ``status`` started before ``cutoff``, oldest first."""
        return query_all(self._table, index="ByStatus", key_condition="#s = :s AND startTime < :c",
                         values={":s": status, ":c": cutoff}, names={"#s": "status"})

    def without_ttl(self, status: str) -> Iterator[Item]:
        """META items of ``status`` that carry no ``expiresAt`` yet."""
        return query_all(self._table, index="ByStatus", key_condition="#s = :s", values={":s": status},
                         names={"#s": "status"}, filter_expression="attribute_not_exists(expiresAt)")

    def set_ttl(self, execution_id: str, expires_at: int) -> int:
        """``expiresAt`` on every item of the execution (children first, META last, so an execution
        whose META has it is complete). Returns the number of items stamped."""
        keys = [i["sk"] for i in query_all(self._table, index=None, key_condition="executionId = :e",
                                           values={":e": execution_id}, projection="sk")]
        ordered = [k for k in keys if k != "META"] + [k for k in keys if k == "META"]
        stamped = 0
        for sk in ordered:
            try:
                client().update_item(
                    TableName=self._table, Key={"executionId": {"S": execution_id}, "sk": {"S": str(sk)}},
                    UpdateExpression="SET expiresAt = :t", ConditionExpression="attribute_exists(executionId)",
                    ExpressionAttributeValues={":t": {"N": str(expires_at)}})
                stamped += 1
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
        return stamped

    def drill_scopes_since(self, since: str) -> set[str]:
        """The scopes of the DRILL executions started since ``since`` (where drill instances may live)."""
        scopes: set[str] = set()
        for meta in query_all(self._table, index="ByStartTime", key_condition="entityType = :e AND startTime >= :t",
                              values={":e": "EXECUTION", ":t": since, ":d": "DRILL"},
                              filter_expression="executionType = :d", projection="scopes"):
            scopes.update(str(s) for s in meta.get("scopes") or [])
        return scopes

    def paused(self) -> Iterator[Item]:
        return query_all(self._table, index="ByStatus", key_condition="#s = :s", values={":s": "PAUSED"},
                         names={"#s": "status"})
