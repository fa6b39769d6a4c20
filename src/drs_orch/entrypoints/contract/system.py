"""System routes: health, the OpenAPI document, the caller's permissions."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from drs_orch.entrypoints.contract.base import ApiModel


class NamedStatus(ApiModel):
    name: str
    status: str


class ArnStatus(ApiModel):
    arn: str
    status: str


class DrsReach(ApiModel):
    reachable: bool
    detail: str


class Health(ApiModel):
    status: str = Field(description="HEALTHY | DEGRADED")
    tables: dict[str, NamedStatus]
    state_machine: ArnStatus
    drs: DrsReach


class OpenApiDocument(ApiModel):
    openapi: str
    info: dict[str, str]
    paths: dict[str, dict[str, Any]]
    security: list[dict[str, list[str]]]
    components: dict[str, Any]


class UserInfo(ApiModel):
    username: str
    email: str | None = None
    groups: list[str]


class UserPermissions(ApiModel):
    user: UserInfo
    roles: list[str]
    permissions: list[str]
    via: str = Field(description="api (Cognito) | direct (IAM)")
