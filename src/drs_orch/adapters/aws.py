"""boto3 client construction. Endpoints come only from the standard settings
(AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DRS, ...), so the same code reaches AWS or the local stack."""

from __future__ import annotations

from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.loaders import create_loader

from drs_orch.adapters.paging import THROTTLING_CODES

# Adaptive retries absorb throttling (DRS answers 429 under load) with client-side rate limiting.
# A client is shared by the worker threads of parallel reads (``LAUNCH_DRIFT_PARALLELISM`` = 50):
# with botocore's default pool of 10 connections, every other request opened a connection and
# threw it away.
POOL_CONNECTIONS = 64
DEFAULT_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 8}, connect_timeout=5, read_timeout=60,
                        max_pool_connections=POOL_CONNECTIONS)


# One loader for every session of the process: a new session otherwise reads and parses the service's
# model files again (~100-250 ms per client or resource, paid for each table, each account-region's
# DRS and EC2 client, and by every cold start). The loader only caches what it read from disk.
_LOADER = create_loader()


def session() -> boto3.session.Session:
    """A new boto3 session (sessions are not thread-safe; one per client) sharing the model loader."""
    core = botocore.session.Session()
    core.register_component("data_loader", _LOADER)
    return boto3.session.Session(botocore_session=core)


def client(service: str, *, region: str | None = None, credentials: dict[str, str] | None = None,
           config: Config | None = None) -> Any:
    kwargs: dict[str, Any] = {"config": config or DEFAULT_CONFIG}
    if region:
        kwargs["region_name"] = region
    if credentials:
        kwargs.update(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials.get("SessionToken"),
        )
    made = session().client(service, **kwargs)
    made.meta.events.register("needs-retry", _count_throttle)
    return made


def _count_throttle(response: Any = None, operation: Any = None, **_: Any) -> None:
    """botocore asks whether to retry after every attempt: count the throttled ones (metric
    ``Throttled`` by AWS service, and ``DrsThrottled`` for DRS, which the template alarms on).
    Returns None: the retry decision stays botocore's."""
    if not response or not isinstance(response, tuple) or len(response) < 2 or not isinstance(response[1], dict):
        return
    code = str((response[1].get("Error") or {}).get("Code") or "")
    if code not in THROTTLING_CODES:
        return
    from drs_orch.services import telemetry

    aws_service = str(getattr(getattr(operation, "service_model", None), "service_name", "") or "unknown")
    telemetry.count(telemetry.THROTTLED, awsService=aws_service)
    if aws_service == "drs":
        telemetry.count(telemetry.DRS_THROTTLED)
