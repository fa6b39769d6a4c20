"""A DRS job that never finishes (the emulator's slow_conversion fault) ends its wave with TIMEOUT on
the local stack: the reason names the DRS job and its last state; onServerFailure STOP ends the
execution FAILED and its locks are released.

Time limits are measured with the orchestration's own clock at both ends (the Lambda's, real time
here, not the emulator's compressed time), so this test takes the shortest limit, one minute."""

from __future__ import annotations

from typing import Any

import pytest
from engine_support import (
    fast_fixture,  # noqa: F401 - fixture "fast", used by pytestmark
    group,
    jobs_of,
    plan,
    seed,
    start,
    wait_terminal,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fast")]


def test_a_job_that_never_finishes_ends_its_wave_with_timeout(stack: Any, admin: Any) -> None:
    stuck, later = seed(stack, 2), seed(stack, 1)
    plan_id = plan(admin, [[group(admin, stuck)], [group(admin, later)]], jobTimeoutMinutes={1: 1})
    status, body = admin.get(f"/recovery-plans/{plan_id}")
    assert status == 200 and body["waves"][0]["jobTimeoutMinutes"] == 1
    fault = stack.emulator.add_fault("slow_conversion", server_id=stuck[0], seconds=10**8)
    try:
        execution_id = start(admin, plan_id)
        done = wait_terminal(admin, execution_id, timeout=180)
    finally:
        stack.emulator.remove_fault(fault["id"])
    assert done["status"] == "FAILED"
    first, second = done["waves"]
    job_id = jobs_of(stack, execution_id)[0]["jobID"]
    assert first["status"] == "TIMEOUT" and second["status"] == "CANCELLED"
    assert job_id in first["reason"] and "last state STARTED" in first["reason"] and "60 s" in first["reason"]
    assert first["jobTimeoutSeconds"] == 60 and first["timeLimitSource"] == "WAVE"
    servers = {s["sourceServerId"]: s for s in first["servers"]}
    assert servers[stuck[0]]["status"] == "FAILED" and job_id in servers[stuck[0]]["failureReason"]
    # the locks are released: a dry run of the plan sees only the DRS job still running, no execution
    status, body = admin.post("/executions", {"planId": plan_id, "executionType": "DRILL", "dryRun": True})
    assert status == 200
    conflicts = [c for e in body["errors"] if e["code"] == "SERVER_CONFLICT" for c in e["conflicts"]]
    assert conflicts and {c["conflictSource"] for c in conflicts} == {"drs_job"}
