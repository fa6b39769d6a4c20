"""Domain errors: each carries a stable code and the HTTP status it maps to."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """An error the caller can act on. Never used for bugs."""

    status: int = 400
    default_code: str = "BAD_REQUEST"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class ValidationFailed(DomainError):
    status = 400
    default_code = "VALIDATION_ERROR"


class Unauthorized(DomainError):
    status = 401
    default_code = "UNAUTHORIZED"


class Forbidden(DomainError):
    status = 403
    default_code = "FORBIDDEN"


class NotFound(DomainError):
    status = 404
    default_code = "NOT_FOUND"


class Conflict(DomainError):
    status = 409
    default_code = "CONFLICT"


class LimitExceeded(DomainError):
    status = 429
    default_code = "LIMIT_EXCEEDED"


class UpstreamError(DomainError):
    """AWS refused or failed for a reason that is not the caller's input (e.g. a role that cannot
    be assumed). Mapped to 502 so it is never confused with our own bugs (500)."""

    status = 502
    default_code = "UPSTREAM_ERROR"


class PayloadTooLarge(DomainError):
    """The request body is larger than API Gateway accepts (10 MB)."""

    status = 413
    default_code = "REQUEST_TOO_LARGE"
