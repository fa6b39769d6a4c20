"""The plan lint (POST /recovery-plans/{planId}/validate) over in-memory ports."""

from __future__ import annotations

from data_fakes import HUB, server, services

from drs_orch.services.plan_lint import lint_plan
from drs_orch.services.recovery_plans import plan_group_ids

R = "us-east-1"


def lint(s, plan):  # type: ignore[no-untyped-def]
    stored = s.plans.plans.get(plan["planId"])
    return lint_plan(stored, s.groups.groups.get_many(plan_group_ids(stored)), s.groups.contexts, s.drs)


def test_missing_and_unhealthy_servers_and_quota_headroom():
    s = services()
    ok = s.drs.add(HUB, R, server({"t": "a"}), server({"t": "a"}))
    sick = s.drs.add(HUB, R, server({"t": "b"}, state="DISCONNECTED"))
    g1 = s.groups.create({"groupName": "a", "region": R, "sourceServerIds": ok}, "t")
    g2 = s.groups.create({"groupName": "b", "region": R, "sourceServerIds": sick}, "t")
    plan = s.plans.create({"planName": "p", "waves": [
        {"waveNumber": 1, "waveName": "a", "protectionGroupIds": [g1["groupId"]]},
        {"waveNumber": 2, "waveName": "b", "protectionGroupIds": [g2["groupId"]]}]}, "t")
    report = lint(s, plan)
    assert report["valid"] and [w["code"] for w in report["warnings"]] == ["REPLICATION_UNHEALTHY"]
    assert report["warnings"][0]["serverIds"] == sick and report["capacity"]["status"] == "OK"

    s.drs.fleet[(HUB, R)] = [x for x in s.drs.fleet[(HUB, R)] if x["sourceServerID"] != ok[1]]
    s.drs.job_list = [{"status": "STARTED", "participatingServers": [{}] * 490}] + [
        {"status": "PENDING", "participatingServers": [{}]}] * 18
    s.drs.instance_list = [{}] * 3999
    report = lint(s, plan)
    assert not report["valid"]
    assert report["errors"] == [{"code": "SERVER_NOT_IN_DRS", "wave": 1, "serverIds": [ok[1]],
                                 "message": f"wave 1: 1 server(s) no longer exist in DRS: {ok[1]}"}]
    codes = [w["code"] for w in report["warnings"]]
    assert {"CAPACITY_QUEUED", "RECOVERY_INSTANCE_LIMIT", "QUOTA_HEADROOM"} <= set(codes)
    assert report["capacity"]["afterPlan"]["recoveryInstances"]["used"] == 3999 + 3


def test_waves_over_100_servers_and_levels_over_500_are_warnings():
    s = services()
    groups = []
    for n in range(6):
        ids = s.drs.add(HUB, R, *[server({"g": str(n)}) for _ in range(95)])
        groups.append(s.groups.create({"groupName": f"g{n}", "region": R, "sourceServerIds": ids}, "t")["groupId"])
    plan = s.plans.create({"planName": "big", "waves": [
        {"waveNumber": 1, "waveName": "a", "protectionGroupIds": groups[:2], "dependsOnWaves": []},
        {"waveNumber": 2, "waveName": "b", "protectionGroupIds": groups[2:4], "independent": True},
        {"waveNumber": 3, "waveName": "c", "protectionGroupIds": groups[4:], "independent": True}]}, "t")
    report = lint(s, plan)
    assert report["valid"] and report["summary"]["levels"] == [[1, 2, 3]]
    codes = [w["code"] for w in report["warnings"]]
    assert codes.count("WAVE_SPLIT") == 3 and "LEVEL_QUEUED" in codes and "CAPACITY_QUEUED" in codes


def test_graph_errors_stop_before_drs_is_asked():
    s = services()
    ids = s.drs.add(HUB, R, server({"x": "1"}))
    g = s.groups.create({"groupName": "g", "region": R, "sourceServerIds": ids}, "t")
    plan = s.plans.create({"planName": "p", "waves": [{"waveNumber": 1, "waveName": "a",
                                                        "protectionGroupIds": [g["groupId"]]}]}, "t")
    s.db.plans[plan["planId"]]["waves"][0]["dependsOnWaves"] = [5]  # as if written by an older version
    report = lint(s, plan)
    assert not report["valid"] and [e["code"] for e in report["errors"]] == ["MISSING_DEPENDENCY"]
    assert report["capacity"] is None
