"""Recovery plans in DynamoDB (``RecoveryPlansTable``), their name guards and the references that
keep a used protection group from being deleted (``group-plans#<groupId>`` items holding the set
``planIds``, updated in the plan's own transaction together with a check that the group exists)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from botocore.exceptions import ClientError

from drs_orch.adapters import dynamodb_saga as saga
from drs_orch.adapters import dynamodb_tx as dx
from drs_orch.adapters.dynamodb import low_level, serialize
from drs_orch.domain.data_rules import MAX_TRANSACTION_ITEMS
from drs_orch.domain.models import RecoveryPlan
from drs_orch.domain.paging import Page
from drs_orch.domain.plan_graph import WAVE_ORDER_SCHEMA, migrate_stored_waves
from drs_orch.services.data_ports import CommitConflict, GuardRef, PlanWrite

ENTITY = "PLAN"
_INTERNAL = ("entityType", "planNameLower")
_REMOVABLE = ("description", "lastModifiedBy")


def upgraded(table_name: str, item: dict[str, Any]) -> dict[str, Any]:
    """A stored plan in today's form. A plan saved before :data:`WAVE_ORDER_SCHEMA` has its waves
    migrated (:func:`migrate_stored_waves`, same meaning, explicit form) and the migration is
    written back once, conditional on the plan being unchanged; its ``version`` does not move,
    since what the plan does is the same."""
    if int(item.get("schemaVersion") or 1) >= WAVE_ORDER_SCHEMA:
        return item
    out = dict(item)
    out["waves"] = migrate_stored_waves(item.get("waves") or [], item.get("schemaVersion"))
    out["schemaVersion"] = WAVE_ORDER_SCHEMA
    try:
        low_level().update_item(
            TableName=table_name, Key={"planId": dx.av(item["planId"])},
            UpdateExpression="SET waves = :w, schemaVersion = :s",
            ConditionExpression="version = :v AND attribute_not_exists(schemaVersion)",
            ExpressionAttributeValues={":w": dx.av(out["waves"]), ":s": dx.av(WAVE_ORDER_SCHEMA),
                                       ":v": dx.av(item["version"])})
    except ClientError as exc:  # changed or migrated meanwhile: the next read sees the new item
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
    return out


def _public(table_name: str, item: dict[str, Any]) -> RecoveryPlan:
    """The record a stored item holds (upgraded; the item's index attributes left out)."""
    return RecoveryPlan.from_item({k: v for k, v in upgraded(table_name, item).items() if k not in _INTERNAL})


def _stored(plan: RecoveryPlan) -> dict[str, Any]:
    """The item that stores ``plan``: its attributes plus the ones the ``ByName`` index is built on."""
    out = plan.to_item()
    out["entityType"] = ENTITY
    out["planNameLower"] = plan.plan_name.lower()
    return out


class DynamoPlanStore:
    def __init__(self, plans_table: str, guards_table: str, groups_table: str) -> None:
        self.table = plans_table
        self.guards = guards_table
        self.groups = groups_table
        self.between_chunks: Callable[[int], None] | None = None  # tests: a crash between saga chunks

    def get(self, plan_id: str) -> RecoveryPlan | None:
        item = dx.get_item(self.table, "planId", plan_id)
        return _public(self.table, item) if item else None

    def get_many(self, plan_ids: Iterable[str]) -> dict[str, RecoveryPlan]:
        return {k: _public(self.table, v) for k, v in dx.batch_get(self.table, "planId", plan_ids).items()}

    def find_by_name(self, name: str) -> RecoveryPlan | None:
        for item in dx.query_all(self.table, index="ByName", key_condition="entityType = :e AND planNameLower = :n",
                                 values={":e": ENTITY, ":n": name.strip().lower()}):
            return _public(self.table, item)
        return None

    def page(self, *, name_prefix: str | None, limit: int, token: str | None) -> Page[RecoveryPlan]:
        key_condition = "entityType = :e"
        values: dict[str, Any] = {":e": ENTITY}
        if name_prefix:
            key_condition += " AND begins_with(planNameLower, :p)"
            values[":p"] = name_prefix.strip().lower()
        result = dx.page(self.table, index="ByName", key_condition=key_condition, values=values, names=None,
                         filter_expression=None, limit=limit, token=token)
        return Page([_public(self.table, i) for i in result.items], result.next_token)

    def all(self) -> Iterator[RecoveryPlan]:
        for item in dx.query_all(self.table, index="ByName", key_condition="entityType = :e", values={":e": ENTITY}):
            yield _public(self.table, item)

    def name_guard(self, name: str) -> GuardRef | None:
        key = dx.plan_name_key(name.strip().lower())
        return dx.guard_refs(self.guards, [key]).get(key)

    def purge_guard(self, guard: GuardRef, owner_version: int | None) -> bool:
        return dx.purge(self.guards, guard, self.table, "planId", owner_version)

    def plans_using(self, group_id: str) -> set[str]:
        item = dx.get_item(self.guards, "guardKey", dx.group_plans_key(group_id))
        return {str(p) for p in (item or {}).get("planIds") or []}

    def item_write(self, write: PlanWrite) -> dx.Transaction:
        """The plan item's own write (or delete), alone, conditional on the version read."""
        tx = dx.Transaction()
        if write.item is None:
            tx.add("Delete", {"TableName": self.table, "Key": {"planId": dx.av(write.plan_id)},
                              "ConditionExpression": "version = :v",
                              "ExpressionAttributeValues": {":v": dx.av(write.expected_version)}}, ("VERSION", None))
            return tx
        stored = _stored(write.item)
        if write.expected_version is None:
            tx.add("Put", {"TableName": self.table, "Item": serialize(stored),
                           "ConditionExpression": "attribute_not_exists(planId)"}, ("EXISTS", None))
        else:
            dx.set_fields(tx, self.table, {"planId": write.plan_id}, stored, _REMOVABLE, "version = :expected",
                          {":expected": write.expected_version}, ("VERSION", None))
        return tx

    def ref_add(self, plan_id: str, group_id: str) -> list[tuple[str, dict[str, Any], tuple[str, str | None]]]:
        """The check that ``group_id`` exists and the reference that keeps it from being deleted."""
        return [("ConditionCheck", {"TableName": self.groups, "Key": {"groupId": dx.av(group_id)},
                                    "ConditionExpression": "attribute_exists(groupId)"}, ("GROUP_MISSING", group_id)),
                ("Update", ref_update(self.guards, plan_id, group_id, add=True), ("UNKNOWN", group_id))]

    def recover(self, plan_id: str) -> str:
        """Roll back an unfinished multi-transaction save of ``plan_id``, or the import that marked it
        (see ``dynamodb_saga``)."""
        return saga.recover(self.guards, "plan", plan_id)

    def commit(self, write: PlanWrite) -> None:
        if self.recover(write.plan_id) == "RUNNING":
            raise CommitConflict("CONCURRENT")
        size = 1 + bool(write.claim_name) + 2 * len(write.add_refs) + len(write.remove_refs)
        if size > MAX_TRANSACTION_ITEMS:
            self._commit_saga(write)
            return
        tx = self.item_write(write)
        if write.item is not None and write.claim_name:
            tx.claim(self.guards, dx.plan_name_key(write.claim_name), "planId", write.plan_id,
                     ("NAME", write.claim_name), guardType="plan-name")
        for group_id in write.add_refs:
            for op, body, label in self.ref_add(write.plan_id, group_id):
                tx.add(op, body, label)
        for group_id in write.remove_refs:
            tx.add("Update", ref_update(self.guards, write.plan_id, group_id, add=False), ("UNKNOWN", group_id))
        later = dx.split_releases(tx, self.guards, write.releases)
        dx.run(tx)
        dx.release_later(self.guards, later)

    def _commit_saga(self, write: PlanWrite) -> None:
        """A plan write with more group references than one transaction holds: the references (each
        with its check that the group exists) in chunks under an intent record, the plan item and
        its name claim with the last chunk; references given up and guards released after it (a
        reference left behind by a crash there only keeps a group from being deleted, never lets a
        used one go)."""
        run = saga.Saga(self.guards, "plan", write.plan_id, between_chunks=self.between_chunks)
        steps: list[saga.Step] = []
        for group_id in write.add_refs:
            check, add = self.ref_add(write.plan_id, group_id)
            steps.append(saga.Step({check[0]: check[1]}, f"{self.groups}#{group_id}", check[2]))
            steps.append(saga.Step({add[0]: add[1]}, f"{self.guards}#{dx.group_plans_key(group_id)}", add[2],
                                   {"Update": ref_update(self.guards, write.plan_id, group_id, add=False)}))
        final = self.item_write(write)
        if write.item is not None and write.claim_name:
            final.claim(self.guards, dx.plan_name_key(write.claim_name), "planId", write.plan_id,
                        ("NAME", write.claim_name), guardType="plan-name")

        def after() -> None:
            remove_refs_later(self.guards, write.plan_id, write.remove_refs)
            dx.release_later(self.guards, write.releases)

        run.run(steps, saga.final_steps(final, write.plan_id),
                summary={"planId": write.plan_id, "claimCount": len(write.add_refs),
                         "releaseCount": len(write.remove_refs) + len(write.releases)}, after=after)


def ref_update(guards: str, plan_id: str, group_id: str, *, add: bool) -> dict[str, Any]:
    """Add ``plan_id`` to (or remove it from) the plans that use ``group_id``."""
    if add:
        return {"TableName": guards, "Key": {"guardKey": dx.av(dx.group_plans_key(group_id))},
                "UpdateExpression": "ADD planIds :p SET guardType = :t, groupId = :g",
                "ExpressionAttributeValues": {":p": {"SS": [plan_id]}, ":t": dx.av("group-plans"),
                                              ":g": dx.av(group_id)}}
    return {"TableName": guards, "Key": {"guardKey": dx.av(dx.group_plans_key(group_id))},
            "UpdateExpression": "DELETE planIds :p", "ExpressionAttributeValues": {":p": {"SS": [plan_id]}}}


def remove_refs_later(guards: str, plan_id: str, group_ids: Iterable[str]) -> None:
    """References a plan gives up, removed after its saga ended; one that fails stays (it only keeps
    the group from being deleted until the plan's next write)."""
    for group_id in group_ids:
        try:
            dx.client().update_item(**ref_update(guards, plan_id, group_id, add=False))
        except ClientError:
            continue
