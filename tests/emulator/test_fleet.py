"""The fleet format, the default fleet, deterministic ids and the emulator clock."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from emu_support import HUB, SPOKE, STAGING, START, sid

from drs_emulator import DEFAULT_FLEET, Emulator, EmulatorClock, FleetError, load_fleet_file, server_id_for
from drs_emulator.fleet import parse_fleet


def test_default_fleet_shape() -> None:
    spec = parse_fleet(load_fleet_file(DEFAULT_FLEET))
    accounts = {r.account for r in spec.regions}
    regions = {r.region for r in spec.regions}
    assert {HUB, SPOKE, STAGING} <= accounts and regions == {"us-east-1", "us-west-2"}
    servers = [(r.account, r.region, s) for r in spec.regions for s in r.servers]
    assert len(servers) >= 24
    tiers = Counter(s["tags"]["Tier"] for _, _, s in servers)
    assert set(tiers) == {"db", "app", "web"}
    assert all(s["tags"]["Environment"] == "production" and "Application" in s["tags"] for _, _, s in servers)
    states = Counter(s.get("replicationState", "CONTINUOUS") for _, _, s in servers)
    assert states["STALLED"] >= 1 and states["DISCONNECTED"] >= 1
    ids = [server_id_for(a, r, s["hostname"]) for a, r, s in servers]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"s-[0-9a-zA-Z]{17}", i) for i in ids)
    hub = next(r for r in spec.regions if r.account == HUB and r.region == "us-east-1")
    assert hub.staging_accounts == [STAGING]
    assert [s["hostname"] for s in hub.servers][:2] == ["db-01.example.internal", "db-02.example.internal"]


def test_server_ids_are_deterministic() -> None:
    assert server_id_for(HUB, "us-east-1", "db-01.example.internal") == sid("db-01.example.internal")
    assert server_id_for(HUB, "us-east-1", "DB-01.example.internal") == sid("db-01.example.internal")
    assert server_id_for(HUB, "us-west-2", "db-01.example.internal") != sid("db-01.example.internal")
    assert Emulator.server_id(HUB, "us-east-1", "x") == server_id_for(HUB, "us-east-1", "x")


def test_templated_entries_defaults_and_json_files(tmp_path: Path) -> None:
    fleet = {
        "defaults": {"tags": {"Environment": "test"}, "launch": {"durationSeconds": 60}},
        "timings": {"jobPendingSeconds": 1},
        "quotas": {"maxActiveJobs": 5},
        "accounts": [
            {
                "accountId": HUB,
                "regions": [
                    {
                        "region": "eu-west-1",
                        "initialized": False,
                        "servers": [
                            {
                                "hostname": "web-{n:02d}.t.internal",
                                "count": 3,
                                "start": 7,
                                "privateIp": "172.31.9.{n}",
                                "tags": {"Tier": "web"},
                            }
                        ],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps(fleet))
    spec = parse_fleet(load_fleet_file(path))
    servers = spec.regions[0].servers
    assert [s["hostname"] for s in servers] == ["web-07.t.internal", "web-08.t.internal", "web-09.t.internal"]
    assert servers[1]["privateIp"] == "172.31.9.8"
    assert servers[0]["tags"] == {"Environment": "test", "Tier": "web"}
    assert servers[0]["launch"] == {"durationSeconds": 60}
    assert spec.quotas == {"max_active_jobs": 5} and spec.timings == {"job_pending_seconds": 1.0}
    assert spec.regions[0].initialized is False


@pytest.mark.parametrize(
    ("fleet", "message"),
    [
        ({"accounts": [{"accountId": "12"}]}, "12 digits"),
        (
            {
                "accounts": [
                    {"accountId": HUB, "regions": [{"region": "us-east-1", "servers": [{"tags": {}}]}]}
                ]
            },
            "hostname",
        ),
        (
            {
                "accounts": [
                    {
                        "accountId": HUB,
                        "regions": [{"region": "us-east-1", "servers": [{"hostname": "a", "colour": 1}]}],
                    }
                ]
            },
            "unknown keys",
        ),
        (
            {
                "accounts": [
                    {
                        "accountId": HUB,
                        "regions": [
                            {
                                "region": "us-east-1",
                                "servers": [{"hostname": "a", "replicationState": "GREAT"}],
                            }
                        ],
                    }
                ]
            },
            "replicationState",
        ),
        (
            {
                "accounts": [
                    {
                        "accountId": HUB,
                        "regions": [
                            {
                                "region": "us-east-1",
                                "servers": [{"hostname": "a", "launch": {"outcome": "MAYBE"}}],
                            }
                        ],
                    }
                ]
            },
            "outcome",
        ),
        ({"accounts": [], "servers": []}, "top-level"),
        ({"defaults": {"nope": 1}}, "defaults"),
    ],
)
def test_fleet_errors(fleet: dict[str, Any], message: str) -> None:
    with pytest.raises(FleetError, match=message):
        parse_fleet(fleet)


def test_seeding_creates_launch_templates_and_is_idempotent(aws: None) -> None:
    from moto.ec2.models import ec2_backends

    emu = Emulator(clock=EmulatorClock(speed=0, start=START))
    first = emu.load_default_fleet()
    assert sum(len(v) for regions in first.values() for v in regions.values()) == 30
    second = emu.load_default_fleet()
    assert first == second
    server = emu.store.get(HUB, "us-east-1").servers[sid("db-01.example.internal")]
    templates = ec2_backends[HUB]["us-east-1"].launch_templates
    assert server.ec2_launch_template_id in templates
    assert templates[server.ec2_launch_template_id].default_version().data["InstanceType"] == "r5.2xlarge"
    portal = emu.store.get(SPOKE, "us-west-2").servers[
        sid("db-01.portal.example.internal", SPOKE, "us-west-2")
    ]
    origin = ec2_backends[SPOKE]["us-east-1"].get_instance(portal.aws_instance_id)
    assert origin.private_ip == "172.31.2.11"
    summary = emu.summary()
    assert {(r["account"], r["region"]): r["servers"] for r in summary["regions"]}[
        (STAGING, "us-east-1")
    ] == 4
    assert "StartRecovery" in summary["emulatedOperations"]
    assert [s["hostname"] for s in emu.servers(tags={"Application": "HRSystem", "Tier": "web"})] == [
        "web-01.hr.example.internal",
        "web-02.hr.example.internal",
    ]
    emu.reset()
    assert emu.servers() == []


def test_clock_speed_and_advance() -> None:
    real = [0.0]
    clock = EmulatorClock(speed=60, start="2026-01-01T00:00:00Z", monotonic=lambda: real[0])
    start = clock.now()
    real[0] = 10.0
    assert clock.now() - start == pytest.approx(600.0)  # 10 real seconds at speed 60
    clock.set_speed(1)
    assert clock.now() - start == pytest.approx(600.0)  # no jump when the speed changes
    real[0] = 20.0
    assert clock.now() - start == pytest.approx(610.0)
    clock.advance(90)
    assert clock.now() - start == pytest.approx(700.0)
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.set_speed(-1)
    frozen = EmulatorClock(speed=0, start=START)
    assert frozen.now() == frozen.now()
    assert frozen.state()["now"] == "2026-03-01T12:00:00+00:00"
