"""Read-only access to recovery plans and protection groups, for the execution engine."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from drs_orch.adapters.dynamodb import from_dynamo, table


class DynamoPlanReader:
    def __init__(self, plans_table: str, groups_table: str) -> None:
        self._plans = table(plans_table)
        self._groups = table(groups_table)
        self._groups_name = groups_table

    def get_plan(self, plan_id: str) -> dict[str, Any] | None:
        item = self._plans.get_item(Key={"planId": plan_id}, ConsistentRead=True).get("Item")
        return from_dynamo(item) if item else None

    def get_groups(self, group_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = sorted(set(group_ids))
        found: dict[str, dict[str, Any]] = {}
        resource = self._groups.meta.client
        for start in range(0, len(wanted), 100):
            request: dict[str, Any] = {self._groups_name: {
                "Keys": [{"groupId": g} for g in wanted[start:start + 100]], "ConsistentRead": True}}
            while request:
                out = resource.batch_get_item(RequestItems=request)
                for item in out.get("Responses", {}).get(self._groups_name, []):
                    found[item["groupId"]] = from_dynamo(item)
                request = out.get("UnprocessedKeys") or {}
        return found
