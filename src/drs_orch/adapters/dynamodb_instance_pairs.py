"""Instance pairs (issue 14) in the executions table, beside the plans' ``LAST_RUN`` items:
``executionId = PAIRS#<groupId>``, ``sk = PAIR#<sourceServerId>`` (one pair per server of a group,
at most 98 per group: one Query reads them all). The items carry none of the indexed attributes
(``entityType``, ``status``, ``planId``, ``startTime``), so no listing of executions sees them, and
the retention sweeps (which start from the META items' indexes) never touch them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from drs_orch.adapters.dynamodb import from_dynamo, table, to_dynamo

Item = dict[str, Any]
PREFIX = "PAIRS#"
SK_PREFIX = "PAIR#"


def pairs_key(group_id: str) -> str:
    return f"{PREFIX}{group_id}"


def pair_sk(server_id: str) -> str:
    return f"{SK_PREFIX}{server_id}"


class DynamoInstancePairs:
    def __init__(self, executions_table: str) -> None:
        self._table = table(executions_table)

    def list(self, group_id: str) -> list[Item]:
        out: list[Item] = []
        kwargs: dict[str, Any] = {"KeyConditionExpression": Key("executionId").eq(pairs_key(group_id))
                                  & Key("sk").begins_with(SK_PREFIX)}
        while True:
            page = self._table.query(**kwargs)
            out += [self._public(from_dynamo(i)) for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return sorted(out, key=lambda p: str(p["sourceServerId"]))
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def write(self, group_id: str, put: Iterable[Mapping[str, Any]], delete_servers: Iterable[str] = ()) -> None:
        with self._table.batch_writer(overwrite_by_pkeys=["executionId", "sk"]) as batch:
            for record in put:
                batch.put_item(Item=to_dynamo({**record, "executionId": pairs_key(group_id),
                                               "sk": pair_sk(str(record["sourceServerId"]))}))
            for server in delete_servers:
                batch.delete_item(Key={"executionId": pairs_key(group_id), "sk": pair_sk(server)})

    def update_state(self, group_id: str, server_id: str, changes: Mapping[str, Any]) -> bool:
        """Set attributes of an existing pair (``cycleState`` and what goes with it); False when the
        pair is gone."""
        names = {f"#a{i}": k for i, k in enumerate(changes)}
        values = {f":v{i}": to_dynamo(v) for i, v in enumerate(changes.values())}
        try:
            self._table.update_item(
                Key={"executionId": pairs_key(group_id), "sk": pair_sk(server_id)},
                UpdateExpression="SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(names))),
                ConditionExpression="attribute_exists(sk)",
                ExpressionAttributeNames=names, ExpressionAttributeValues=values)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    @staticmethod
    def _public(item: Item) -> Item:
        return {k: v for k, v in item.items() if k not in ("executionId", "sk")}
