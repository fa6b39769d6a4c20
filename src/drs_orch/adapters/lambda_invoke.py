"""Asynchronous invocation of a Lambda function (a background run of one of our operations)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from drs_orch.adapters.aws import client
from drs_orch.domain.errors import UpstreamError


def invoke_async(function_arn: str, region: str, event: Mapping[str, Any]) -> None:
    """Queue ``event`` for ``function_arn`` (InvocationType Event: Lambda answers 202 at once)."""
    try:
        client("lambda", region=region).invoke(FunctionName=function_arn, InvocationType="Event",
                                               Payload=json.dumps(dict(event), default=str).encode())
    except (ClientError, BotoCoreError) as exc:
        raise UpstreamError(f"the background run could not be queued: {exc}", code="DISPATCH_FAILED") from exc
