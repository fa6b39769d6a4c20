"""Read-only table access of the query side, every list through a boto3 paginator: protection
groups of one account and region (GSI ``ByAccountRegion``) and the records of one execution (its
META, WAVE#, JOB# and SERVER# items, as ``adapters/execution_items.py`` maps them). Target accounts are read through ``dynamodb_accounts.DynamoAccountStore``."""

from __future__ import annotations

from typing import Any

from drs_orch.adapters import execution_items
from drs_orch.adapters.dynamodb import deserialize, low_level
from drs_orch.adapters.paging import pages
from drs_orch.domain.execution_records import ExecutionRecords
from drs_orch.domain.models import ProtectionGroup


def _all(operation: str, **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in pages(low_level(), operation, token_key="LastEvaluatedKey", input_token="ExclusiveStartKey",
                      **params):
        out.extend(deserialize(item) for item in page.get("Items") or [])
    return out


class GroupsByAccountRegion:
    INDEX = "ByAccountRegion"

    def __init__(self, table_name: str) -> None:
        self._name = table_name

    def groups_in(self, account_id: str, region: str) -> list[ProtectionGroup]:
        items = _all(
            "query",
            TableName=self._name,
            IndexName=self.INDEX,
            KeyConditionExpression="accountRegion = :ar",
            ExpressionAttributeValues={":ar": {"S": f"{account_id}#{region}"}},
        )
        return [ProtectionGroup.from_item(item) for item in items]


class ExecutionRecordsReader:
    def __init__(self, table_name: str) -> None:
        self._name = table_name

    def load(self, execution_id: str) -> ExecutionRecords | None:
        return execution_items.group(self._items(execution_id))

    def _items(self, execution_id: str) -> list[dict[str, Any]]:
        return _all(
            "query",
            TableName=self._name,
            KeyConditionExpression="executionId = :id",
            ExpressionAttributeValues={":id": {"S": execution_id}},
            ConsistentRead=True,
        )
