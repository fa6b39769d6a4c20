"""Protection groups in DynamoDB (``ProtectionGroupsTable``) with their guards (``GuardsTable``).

A create or update is one transaction (or, when it claims more servers than one transaction
holds, a saga: ``dynamodb_saga``): the group (conditional on not existing / on the version
read), the name guard if the name is new, one guard per server the group starts to hold, and the
releases of what it gives up (those that do not fit go right after, see ``dynamodb_tx``). A delete
also checks the ``group-plans#<groupId>`` reference item, so a group used by a plan can never go.
Lists are served by the ``ByName`` and ``ByAccountRegion`` indexes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import Any

from drs_orch.adapters import dynamodb_launch as dl
from drs_orch.adapters import dynamodb_saga as saga
from drs_orch.adapters import dynamodb_tx as dx
from drs_orch.adapters.dynamodb import serialize
from drs_orch.domain.data_rules import MAX_TRANSACTION_ITEMS
from drs_orch.domain.models import ProtectionGroup
from drs_orch.domain.paging import Page
from drs_orch.services.data_ports import CommitConflict, GroupWrite, GuardRef

ENTITY = "GROUP"
_INTERNAL = ("entityType", "groupNameLower", "accountRegion", dl.PARTS_ATTR)
_REMOVABLE = ("serverSelectionTags", "resolvedAt", "launchConfig", "servers", "lastModifiedBy", "description")


def _public(item: dict[str, Any]) -> ProtectionGroup:
    """The record a stored item holds (the item's key and index attributes left out)."""
    return ProtectionGroup.from_item({k: v for k, v in item.items() if k not in _INTERNAL})


def _stored(group: ProtectionGroup) -> dict[str, Any]:
    """The item that stores ``group``: its attributes plus the ones the indexes are built on."""
    out = group.to_item()
    out["entityType"] = ENTITY
    out["groupNameLower"] = group.group_name.lower()
    out["accountRegion"] = f"{group.account_id}#{group.region}"
    return out


class DynamoGroupStore:
    def __init__(self, groups_table: str, guards_table: str) -> None:
        self.table = groups_table
        self.guards = guards_table
        self.between_chunks: Callable[[int], None] | None = None  # tests: a crash between saga chunks

    # reads ------------------------------------------------------------------------------------
    def get(self, group_id: str) -> ProtectionGroup | None:
        """The group with every server's launch-settings status (``dynamodb_launch``); lists carry
        the group-level status only."""
        item = dx.get_item(self.table, "groupId", group_id)
        return _public(dl.with_server_configs(self.table, item)) if item else None

    def get_many(self, group_ids: Iterable[str]) -> dict[str, ProtectionGroup]:
        found = dl.with_server_configs_many(self.table, dx.batch_get(self.table, "groupId", group_ids))
        return {k: _public(v) for k, v in found.items()}

    def find_by_name(self, name: str) -> ProtectionGroup | None:
        for item in dx.query_all(self.table, index="ByName", key_condition="entityType = :e AND groupNameLower = :n",
                                 values={":e": ENTITY, ":n": name.strip().lower()}):
            return _public(item)
        return None

    def page(self, *, account_id: str | None, region: str | None, name_prefix: str | None,
             limit: int, token: str | None) -> Page[ProtectionGroup]:
        values: dict[str, Any] = {}
        filters: list[str] = []
        if account_id and region:
            index, key_condition = "ByAccountRegion", "accountRegion = :ar"
            values[":ar"] = f"{account_id}#{region}"
        else:
            index, key_condition = "ByName", "entityType = :e"
            values[":e"] = ENTITY
            if account_id:
                filters.append("accountId = :a")
                values[":a"] = account_id
            if region:
                filters.append("#region = :r")
                values[":r"] = region
        if name_prefix:
            key_condition += " AND begins_with(groupNameLower, :p)"
            values[":p"] = name_prefix.strip().lower()
        result = dx.page(self.table, index=index, key_condition=key_condition, values=values,
                         names={"#region": "region"} if region and not account_id else None,
                         filter_expression=" AND ".join(filters) or None, limit=limit, token=token)
        return Page([_public(i) for i in result.items], result.next_token)

    def all(self) -> Iterator[ProtectionGroup]:
        for item in dx.query_all(self.table, index="ByName", key_condition="entityType = :e", values={":e": ENTITY}):
            yield _public(item)

    def server_guards(self, account_id: str, region: str, server_ids: Iterable[str]) -> dict[str, GuardRef]:
        ids = list(server_ids)
        keys = {dx.group_server_key(account_id, region, s): s for s in ids}
        return {keys[k]: ref for k, ref in dx.guard_refs(self.guards, keys).items()}

    def name_guard(self, name: str) -> GuardRef | None:
        key = dx.group_name_key(name.strip().lower())
        return dx.guard_refs(self.guards, [key]).get(key)

    def server_guard_key(self, account_id: str, region: str, server_id: str) -> str:
        return dx.group_server_key(account_id, region, server_id)

    def purge_guard(self, guard: GuardRef, owner_version: int | None) -> bool:
        return dx.purge(self.guards, guard, self.table, "groupId", owner_version)

    # writes -----------------------------------------------------------------------------------
    def recover(self, group_id: str) -> str:
        """Roll back an unfinished multi-transaction save of ``group_id`` (see ``dynamodb_saga``)."""
        return saga.recover(self.guards, "group", group_id)

    def commit(self, write: GroupWrite) -> None:
        found = self.recover(write.group_id)
        if found == "RUNNING":
            raise CommitConflict("CONCURRENT")
        if found == "ROLLED_BACK" and write.item is not None:
            write = self._reclaim(write)
        if write.item is not None and len(write.claim_servers) + 2 > MAX_TRANSACTION_ITEMS:
            self._commit_saga(write)
            return
        tx = dx.Transaction()
        if write.item is None:
            tx.add("Delete", {"TableName": self.table, "Key": {"groupId": dx.av(write.group_id)},
                              "ConditionExpression": "version = :v",
                              "ExpressionAttributeValues": {":v": dx.av(write.expected_version)}}, ("VERSION", None))
            tx.add("Delete", {"TableName": self.guards, "Key": {"guardKey": dx.av(dx.group_plans_key(write.group_id))},
                              "ConditionExpression": "attribute_not_exists(planIds)"}, ("IN_USE", None))
            for key in dl.status_part_keys(self.table, write.group_id):  # its launch-settings status parts
                tx.add("Delete", {"TableName": self.table, "Key": {"groupId": dx.av(key)}}, ("VERSION", None))
        else:
            stored = _stored(write.item)
            self._write_group(tx, write, stored)
            for server_id in write.claim_servers:
                tx.claim(self.guards, dx.group_server_key(stored["accountId"], stored["region"], server_id),
                         "groupId", write.group_id, ("SERVER", server_id), guardType="group-server")
        later = dx.split_releases(tx, self.guards, write.releases)
        dx.run(tx)
        dx.release_later(self.guards, later)

    def _reclaim(self, write: GroupWrite) -> GroupWrite:
        """``write`` after a saga of the group was rolled back under it: the claims were computed
        while that saga's guards (owned by this group) stood, so the servers they covered were taken
        as held; those guards are gone now and are claimed again."""
        assert write.item is not None
        servers = list(dict.fromkeys(write.item.source_server_ids))
        held = self.server_guards(write.item.account_id, write.item.region, servers)
        missing = [s for s in servers if s not in held and s not in write.claim_servers]
        return replace(write, claim_servers=[*write.claim_servers, *missing]) if missing else write

    def item_write(self, write: GroupWrite) -> dx.Transaction:
        """The group item's own write, alone: created, or changed at the version read."""
        assert write.item is not None
        tx = dx.Transaction()
        stored = _stored(write.item)
        if write.expected_version is None:
            tx.add("Put", {"TableName": self.table, "Item": serialize(stored),
                           "ConditionExpression": "attribute_not_exists(groupId)"}, ("EXISTS", None))
        else:
            dx.set_fields(tx, self.table, {"groupId": write.group_id}, stored, _REMOVABLE, "version = :expected",
                          {":expected": write.expected_version}, ("VERSION", None))
        return tx

    def _write_group(self, tx: dx.Transaction, write: GroupWrite, stored: dict[str, Any]) -> None:
        """The group item (created, or changed at the version read) and its name claim."""
        item = self.item_write(write)
        tx.items.extend(item.items)
        tx.labels.extend(item.labels)
        if write.claim_name:
            tx.claim(self.guards, dx.group_name_key(write.claim_name), "groupId", write.group_id,
                     ("NAME", write.claim_name), guardType="group-name")

    def _commit_saga(self, write: GroupWrite) -> None:
        """A save claiming more servers than one transaction holds: claims in chunks under an
        intent record, the group item with the last chunk (``dynamodb_saga``)."""
        assert write.item is not None
        stored = _stored(write.item)
        run = saga.Saga(self.guards, "group", write.group_id, between_chunks=self.between_chunks)
        claims = [saga.claim_step(self.guards, dx.group_server_key(stored["accountId"], stored["region"], server_id),
                                  "groupId", write.group_id, run.intent_id, ("SERVER", server_id),
                                  guardType="group-server") for server_id in write.claim_servers]
        final = dx.Transaction()
        self._write_group(final, write, stored)
        run.run(sorted(claims, key=lambda c: c.target), saga.final_steps(final, write.group_id),
                summary={"groupId": write.group_id, "claimCount": len(claims), "releaseCount": len(write.releases)},
                after=lambda: dx.release_later(self.guards, write.releases))
