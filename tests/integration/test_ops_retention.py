"""Execution retention on the local stack: delete by age keeps active and recent executions,
housekeeping puts a TTL on finished executions and all their items, and alerts on long pauses."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from engine_support import (
    fast_fixture,  # noqa: F401 - fixture "fast", used by pytestmark
    group,
    plan,
    seed,
    start,
    wait_for,
    wait_terminal,
)
from ops_support import age_execution, alerts_fixture, audit_entries, days_ago, items_of  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fast")]


def test_delete_by_age_keeps_active_and_recent_then_housekeeping_sets_ttl(stack: Any, admin: Any, api_for: Any,
                                                                          alerts: Any) -> None:
    since = days_ago(1 / 86400)
    old_plan = plan(admin, [[group(admin, seed(stack, 1))]])
    old = start(admin, old_plan)
    recent = start(admin, plan(admin, [[group(admin, seed(stack, 1))]]))
    paused_plan = plan(admin, [[group(admin, seed(stack, 1))], [group(admin, seed(stack, 1))]],
                       pauseBeforeWave={2: True})
    paused = start(admin, paused_plan)
    assert wait_terminal(admin, old)["status"] == "COMPLETED"
    assert wait_terminal(admin, recent)["status"] == "COMPLETED"
    wait_for(admin, paused, lambda d: d["status"] == "PAUSED", what="PAUSED")
    age_execution(old, 400)
    age_execution(paused, 400, paused_minutes=120)

    assert admin.delete("/executions", olderThanDays="0")[0] == 400
    status, body = admin.delete("/executions", olderThanDays="30", status="RUNNING")
    assert status == 400 and body["details"]["invalid"] == ["RUNNING"]
    assert admin.delete("/executions", olderThanDays="30", extra="1")[0] == 400
    status, out = admin.delete("/executions", olderThanDays="30", status="COMPLETED,FAILED")
    assert status == 200, out
    assert old in out["deleted"] and recent not in out["deleted"] and paused not in out["deleted"]
    assert out["deletedCount"] == len(out["deleted"]) and out["activeKept"] >= 1
    assert out["statuses"] == ["COMPLETED", "FAILED"]
    assert admin.get(f"/executions/{old}")[0] == 404 and not items_of(old)
    assert admin.get(f"/executions/{recent}")[0] == 200
    assert admin.get(f"/executions/{paused}")[1]["status"] == "PAUSED"
    # the deleted execution's audit entries stay
    auditor = api_for("DRSAuditor")
    assert [e["operation"] for e in audit_entries(auditor, target=old_plan, **{"from": since})] == [
        "execute_recovery_plan", "create_recovery_plan"]
    deletion = audit_entries(auditor, operation="delete_executions", **{"from": since})
    assert f"executionId:{old}" in deletion[0]["targets"]

    # housekeeping: TTL on the finished execution's items (end + 365 days), none on the active one;
    # the long pause is alerted once, with the plan id for per-plan filtering
    status, report = admin.post("/maintenance/housekeeping", {})
    assert status == 200, report
    assert report["ttl"]["executionsStamped"] >= 1 and report["ttl"]["retentionDays"] == 365
    items = items_of(recent)
    end = datetime.fromisoformat(str(next(i for i in items if i["sk"] == "META")["endTime"]).replace("Z", "+00:00"))
    assert len(items) >= 3 and {int(i["expiresAt"]) for i in items} == {int(end.timestamp()) + 365 * 86400}
    assert not [i for i in items_of(paused) if "expiresAt" in i]
    assert paused in report["pausedAlerts"]
    again = admin.post("/maintenance/housekeeping", {})[1]
    assert paused not in again["pausedAlerts"]
    notes = [n for n in alerts() if n["MessageAttributes"]["eventType"]["Value"] == "EXECUTION_PAUSED_TOO_LONG"
             and n["MessageAttributes"]["planId"]["Value"] == paused_plan]
    assert len(notes) == 1
    text = json.loads(notes[0]["Message"])["text"]
    assert "paused for more than 60 minutes" in text and f"/executions/{paused}/resume" in text
    assert admin.post(f"/executions/{paused}/cancel")[0] == 200
