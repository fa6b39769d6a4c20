"""Recovery plans of up to 200 protection groups (issue 15): a plan write that references more groups
than one transaction holds is the saga of ``dynamodb_saga``; a crash between its chunks leaves the
old plan after recovery, and no reference that the plan does not hold."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from data_support import HUB, REGION, seed, unique

from drs_orch.adapters import dynamodb_saga
from drs_orch.adapters import dynamodb_tx as dx
from drs_orch.adapters.dynamodb_groups import DynamoGroupStore
from drs_orch.adapters.dynamodb_plans import DynamoPlanStore
from drs_orch.domain.data_rules import MAX_GROUPS_PER_PLAN
from drs_orch.domain.models import ProtectionGroup, RecoveryPlan
from drs_orch.services.data_ports import GroupWrite, PlanWrite

pytestmark = pytest.mark.integration


class Crash(Exception):
    """Stands for the Lambda ending between two chunks."""


def _guard(key: str) -> dict[str, Any] | None:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(os.environ["GUARDS_TABLE"])
    item: dict[str, Any] | None = table.get_item(Key={"guardKey": key}, ConsistentRead=True).get("Item")
    return item


def _users(group_ids: list[str]) -> dict[str, set[str]]:
    """group id -> the plans its reference item names."""
    found = dx.batch_get(os.environ["GUARDS_TABLE"], "guardKey", [dx.group_plans_key(g) for g in group_ids])
    return {g: set((found.get(dx.group_plans_key(g)) or {}).get("planIds") or []) for g in group_ids}


def _using(plan_id: str, group_ids: list[str]) -> list[str]:
    return [g for g, plans in _users(group_ids).items() if plan_id in plans]


@pytest.fixture(name="plans")
def plans_fixture() -> Iterator[DynamoPlanStore]:
    yield DynamoPlanStore(os.environ["RECOVERY_PLANS_TABLE"], os.environ["GUARDS_TABLE"],
                          os.environ["PROTECTION_GROUPS_TABLE"])


@pytest.fixture(name="group_ids", scope="module")
def group_ids_fixture(stack: Any) -> list[str]:
    """200 one-server groups, written through the group store (the API path is tested elsewhere)."""
    store = DynamoGroupStore(os.environ["PROTECTION_GROUPS_TABLE"], os.environ["GUARDS_TABLE"])
    servers = seed(stack, MAX_GROUPS_PER_PLAN, region=REGION)
    prefix, ids = unique("many"), []
    for n, server in enumerate(servers):
        group_id = f"{prefix}-{n:03d}"
        now = "2026-01-01T00:00:00+00:00"
        item = {"groupId": group_id, "groupName": group_id, "description": "", "region": REGION, "accountId": HUB,
                "sourceServerIds": [server], "version": 1, "createdDate": now, "lastModifiedDate": now,
                "createdBy": "test"}
        store.commit(GroupWrite(group_id=group_id, item=ProtectionGroup.from_item(item), expected_version=None,
                                claim_name=group_id,
                                claim_servers=[server]))
        ids.append(group_id)
    return ids


def _waves(group_ids: list[str]) -> list[dict[str, Any]]:
    return [{"waveNumber": n + 1, "waveName": f"w{n + 1}", "protectionGroupIds": group_ids[start:start + 50],
             "dependsOnWaves": [n] if n else []}
            for n, start in enumerate(range(0, len(group_ids), 50))]


def test_a_crash_between_plan_chunks_leaves_the_old_plan_then_200_groups_are_saved(
        admin: Any, plans: DynamoPlanStore, group_ids: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    status, plan = admin.post("/recovery-plans", {"planName": unique("grow"), "waves": _waves(group_ids[:10])})
    assert status == 201, plan
    plan_id = plan["planId"]
    stored = plans.get(plan_id)
    assert stored is not None
    added = group_ids[10:]

    def crash(chunk: int) -> None:
        raise Crash(f"after chunk {chunk}")

    plans.between_chunks = crash
    with pytest.raises(Crash):
        plans.commit(PlanWrite(plan_id=plan_id, item=RecoveryPlan.from_item({**stored.to_item(), "waves": _waves(group_ids), "version": 2}),
                               expected_version=1, add_refs=added))
    intent = _guard(dynamodb_saga.intent_key("plan", plan_id))
    assert intent is not None and intent["done"] == 1 and intent["claimCount"] == len(added)
    assert _using(plan_id, added)  # a first chunk of references is written ...
    status, body = admin.get(f"/recovery-plans/{plan_id}")
    assert status == 200 and body["version"] == 1 and len(body["waves"]) == 1  # ... the plan is the old one
    update = {"waves": _waves(group_ids), "version": 1}
    status, body = admin.put(f"/recovery-plans/{plan_id}", update)
    assert status == 409, body  # the young saga is waited for, not interleaved

    monkeypatch.setattr(dynamodb_saga, "STALE_SECONDS", 0.0)
    assert plans.recover(plan_id) == "ROLLED_BACK"  # as the next write of the plan would
    assert _using(plan_id, added) == [] and plans.get(plan_id) == stored
    assert _guard(dynamodb_saga.intent_key("plan", plan_id)) is None

    started = time.monotonic()
    status, body = admin.put(f"/recovery-plans/{plan_id}", update)
    assert status == 200, body
    print(f"a plan of {MAX_GROUPS_PER_PLAN} groups saved in {time.monotonic() - started:.2f} s (API, with readiness)")
    assert body["version"] == 2 and sum(len(w["protectionGroupIds"]) for w in body["waves"]) == MAX_GROUPS_PER_PLAN
    assert _using(plan_id, group_ids) == group_ids
    status, body = admin.delete(f"/protection-groups/{group_ids[123]}")
    assert status == 409 and body["error"] == "GROUP_IN_USE", body
    status, body = admin.post("/recovery-plans", {"planName": unique("too-wide"),
                                                  "waves": _waves([*group_ids, group_ids[0] + "x"])})
    assert status == 400 and body["error"] == "PLAN_TOO_LARGE", body
    # the plan gives its groups up again: a delete with 200 references
    status, body = admin.delete(f"/recovery-plans/{plan_id}")
    assert status == 200, body
    assert _using(plan_id, group_ids) == []
