"""Fidelity check with the real AWS CLI (``aws drs ...``, the ``awscli`` dev dependency): a full native
recovery plan drill against the emulator, its errors and auto-pagination, nothing tuned for it.

The CLI bundles its own botocore, whose ``drs`` model predates the native Recovery Plan operations, so
the test hands it the model of the installed botocore through ``AWS_DATA_PATH`` (the CLI's documented
way to load service models); requests, signing, parsing and errors are the CLI's own."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore
import pytest
from emu_support import HUB, KEYS, sid

from drs_emulator import Emulator, ServerHandle

AWS = Path(sys.executable).with_name("aws")


@pytest.fixture
def cli(server: ServerHandle, tmp_path: Path) -> Any:
    models = tmp_path / "models"
    shutil.copytree(Path(botocore.__file__).parent / "data" / "drs", models / "drs")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_DATA_PATH": str(models),
        "AWS_ACCESS_KEY_ID": KEYS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": KEYS["aws_secret_access_key"],
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_PAGER": "",
    }

    def run(*args: str, ok: bool = True) -> Any:
        done = subprocess.run(
            [str(AWS), "drs", *args, "--endpoint-url", server.url, "--output", "json"],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        if ok:
            assert done.returncode == 0, done.stderr
            return json.loads(done.stdout) if done.stdout.strip() else None
        return done

    return run


def _servers(*hosts: str, impact: str = "CRITICAL") -> str:
    arns = [f"arn:aws:drs:us-east-1:{HUB}:source-server/{sid(h)}" for h in hosts]
    return json.dumps(
        {"serverStepConfiguration": {"servers": [{"serverArn": a, "impactLevel": impact} for a in arns]}}
    )


def test_native_plan_drill_with_the_aws_cli(cli: Any, emu: Emulator) -> None:
    assert AWS.exists(), "the awscli dev dependency is not installed (make install)"
    plan = cli("create-recovery-plan", "--name", "cli-drill", "--tags", "team=dr")["recoveryPlan"]
    arn = plan["recoveryPlanArn"]
    cli("create-recovery-plan-step", "--recovery-plan-arn", arn, "--step-name", "databases",
        "--configuration", _servers("db-01.example.internal", "db-02.example.internal"))  # fmt: skip
    cli("create-recovery-plan-step", "--recovery-plan-arn", arn, "--step-name", "settle",
        "--configuration", '{"waitStepConfiguration": {"waitDurationMinutes": 5}}')  # fmt: skip
    cli("create-recovery-plan-step", "--recovery-plan-arn", arn, "--step-name", "web",
        "--configuration", _servers("web-01.example.internal", impact="OPTIONAL"))  # fmt: skip
    steps = cli("list-recovery-plan-steps", "--recovery-plan-arn", arn)["recoveryPlanSteps"]
    assert [s["stepName"] for s in steps] == ["databases", "settle", "web"]

    execution = cli("start-recovery-plan-execution", "--recovery-plan-arn", arn, "--mode", "DRILL")
    execution_arn = execution["recoveryPlanExecution"]["recoveryPlanExecutionArn"]
    emu.advance(1)
    running = cli("list-recovery-plan-execution-steps", "--recovery-plan-execution-arn", execution_arn)
    assert [s["status"] for s in running["recoveryPlanExecutionSteps"]] == [
        "EXECUTING",
        "NOT_STARTED",
        "NOT_STARTED",
    ]
    emu.advance(3600)
    done = cli("get-recovery-plan-execution", "--recovery-plan-execution-arn", execution_arn)
    assert done["recoveryPlanExecution"]["status"] == "COMPLETED"
    steps = cli("list-recovery-plan-execution-steps", "--recovery-plan-execution-arn", execution_arn)
    assert [s["status"] for s in steps["recoveryPlanExecutionSteps"]] == ["COMPLETED"] * 3
    job_ids = {
        s["jobID"]
        for step in steps["recoveryPlanExecutionSteps"]
        for s in step["configuration"].get("executionServerStepConfiguration", {}).get("servers", [])
    }
    jobs = cli("describe-jobs", "--filters", json.dumps({"jobIDs": sorted(job_ids)}))["items"]
    assert len(jobs) == 2 and {j["initiatedBy"] for j in jobs} == {"START_DRILL"}
    launched = cli("describe-recovery-instances")["items"]
    assert sorted(ri["sourceServerID"] for ri in launched) == sorted(
        sid(h) for h in ("db-01.example.internal", "db-02.example.internal", "web-01.example.internal")
    )

    # errors come back as the CLI reports them: exit status 255 (CLI v1) and the modelled error code
    missing = cli("get-recovery-plan", "--recovery-plan-arn", arn.replace(plan["recoveryPlanArn"][-17:], "0" * 17),
                  ok=False)  # fmt: skip
    assert missing.returncode == 255 and "ResourceNotFoundException" in missing.stderr
    bad_mode = cli(
        "start-recovery-plan-execution", "--recovery-plan-arn", arn, "--mode", "PRACTICE", ok=False
    )
    assert (
        bad_mode.returncode == 255
        and "(ValidationException)" in bad_mode.stderr
        and "mode:" in bad_mode.stderr
    )
    # the CLI pages through every plan on its own
    for i in range(3):
        cli("create-recovery-plan", "--name", f"cli-page-{i}")
    listed = cli("list-recovery-plans", "--page-size", "1")["recoveryPlans"]
    assert sorted(p["name"] for p in listed) == ["cli-drill", "cli-page-0", "cli-page-1", "cli-page-2"]
    cli("delete-recovery-plan-execution", "--recovery-plan-execution-arn", execution_arn)
    cli("delete-recovery-plan", "--recovery-plan-arn", arn)
    assert len(cli("list-recovery-plans")["recoveryPlans"]) == 3


def test_snapshot_based_launch_with_the_aws_cli(cli: Any, emu: Emulator) -> None:
    """A stalled server, an older point in time chosen with the CLI, and the job log saying so."""
    server = sid("db-01.example.internal")
    emu.advance(3 * 3600)  # three hours of healthy replication: snapshots every 10 minutes and hourly
    emu.update_server(server, replication_state="STALLED")
    emu.advance(1800)
    snapshots = cli("describe-recovery-snapshots", "--source-server-id", server, "--order", "DESC")["items"]
    assert len(snapshots) >= 3 and snapshots[0]["timestamp"] >= snapshots[-1]["timestamp"]
    older = snapshots[1]  # not the oldest: that one may age out of retention before the job uses it
    job = cli("start-recovery", "--is-drill", "--source-servers",
              f"sourceServerID={server},recoverySnapshotID={older['snapshotID']}")["job"]  # fmt: skip
    emu.advance(3600)
    done = cli("describe-jobs", "--filters", json.dumps({"jobIDs": [job["jobID"]]}))["items"][0]
    assert done["status"] == "COMPLETED"
    log = cli("describe-job-log-items", "--job-id", job["jobID"])["items"]
    assert done["participatingServers"][0]["launchStatus"] == "LAUNCHED", log
    instance = cli("describe-recovery-instances", "--filters",
                   json.dumps({"sourceServerIDs": [server]}))["items"][0]  # fmt: skip
    assert instance["pointInTimeSnapshotDateTime"][:19] == older["timestamp"][:19]
    events = [e["event"] for e in cli("describe-job-log-items", "--job-id", job["jobID"])["items"]]
    assert "USING_PREVIOUS_SNAPSHOT" in events and "SNAPSHOT_START" not in events
    unknown = cli("start-recovery", "--source-servers",
                  f"sourceServerID={server},recoverySnapshotID=pit-00000000000000000", ok=False)  # fmt: skip
    assert unknown.returncode == 255 and "ResourceNotFoundException" in unknown.stderr
