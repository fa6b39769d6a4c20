"""The launch-settings parts of a protection group: per-server overrides (``servers``, written with
the group's optimistic ``version``) and ``launchConfigStatus`` (written whole, by compare-and-swap
on its ``revision``).

What grows with the number of servers, the per-server status (``serverConfigs``), is not kept on
the group item (3,000 servers' statuses would pass DynamoDB's 400 KB item limit): it is kept in
*status parts*, items of the same table keyed ``<groupId>#launch-status#<n>`` (no index attribute,
so no listing sees them), each holding up to :data:`PART_BYTES` of ``serverConfigs`` and the
``revision`` it belongs to. The group item keeps the group-level status and ``launchStatusParts``
(how many parts). A status write is one transaction: the group item (conditional on the revision)
and every part, and the deletion of parts no longer needed, so a reader that finds the group at
revision r finds parts of revision r (it reads again if a write came between its two reads). A
group stored before this keeps its ``serverConfigs`` inline until its next status write."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from drs_orch.adapters import dynamodb_tx as dx
from drs_orch.adapters.dynamodb import from_dynamo, serialize, table, to_dynamo
from drs_orch.domain.errors import Conflict, NotFound, UpstreamError
from drs_orch.domain.models import ProtectionGroup
from drs_orch.services.data_ports import CommitConflict

PART_BYTES = 200_000  # per status part; a server's entry is a few hundred bytes
PARTS_ATTR = "launchStatusParts"
_READ_ATTEMPTS = 5


def part_key(group_id: str, n: int) -> str:
    return f"{group_id}#launch-status#{n}"


def split_configs(configs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``serverConfigs`` in parts of at most :data:`PART_BYTES` (as JSON), servers in sorted order."""
    parts: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    size = 0
    for server_id in sorted(configs):
        entry = configs[server_id]
        weight = len(server_id) + len(json.dumps(entry, separators=(",", ":"), default=str)) + 8
        if current and size + weight > PART_BYTES:
            parts.append(current)
            current, size = {}, 0
        current[server_id] = entry
        size += weight
    if current:
        parts.append(current)
    return parts


def with_server_configs_many(table_name: str, items: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """:func:`with_server_configs` of many groups, their parts in one batch read."""
    keys = [part_key(gid, n) for gid, item in items.items() for n in range(int(item.get(PARTS_ATTR) or 0))]
    found = dx.batch_get(table_name, "groupId", keys) if keys else {}
    out: dict[str, dict[str, Any]] = {}
    for gid, item in items.items():
        mine = [part_key(gid, n) for n in range(int(item.get(PARTS_ATTR) or 0))]
        status = item.get("launchConfigStatus")
        if mine and isinstance(status, dict) and {(found.get(k) or {}).get("revision") for k in mine} == {
                status.get("revision")}:
            configs: dict[str, Any] = {}
            for key in mine:
                configs.update(found[key].get("serverConfigs") or {})
            out[gid] = {**{k: v for k, v in item.items() if k != PARTS_ATTR},
                        "launchConfigStatus": {**status, "serverConfigs": configs}}
        else:
            out[gid] = with_server_configs(table_name, item)
    return out


def with_server_configs(table_name: str, item: dict[str, Any]) -> dict[str, Any]:
    """``item`` (a group as stored) with its ``launchConfigStatus.serverConfigs`` read from its parts,
    and without the parts count. One consistent read of the parts; read again (group and parts) if
    a status write came between."""
    for _ in range(_READ_ATTEMPTS):
        parts = int(item.get(PARTS_ATTR) or 0)
        status = item.get("launchConfigStatus")
        out = {k: v for k, v in item.items() if k != PARTS_ATTR}
        if not parts or not isinstance(status, dict):
            return out
        keys = [part_key(str(item["groupId"]), n) for n in range(parts)]
        found = dx.batch_get(table_name, "groupId", keys)
        revisions = {found[k].get("revision") if k in found else None for k in keys}
        if revisions == {status.get("revision")}:
            configs: dict[str, Any] = {}
            for key in keys:
                configs.update(found[key].get("serverConfigs") or {})
            out["launchConfigStatus"] = {**status, "serverConfigs": configs}
            return out
        fresh = dx.get_item(table_name, "groupId", str(item["groupId"]))
        if fresh is None:
            return out
        item = fresh
    raise UpstreamError("the launch settings status kept changing while it was read; retry",
                        code="STATUS_READ_CONFLICT")


def status_part_keys(table_name: str, group_id: str) -> list[str]:
    """The keys of the group's status parts as stored now (to delete them with the group)."""
    raw = dx.client().get_item(TableName=table_name, Key={"groupId": dx.av(group_id)}, ConsistentRead=True,
                               ProjectionExpression=PARTS_ATTR).get("Item") or {}
    parts = int(raw.get(PARTS_ATTR, {}).get("N", "0"))
    return [part_key(group_id, n) for n in range(parts)]


class GroupLaunchTable:
    def __init__(self, name: str) -> None:
        self._name = name
        self._table = table(name)

    def get(self, group_id: str) -> ProtectionGroup | None:
        item = self._table.get_item(Key={"groupId": group_id}, ConsistentRead=True).get("Item")
        return ProtectionGroup.from_item(with_server_configs(self._name, from_dynamo(item))) if item else None

    def get_settings(self, group_id: str) -> ProtectionGroup | None:
        """The group item alone: its per-server status (in the parts) is not read."""
        item = self._table.get_item(Key={"groupId": group_id}, ConsistentRead=True).get("Item")
        if not item:
            return None
        return ProtectionGroup.from_item({k: v for k, v in from_dynamo(item).items() if k != PARTS_ATTR})

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
            if dx.is_item_too_large(exc):
                raise dx.item_too_large() from None
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
        (``None``: no revision yet): the group-level fields on the group item, the per-server
        statuses in its parts, in one transaction. False when another writer got there first."""
        if expected_revision is None:
            revision_check = "attribute_not_exists(#status.#revision)"
            values: dict[str, Any] = {}
        else:
            revision_check = "#status.#revision = :expected"
            values = {":expected": dx.av(expected_revision)}
        head = {k: v for k, v in record.items() if k != "serverConfigs"}
        parts = split_configs(record.get("serverConfigs") or {})
        before = status_part_keys(self._name, group_id)
        tx = dx.Transaction()
        tx.add("Update", {"TableName": self._name, "Key": {"groupId": dx.av(group_id)},
                          "UpdateExpression": "SET #status = :record, #parts = :parts",
                          "ConditionExpression": f"attribute_exists(groupId) AND {revision_check}",
                          "ExpressionAttributeNames": {"#status": "launchConfigStatus", "#revision": "revision",
                                                       "#parts": PARTS_ATTR},
                          "ExpressionAttributeValues": {":record": dx.av({**head, "serverConfigs": {}}),
                                                        ":parts": dx.av(len(parts)), **values}}, ("REVISION", None))
        for n, configs in enumerate(parts):
            tx.add("Put", {"TableName": self._name, "Item": serialize({
                "groupId": part_key(group_id, n), "statusOf": group_id, "revision": record.get("revision"),
                "serverConfigs": configs})}, ("PART", str(n)))
        for key in before[len(parts):]:
            tx.add("Delete", {"TableName": self._name, "Key": {"groupId": dx.av(key)}}, ("PART", key))
        try:
            dx.run(tx)
        except CommitConflict:
            return False
        return True
