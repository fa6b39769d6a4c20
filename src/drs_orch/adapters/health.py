"""Readiness probes of the deployed resources (GET /health). One client per service, made once
per container and shared by the probes (boto3 clients are thread-safe)."""

from __future__ import annotations

import functools
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from drs_orch.adapters.aws import client

# A health probe answers quickly: no long retry ladder against an endpoint that is down.
_PROBE = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=3, read_timeout=5,
                max_pool_connections=16)


class AwsHealthProbe:
    def __init__(self, region: str) -> None:
        self._region = region

    @functools.cached_property
    def _dynamodb(self) -> Any:
        return client("dynamodb", region=self._region, config=_PROBE)

    @functools.cached_property
    def _sfn(self) -> Any:
        return client("stepfunctions", region=self._region, config=_PROBE)

    @functools.cached_property
    def _drs(self) -> Any:
        return client("drs", region=self._region, config=_PROBE)

    def warm(self) -> None:
        """Create the clients before probing in parallel (client creation is not thread-safe)."""
        _ = (self._dynamodb, self._sfn, self._drs)

    def table_status(self, name: str) -> str:
        try:
            return str(self._dynamodb.describe_table(TableName=name)["Table"]["TableStatus"])
        except ClientError as exc:
            return str(exc.response["Error"]["Code"])
        except BotoCoreError as exc:
            return type(exc).__name__

    def state_machine_status(self, arn: str) -> str:
        try:
            return str(self._sfn.describe_state_machine(stateMachineArn=arn).get("status", "ACTIVE"))
        except ClientError as exc:
            return str(exc.response["Error"]["Code"])
        except BotoCoreError as exc:
            return type(exc).__name__

    def drs_reachable(self) -> tuple[bool, str]:
        try:
            self._drs.describe_jobs(maxResults=1)
            return True, "OK"
        except ClientError as exc:  # an answer from DRS, even a refusal, proves the endpoint works
            return True, str(exc.response["Error"]["Code"])
        except BotoCoreError as exc:
            return False, type(exc).__name__
