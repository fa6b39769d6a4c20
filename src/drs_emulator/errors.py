"""Modelled DRS errors.

A :class:`DrsError` names an error shape of botocore's ``drs`` model; :func:`drs_emulator.wire.render_error`
turns it into the wire answer (the shape's HTTP status, its body members, ``Retry-After`` where the
shape binds ``retryAfterSeconds`` to that header, and always ``x-amzn-ErrorType``).

Where the model does not list an error for an operation but the situation clearly is one (an unknown
id passed to StartRecovery, which models no ResourceNotFoundException), the emulator still answers
with the semantically right modelled shape; boto3 maps it by ``x-amzn-ErrorType`` to the service's
exception class regardless of the operation.
"""

from __future__ import annotations

from typing import Any


class DrsError(Exception):
    """An error answered with the modelled shape ``error_type`` (e.g. ``ConflictException``)."""

    def __init__(self, error_type: str, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.fields = {k: v for k, v in fields.items() if v is not None}

    def __repr__(self) -> str:
        return f"DrsError({self.error_type!r}, {self.message!r}, {self.fields!r})"


def validation(
    message: str,
    *,
    reason: str = "fieldValidationFailed",
    field_list: list[dict[str, str]] | None = None,
) -> DrsError:
    """ValidationException (400). ``reason`` is one of the model's ValidationExceptionReason values:
    unknownOperation, cannotParse, fieldValidationFailed, other."""
    return DrsError("ValidationException", message, reason=reason, fieldList=field_list)


def field_error(name: str, message: str) -> DrsError:
    return validation(f"Invalid value for {name}: {message}", field_list=[{"name": name, "message": message}])


def not_found(resource_type: str, resource_id: str, message: str | None = None) -> DrsError:
    return DrsError(
        "ResourceNotFoundException",
        message or f"{resource_type} {resource_id} does not exist",
        resourceId=resource_id,
        resourceType=resource_type,
    )


def conflict(resource_type: str, resource_id: str, message: str) -> DrsError:
    return DrsError("ConflictException", message, resourceId=resource_id, resourceType=resource_type)


def quota_exceeded(
    resource_type: str, quota_code: str, message: str, resource_id: str | None = None
) -> DrsError:
    return DrsError(
        "ServiceQuotaExceededException",
        message,
        resourceId=resource_id,
        resourceType=resource_type,
        serviceCode="drs",
        quotaCode=quota_code,
    )


def access_denied(message: str) -> DrsError:
    return DrsError("AccessDeniedException", message)


def uninitialized(account: str, region: str) -> DrsError:
    return DrsError(
        "UninitializedAccountException",
        f"Account {account} is not initialized for Elastic Disaster Recovery in {region}; call InitializeService",
    )


def throttling(
    message: str = "Rate exceeded", retry_after: int = 1, quota_code: str | None = None
) -> DrsError:
    return DrsError(
        "ThrottlingException",
        message,
        serviceCode="drs",
        quotaCode=quota_code,
        retryAfterSeconds=str(retry_after),
    )


def internal(message: str = "An internal error occurred", retry_after: int = 1) -> DrsError:
    return DrsError("InternalServerException", message, retryAfterSeconds=retry_after)
