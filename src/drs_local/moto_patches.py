"""Patches that make moto 5.2.5 (pinned exactly) run our stack without Docker.

1. Lambda functions run in-process: moto keeps its real function registry, error headers and the
   Step Functions error mapping; only the Docker call is replaced by importing the function's
   ``Handler`` ("package.module.function" or "package.module" with a ``handler`` attribute) from
   our source tree.
2. State machines created by CloudFormation land in the executing (ASL interpreter) backend.
3. Wait states and Retry intervals are divided by the stack's time scale, so a 30 s poll interval
   at speed 60 takes half a second, in step with the DRS emulator clock.

These touch moto internals; the exact moto pin in pyproject.toml is what keeps them valid.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
import time
import traceback
import uuid
from typing import Any

log = logging.getLogger("drs_local")

_applied = False
_speed = 1.0
_lock = threading.Lock()


class LocalLambdaContext:
    """The subset of the Lambda context object our handlers and Powertools read."""

    def __init__(self, fn: Any) -> None:
        self.function_name = fn.function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = fn.function_arn
        self.memory_limit_in_mb = int(fn.memory_size or 128)
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{fn.function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + float(fn.timeout or 3)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _import_handler(spec: str) -> Any:
    """Resolve a Lambda ``Handler`` setting ("package.module.function") the way the runtime does."""
    module_name, _, function_name = spec.rpartition(".")
    return getattr(importlib.import_module(module_name), function_name)


def _invoke_in_process(self: Any, event: str | None = None) -> tuple[str, bool, str]:
    payload = json.loads(event) if isinstance(event, str | bytes) and event else (event or {})
    try:
        fn = _import_handler(self.handler)
        result = fn(payload, LocalLambdaContext(self))
        return json.dumps(result, default=str), False, ""
    except Exception as exc:  # the Lambda runtime reports unhandled errors this way
        body = {
            "errorMessage": str(exc),
            "errorType": type(exc).__name__,
            "stackTrace": traceback.format_exception(exc)[-5:],
        }
        log.warning("lambda %s raised %s: %s", self.function_name, type(exc).__name__, exc)
        return json.dumps(body), True, ""


def set_speed(speed: float) -> None:
    global _speed
    _speed = max(float(speed), 1e-6)


def scaled(seconds: float) -> float:
    return float(seconds) / _speed


def apply() -> None:
    """Apply the patches once per process (idempotent)."""
    global _applied
    with _lock:
        if _applied:
            return
        from moto.awslambda import models as lambda_models
        from moto.stepfunctions import models as sfn_models
        from moto.stepfunctions.parser import models as parser_models
        from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
        from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function

        lambda_models.LambdaFunction._invoke_lambda = _invoke_in_process  # type: ignore[method-assign]
        sfn_models.stepfunctions_backends = parser_models.stepfunctions_parser_backends  # type: ignore[assignment]

        def _wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
            deadline = time.monotonic() + scaled(wait_seconds)
            while env.is_running():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                env.program_state_event.wait(remaining)

        wait_function.WaitFunction._wait_interval = _wait_interval  # type: ignore[method-assign]

        class _ScaledTime:
            def __getattr__(self, name: str) -> Any:
                return getattr(time, name)

            @staticmethod
            def sleep(seconds: float) -> None:
                time.sleep(scaled(seconds))

        retrier_decl.time = _ScaledTime()  # type: ignore[attr-defined,assignment]
        _applied = True
