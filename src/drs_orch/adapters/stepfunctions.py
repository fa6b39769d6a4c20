"""The orchestration state machine: start a run for an execution, stop it, answer a waiting task."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from drs_orch.adapters.aws import client
from drs_orch.domain.errors import UpstreamError

_GONE = {"TaskTimedOut", "InvalidToken", "TaskDoesNotExist", "ExecutionDoesNotExist"}


class StepFunctionsStateMachine:
    def __init__(self, state_machine_arn: str, region: str) -> None:
        self._arn = state_machine_arn
        self._sfn = client("stepfunctions", region=region)

    def start(self, name: str, payload: Mapping[str, Any]) -> str:
        """Start a run named ``name`` (idempotent for the same name and input) and return its ARN."""
        try:
            out = self._sfn.start_execution(stateMachineArn=self._arn, name=name, input=json.dumps(dict(payload)))
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ExecutionAlreadyExists":
                prefix = self._arn.replace(":stateMachine:", ":execution:")
                return f"{prefix}:{name}"
            raise UpstreamError(f"cannot start the orchestration state machine: {exc}", code="STATE_MACHINE_ERROR") from exc
        except BotoCoreError as exc:
            raise UpstreamError(f"Step Functions unreachable: {exc}", code="STATE_MACHINE_ERROR") from exc
        return str(out["executionArn"])

    def stop(self, execution_arn: str, cause: str) -> None:
        try:
            self._sfn.stop_execution(executionArn=execution_arn, cause=cause[:32768])
        except ClientError as exc:
            if exc.response["Error"]["Code"] in _GONE:
                return
            raise UpstreamError(f"cannot stop the orchestration run: {exc}", code="STATE_MACHINE_ERROR") from exc

    def send_success(self, task_token: str, output: Mapping[str, Any]) -> bool:
        """Complete a waiting task. False when the task no longer waits (timed out, or the run ended)."""
        try:
            self._sfn.send_task_success(taskToken=task_token, output=json.dumps(dict(output)))
        except ClientError as exc:
            if exc.response["Error"]["Code"] in _GONE:
                return False
            raise UpstreamError(f"cannot resume the orchestration run: {exc}", code="STATE_MACHINE_ERROR") from exc
        return True

    def status(self, execution_arn: str) -> str:
        return str(self._sfn.describe_execution(executionArn=execution_arn)["status"])
