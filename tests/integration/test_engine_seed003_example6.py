"""Seed 003's Example 6 (examples/seed003_example6.py, the seed's script with only its function
names changed) against a local stack of its own: a `drs-orch up` process with the default fleet,
so the script's first five us-east-1 servers and its fixed group and plan names are free whatever
the session's other tests did. Its 30-second sleeps are shortened by patching time.sleep."""

from __future__ import annotations

import contextlib
import io
import json
import runpy
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from own_stack import ROOT, aws_env, own_stack_process

pytestmark = pytest.mark.integration
SCRIPT = ROOT / "examples" / "seed003_example6.py"


@pytest.fixture
def own_stack(tmp_path: Path) -> Any:
    with own_stack_process(tmp_path) as state:
        yield state


def test_seed_003_example_6_runs_unchanged_but_for_the_function_names(own_stack: dict[str, Any],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    outputs = own_stack["outputs"]
    source = SCRIPT.read_text()
    for key in ("DataManagementFunctionName", "ExecutionFunctionName", "QueryFunctionName"):
        assert f"'{outputs[key]}'" in source  # the script names the stack's functions
    for key, value in aws_env(own_stack).items():
        monkeypatch.setenv(key, value)
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
