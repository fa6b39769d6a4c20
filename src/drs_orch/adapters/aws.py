"""boto3 client construction. Endpoints come only from the standard settings
(AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DRS, ...), so the same code reaches AWS or the local stack."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

# Adaptive retries absorb throttling (DRS answers 429 under load) with client-side rate limiting.
DEFAULT_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 8}, connect_timeout=5, read_timeout=60)


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
    return boto3.session.Session().client(service, **kwargs)
