"""The launch-settings parts of a protection group item: per-server overrides (``servers``, written
with the group's optimistic ``version``) and ``launchConfigStatus`` (written whole, as one attribute,
by compare-and-swap on its ``revision``)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from drs_orch.adapters.dynamodb import from_dynamo, table, to_dynamo
from drs_orch.domain.errors import Conflict, NotFound
from drs_orch.domain.models import ProtectionGroup


class GroupLaunchTable:
    def __init__(self, name: str) -> None:
        self._table = table(name)

    def get(self, group_id: str) -> ProtectionGroup | None:
        item = self._table.get_item(Key={"groupId": group_id}, ConsistentRead=True).get("Item")
        return ProtectionGroup.from_item(from_dynamo(item)) if item else None

    def save_overrides(
        self, group_id: str, servers: dict[str, Any], expected_version: int, now_iso: str, actor: str
    ) -> int:
        """Replace the group's ``servers`` map; the group's version goes up by one. Raises
        :class:`Conflict` (``VERSION_CONFLICT``) when the group changed since ``expected_version``."""
        try:
            self._table.update_item(
                Key={"groupId": group_id},
                UpdateExpression="SET #servers = :servers, #version = :next, #modified = :now, #by = :actor",
                ConditionExpression="attribute_exists(groupId) AND #version = :expected",
                ExpressionAttributeNames={
                    "#servers": "servers",
                    "#version": "version",
                    "#modified": "lastModifiedDate",
                    "#by": "lastModifiedBy",
                },
                ExpressionAttributeValues={
                    ":servers": to_dynamo(servers),
                    ":next": expected_version + 1,
                    ":expected": expected_version,
                    ":now": now_iso,
                    ":actor": actor,
                },
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            if self.get(group_id) is None:
                raise NotFound(f"protection group {group_id} not found", code="GROUP_NOT_FOUND") from None
            raise Conflict(
                f"protection group {group_id} changed since version {expected_version}; reload and retry",
                code="VERSION_CONFLICT",
            ) from None
        return expected_version + 1

    def write_status(self, group_id: str, record: dict[str, Any], expected_revision: int | None) -> bool:
        """Write ``launchConfigStatus`` whole if its ``revision`` is still ``expected_revision``
        (``None``: no revision yet). False when another writer got there first."""
        if expected_revision is None:
            revision_check = "attribute_not_exists(#status.#revision)"
            values: dict[str, Any] = {":record": to_dynamo(record)}
        else:
            revision_check = "#status.#revision = :expected"
            values = {":record": to_dynamo(record), ":expected": expected_revision}
        try:
            self._table.update_item(
                Key={"groupId": group_id},
                UpdateExpression="SET #status = :record",
                ConditionExpression=f"attribute_exists(groupId) AND {revision_check}",
                ExpressionAttributeNames={"#status": "launchConfigStatus", "#revision": "revision"},
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
