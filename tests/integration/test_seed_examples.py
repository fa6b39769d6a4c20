"""Seed 003's Examples 1-5 and 7 (AWS CLI and jq, as in the seed) and seed 000's curl patterns run
from `examples/` against a stack of their own, changed only in their function names and ids (the
ids are put in here, from the stack). Example 6 has its own test. The bash `sleep` of Example 7 is
shortened by a `sleep` earlier on PATH; everything else is the real CLI against the real handlers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from own_stack import ROOT, aws_env, own_stack_process

pytestmark = pytest.mark.integration
EXAMPLES = ROOT / "examples"
BIN = Path(sys.executable).parent  # the venv's `aws` (awscli, a dev dependency)


@pytest.fixture
def state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A stack per test: Example 7 takes the first five servers, which the others use too."""
    with own_stack_process(tmp_path_factory.mktemp("seed-examples")) as s:
        yield s


@pytest.fixture
def env(state: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    fake = tmp_path_factory.mktemp("bin")
    (fake / "sleep").write_text("#!/bin/sh\nexec /bin/sleep 0.2\n")
    (fake / "sleep").chmod(0o755)
    out = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    out.update(aws_env(state))
    out["PATH"] = f"{fake}:{BIN}:{out.get('PATH', '')}"
    return out


def _invoke(state: dict[str, Any], env: dict[str, str], function: str, payload: dict[str, Any]) -> Any:
    lam = boto3.client("lambda", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    answer = lam.invoke(FunctionName=state["outputs"][function], Payload=json.dumps(payload).encode())
    return json.loads(answer["Payload"].read())


def _run(name: str, env: dict[str, str], cwd: Path, ids: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    script = (EXAMPLES / name).read_text()
    for seed_id, real in (ids or {}).items():
        assert seed_id in script, seed_id
        script = script.replace(seed_id, real)
    done = subprocess.run(["bash", "-c", script], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr + done.stdout
    return done


def _response(cwd: Path) -> Any:
    return json.loads((cwd / "response.json").read_text())


def _wait(state: dict[str, Any], env: dict[str, str], execution_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body = _invoke(state, env, "ExecutionFunctionName",
                       {"operation": "get_execution_details", "body": {"executionId": execution_id}})
        if body["status"] in ("COMPLETED", "PARTIAL", "FAILED", "CANCELLED"):
            return dict(body)
        time.sleep(0.3)
    raise AssertionError(f"execution {execution_id} did not end")


def test_seed_003_examples_1_to_5_and_seed_000_curl(state: dict[str, Any], env: dict[str, str],
                                                    tmp_path: Path) -> None:
    listing = _invoke(state, env, "QueryFunctionName",
                      {"operation": "get_drs_source_servers", "queryParams": {"region": "us-east-1"}})
    healthy = [s["sourceServerID"] for s in listing["servers"] if s["replicationState"] == "CONTINUOUS"]
    assert len(healthy) >= 5, listing

    _run("seed003_example1.sh", env, tmp_path, {"s-1234567890abcdef0": healthy[0], "s-abcdef1234567890": healthy[1]})
    web = _response(tmp_path)
    assert web["groupName"] == "Production Web Servers" and web["sourceServerIds"] == healthy[:2]

    others = [_invoke(state, env, "DataManagementFunctionName", {"operation": "create_protection_group", "body": {
        "groupName": f"tier {n}", "region": "us-east-1", "sourceServerIds": [server]}})["groupId"]
        for n, server in ((2, healthy[2]), (3, healthy[3]))]
    _run("seed003_example2.sh", env, tmp_path, {"a1b2c3d4-e5f6-7890-abcd-ef1234567890": web["groupId"],
                                                "b2c3d4e5-f6a7-8901-bcde-f12345678901": others[0],
                                                "c3d4e5f6-a7b8-9012-cdef-123456789012": others[1]})
    plan = _response(tmp_path)
    assert plan["planName"] == "Production DR Plan" and plan["version"] == 1
    assert [w["dependsOnWaves"] for w in plan["waves"]] == [[], [1], [2]]

    _run("seed003_example3.sh", env, tmp_path)
    servers = _response(tmp_path)
    assert servers["region"] == "us-east-1" and servers["serverCount"] == len(servers["servers"]) > 5

    _run("seed003_example4.sh", env, tmp_path, {"d4e5f6a7-b8c9-0123-def1-234567890123": plan["planId"]})
    started = _response(tmp_path)
    assert started["status"] == "PENDING" and started["statusUrl"] == f"/executions/{started['executionId']}"

    _run("seed003_example5.sh", env, tmp_path, {"e5f6a7b8-c9d0-1234-ef12-345678901234": started["executionId"]})
    polled = _response(tmp_path)
    assert polled["executionId"] == started["executionId"] and polled["planName"] == "Production DR Plan"
    assert [w["waveNumber"] for w in polled["waves"]] == [1, 2, 3]
    done = _wait(state, env, started["executionId"])
    assert done["status"] == "COMPLETED", done.get("errorMessage")

    # seed 000's curl patterns: details, a group by serverIds, a drill by isDrill
    token = subprocess.run([str(BIN / "drs-orch"), "token", "--role", "DRSOrchestrationAdmin"], capture_output=True,
                           text=True, check=True, env={**env, "DRS_ORCH_STATE_DIR": state["stateDir"]}).stdout.strip()
    curl_env = {**env, "API": state["apiUrl"], "TOKEN": token, "EXECUTION_ID": started["executionId"],
                "SERVER_ID": healthy[4], "PLAN_ID": plan["planId"]}
    out = subprocess.run(["bash", str(EXAMPLES / "seed000_curl.sh")], env=curl_env, capture_output=True, text=True,
                         timeout=120, check=True).stdout.strip().splitlines()
    details, created, drill = (json.loads(line) for line in out)
    assert details["executionId"] == started["executionId"] and details["waves"][0]["servers"][0]["privateIp"]
    assert created["groupName"] == "Test" and created["sourceServerIds"] == [healthy[4]]
    assert drill["status"] == "PENDING", drill
    assert _wait(state, env, drill["executionId"])["executionType"] == "DRILL"


def test_seed_003_example_7_bash(state: dict[str, Any], env: dict[str, str], tmp_path: Path) -> None:
    done = _run("seed003_example7.sh", env, tmp_path)
    printed = done.stdout
    assert "Found " in printed and "Created Protection Group: " in printed, printed
    assert "Execution finished with status: COMPLETED" in printed, printed
    assert printed.rstrip().endswith("Orchestration complete!")
