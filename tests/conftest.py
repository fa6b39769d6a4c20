"""Shared fixtures. Integration tests run the real handlers against one local stack per session
(moto with the ASL interpreter, in-process Lambda, the DRS emulator, the local API Gateway)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contract_check import check_answer, check_rest

os.environ.setdefault("HYPOTHESIS_PROFILE", "ci")

# The test stacks record themselves in a state directory of their own, never in the checkout's
# .drs-orch/ (where a `drs-orch up` of the same checkout keeps the file `drs-orch token` reads).
CHECKOUT_STATE_FILE = Path(__file__).resolve().parents[1] / ".drs-orch" / "local-stack.json"
CHECKOUT_STATE_BEFORE = CHECKOUT_STATE_FILE.read_bytes() if CHECKOUT_STATE_FILE.exists() else None
TEST_STATE_DIR = tempfile.mkdtemp(prefix="drs-orch-test-state-")
os.environ["DRS_ORCH_STATE_DIR"] = TEST_STATE_DIR


def pytest_unconfigure(config: Any) -> None:
    shutil.rmtree(TEST_STATE_DIR, ignore_errors=True)


try:
    from hypothesis import HealthCheck, settings

    settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])
except ImportError:  # pragma: no cover
    pass


class Api:
    """HTTP client of the local API Gateway, authenticated as one seeded role."""

    def __init__(self, stack: Any, role: str | None) -> None:
        import requests

        self._s = requests.Session()
        self.base = stack.api_url
        if role:
            self._s.headers["Authorization"] = f"Bearer {stack.token(role)}"

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> tuple[int, Any]:
        r = self._s.request(method, self.base + path, json=body, params=params or None, timeout=60)
        out = r.json() if r.content else None
        check_rest(method, path, r.status_code, out)
        return r.status_code, out

    def get(self, path: str, **params: Any) -> tuple[int, Any]:
        return self.call("GET", path, **params)

    def post(self, path: str, body: Any = None) -> tuple[int, Any]:
        return self.call("POST", path, body)

    def put(self, path: str, body: Any = None) -> tuple[int, Any]:
        return self.call("PUT", path, body)

    def delete(self, path: str, **params: Any) -> tuple[int, Any]:
        return self.call("DELETE", path, **params)


@pytest.fixture(scope="session")
def stack() -> Iterator[Any]:
    warnings.filterwarnings("ignore", category=UserWarning, module="moto")
    from drs_local.stack import LocalStack

    s = LocalStack(speed=60.0).start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="session")
def checkout_state() -> tuple[Path, bytes | None]:
    """The checkout's own stack state file and its bytes when this session began (None: absent)."""
    return CHECKOUT_STATE_FILE, CHECKOUT_STATE_BEFORE


@pytest.fixture(scope="session")
def api_for(stack: Any) -> Any:
    """api_for("DRSOperator") -> an Api authenticated as that role; api_for(None) -> no token."""
    return lambda role: Api(stack, role)


@pytest.fixture(scope="session")
def admin(stack: Any) -> Api:
    return Api(stack, "DRSOrchestrationAdmin")


@pytest.fixture(scope="session")
def readonly(stack: Any) -> Api:
    return Api(stack, "DRSReadOnly")


@pytest.fixture(scope="session")
def invoke(stack: Any) -> Any:
    """Direct invocation through the Lambda service: invoke("query", "get_drs_source_servers", ...)."""
    lam = stack.client("lambda")
    names = {
        "data-management": stack.outputs["DataManagementFunctionName"],
        "execution": stack.outputs["ExecutionFunctionName"],
        "query": stack.outputs["QueryFunctionName"],
    }

    def _invoke(function: str, operation: str, body: Any = None, path: Any = None, query: Any = None) -> Any:
        event: dict[str, Any] = {"operation": operation}
        if body is not None:
            event["body"] = body
        if path is not None:
            event["pathParameters"] = path
        if query is not None:
            event["queryParams"] = query
        out = lam.invoke(FunctionName=names[function], Payload=json.dumps(event).encode())
        assert "FunctionError" not in out, out["Payload"].read()
        answer = json.loads(out["Payload"].read())
        if not (isinstance(answer, dict) and "error" in answer and "message" in answer):
            check_answer(operation, 200, answer)
        return answer

    return _invoke
