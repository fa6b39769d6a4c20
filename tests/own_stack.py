"""A local stack of a test's own: a `drs-orch up` process with the default fleet and a state
directory of its own, for scripts that need fixed names and the default fleet's servers free."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def own_stack_process(state_dir: Path, speed: float = 600) -> Iterator[dict[str, Any]]:
    """Start the stack, yield its state file (apiUrl, motoUrl, drsUrl, outputs, ...) and its
    ``stateDir``, stop it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL") and k != "MOTO_PORT"}
    env["DRS_ORCH_STATE_DIR"] = str(state_dir)
    proc = subprocess.Popen([sys.executable, "-m", "drs_orch.entrypoints.cli", "up", "--port", str(_free_port()),
                             "--speed", str(speed)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=env, cwd=ROOT)
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if "ready" in line or not line:
                break
        # keep reading what the stack prints (its logs): a full pipe would block the stack
        threading.Thread(target=lambda: [None for _ in proc.stdout or []], daemon=True).start()
        yield {**json.loads((state_dir / "local-stack.json").read_text()), "stateDir": str(state_dir)}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def aws_env(state: dict[str, Any]) -> dict[str, str]:
    """The environment a client of that stack needs (boto3, the AWS CLI)."""
    return {"AWS_ENDPOINT_URL": state["motoUrl"], "AWS_ENDPOINT_URL_DRS": state["drsUrl"],
            "AWS_ENDPOINT_URL_DYNAMODB": state["dynamodbUrl"],
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
