"""Tag sync over the local stack: EC2 instance tags onto DRS source servers, removal of tags an
earlier run copied, the last-run report and the EventBridge schedule."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from data_support import HUB, REGION, seed, unique

pytestmark = pytest.mark.integration


def clients(stack: Any) -> tuple[Any, Any]:
    kwargs = {"region_name": REGION, "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return (boto3.client("drs", endpoint_url=stack.drs_url, **kwargs),
            boto3.client("ec2", endpoint_url=stack.moto_url, **kwargs))


def drs_tags(drs: Any, server_id: str) -> dict[str, str]:
    server = drs.describe_source_servers(filters={"sourceServerIDs": [server_id]})["items"][0]
    return dict(server.get("tags") or {})


def test_tag_sync_copies_instance_tags_and_removes_what_it_copied_before(admin: Any, stack: Any,
                                                                         invoke: Any) -> None:
    suite = unique("sync")
    ids = seed(stack, 3, {"Suite": suite}, source_instance=True)
    no_instance = seed(stack, 1, {"Suite": suite})
    drs, ec2 = clients(stack)
    instances = {s["sourceServerID"]: s["sourceProperties"]["identificationHints"]["awsInstanceID"]
                 for s in drs.describe_source_servers(filters={"sourceServerIDs": ids})["items"]}
    ec2.create_tags(Resources=[instances[ids[0]]], Tags=[{"Key": "CostCenter", "Value": "cc-1"},
                                                         {"Key": "Owner", "Value": "team-a"}])
    stack.emulator.update_server(ids[0], tags={"SetByHand": "keep"})

    status, report = admin.post("/drs/tag-sync", {"accountId": HUB, "region": REGION})
    assert status == 200, report
    assert report["status"] == "COMPLETED" and report["source"] == "api" and report["regions"] == [REGION]
    mine = report["results"][0]
    assert mine["accountId"] == HUB and mine["servers"] >= 4 and mine["noInstanceHint"] >= 1
    assert mine["withInstance"] >= 3 and mine["updated"] >= 1
    tags = drs_tags(drs, ids[0])
    assert tags["CostCenter"] == "cc-1" and tags["Owner"] == "team-a" and tags["SetByHand"] == "keep"
    assert drs_tags(drs, no_instance[0]) == {"Suite": suite}

    ec2.delete_tags(Resources=[instances[ids[0]]], Tags=[{"Key": "Owner"}])
    ec2.create_tags(Resources=[instances[ids[0]]], Tags=[{"Key": "CostCenter", "Value": "cc-2"}])
    out = invoke("data-management", "run_tag_sync", body={"accountId": HUB, "region": REGION, "source": "cli"})
    assert out["source"] == "cli" and out["status"] == "COMPLETED"
    tags = drs_tags(drs, ids[0])
    assert tags["CostCenter"] == "cc-2" and "Owner" not in tags and tags["SetByHand"] == "keep"
    assert out["results"][0]["tagsRemoved"] >= 1

    again = invoke("data-management", "run_tag_sync", body={"accountId": HUB, "region": REGION})
    assert again["results"][0]["updated"] == 0  # nothing left to change

    status, last = admin.get("/drs/tag-sync")
    assert status == 200 and last["runId"] == again["runId"] and last["lastSync"] == again["finishedAt"]

    # a tag group picks synced tags up when it is (re-)resolved
    status, group = admin.post("/protection-groups", {"groupName": unique("cc"), "region": REGION,
                                                      "serverSelectionTags": {"CostCenter": "CC-2"}})
    assert status == 201 and group["sourceServerIds"] == [ids[0]]


def test_tag_sync_refuses_unknown_accounts_and_bad_regions(admin: Any) -> None:
    status, out = admin.post("/drs/tag-sync", {"accountId": "999999999997"})
    assert status == 400 and out["error"] == "UNKNOWN_ACCOUNT"
    status, out = admin.post("/drs/tag-sync", {"regions": ["nowhere-1"]})
    assert status == 400


def test_schedule_settings(admin: Any, readonly: Any, stack: Any) -> None:
    events = stack.client("events")
    status, before = admin.get("/config/tag-sync")
    assert status == 200 and before["ruleName"] and before["intervalHours"] in range(1, 25)
    try:
        status, out = admin.put("/config/tag-sync", {"enabled": True, "intervalHours": 6,
                                                     "regions": ["us-east-1", REGION]})
        assert status == 200, out
        assert out["enabled"] and out["intervalHours"] == 6 and out["scheduleExpression"] == "rate(6 hours)"
        assert out["regions"] == sorted(["us-east-1", REGION])
        rule = events.describe_rule(Name=out["ruleName"])
        assert rule["State"] == "ENABLED" and rule["ScheduleExpression"] == "rate(6 hours)"
        targets = events.list_targets_by_rule(Rule=out["ruleName"])["Targets"]
        assert targets and '"run_tag_sync"' in targets[0]["Input"]
        for bad in ({"intervalHours": 0}, {"intervalHours": 25}, {"enabled": "sometimes"}, {"every": 1}):
            status, err = admin.put("/config/tag-sync", bad)
            assert status == 400, (bad, err)
        assert readonly.put("/config/tag-sync", {"enabled": False})[0] == 403
    finally:
        status, out = admin.put("/config/tag-sync", {"enabled": before["enabled"],
                                                     "intervalHours": before["intervalHours"], "regions": None})
        assert status == 200 and out["regions"] is None
