"""The audit trail on the local stack: every mutating call (REST and direct invocation) with who,
what, targets and outcome — refusals (403, 409) included — never a secret; GET /audit-log filters
and pages; only AUDIT_READ may read it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from data_support import spoke
from engine_support import (
    fast_fixture,  # noqa: F401 - fixture "fast", used by pytestmark
    group,
    plan,
    seed,
    start,
    unique,
    wait_for,
    wait_terminal,
)
from ops_support import audit_entries, days_ago

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fast")]


def test_audit_trail_of_a_drill_with_refusals_and_no_secrets(stack: Any, admin: Any, readonly: Any, api_for: Any,
                                                            invoke: Any) -> None:
    auditor = api_for("DRSAuditor")
    since = days_ago(1 / 86400)
    actor = admin.get("/user/permissions")[1]["user"]["username"]
    reader = readonly.get("/user/permissions")[1]["user"]["username"]

    secret = unique("ext-secret")
    account, role = spoke(secret)
    assert admin.post("/accounts/targets", {"accountId": account, "roleArn": role, "externalId": secret})[0] == 201
    a, b = seed(stack, 1, launch_seconds=600), seed(stack, 1)
    plan_id = plan(admin, [[group(admin, a)], [group(admin, b)]])
    spare = group(admin, seed(stack, 1))
    version = admin.get(f"/recovery-plans/{plan_id}")[1]["version"]
    assert admin.put(f"/recovery-plans/{plan_id}", {"description": "audited", "version": version})[0] == 200
    assert admin.delete(f"/protection-groups/{spare}")[0] in (200, 204)

    execution_id = start(admin, plan_id)
    status, conflict = admin.post("/executions", {"planId": plan_id, "executionType": "DRILL"})
    assert status == 409, conflict
    assert readonly.post(f"/executions/{execution_id}/pause")[0] == 403
    wait_for(admin, execution_id, lambda d: d["waves"][0]["status"] == "LAUNCHING", what="wave 1 launching")
    assert admin.post(f"/executions/{execution_id}/pause")[0] == 200
    wait_for(admin, execution_id, lambda d: d["status"] == "PAUSED", what="PAUSED")
    assert admin.post(f"/executions/{execution_id}/resume")[0] == 200
    assert wait_terminal(admin, execution_id)["status"] == "COMPLETED"
    assert admin.post(f"/executions/{execution_id}/cancel")[0] == 409  # ended: refused, and audited
    assert admin.post(f"/executions/{execution_id}/terminate-instances")[0] == 202
    direct = invoke("execution", "pause_execution", path={"executionId": execution_id})
    assert direct["error"] == "EXECUTION_NOT_ACTIVE"

    # what happened to the execution, newest first, by REST and by direct invocation
    story = audit_entries(auditor, target=execution_id, **{"from": since})
    assert [e["timestamp"] for e in story] == sorted((e["timestamp"] for e in story), reverse=True)
    ops = [(e["operation"], e["status"], e["actor"], e["channel"]) for e in reversed(story)]
    assert ops == [("pause_execution", 403, reader, "api"), ("pause_execution", 200, actor, "api"),
                   ("resume_execution", 200, actor, "api"), ("cancel_execution", 409, actor, "api"),
                   ("terminate_instances", 202, actor, "api"), ("pause_execution", 409, "iam", "direct")]
    refused = story[-1]
    assert refused["outcome"] == "REFUSED" and refused["errorCode"] == "FORBIDDEN"
    assert refused["actorType"] == "COGNITO_USER" and refused["groups"] == ["DRSReadOnly"] and refused["sourceIp"]
    assert story[0]["actorType"] == "IAM" and story[0]["invocationSource"] == "direct"
    assert all(e["requestId"] and e["expiresAt"] > 0 and e["route"].startswith("/executions/") for e in story)

    # the plan's story: created, updated, started (the answer's execution id is a target too), a 409
    plan_story = audit_entries(auditor, target=plan_id, **{"from": since})
    assert [(e["operation"], e["status"]) for e in reversed(plan_story)] == [
        ("create_recovery_plan", 201), ("update_recovery_plan", 200), ("execute_recovery_plan", 202),
        ("execute_recovery_plan", 409)]
    assert f"executionId:{execution_id}" in plan_story[1]["targets"]
    assert plan_story[0]["outcome"] == "REFUSED" and plan_story[0]["errorCode"] == conflict["error"]

    # by actor and operation; paging gives the same entries as one page
    mine = audit_entries(auditor, actor=actor, **{"from": since})
    assert {"add_target_account", "create_protection_group", "delete_protection_group",
            "create_recovery_plan", "update_recovery_plan", "execute_recovery_plan", "pause_execution",
            "resume_execution", "cancel_execution", "terminate_instances"} <= {e["operation"] for e in mine}
    paged = audit_entries(auditor, actor=actor, limit="2", **{"from": since})
    assert [e["auditId"] for e in paged] == [e["auditId"] for e in mine]
    assert {e["auditId"] for e in audit_entries(auditor, operation="resume_execution", **{"from": since})} >= {
        e["auditId"] for e in story if e["operation"] == "resume_execution"}
    refusals = audit_entries(auditor, actor=actor, outcome="REFUSED", **{"from": since})
    assert {e["status"] for e in refusals} == {409}

    # no secret anywhere: not the external id, not a token
    dump = json.dumps(mine + story)
    assert secret not in dump and "taskToken" not in dump and "Bearer" not in dump

    # reading it takes AUDIT_READ (the admin role has not), and the refusal is audited too
    status, body = admin.get("/audit-log")
    assert status == 403 and body["error"] == "FORBIDDEN"
    denied = audit_entries(auditor, actor=actor, operation="get_audit_log", **{"from": since})
    assert denied and denied[0]["status"] == 403
    # a request refused before its handler could run (a body that is not JSON) is audited too
    bad = admin._s.post(stack.api_url + "/recovery-plans", data="{not json", timeout=30)
    assert bad.status_code == 400
    unreadable = audit_entries(auditor, actor=actor, operation="create_recovery_plan", outcome="REFUSED",
                               **{"from": since})
    assert unreadable and unreadable[0]["errorCode"] == bad.json()["error"]
    assert auditor.get("/audit-log", bogus="1")[0] == 400
    assert auditor.get("/audit-log", **{"from": "yesterday"})[0] == 400
    assert auditor.get("/audit-log", limit="0")[0] == 400
