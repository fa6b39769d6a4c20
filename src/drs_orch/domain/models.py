"""Request and record models (pydantic v2, camelCase on the wire and in DynamoDB).

Inputs forbid unknown fields so that a misspelt field is an error rather than silently ignored;
records ignore unknown attributes. Dates are ISO-8601 strings (:func:`to_iso`). Use :func:`parse`
to turn untrusted data into a model: it raises :class:`ValidationFailed` listing every problem as
``details=[{"field": "waves[0].waveName", "message": ...}]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from drs_orch.domain.data_rules import DRS_REGIONS, MAX_SERVERS_PER_GROUP
from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.field_errors import FieldProblem, error_details
from drs_orch.domain.input_rules import (
    MAX_OBJECTIVE_MINUTES,
    MAX_OVERRIDES_PER_GROUP,
    MAX_STAGING_ACCOUNTS,
    MAX_TAGS,
    MAX_WAVES_PER_PLAN,
    Description,
    Name,
    max_items,
)
from drs_orch.domain.launch_config import (
    SOURCE_SERVER_ID_PATTERN,
    EffectiveLaunchConfig,
    IsoTimestamp,
    LaunchConfig,
    ServerLaunchOverride,
    effective_config,
    validate_launch_config_static,
)
from drs_orch.domain.plan_graph import Wave, WaveInput, normalize_waves
from drs_orch.domain.tags import normalize_selection

REGION_PATTERN = r"^[a-z]{2,4}(-[a-z]+)?-[a-z]+-[0-9]{1,2}$"
ACCOUNT_ID_PATTERN = r"^[0-9]{12}$"
ROLE_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::([0-9]{12}):role/[A-Za-z0-9_+=,.@/-]+$"
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9_+=,.@:/-]{2,1224}$"

def _drs_region(value: str) -> str:
    if value not in DRS_REGIONS:
        raise ValueError(f"{value!r} is not a region where AWS Elastic Disaster Recovery is available")
    return value


# The one region rule: a region the platform is asked about is a DRS region (known by name).
Region = Annotated[str, StringConstraints(strip_whitespace=True, pattern=REGION_PATTERN), AfterValidator(_drs_region)]
AccountId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=ACCOUNT_ID_PATTERN)]
SourceServerId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=SOURCE_SERVER_ID_PATTERN)]
RoleArn = Annotated[str, StringConstraints(strip_whitespace=True, pattern=ROLE_ARN_PATTERN)]
ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=EXTERNAL_ID_PATTERN)]


ROLE_NAME_PATTERN = r"^[A-Za-z0-9_+=,.@-]{1,64}$"
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"
RoleName = Annotated[str, StringConstraints(strip_whitespace=True, pattern=ROLE_NAME_PATTERN)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=EMAIL_PATTERN)]


def apply_aliases(data: Any, aliases: dict[str, str]) -> Any:
    """Accept the seeds' field names as aliases of ours (``{"serverIds": "sourceServerIds"}``).
    Giving both with different values is ambiguous and refused, naming the alias."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for alias, name in aliases.items():
        if alias not in out:
            continue
        value = out.pop(alias)
        if name in out and out[name] != value:
            raise FieldProblem(alias, f"{alias} is another name for {name}; give one of them, or both equal")
        out[name] = value
    return out


class InputModel(BaseModel):
    """Base of request bodies. :meth:`problems` holds cross-field checks that report many
    problems at once; :func:`parse` runs them after the field validation passed."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", str_strip_whitespace=True
    )

    def problems(self) -> list[dict[str, str]]:
        return []


class RecordModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


M = TypeVar("M", bound=BaseModel)


def parse(model_cls: type[M], data: Any) -> M:
    """Validate ``data`` into ``model_cls``; every problem raises one :class:`ValidationFailed`."""
    try:
        model = model_cls.model_validate(data)
    except ValidationError as exc:
        details = error_details(exc)
        raise ValidationFailed(_summary(model_cls, details), details=details) from None
    problems = model.problems() if isinstance(model, InputModel) else []
    if problems:
        raise ValidationFailed(_summary(model_cls, problems), details=problems)
    return model


def _summary(model_cls: type[BaseModel], details: list[dict[str, str]]) -> str:
    """``invalid X: 2 problem(s); first: groupName: contains U+0000 ...``"""
    first = details[0]
    where = f"{first['field']}: " if first.get("field") else ""
    return f"invalid {model_cls.__name__}: {len(details)} problem(s); first: {where}{first['message']}"


def dump(model: BaseModel) -> dict[str, Any]:
    """camelCase JSON-ready dict without null fields (API bodies and DynamoDB items)."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def to_iso(moment: datetime) -> str:
    """``2025-02-16T10:30:00.000Z`` for an aware datetime (naive datetimes are refused)."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _role_account(role_arn: str) -> str:
    match = re.match(ROLE_ARN_PATTERN, role_arn)
    return match.group(1) if match else ""


# Protection groups


class ProtectionGroupInput(InputModel):
    """Create/update body. Exactly one of ``sourceServerIds`` and ``serverSelectionTags``."""

    group_name: Name
    description: Description = ""
    region: Region
    account_id: AccountId | None = None
    source_server_ids: Annotated[list[SourceServerId] | None, max_items(MAX_SERVERS_PER_GROUP)] = Field(
        default=None, min_length=1)
    server_selection_tags: Annotated[dict[str, str] | None, max_items(MAX_TAGS)] = None
    launch_config: LaunchConfig | None = None
    servers: Annotated[dict[SourceServerId, ServerLaunchOverride] | None, max_items(MAX_OVERRIDES_PER_GROUP)] = None
    version: int | None = Field(default=None, ge=0)
    # input only: the role the caller expects the account to be reached through (checked, not stored)
    assume_role_name: RoleName | None = None
    # input only (PUT): re-apply every server's launch settings after the save, changed or not
    force: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _seed_aliases(cls, data: Any) -> Any:
        return apply_aliases(data, {"serverIds": "sourceServerIds"})

    @field_validator("source_server_ids")
    @classmethod
    def _dedupe_servers(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else list(dict.fromkeys(value))

    @field_validator("server_selection_tags")
    @classmethod
    def _normalize_tags(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return None
        try:
            return normalize_selection(value)
        except ValidationFailed as exc:
            raise ValueError("; ".join(d["message"] for d in exc.details)) from None

    @model_validator(mode="after")
    def _one_selection_mode(self) -> ProtectionGroupInput:
        if self.source_server_ids is not None and self.server_selection_tags is not None:
            raise FieldProblem(
                "serverSelectionTags", "give either sourceServerIds or serverSelectionTags, not both"
            )
        if self.source_server_ids is None and self.server_selection_tags is None:
            raise FieldProblem("sourceServerIds", "one of sourceServerIds or serverSelectionTags is required")
        return self

    def problems(self) -> list[dict[str, str]]:
        found: list[dict[str, str]] = []
        overrides = self.servers or {}
        if self.source_server_ids is not None:
            members = set(self.source_server_ids)
            for server_id in overrides:
                if server_id not in members:
                    found.append(
                        {"field": f"servers.{server_id}", "message": "server is not in sourceServerIds"}
                    )
        for key, messages in validate_launch_config_static(self.launch_config, overrides).items():
            field = "launchConfig" if key == "group" else f"servers.{key}"
            found.extend({"field": field, "message": message} for message in messages)
        return found


class StoredRecord(RecordModel):
    """A group or plan as its store holds it (frozen: a change is a ``model_copy(update=...)``).
    Only attributes that were read or given are set, so :meth:`to_item` writes back exactly what
    was read, and a record built with explicit ``None``s shows them (:meth:`as_dict`)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Self:
        return cls.model_validate(dict(item))

    def as_dict(self) -> dict[str, Any]:
        """camelCase, every attribute that is set (``None``s included)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def to_item(self) -> dict[str, Any]:
        """The stored attributes (camelCase, ``None``s left out)."""
        return {k: v for k, v in self.as_dict().items() if v is not None}


class ProtectionGroup(StoredRecord):
    """A stored protection group. ``launchConfig``, ``servers`` and ``launchConfigStatus`` are the
    launch-settings area's documents, kept as stored (``services.launch_validation.parse_settings``
    reads them; the status is written by compare-and-swap there)."""

    group_id: str
    group_name: str
    description: str = ""
    region: str
    account_id: str
    source_server_ids: list[str] = Field(default_factory=list)
    server_selection_tags: dict[str, str] | None = None
    resolved_at: IsoTimestamp | None = None
    launch_config: dict[str, Any] | None = None
    servers: dict[str, dict[str, Any]] | None = None
    launch_config_status: dict[str, Any] | None = None
    version: int = Field(default=1, ge=1)
    created_date: IsoTimestamp
    last_modified_date: IsoTimestamp
    created_by: str | None = None
    last_modified_by: str | None = None

    @property
    def is_tag_based(self) -> bool:
        return self.server_selection_tags is not None

    def holds(self, account_id: str, region: str, server_id: str) -> bool:
        return (self.account_id, self.region) == (account_id, region) and server_id in self.source_server_ids

    def effective_config_for(self, server_id: str) -> EffectiveLaunchConfig:
        override = (self.servers or {}).get(server_id)
        return effective_config(None if self.launch_config is None else LaunchConfig.model_validate(self.launch_config),
                                None if override is None else ServerLaunchOverride.model_validate(override))


# Recovery plans


class RecoveryPlanInput(InputModel):
    """A plan. The earlier console's top-level fields are understood: ``protectionGroupId`` (a plan
    of that one group when no waves are given; otherwise a group the waves must use),
    ``accountId`` (the account every group must be in), ``assumeRoleName`` (checked against the
    account's registered role) and ``notificationEmail`` (subscribed to this plan's notifications)."""

    plan_name: Name
    description: Description = ""
    waves: Annotated[list[WaveInput], max_items(MAX_WAVES_PER_PLAN)] = Field(default_factory=list)
    version: int | None = Field(default=None, ge=0)
    notification_email: Email | None = None
    protection_group_id: str | None = Field(default=None, min_length=1, max_length=128)
    account_id: AccountId | None = None
    assume_role_name: RoleName | None = None

    @model_validator(mode="before")
    @classmethod
    def _seed_aliases(cls, data: Any) -> Any:
        data = apply_aliases(data, {"name": "planName"})
        if isinstance(data, dict) and data.get("notificationEmail") == "":
            data = {**data, "notificationEmail": None}  # the console sends "" for "no e-mail"
        return data

    @model_validator(mode="after")
    def _one_group_plan(self) -> RecoveryPlanInput:
        if not self.waves and self.protection_group_id:
            self.waves = [WaveInput(wave_number=1, wave_name="Wave 1",
                                    protection_group_ids=[self.protection_group_id])]
        return self

    def problems(self) -> list[dict[str, str]]:
        if not self.waves:
            return [{"field": "waves", "message": "at least one wave is required (or protectionGroupId alone "
                                                  "for a plan of one wave)"}]
        used = {g for w in self.waves for g in w.protection_group_ids}
        if self.protection_group_id and self.protection_group_id not in used:
            return [{"field": "protectionGroupId",
                     "message": f"protection group {self.protection_group_id} is in none of the waves"}]
        return []
    drill_ttl_hours: int | None = Field(default=None, ge=1, le=720)  # drill instances' lifetime (issue 16)
    # recovery objectives (issue 21): minutes; a wave's own override them for that wave
    rto_minutes: int | None = Field(default=None, ge=1, le=MAX_OBJECTIVE_MINUTES)
    rpo_minutes: int | None = Field(default=None, ge=1, le=MAX_OBJECTIVE_MINUTES)
    # time limits of every wave's jobs and waves (a wave's own override them; domain/time_limits.py)
    job_timeout_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)
    wave_timeout_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)

    def normalized_waves(self) -> list[Wave]:
        return normalize_waves(self.waves)


class RecoveryPlan(StoredRecord):
    """A stored recovery plan; its waves are in their explicit form (``domain.plan_graph.Wave``)."""

    plan_id: str
    plan_name: str
    description: str = ""
    waves: list[Wave] = Field(default_factory=list)
    schema_version: int | None = None
    version: int = Field(default=1, ge=1)
    created_date: IsoTimestamp
    last_modified_date: IsoTimestamp
    created_by: str | None = None
    last_modified_by: str | None = None
    notification_email: str | None = None
    notification_subscription_arn: str | None = None
    drill_ttl_hours: int | None = None
    rto_minutes: int | None = None
    rpo_minutes: int | None = None
    job_timeout_minutes: int | None = None
    wave_timeout_minutes: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out = super().as_dict()
        if "waves" in out:  # a wave's defaults are part of its stored form
            out["waves"] = self.wave_items()
        return out

    def wave_items(self) -> list[dict[str, Any]]:
        """The waves in their stored (and API) form: camelCase, defaults included."""
        return [w.model_dump(mode="json", by_alias=True, exclude_none=True) for w in self.waves]

    @property
    def group_ids(self) -> list[str]:
        """The groups the waves use, each once, in wave order."""
        return list(dict.fromkeys(g for w in self.waves for g in w.protection_group_ids))


# Target accounts


class StagingAccount(InputModel):
    account_id: AccountId
    account_name: Name | None = None
    role_arn: RoleArn
    external_id: ExternalId | None = None

    @model_validator(mode="after")
    def _role_in_account(self) -> StagingAccount:
        if _role_account(self.role_arn) != self.account_id:
            raise FieldProblem("roleArn", f"roleArn must be a role of account {self.account_id}")
        return self


class TargetAccountInput(InputModel):
    """A target account. ``roleArn`` is absent only for the hub account itself."""

    account_id: AccountId
    account_name: Name | None = None
    role_arn: RoleArn | None = None
    external_id: ExternalId | None = None
    staging_accounts: Annotated[list[StagingAccount], max_items(MAX_STAGING_ACCOUNTS)] = Field(default_factory=list)

    @field_validator("role_arn", "external_id", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        """The earlier console sends ``roleArn: ""`` for the hub (and for a blank field)."""
        return None if isinstance(value, str) and not value.strip() else value

    def problems(self) -> list[dict[str, str]]:
        found: list[dict[str, str]] = []
        if self.role_arn is not None and _role_account(self.role_arn) != self.account_id:
            found.append(
                {"field": "roleArn", "message": f"roleArn must be a role of account {self.account_id}"}
            )
        seen: set[str] = set()
        for index, staging in enumerate(self.staging_accounts):
            field = f"stagingAccounts[{index}].accountId"
            if staging.account_id == self.account_id:
                found.append(
                    {"field": field, "message": "the target account cannot be its own staging account"}
                )
            elif staging.account_id in seen:
                found.append(
                    {"field": field, "message": f"staging account {staging.account_id} is listed twice"}
                )
            seen.add(staging.account_id)
        return found


class TargetAccount(RecordModel):
    account_id: str
    account_name: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    staging_accounts: list[StagingAccount] = Field(default_factory=list)
    version: int = Field(default=1, ge=1)
    created_date: IsoTimestamp | None = None
    last_modified_date: IsoTimestamp | None = None
    last_validated: IsoTimestamp | None = None
    created_by: str | None = None
