"""Paginated reads with our own backoff on throttling, on top of botocore's adaptive retries.

Every list goes through a boto3 paginator. When a page is throttled even after botocore's retries,
the listing waits (exponential backoff with full jitter, capped) and resumes from the page it was
at, using the paginator's ``StartingToken``; after ``attempts`` throttled tries it gives up with
:class:`Throttled`. Errors are mapped by the caller (region-aware) through :func:`error_code`."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import ClientError
from botocore.paginate import TokenEncoder

THROTTLING_CODES = frozenset({
    "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded",
    "ProvisionedThroughputExceededException", "RequestThrottled", "SlowDown",
})

Sleep = Callable[[float], None]


class Throttled(Exception):
    def __init__(self, operation: str, attempts: int) -> None:
        super().__init__(f"{operation} still throttled after {attempts} attempts")
        self.operation = operation
        self.attempts = attempts


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code") or "")


def backoff_delay(attempt: int, base: float = 0.5, cap: float = 8.0, rng: Callable[[], float] = random.random) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(cap, base * 2**attempt)]."""
    ceiling: float = min(cap, base * float(1 << max(attempt, 0)))
    return rng() * ceiling


def pages(
    client: Any,
    operation: str,
    *,
    token_key: str,
    input_token: str | None = None,
    page_size: int | None = None,
    attempts: int = 4,
    sleep: Sleep = time.sleep,
    on_page: Callable[[], None] | None = None,
    **params: Any,
) -> Iterator[dict[str, Any]]:
    """Yield the pages of ``operation``; ``token_key`` names the response's next-page token
    (``nextToken`` for DRS, ``NextToken`` for EC2, ``Marker`` for IAM, ``LastEvaluatedKey`` for
    DynamoDB) and ``input_token`` the request parameter it goes back into (default: the same
    name; ``ExclusiveStartKey`` for DynamoDB). A throttled listing resumes from the last page
    through the paginator's ``StartingToken``."""
    paginator = client.get_paginator(operation)
    token: Any = None
    throttled = 0
    while True:
        config: dict[str, Any] = {}
        if page_size:
            config["PageSize"] = page_size
        if token is not None:
            config["StartingToken"] = TokenEncoder().encode({input_token or token_key: token})
        try:
            for page in paginator.paginate(**params, PaginationConfig=config):
                if on_page is not None:
                    on_page()
                throttled = 0
                yield page
                token = page.get(token_key)
                if not token:
                    return
            return
        except ClientError as exc:
            if error_code(exc) not in THROTTLING_CODES:
                raise
            throttled += 1
            if throttled >= attempts:
                raise Throttled(operation, throttled) from exc
            sleep(backoff_delay(throttled))


def items(client: Any, operation: str, result_key: str, **kwargs: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in pages(client, operation, **kwargs):
        out.extend(page.get(result_key) or [])
    return out
