"""A drill in a target account: DRS and EC2 are reached through the account's role (AssumeRole with
its external id, enforced by the local stack) for the group's account and region."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from engine_support import (
    fast_fixture,  # noqa: F401 - fixture "fast", used by pytestmark
    jobs_of,
    plan,
    seed,
    start,
    wait_terminal,
)

from drs_local import iam_policy

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fast")]


def _new_account() -> str:
    rng = random.Random(uuid.uuid4().int)
    return "8" + "".join(rng.choice("0123456789") for _ in range(11))


def test_a_drill_in_a_target_account_through_its_role(stack: Any, admin: Any) -> None:
    account = _new_account()
    external_id = f"engine-{uuid.uuid4().hex[:12]}"
    iam_policy.apply()
    role_arn = iam_policy.provision_spoke(account, "123456789012", external_id)
    status, body = admin.post("/accounts/targets", {"accountId": account, "accountName": "engine spoke",
                                                     "roleArn": role_arn, "externalId": external_id})
    assert status == 201, body
    servers = seed(stack, 2, account=account)
    group_id = _group_in(admin, servers, account)
    execution_id = start(admin, plan(admin, [[group_id]]))
    done = wait_terminal(admin, execution_id)
    assert done["status"] == "COMPLETED", done.get("errorMessage")
    assert done["accountId"] == account and done["waves"][0]["accountId"] == account
    launched = done["waves"][0]["servers"]
    assert all(s["status"] == "LAUNCHED" and s["privateIp"] and s["instanceType"] for s in launched)
    job = jobs_of(stack, execution_id)
    assert len(job) == 1 and job[0]["account"] == account


def _group_in(admin: Any, servers: list[str], account: str) -> str:
    status, body = admin.post("/protection-groups", {"groupName": f"grp-{uuid.uuid4().hex[:8]}",
                                                      "region": "eu-west-1", "accountId": account,
                                                      "sourceServerIds": servers})
    assert status == 201, body
    return str(body["groupId"])
