"""Readiness probes of the deployed resources (GET /health)."""

from __future__ import annotations

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from drs_orch.adapters.aws import client

# A health probe answers quickly: no long retry ladder against an endpoint that is down.
_PROBE = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=3, read_timeout=5)


class AwsHealthProbe:
    def __init__(self, region: str) -> None:
        self._region = region

    def table_status(self, name: str) -> str:
        try:
            return str(client("dynamodb", region=self._region).describe_table(TableName=name)["Table"]["TableStatus"])
        except ClientError as exc:
            return str(exc.response["Error"]["Code"])

    def state_machine_status(self, arn: str) -> str:
        try:
            return str(client("stepfunctions", region=self._region).describe_state_machine(stateMachineArn=arn)
                       .get("status", "ACTIVE"))
        except ClientError as exc:
            return str(exc.response["Error"]["Code"])

    def drs_reachable(self) -> tuple[bool, str]:
        try:
            client("drs", region=self._region, config=_PROBE).describe_jobs(maxResults=1)
            return True, "OK"
        except ClientError as exc:  # an answer from DRS, even a refusal, proves the endpoint works
            return True, str(exc.response["Error"]["Code"])
        except BotoCoreError as exc:
            return False, type(exc).__name__
