"""The template's operations resources (issue 16): alarms to the alerts topic on metrics the code
emits, the dashboard, saved queries, the append-only audit table, TTLs and schedules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from drs_local.template import TEMPLATE, load_template
from drs_orch.services import telemetry

RES = load_template(TEMPLATE)["Resources"]


def _of(kind: str) -> dict[str, Any]:
    return {k: v for k, v in RES.items() if v["Type"] == kind}


def test_cfn_lint_is_clean() -> None:
    lint = Path(sys.executable).with_name("cfn-lint")
    out = subprocess.run([str(lint), str(TEMPLATE)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_alarms_cover_the_issue_and_notify_the_alerts_topic() -> None:
    alarms = _of("AWS::CloudWatch::Alarm")
    wanted = {("DRSOrchestration", "ExecutionsFailed"), ("AWS/Lambda", "Errors"), ("AWS/States", "ExecutionsFailed"),
              ("AWS/States", "ExecutionsTimedOut"), ("DRSOrchestration", "DrsThrottled"),
              ("DRSOrchestration", "TagSyncFailed"), ("DRSOrchestration", "LaunchSettingsFailed")}
    found = {(a["Properties"]["Namespace"], a["Properties"]["MetricName"]) for a in alarms.values()}
    assert wanted <= found
    assert RES["AlertsTopic"]["Type"] == "AWS::SNS::Topic"
    for name, alarm in alarms.items():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [{"Ref": "AlertsTopic"}], name
        assert props["TreatMissingData"] == "notBreaching", name
        if props["Namespace"] == "DRSOrchestration":  # the names and dimensions the code emits
            assert props["MetricName"] in vars(telemetry).values(), name
            assert {"Name": "service", "Value": telemetry.SERVICE} in props["Dimensions"], name
    orchestration = alarms["OrchestrationErrorsAlarm"]["Properties"]["Dimensions"]
    assert orchestration == [{"Name": "FunctionName", "Value": {"Ref": "OrchestrationFunction"}}]


def test_dashboard_and_saved_queries() -> None:
    body = RES["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    doc = json.loads(body.replace("${", "").replace("}\"", "\""))  # the substitutions aside, it is JSON
    titles = [w["properties"]["title"] for w in doc["widgets"]]
    assert len(titles) >= 6 and "Alarms" in titles
    queries = {v["Properties"]["Name"]["Fn::Sub"]: v["Properties"]["QueryString"]
               for v in _of("AWS::Logs::QueryDefinition").values()}
    story = next(q for n, q in queries.items() if n.endswith("/execution-story"))
    failed = next(q for n, q in queries.items() if n.endswith("/failed-servers"))
    assert "executionId" in story and "SERVER_FAILED" in failed and "reason" in failed


def test_audit_table_is_append_only_for_the_api_and_expires() -> None:
    table = RES["AuditTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {"ByTime", "ByActor", "ByOperation",
                                                                         "ByTarget"}
    for role in ("DataManagementRole", "ExecutionRole", "QueryRole", "OrchestrationRole"):
        for policy in RES[role]["Properties"]["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                if any("AuditTable" in json.dumps(r) for r in resources):
                    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                    assert set(actions) <= {"dynamodb:PutItem", "dynamodb:Query"}, role
    executions = RES["ExecutionsTable"]["Properties"]
    assert executions["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}


def test_schedules_invoke_the_maintenance_operations_directly() -> None:
    rules = {k: v["Properties"] for k, v in _of("AWS::Events::Rule").items()}
    inputs = {json.loads(r["Targets"][0]["Input"])["operation"]: r for r in rules.values() if "ScheduleExpression" in r}
    assert inputs["run_housekeeping"]["State"] == "ENABLED"
    assert inputs["sweep_drill_instances"]["State"] == "ENABLED"
    for op in ("run_housekeeping", "sweep_drill_instances"):
        assert json.loads(inputs[op]["Targets"][0]["Input"])["invocationSource"].startswith("schedule:")
