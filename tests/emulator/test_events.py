"""The emulator's EventBridge events (drs_emulator.events): one "DRS Source Server Launch Result"
per server of a drill or recovery launch, in DRS's documented shape, when the launch ends; the
drop_event and delay_event faults make delivery best effort. The clock is frozen; the publisher is
pumped by hand."""

from __future__ import annotations

import json
from typing import Any

from emu_support import HUB, sid

from drs_emulator import Emulator


def _collect(emu: Emulator) -> list[tuple[str, str, dict[str, Any]]]:
    got: list[tuple[str, str, dict[str, Any]]] = []
    emu.events.replace_deliver(lambda account, region, event: got.append((account, region, event)))
    emu.lifecycle.emit_events = True
    return got


def test_each_launch_result_is_one_event_in_the_documented_shape(emu: Emulator, drs: Any) -> None:
    got = _collect(emu)
    ok, bad = sid("web-01.example.internal"), sid("web-02.example.internal")
    emu.add_fault("launch_failure", server_id=bad, reason="no capacity")
    job = drs.start_recovery(sourceServers=[{"sourceServerID": ok}, {"sourceServerID": bad}], isDrill=True)["job"]
    assert emu.events.pump() == 0 and got == []  # nothing ended yet
    emu.advance(1000)
    assert emu.events.pump() == 2
    by_server = {e["Resources"][0].rsplit("/", 1)[1]: (a, r, e) for a, r, e in got}
    assert set(by_server) == {ok, bad}
    for server, state in ((ok, "RECOVERY_LAUNCH_SUCCEEDED"), (bad, "RECOVERY_LAUNCH_FAILED")):
        account, region, event = by_server[server]
        assert (account, region) == (HUB, "us-east-1")
        assert event["Source"] == "aws.drs" and event["DetailType"] == "DRS Source Server Launch Result"
        assert event["Resources"] == [f"arn:aws:drs:us-east-1:{HUB}:source-server/{server}"]
        assert json.loads(event["Detail"]) == {"state": state, "job-id": job["jobID"], "is-drill": "TRUE"}
    assert emu.events.pump() == 0  # each result is sent once


def test_dropped_and_delayed_events(emu: Emulator, drs: Any) -> None:
    got = _collect(emu)
    dropped, delayed = sid("web-01.example.internal"), sid("web-02.example.internal")
    emu.add_fault("drop_event", server_id=dropped)
    emu.add_fault("delay_event", server_id=delayed, seconds=5000)
    drs.start_recovery(sourceServers=[{"sourceServerID": dropped}, {"sourceServerID": delayed}])
    emu.advance(1000)
    assert emu.events.pump() == 0 and emu.events.stats.dropped == 1
    emu.advance(5000)
    assert emu.events.pump() == 1
    assert [json.loads(e["Detail"])["is-drill"] for _, _, e in got] == ["FALSE"]
    assert got[0][2]["Resources"][0].endswith(delayed)


def test_terminate_jobs_send_no_launch_result(emu: Emulator, drs: Any) -> None:
    got = _collect(emu)
    server = sid("web-01.example.internal")
    drs.start_recovery(sourceServers=[{"sourceServerID": server}], isDrill=True)
    emu.advance(1000)
    emu.events.pump()
    instance = drs.describe_recovery_instances()["items"][0]["recoveryInstanceID"]
    drs.terminate_recovery_instances(recoveryInstanceIDs=[instance])
    emu.advance(1000)
    emu.events.pump()
    assert len(got) == 1
