"""Request models of tag sync and configuration import (the shared ``domain.models`` holds groups,
plans and accounts)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, field_validator

from drs_orch.domain.data_rules import DRS_REGIONS, MAX_SYNC_HOURS, MIN_SYNC_HOURS
from drs_orch.domain.input_rules import MAX_REGIONS, PlainText, max_items
from drs_orch.domain.models import AccountId, InputModel, Region


def _drs_regions(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    unknown = [r for r in value if r not in DRS_REGIONS]
    if unknown:
        raise ValueError(f"not DRS regions: {', '.join(unknown)}")
    return sorted(set(value))


class TagSyncSettingsInput(InputModel):
    enabled: bool | None = None
    interval_hours: int | None = Field(default=None, ge=MIN_SYNC_HOURS, le=MAX_SYNC_HOURS)
    regions: Annotated[list[Region] | None, max_items(MAX_REGIONS)] = None

    _regions = field_validator("regions")(classmethod(lambda cls, v: _drs_regions(v)))


class TagSyncRunInput(InputModel):
    """``source`` says who started the run (``api``, ``schedule``, ``cli``); it is only recorded."""

    account_id: AccountId | None = None
    region: Region | None = None
    regions: Annotated[list[Region] | None, max_items(MAX_REGIONS)] = None
    source: Annotated[str | None, PlainText] = Field(default=None, max_length=32)
    # the earlier console's {async: true}: answer 202 with a run id at once, run in the background
    run_async: bool = Field(default=False, alias="async")
    # set by the asynchronous dispatch only: the run id the 202 answer promised
    run_id: str | None = Field(default=None, pattern=r"^[0-9a-f-]{36}$")

    _regions = field_validator("regions")(classmethod(lambda cls, v: _drs_regions(v)))


class ImportMode(StrEnum):
    SKIP = "skip"
    OVERWRITE = "overwrite"


class ImportRequest(InputModel):
    config: dict[str, Any]
    dry_run: bool = False
    mode: ImportMode = ImportMode.SKIP
