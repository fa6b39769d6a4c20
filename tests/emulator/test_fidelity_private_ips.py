"""A private IP freed by a terminated recovery instance is not handed to the next instance that
launches without a fixed IP: moto reuses freed addresses first (a deterministic collision), EC2 does
not promise any order, so the server that copies that IP can launch again (issue 14: a second drill
of the same servers failed with "IP already in use")."""

from __future__ import annotations

from typing import Any

from emu_support import sid

from drs_emulator import Emulator


def _drill(emu: Emulator, drs: Any, server_id: str) -> dict[str, Any]:
    job = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}], isDrill=True)["job"]
    emu.advance(3600)
    done = drs.describe_jobs(filters={"jobIDs": [job["jobID"]]})["items"][0]
    assert done["status"] == "COMPLETED", done
    return dict(done["participatingServers"][0])


def _ip(ec2: Any, instance_id: str) -> str:
    return str(ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["PrivateIpAddress"])


def test_a_freed_copied_ip_is_not_given_to_another_launch(emu: Emulator, drs: Any, ec2: Any) -> None:
    db, web = sid("db-01.example.internal"), sid("web-01.example.internal")  # db-01 copies 172.31.1.11
    first = _drill(emu, drs, db)
    assert first["launchStatus"] == "LAUNCHED" and _ip(ec2, first["recoveryInstanceID"]) == "172.31.1.11"
    drs.terminate_recovery_instances(recoveryInstanceIDs=[first["recoveryInstanceID"]])
    emu.advance(3600)
    other = _drill(emu, drs, web)  # launches without a fixed IP, in the same subnet
    assert other["launchStatus"] == "LAUNCHED"
    assert _ip(ec2, other["recoveryInstanceID"]) != "172.31.1.11"
    again = _drill(emu, drs, db)
    assert again["launchStatus"] == "LAUNCHED", again
    assert _ip(ec2, again["recoveryInstanceID"]) == "172.31.1.11"
