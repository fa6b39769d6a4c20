from __future__ import annotations

import os

ENDPOINT_SETTING = "AWS_ENDPOINT_URL"  # and each service's AWS_ENDPOINT_URL_<SERVICE>


def forget_endpoints() -> None:
    """Drop the endpoint settings and the profile a shell may hold (``drs-orch env`` exports them),
    so that boto3 in this process reaches moto's in-process mock, not a running local stack."""
    for key in [k for k in os.environ if k.startswith(ENDPOINT_SETTING)] + ["AWS_PROFILE"]:
        os.environ.pop(key, None)
