"""The local stack: deployed from the template, served by the local API Gateway, and a
`drs-orch up` process that stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from drs_local.template import TEMPLATE, load_template

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_health_shows_the_template_tables_and_state_machine(stack: Any) -> None:
    r = requests.get(stack.api_url + "/health", timeout=30)
    body = r.json()
    assert r.status_code == 200, body
    assert body["status"] == "HEALTHY"
    template = load_template(TEMPLATE)["Resources"]
    declared_tables = sorted(k for k, v in template.items() if v["Type"] == "AWS::DynamoDB::Table")
    assert len(body["tables"]) == len(declared_tables)
    assert all(t["status"] == "ACTIVE" for t in body["tables"].values())
    assert body["stateMachine"]["status"] == "ACTIVE"
    assert body["drs"]["reachable"] is True


def test_template_resources_all_exist_on_the_local_stack(stack: Any) -> None:
    cfn = stack.client("cloudformation")
    physical = {r["LogicalResourceId"] for r in cfn.list_stack_resources(StackName="drs-orch-local")
                ["StackResourceSummaries"] if r["LogicalResourceId"]}  # moto lists skipped types with ""
    template = load_template(TEMPLATE)["Resources"]
    expected = {k for k, v in template.items() if "Condition" not in v}
    assert expected == physical | set(stack.created_directly) | set(stack.not_modelled)
    assert {template[k]["Type"] for k in stack.not_modelled} <= {"AWS::Logs::QueryDefinition"}


def test_a_test_run_keeps_its_stack_state_out_of_the_checkout(
    stack: Any, checkout_state: tuple[Path, bytes | None]
) -> None:
    """A `drs-orch up` of this checkout keeps .drs-orch/local-stack.json for `drs-orch token`; the
    test stack (already started: ``stack``) records itself in the session's own directory instead."""
    from drs_local.stack import state_dir

    own = state_dir()
    assert own == Path(os.environ["DRS_ORCH_STATE_DIR"])
    assert ROOT / ".drs-orch" not in (own, *own.parents)
    recorded = json.loads((own / "local-stack.json").read_text())
    assert recorded["apiUrl"] == stack.api_url
    checkout_file, before = checkout_state
    now = checkout_file.read_bytes() if checkout_file.exists() else None
    assert now == before
    if now is not None:
        assert json.loads(now).get("apiUrl") != stack.api_url


def test_openapi_is_served(stack: Any) -> None:
    doc = requests.get(stack.api_url + "/openapi.json", timeout=30).json()
    assert doc["openapi"].startswith("3.") and "/health" in doc["paths"]


def test_rest_and_direct_invocation_return_the_same_body(stack: Any, admin: Any, invoke: Any) -> None:
    status, rest = admin.get("/openapi.json")
    assert status == 200
    assert invoke("query", "get_openapi") == rest
    direct_error = invoke("query", "no_such_operation")
    assert direct_error["error"] == "UNKNOWN_OPERATION"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_drs_orch_up_serves_then_stops_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "DRS_ORCH_STATE_DIR": str(tmp_path)}
    for k in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DRS", "AWS_ENDPOINT_URL_DYNAMODB"):
        env.pop(k, None)
    proc = subprocess.Popen([sys.executable, "-m", "drs_orch.entrypoints.cli", "up", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        lines = []
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "ready" in line or not line:
                break
        assert any("ready" in ln for ln in lines), lines
        assert any(f"http://127.0.0.1:{port}" in ln for ln in lines)
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=30).status_code == 200
        env_out = subprocess.run([sys.executable, "-m", "drs_orch.entrypoints.cli", "env"], env=env,
                                 capture_output=True, text=True, check=True).stdout
        assert "export AWS_ENDPOINT_URL_DRS=http://127.0.0.1:" in env_out
        assert "export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:" in env_out
        dynamodb_port = int(json.loads((tmp_path / "local-stack.json").read_text())["dynamodbUrl"].rsplit(":", 1)[1])
        assert requests.get(f"http://127.0.0.1:{port}/user/permissions", timeout=30).status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    with socket.socket() as s:  # the port is free again: nothing is left serving
        s.bind(("127.0.0.1", port))
    with pytest.raises(ConnectionRefusedError):  # nor the DynamoDB process: it stopped with the stack
        socket.create_connection(("127.0.0.1", dynamodb_port), timeout=5).close()


def test_the_in_process_lambdas_start_cold_in_the_stack_s_environment(stack: Any,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A DynamoDB client cached before the stack's environment (a unit test that ran first in this
    process) would send every later call to AWS itself; starting the stack drops it."""
    from drs_orch.adapters import dynamodb
    from drs_orch.entrypoints.wiring import container

    with monkeypatch.context() as before:
        before.delenv("AWS_ENDPOINT_URL")
        before.delenv("AWS_ENDPOINT_URL_DYNAMODB")
        dynamodb.low_level.cache_clear()
        assert "amazonaws.com" in dynamodb.low_level().meta.endpoint_url  # what that process held
    stack.cold_start()
    assert dynamodb.low_level().meta.endpoint_url == stack.dynamodb_url
    assert container().settings.executions_table == os.environ["EXECUTIONS_TABLE"]
