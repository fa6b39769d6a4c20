"""Issue 18 (points 1 and 8) and the recovery-snapshot part of issue 17: point-in-time snapshots
from the replication history, and launches that use them.

DRS references: API Reference ``PITPolicyRule`` / ``DescribeRecoverySnapshots`` / ``StartRecovery``
(``recoverySnapshotID``) / ``StopReplication`` (snapshots deleted) / ``DisconnectSourceServer``
(replication resources deleted within 90 minutes); User Guide "Performing a failover" (launch from
a chosen point in time or the most recent data; once the initial sync completed a lagging or
stalled server still launches, from its last point in time).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from emu_support import HUB, SPOKE, START, assume, sid
from hypothesis import given, settings
from hypothesis import strategies as st

from drs_emulator import Emulator, EmulatorClock

MINUTE = 60.0


def _events(drs: Any, job_id: str) -> list[dict[str, Any]]:
    return [e for p in drs.get_paginator("describe_job_log_items").paginate(jobID=job_id) for e in p["items"]]


def _snapshots(drs: Any, server_id: str) -> list[dict[str, Any]]:
    pages = drs.get_paginator("describe_recovery_snapshots").paginate(sourceServerID=server_id, order="ASC")
    return [s for page in pages for s in page["items"]]


def _epoch(value: Any) -> float:
    return (value if isinstance(value, datetime) else datetime.fromisoformat(str(value))).timestamp()


def test_default_pit_policy_cadence(emu: Emulator, drs: Any) -> None:
    """Default PIT policy: every 10 min for an hour, hourly for a day, daily for 7 days."""
    snaps = _snapshots(drs, sid("web-01.example.internal"))
    now = emu.clock.now()
    ages = [now - _epoch(s["timestamp"]) for s in snaps]
    assert max(ages) <= 7 * 86400
    assert sum(1 for a in ages if a <= 3600) in (6, 7)  # 10-minute snapshots of the last hour
    assert 28 <= len(snaps) <= 38  # 6 + 23 hourly + 6 daily, give or take the boundaries
    assert all(s["ebsSnapshots"] and s["snapshotID"].startswith("pit-") for s in snaps)
    emu.advance(10 * MINUTE)  # the clock drives the cadence: a new 10-minute snapshot appears
    newest = _snapshots(drs, sid("web-01.example.internal"))[-1]
    assert _epoch(newest["timestamp"]) > _epoch(snaps[-1]["timestamp"])


def test_fleet_pit_policy_drives_snapshots(aws: None) -> None:
    emu = Emulator(clock=EmulatorClock(speed=0, start=START))
    emu.seed({"accounts": [{"accountId": HUB, "regions": [{"region": "eu-west-1", "servers": [
        {"hostname": "pit.t.internal",
         "pitPolicy": [{"units": "MINUTE", "interval": 5, "retentionDuration": 30}]}]}]}]})
    server = emu.store.find_server(sid("pit.t.internal", HUB, "eu-west-1"))
    assert server is not None
    from drs_emulator import snapshots

    times = snapshots.snapshot_times(server, emu.clock.now())
    assert len(times) in (6, 7) and all(b - a == 300 for a, b in zip(times, times[1:], strict=False))
    with pytest.raises(ValueError, match="pitPolicy"):
        emu.seed({"accounts": [{"accountId": HUB, "regions": [{"region": "eu-west-1", "servers": [
            {"hostname": "bad.t.internal", "pitPolicy": [{"units": "WEEK", "interval": 1,
                                                           "retentionDuration": 1}]}]}]}]})
    emu.reset()


def test_stalled_server_launches_from_its_last_snapshot(emu: Emulator, drs: Any) -> None:
    """Point 1: app-03 is STALLED for 90 minutes (lag 900 s before the stall)."""
    server_id = sid("app-03.example.internal")
    stalled_at = emu.clock.now() - 5400
    snaps = _snapshots(drs, server_id)
    latest = snaps[-1]
    assert _epoch(latest["timestamp"]) <= stalled_at  # no snapshot since the stall
    job = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}], isDrill=True)["job"]
    emu.advance(500)
    done = drs.describe_jobs(filters={"jobIDs": [job["jobID"]]})["items"][0]
    assert done["participatingServers"][0]["launchStatus"] == "LAUNCHED"
    events = _events(drs, job["jobID"])
    names = [e["event"] for e in events]
    assert "USING_PREVIOUS_SNAPSHOT" in names and "SNAPSHOT_START" not in names and "LAUNCH_FAILED" not in names
    ri = drs.describe_recovery_instances(filters={"sourceServerIDs": [server_id]})["items"][0]
    assert _epoch(ri["pointInTimeSnapshotDateTime"]) == _epoch(latest["timestamp"])
    conversion = next(e for e in events if e["event"] == "CONVERSION_START")
    data_time = _epoch(conversion["eventData"]["conversionProperties"]["dataTimestamp"])
    assert data_time == _epoch(latest["timestamp"])  # when the snapshot being converted was taken
    # the data is at least 1.5 h old (the 10-minute snapshots from before the stall aged out after an
    # hour: the latest left is an hourly one): the risk is visible, not a false failure
    assert 5400 <= _epoch(job["creationDateTime"]) - data_time <= 5400 + 3600 + 30


def test_healthy_server_takes_a_new_snapshot(emu: Emulator, drs: Any) -> None:
    server_id = sid("web-02.example.internal")  # CONTINUOUS, lag 1 s
    job = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}], isDrill=True)["job"]
    emu.advance(400)
    events = _events(drs, job["jobID"])
    assert [e["event"] for e in events][:3] == ["JOB_START", "SNAPSHOT_START", "SNAPSHOT_END"]
    snapshot_end = _epoch(next(e for e in events if e["event"] == "SNAPSHOT_END")["logDateTime"])
    ri = drs.describe_recovery_instances(filters={"sourceServerIDs": [server_id]})["items"][0]
    assert _epoch(ri["pointInTimeSnapshotDateTime"]) == snapshot_end
    conversion = next(e for e in events if e["event"] == "CONVERSION_START")
    assert _epoch(conversion["eventData"]["conversionProperties"]["dataTimestamp"]) == snapshot_end


def test_initial_sync_without_snapshot_cannot_launch(emu: Emulator, make_drs: Any) -> None:
    drs = make_drs("us-east-1", credentials=assume(SPOKE))
    server_id = sid("db-01.inventory.example.internal", SPOKE)  # INITIAL_SYNC in the default fleet
    assert _snapshots(drs, server_id) == []
    job = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}], isDrill=True)["job"]
    emu.advance(20)
    events = _events(drs, job["jobID"])
    fail = next(e for e in events if e["event"] == "SNAPSHOT_FAIL")
    assert "initial sync has not completed" in fail["eventData"]["rawError"]
    assert drs.describe_jobs(filters={"jobIDs": [job["jobID"]]})["items"][0]["participatingServers"][0][
        "launchStatus"
    ] == "FAILED"


def test_recovery_snapshot_id_chooses_the_point_in_time(emu: Emulator, drs: Any) -> None:
    server_id = sid("web-03.example.internal")
    chosen = _snapshots(drs, server_id)[-5]
    job = drs.start_recovery(
        sourceServers=[{"sourceServerID": server_id, "recoverySnapshotID": chosen["snapshotID"]}], isDrill=True
    )["job"]
    emu.advance(400)
    names = [e["event"] for e in _events(drs, job["jobID"])]
    assert "USING_PREVIOUS_SNAPSHOT" in names and "SNAPSHOT_START" not in names
    ri = drs.describe_recovery_instances(filters={"sourceServerIDs": [server_id]})["items"][0]
    assert _epoch(ri["pointInTimeSnapshotDateTime"]) == _epoch(chosen["timestamp"])
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.start_recovery(sourceServers=[{"sourceServerID": server_id, "recoverySnapshotID": "pit-" + "0" * 17}])


def test_stall_gap_has_no_snapshots(emu: Emulator, drs: Any) -> None:
    server_id = sid("web-01.example.internal")
    emu.update_server(server_id, replication_state="STALLED")
    stalled_at = emu.clock.now()
    emu.advance(2 * 3600)
    emu.update_server(server_id, replication_state="CONTINUOUS")
    emu.advance(30 * MINUTE)
    stamps = [_epoch(s["timestamp"]) for s in _snapshots(drs, server_id)]
    assert not [t for t in stamps if stalled_at + 60 < t < stalled_at + 2 * 3600]
    assert any(t > stalled_at + 2 * 3600 for t in stamps)


def test_stopped_and_disconnected_servers_lose_their_snapshots(emu: Emulator, drs: Any) -> None:
    """Point 8: StopReplication deletes the snapshots; a disconnection deletes them within 90 min."""
    stopped = sid("web-02.example.internal")
    drs.stop_replication(sourceServerID=stopped)
    assert _snapshots(drs, stopped) == []
    disconnected = sid("web-03.example.internal")
    drs.disconnect_source_server(sourceServerID=disconnected)
    assert _snapshots(drs, disconnected)  # still there just after the disconnection
    job = drs.start_recovery(sourceServers=[{"sourceServerID": disconnected}], isDrill=True)["job"]
    emu.advance(400)
    assert [e["event"] for e in _events(drs, job["jobID"])].count("USING_PREVIOUS_SNAPSHOT") == 1
    drs.terminate_recovery_instances(
        recoveryInstanceIDs=[drs.describe_recovery_instances()["items"][0]["recoveryInstanceID"]]
    )
    emu.advance(90 * MINUTE)
    assert _snapshots(drs, disconnected) == []
    west = sid("app-02.payments.example.internal", HUB, "us-west-2")  # DISCONNECTED for 2 days
    assert emu.store.find_server(west) is not None
    job = drs.start_recovery(sourceServers=[{"sourceServerID": disconnected}], isDrill=True)["job"]
    emu.advance(20)
    fail = next(e for e in _events(drs, job["jobID"]) if e["event"] == "SNAPSHOT_FAIL")
    assert "DISCONNECTED" in fail["eventData"]["rawError"]


STATES = ["CONTINUOUS", "STALLED", "BACKLOG", "PAUSED", "RESCAN", "INITIAL_SYNC"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=60, max_value=6 * 3600), st.sampled_from(STATES)),
                min_size=1, max_size=12))
def test_snapshots_only_come_from_healthy_replication(changes: list[tuple[int, str]]) -> None:
    """Whatever the replication history, every listed snapshot was taken while replication was
    healthy, is within the policy's retention, and the history keeps the ones it had."""
    from drs_emulator import replication, snapshots
    from drs_emulator.state import LAUNCHABLE_STATES, SourceServer

    t0 = 1_700_000_000.0
    server = SourceServer(server_id="s-00000000000000001", account=HUB, region="us-east-1", hostname="p")
    replication.set_replication_state(server, "CONTINUOUS", t0)
    segments = [(t0, "CONTINUOUS")]
    now = t0
    for gap, state in changes:
        now += gap
        before = snapshots.snapshot_times(server, now)
        replication.set_replication_state(server, state, now)
        segments.append((now, state))
        assert snapshots.snapshot_times(server, now) == before  # a state change deletes nothing here
    end = now + 1800
    healthy: list[list[float]] = []  # contiguous healthy stretches
    for (start, state), (stop, _) in zip(segments, [*segments[1:], (end, "")], strict=True):
        if state in LAUNCHABLE_STATES:
            if healthy and healthy[-1][1] == start:
                healthy[-1][1] = stop
            else:
                healthy.append([start, stop])
    times = snapshots.snapshot_times(server, end)
    assert times == sorted(set(times))
    for t in times:
        assert end - t <= 7 * 86400
        assert any(start <= t <= stop - snapshots.COMPLETION_SECONDS for start, stop in healthy), t
