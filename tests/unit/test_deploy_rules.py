"""The deploy's safety rules, over recorded CloudFormation answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from drs_orch.entrypoints.deploy import DeployError, DeployRequest, deploy, replacements


def _change(kind: str, logical: str, replacement: str = "False", action: str = "Modify") -> dict[str, Any]:
    return {"ResourceChange": {"ResourceType": kind, "LogicalResourceId": logical, "Replacement": replacement,
                               "Action": action}}


def test_table_replacements_and_removals_are_found() -> None:
    changes = [_change("AWS::DynamoDB::Table", "A", "True"), _change("AWS::DynamoDB::Table", "B"),
               _change("AWS::DynamoDB::Table", "C", action="Remove"), _change("AWS::Lambda::Function", "F", "True")]
    assert replacements(changes) == ["A", "C"]


class _Recorder:
    """Stands in for boto3 clients: answers from a script and records the calls."""

    def __init__(self, changes: list[dict[str, Any]]) -> None:
        self.calls: list[str] = []
        self.changes = changes
        self.meta = type("Meta", (), {"region_name": "eu-west-1"})()

    def __getattr__(self, name: str) -> Any:
        def call(**kwargs: Any) -> Any:
            self.calls.append(name)
            if name == "get_caller_identity":
                return {"Account": "123456789012"}
            if name == "describe_stacks":
                return {"Stacks": [{"StackStatus": "UPDATE_COMPLETE", "Outputs": []}]}
            if name == "describe_change_set":
                return {"Status": "CREATE_COMPLETE", "Changes": self.changes}
            return {}

        return call


def test_a_change_set_replacing_a_table_is_refused_and_deleted(tmp_path: Path) -> None:
    artifact = tmp_path / "a.zip"
    artifact.write_bytes(b"zip")
    recorder = _Recorder([_change("AWS::DynamoDB::Table", "ExecutionsTable", "True")])
    with pytest.raises(DeployError, match="ExecutionsTable"):
        deploy(lambda _: recorder, DeployRequest("hub", artifact, yes=True), say=lambda _: None)
    assert "delete_change_set" in recorder.calls and "execute_change_set" not in recorder.calls


def test_an_unconfirmed_change_set_is_not_executed(tmp_path: Path) -> None:
    artifact = tmp_path / "a.zip"
    artifact.write_bytes(b"zip")
    recorder = _Recorder([_change("AWS::Lambda::Function", "QueryFunction")])
    with pytest.raises(DeployError, match="not confirmed"):
        deploy(lambda _: recorder, DeployRequest("hub", artifact), say=lambda _: None, ask=lambda _: False)
    assert "execute_change_set" not in recorder.calls


def test_every_table_survives_updates_and_deletes_with_point_in_time_recovery() -> None:
    from drs_orch.entrypoints.template_io import load_template

    tables = {k: v for k, v in load_template()["Resources"].items() if v["Type"] == "AWS::DynamoDB::Table"}
    assert len(tables) >= 6
    for name, table in tables.items():
        assert table.get("DeletionPolicy") == "Retain" and table.get("UpdateReplacePolicy") == "Retain", name
        assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, name
