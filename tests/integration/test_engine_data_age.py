"""Issue 18 on the product side: a plan that includes a STALLED server drills to COMPLETED (DRS
launches it from its last point-in-time snapshot) and the execution's server view shows the age of
the data each server launched with; a server that never completed its initial sync fails with
DRS's reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from engine_support import (
    fast_fixture,  # noqa: F401 - fixture "fast", used by pytestmark
    group,
    plan,
    seed,
    start,
    wait_terminal,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fast")]


def test_a_plan_with_a_stalled_server_completes_and_shows_the_data_age(stack: Any, admin: Any) -> None:
    healthy, stalled = seed(stack, 1), seed(stack, 1, state="STALLED")  # stalled for 2 hours
    plan_id = plan(admin, [[group(admin, healthy + stalled)]])
    execution_id = start(admin, plan_id)
    done = wait_terminal(admin, execution_id)
    assert done["status"] == "COMPLETED", done.get("errorMessage")
    servers = {s["sourceServerId"]: s for w in done["waves"] for s in w["servers"]}
    assert {s["status"] for s in servers.values()} == {"LAUNCHED"}
    fresh, old = servers[healthy[0]], servers[stalled[0]]
    assert fresh["dataAgeSeconds"] == 0 and fresh["pointInTime"]
    # launched from the last snapshot before the stall: at least the 2 hours of the stall old
    stalled_since = stack.emulator.store.find_server(stalled[0]).state_since
    assert datetime.fromisoformat(old["pointInTime"]).timestamp() <= stalled_since
    assert old["dataAgeSeconds"] >= 7200
    started = datetime.fromisoformat(done["waves"][0]["jobs"][0]["startedAt"])
    assert (started - datetime.fromisoformat(old["pointInTime"])).total_seconds() == pytest.approx(
        old["dataAgeSeconds"], abs=1)


def test_a_server_without_a_snapshot_fails_with_the_drs_reason(stack: Any, admin: Any) -> None:
    syncing = seed(stack, 1, state="INITIAL_SYNC")
    ok = seed(stack, 1)
    plan_id = plan(admin, [[group(admin, syncing + ok)]], onServerFailure="CONTINUE")
    done = wait_terminal(admin, start(admin, plan_id))
    assert done["status"] == "PARTIAL"
    servers = {s["sourceServerId"]: s for w in done["waves"] for s in w["servers"]}
    assert servers[ok[0]]["status"] == "LAUNCHED"
    assert servers[syncing[0]]["status"] == "FAILED"
    assert "initial sync has not completed" in servers[syncing[0]]["failureReason"]


def test_a_consistent_point_in_time_drill_launches_a_wave_from_one_moment(stack: Any, admin: Any) -> None:
    """Issue 17: with ``consistentPointInTime`` the healthy servers do not launch with fresh data
    beside a stalled one: the whole wave launches from the stalled server's last snapshot."""
    healthy, stalled = seed(stack, 2), seed(stack, 1, state="STALLED")  # stalled for 2 hours
    plan_id = plan(admin, [[group(admin, healthy + stalled)]])
    status, refused = admin.post("/executions", {"planId": plan_id, "executionType": "DRILL",
                                                 "pointInTimeToleranceSeconds": 0})
    assert status == 400 and "pointInTimeToleranceSeconds" in refused["message"]
    status, dry = admin.post("/executions", {"planId": plan_id, "executionType": "DRILL", "dryRun": True,
                                             "consistentPointInTime": True, "pointInTimeToleranceSeconds": 0})
    assert status == 200 and dry["pointsInTime"][0]["pointInTimeSpreadSeconds"] == 0
    predicted = datetime.fromisoformat(dry["pointsInTime"][0]["pointInTime"])
    status, body = admin.post("/executions", {"planId": plan_id, "executionType": "DRILL", "pollIntervalSeconds": 10,
                                              "consistentPointInTime": True, "pointInTimeToleranceSeconds": 0})
    assert status == 202, body
    done = wait_terminal(admin, body["executionId"])
    assert done["status"] == "COMPLETED", done.get("errorMessage")
    assert done["consistentPointInTime"] == {"toleranceSeconds": 0}
    wave = done["waves"][0]
    assert wave["pointInTimeSpreadSeconds"] == 0
    servers = {s["sourceServerId"]: s for s in wave["servers"]}
    assert {datetime.fromisoformat(s["pointInTime"]) for s in servers.values()} == {
        datetime.fromisoformat(wave["pointInTime"])}
    stalled_since = stack.emulator.store.find_server(stalled[0]).state_since
    assert datetime.fromisoformat(wave["pointInTime"]).timestamp() <= stalled_since
    assert datetime.fromisoformat(wave["pointInTime"]) == predicted  # the dry run foresaw it
    assert all(servers[h]["dataAgeSeconds"] >= 7200 for h in healthy)  # old data, but one moment


def test_a_wave_without_a_consistent_point_fails_with_the_reason(stack: Any, admin: Any) -> None:
    syncing, ok = seed(stack, 1, state="INITIAL_SYNC"), seed(stack, 1)
    plan_id = plan(admin, [[group(admin, syncing + ok)]])
    status, dry = admin.post("/executions", {"planId": plan_id, "executionType": "DRILL", "dryRun": True,
                                             "consistentPointInTime": True})
    assert status == 200 and "NO_CONSISTENT_POINT_IN_TIME" in {w["code"] for w in dry["warnings"]}
    status, body = admin.post("/executions", {"planId": plan_id, "executionType": "DRILL", "pollIntervalSeconds": 10,
                                              "consistentPointInTime": True})
    assert status == 202, body
    done = wait_terminal(admin, body["executionId"])
    assert done["status"] == "FAILED"
    wave = done["waves"][0]
    assert syncing[0] in wave["pointInTimeReason"] and wave["pointInTimeToleranceSeconds"] == 600
    assert {s["status"] for s in wave["servers"]} == {"PENDING"}  # nothing launched from a mix
