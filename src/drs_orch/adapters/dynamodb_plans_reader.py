"""Read-only access to recovery plans and protection groups, for the execution engine."""

from __future__ import annotations

from collections.abc import Iterable

from drs_orch.adapters.dynamodb import from_dynamo, table
from drs_orch.adapters.dynamodb_plans import upgraded
from drs_orch.adapters.dynamodb_tx import batch_get
from drs_orch.domain.models import ProtectionGroup, RecoveryPlan


class DynamoPlanReader:
    def __init__(self, plans_table: str, groups_table: str) -> None:
        self._plans = table(plans_table)
        self._plans_name = plans_table
        self._groups_name = groups_table

    def get_plan(self, plan_id: str) -> RecoveryPlan | None:
        item = self._plans.get_item(Key={"planId": plan_id}, ConsistentRead=True).get("Item")
        return RecoveryPlan.from_item(upgraded(self._plans_name, from_dynamo(item))) if item else None

    def get_groups(self, group_ids: Iterable[str]) -> dict[str, ProtectionGroup]:
        found = batch_get(self._groups_name, "groupId", sorted(set(group_ids)))
        return {group_id: ProtectionGroup.from_item(item) for group_id, item in found.items()}
