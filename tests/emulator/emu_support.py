"""Helpers shared by the emulator tests (fixtures live in conftest.py)."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.config import Config

from drs_emulator import Emulator, server_id_for
from drs_emulator.wire import operation_model

HUB = "123456789012"
SPOKE = "111111111111"
STAGING = "222222222222"
START = "2026-03-01T12:00:00+00:00"
PRODUCTION_RETRIES = Config(retries={"mode": "standard"})
KEYS = {"aws_access_key_id": "AKIAEMULATORTEST0001", "aws_secret_access_key": "secret"}


def sid(hostname: str, account: str = HUB, region: str = "us-east-1") -> str:
    return server_id_for(account, region, hostname)


def assume(account: str) -> dict[str, str]:
    """Credentials of an STS AssumeRole into ``account`` (moto STS, in-process). When a local stack
    of the same process enforces role trust in that account (tests sharing a worker), the role is
    provisioned first, trusting this caller, as the stack provisions its own spokes."""
    from drs_local import iam_policy

    if account in iam_policy.enforced_accounts():
        iam_policy.provision_spoke(account)
    sts = boto3.client("sts", region_name="us-east-1", **KEYS)
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/DRSOrchestrationRole", RoleSessionName="tests"
    )["Credentials"]
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


def call(
    emu: Emulator,
    operation: str,
    params: dict[str, Any] | None = None,
    *,
    region: str = "us-east-1",
    key: str = "",
) -> tuple[int, dict[str, str], Any]:
    """Send one request through the emulator's full pipeline in-process (no socket)."""
    http = operation_model(operation).http
    auth = (
        f"AWS4-HMAC-SHA256 Credential={key or KEYS['aws_access_key_id']}/20260301/{region}/drs/aws4_request"
    )
    body = json.dumps(params or {}).encode()
    response = emu.handle(http["method"], http["requestUri"], "", {"Authorization": auth}, body)
    return response.status, dict(response.headers), response.json()
