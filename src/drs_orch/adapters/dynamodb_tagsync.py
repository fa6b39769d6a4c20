"""Tag-sync state in DynamoDB (``TagSyncTable``, PK ``configId``): the settings item, the last run,
a lock so that two runs never overlap, and per source server the tag keys an earlier run set
(``synced#<accountId>#<region>#<serverId>``), which is how a later run knows what to remove."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from drs_orch.adapters import dynamodb_tx as dx
from drs_orch.adapters.dynamodb import serialize
from drs_orch.services.data_ports import Item

LOCK_ID = "lock"


class DynamoTagSyncStore:
    def __init__(self, table: str) -> None:
        self.table = table

    def get(self, config_id: str) -> Item | None:
        return dx.get_item(self.table, "configId", config_id)

    def put(self, item: Item) -> None:
        dx.client().put_item(TableName=self.table, Item=serialize(item))

    def acquire_lock(self, owner: str, now_epoch: int, ttl_seconds: int) -> bool:
        try:
            dx.client().put_item(
                TableName=self.table,
                Item=serialize({"configId": LOCK_ID, "owner": owner, "expiresAt": now_epoch + ttl_seconds}),
                ConditionExpression="attribute_not_exists(configId) OR expiresAt < :now",
                ExpressionAttributeValues={":now": dx.av(now_epoch)},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release_lock(self, owner: str) -> None:
        try:
            dx.client().delete_item(TableName=self.table, Key={"configId": dx.av(LOCK_ID)},
                                    ConditionExpression="#o = :o", ExpressionAttributeNames={"#o": "owner"},
                                    ExpressionAttributeValues={":o": dx.av(owner)})
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def synced_keys(self, keys: list[str]) -> dict[str, list[str]]:
        found = dx.batch_get(self.table, "configId", keys)
        return {k: [str(t) for t in v.get("tagKeys") or []] for k, v in found.items()}

    def remember(self, key: str, tag_keys: list[str]) -> None:
        if tag_keys:
            item: dict[str, Any] = {"configId": key, "tagKeys": sorted(tag_keys)}
            dx.client().put_item(TableName=self.table, Item=serialize(item))
        else:
            dx.client().delete_item(TableName=self.table, Key={"configId": dx.av(key)})
