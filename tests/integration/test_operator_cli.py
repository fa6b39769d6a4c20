"""The operator CLI against a stack of its own, as an operator uses it from a terminal: profiles,
sign-in with Cognito, groups and a plan from YAML, a dry run, drills followed to the end with an
exit code per outcome (0 COMPLETED; 2 PARTIAL or 3 FAILED for the fleet's failing server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drs_local.stack import PASSWORD, user_for
from own_stack import aws_env, own_stack_process

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with own_stack_process(tmp_path_factory.mktemp("cli-stack"), speed=600) as state:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
        env.update(aws_env(state))
        env["DRS_ORCH_CONFIG_DIR"] = str(tmp_path_factory.mktemp("cli-config"))
        yield {"state": state, "env": env}


def drs_orch(cli: dict[str, Any], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "drs_orch.entrypoints.cli", *args], input=stdin, text=True,
                          capture_output=True, env=cli["env"], timeout=300)


def test_profiles_login_and_a_drill_followed_to_its_outcome(cli_env: dict[str, Any], tmp_path: Path) -> None:
    state = cli_env["state"]
    for profile, role in (("admin", "DRSOrchestrationAdmin"), ("planner", "DRSPlanManager")):
        out = drs_orch(cli_env, "profile", "add", profile, "--api-url", state["apiUrl"], "--client-id",
                       state["clientId"], "--region", "us-east-1")
        assert out.returncode == 0, out.stderr
        out = drs_orch(cli_env, "login", "--profile", profile, "--username", user_for(role), "--password-stdin",
                       stdin=PASSWORD + "\n")
        assert out.returncode == 0 and "signed in" in out.stdout, out.stderr
    credentials = Path(cli_env["env"]["DRS_ORCH_CONFIG_DIR"]) / "credentials.json"
    assert credentials.stat().st_mode & 0o777 == 0o600

    wrong = drs_orch(cli_env, "login", "--profile", "planner", "--username", user_for("DRSOperator"),
                     "--password-stdin", stdin="not-the-password\n")
    assert wrong.returncode == 1 and "LOGIN_FAILED" in wrong.stderr

    (tmp_path / "db.yaml").write_text("groupName: cli db\nregion: us-east-1\n"
                                      "serverSelectionTags: {Application: OrderSystem, Tier: db}\n")
    (tmp_path / "web.yaml").write_text("groupName: cli web\nregion: us-east-1\n"
                                       "serverSelectionTags: {Application: OrderSystem, Tier: web}\n")
    groups = []
    for name in ("db", "web"):
        out = drs_orch(cli_env, "groups", "create", "--profile", "planner", "-f", str(tmp_path / f"{name}.yaml"),
                       "-o", "json")
        assert out.returncode == 0, out.stderr
        groups.append(json.loads(out.stdout)["groupId"])
    plan = {"planName": "cli plan", "waves": [
        {"waveNumber": 1, "waveName": "databases", "protectionGroupIds": [groups[0]]},
        {"waveNumber": 2, "waveName": "web", "protectionGroupIds": [groups[1]], "dependsOnWaves": []}]}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    out = drs_orch(cli_env, "plans", "create", "--profile", "planner", "-f", str(tmp_path / "plan.json"), "-o", "json")
    assert out.returncode == 0, out.stderr
    servers = drs_orch(cli_env, "servers", "list", "--profile", "planner", "--region", "us-east-1", "-o", "json")
    assert servers.returncode == 0, servers.stderr
    assert {"db-01.example.internal", "web-01.example.internal"} <= {s["hostname"] for s in json.loads(servers.stdout)}
    listed = drs_orch(cli_env, "plans", "list", "--profile", "planner")
    assert "cli plan" in listed.stdout and listed.stdout.splitlines()[0].split()[:2] == ["planId", "planName"]

    dry = drs_orch(cli_env, "plans", "dry-run", "cli plan", "--profile", "planner")
    assert dry.returncode == 0 and "would start: True" in dry.stdout, dry.stdout + dry.stderr

    refused = drs_orch(cli_env, "recover", "cli plan", "--profile", "planner", "--confirm", "wrong name")
    assert refused.returncode == 1 and "CONFIRMATION_REQUIRED" in refused.stderr

    drill = drs_orch(cli_env, "drill", "cli plan", "--profile", "planner", "--follow", "--interval", "0.5")
    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert "COMPLETED" in drill.stdout.splitlines()[-1]
    print(drill.stdout)  # the terminal session, for the record


def test_a_failing_server_exits_partial_or_failed(cli_env: dict[str, Any], tmp_path: Path) -> None:
    state = cli_env["state"]
    drs_orch(cli_env, "profile", "add", "admin", "--api-url", state["apiUrl"], "--client-id", state["clientId"],
             "--region", "us-east-1")
    drs_orch(cli_env, "login", "--profile", "admin", "--username", user_for("DRSOrchestrationAdmin"),
             "--password-stdin", stdin=PASSWORD + "\n")
    assert "sts:ExternalId" in drs_orch(cli_env, "spoke-template").stdout
    out = drs_orch(cli_env, "onboard-spoke", "--profile", "admin", "--account-id", "222222222222",
                   "--role-arn", "arn:aws:iam::222222222222:role/DRSOrchestrationRole",
                   "--external-id", "drs-orch-local-222222222222", "--region", "us-east-1", "-o", "json")
    assert out.returncode == 0 and json.loads(out.stdout)["valid"] is True, out.stdout + out.stderr
    (tmp_path / "hr.yaml").write_text("groupName: cli hr\nregion: us-east-1\naccountId: '222222222222'\n"
                                      "serverSelectionTags: {Application: HRSystem, Tier: app}\n")
    out = drs_orch(cli_env, "groups", "create", "--profile", "admin", "-f", str(tmp_path / "hr.yaml"), "-o", "json")
    assert out.returncode == 0, out.stderr
    plan = {"planName": "cli hr plan", "protectionGroupId": json.loads(out.stdout)["groupId"]}
    (tmp_path / "hr-plan.json").write_text(json.dumps(plan))
    assert drs_orch(cli_env, "plans", "create", "--profile", "admin", "-f", str(tmp_path / "hr-plan.json")).returncode == 0
    drill = drs_orch(cli_env, "drill", "cli hr plan", "--profile", "admin", "--follow", "--interval", "0.5")
    assert drill.returncode in (2, 3), drill.stdout + drill.stderr
    assert "FAILED: " in drill.stdout and "not bootable" in drill.stdout
