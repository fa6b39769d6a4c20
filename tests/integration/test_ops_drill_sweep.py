"""Drill hygiene on the local stack: a drill's recovery instances get expiry tags at launch; the
sweeper terminates an expired one through DRS, verifies with EC2 it is gone, audits and alerts;
a RECOVERY instance is never touched, even when tagged like an expired drill instance."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from engine_support import (
    REGION,
    details,
    fast_fixture,  # noqa: F401 - fixture "fast", used by pytestmark
    group,
    plan,
    seed,
    start,
    wait_terminal,
)
from ops_support import alerts_fixture, audit_entries, days_ago  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fast")]


def _instance(api: Any, execution_id: str) -> str:
    servers = [s for w in details(api, execution_id)["waves"] for s in w["servers"]]
    assert len(servers) == 1 and servers[0]["status"] == "LAUNCHED"
    return str(servers[0]["ec2InstanceId"])


def _tags(ec2: Any, instance_id: str) -> dict[str, str]:
    reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    return {t["Key"]: t["Value"] for t in reservations[0]["Instances"][0].get("Tags", [])}


def _state(ec2: Any, instance_id: str) -> str:
    return str(ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]["Name"])


def test_sweeper_terminates_an_expired_drill_instance_and_leaves_a_recovery_instance(
        stack: Any, admin: Any, api_for: Any, alerts: Any) -> None:
    since = days_ago(1 / 86400)
    ec2 = _ec2(stack)
    drill_plan = plan(admin, [[group(admin, seed(stack, 1))]])
    version = admin.get(f"/recovery-plans/{drill_plan}")[1]["version"]
    status, updated = admin.put(f"/recovery-plans/{drill_plan}", {"drillTtlHours": 2, "version": version})
    assert status == 200 and updated["drillTtlHours"] == 2
    drill = start(admin, drill_plan)
    recovery = start(admin, plan(admin, [[group(admin, seed(stack, 1))]]), kind="RECOVERY")
    assert wait_terminal(admin, drill)["status"] == "COMPLETED"
    assert wait_terminal(admin, recovery)["status"] == "COMPLETED"
    drill_instance, recovery_instance = _instance(admin, drill), _instance(admin, recovery)

    # the drill instance carries its expiry (launch + the plan's 2 hours); the recovery one does not
    tags = _tags(ec2, drill_instance)
    assert tags["drs-orch:execution-type"] == "DRILL" and tags["drs-orch:execution-id"] == drill
    expires = datetime.fromisoformat(tags["drs-orch:expires-at"].replace("Z", "+00:00"))
    assert timedelta(hours=1.9) < expires - datetime.now(UTC) <= timedelta(hours=2)
    assert "drs-orch:expires-at" not in _tags(ec2, recovery_instance)

    # nothing expired yet: the sweeper leaves the drill instance alone
    status, report = admin.post("/maintenance/drill-sweep", {})
    assert status == 200 and drill_instance not in report["terminatedInstanceIds"]
    assert _state(ec2, drill_instance) == "running"

    # both look expired drill instances now (the recovery one by forged tags): only the drill goes
    past = (datetime.now(UTC) - timedelta(minutes=5)).isoformat(timespec="seconds").replace("+00:00", "Z")
    ec2.create_tags(Resources=[drill_instance], Tags=[{"Key": "drs-orch:expires-at", "Value": past}])
    ec2.create_tags(Resources=[recovery_instance], Tags=[
        {"Key": "drs-orch:expires-at", "Value": past}, {"Key": "drs-orch:execution-type", "Value": "DRILL"},
        {"Key": "drs-orch:execution-id", "Value": recovery}])
    status, report = admin.post("/maintenance/drill-sweep", {})
    assert status == 200, report
    assert drill_instance in report["terminatedInstanceIds"] and drill_instance not in report["unverifiedInstanceIds"]
    assert recovery_instance not in report["terminatedInstanceIds"]
    assert {"instanceId": recovery_instance, "scope": f"123456789012#{REGION}", "reason": "NOT_A_DRILL"} in report[
        "skipped"]
    assert _state(ec2, drill_instance) == "terminated" and _state(ec2, recovery_instance) == "running"

    # audited (with the instance as a target) and reported on the alerts topic
    entries = audit_entries(api_for("DRSAuditor"), target=drill_instance, **{"from": since})
    assert [e["operation"] for e in entries] == ["sweep_drill_instances"]
    assert f"instanceId:{drill_instance}" in entries[0]["targets"]
    swept = [json.loads(n["Message"]) for n in alerts()
             if n["MessageAttributes"]["eventType"]["Value"] in ("DRILL_INSTANCES_TERMINATED", "DRILL_CLEANUP_FAILED")]
    assert any(drill_instance in str(a["facts"].get("Terminated")) for a in swept)
    assert not [a for a in swept if recovery_instance in json.dumps(a["facts"])]


def _ec2(stack: Any) -> Any:
    import boto3

    return boto3.client("ec2", region_name=REGION, endpoint_url=stack.moto_url, aws_access_key_id="testing",
                        aws_secret_access_key="testing")
