"""Seed 003's Example 6 (examples/seed003_example6.py, the seed's script with only its function
names changed) against a local stack of its own: a `drs-orch up` process with the default fleet,
so the script's first five us-east-1 servers and its fixed group and plan names are free whatever
the session's other tests did. Its 30-second sleeps are shortened by patching time.sleep."""

from __future__ import annotations

import contextlib
import io
import json
import os
import runpy
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "seed003_example6.py"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def own_stack(tmp_path: Path) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL") and k != "MOTO_PORT"}
    env["DRS_ORCH_STATE_DIR"] = str(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "drs_orch.entrypoints.cli", "up", "--port", str(_free_port()),
                             "--speed", "600"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=env, cwd=ROOT)
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if "ready" in line or not line:
                break
        state = json.loads((tmp_path / "local-stack.json").read_text())
        yield state
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def test_seed_003_example_6_runs_unchanged_but_for_the_function_names(own_stack: dict[str, Any],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    outputs = own_stack["outputs"]
    source = SCRIPT.read_text()
    for key in ("DataManagementFunctionName", "ExecutionFunctionName", "QueryFunctionName"):
        assert f"'{outputs[key]}'" in source  # the script names the stack's functions
    monkeypatch.setenv("AWS_ENDPOINT_URL", own_stack["motoUrl"])
    monkeypatch.setenv("AWS_ENDPOINT_URL_DRS", own_stack["drsUrl"])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    real_sleep = time.sleep
    monkeypatch.setattr(time, "sleep", lambda seconds: real_sleep(min(seconds, 0.25)))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(SCRIPT), run_name="__main__")
    printed = out.getvalue()
    assert "Found 8 servers" in printed, printed
    assert "Execution finished with status: COMPLETED" in printed, printed
    assert printed.rstrip().endswith("Orchestration complete!")
    execution_id = next(line.split(": ")[1] for line in printed.splitlines() if line.startswith("Started Execution"))
    details = json.loads(boto3.client("lambda").invoke(
        FunctionName=outputs["ExecutionFunctionName"],
        Payload=json.dumps({"operation": "get_execution_details", "body": {"executionId": execution_id}}),
    )["Payload"].read())
    assert details["status"] == "COMPLETED" and details["serverCounts"]["launched"] == 5
