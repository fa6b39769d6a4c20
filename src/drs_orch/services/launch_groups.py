"""The records the launch-settings service works on: options, ports, a protection group read for
its launch settings (:class:`GroupView`), the report of one apply and the public status shape."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from pydantic import ValidationError

from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.launch_config import EffectiveLaunchConfig, LaunchConfigStatus, config_hash
from drs_orch.domain.launch_rules import ServerOutcome, intended_config
from drs_orch.domain.models import ProtectionGroup
from drs_orch.domain.statuses import LaunchConfigState
from drs_orch.services.launch_apply import ApplyOptions, LaunchGateway
from drs_orch.services.launch_validation import ParsedSettings, parse_settings

log = logging.getLogger(__name__)
L = LaunchConfigState


class DriftCheck(StrEnum):
    """What the wave-start drift check reads (the status view and the apply route always read both)."""

    FULL = "full"  # DRS launch configurations and EC2 launch templates
    TEMPLATES = "templates"  # EC2 launch templates only: no DRS call at wave start
    OFF = "off"  # trust the stored status: no call at all


@dataclass(frozen=True)
class LaunchOptions:
    parallelism: int = 10
    save_budget_seconds: float = 20.0  # apply on request (API Gateway answers within 29 s)
    # the apply inside a group save (POST/PUT, refresh, import, override changes): short, because the
    # save's own checks and writes come first (a 3,000-server save spends several seconds on them);
    # what does not fit continues in background runs
    after_save_budget_seconds: float = 3.0
    # one background run (an asynchronous invocation of the data-management function, whose timeout
    # is 300 s): a server whose DRS step started also gets its EC2 step, up to 30 s past the budget
    background_budget_seconds: float = 120.0
    wave_budget_seconds: float = 120.0
    drift_check: DriftCheck = DriftCheck.FULL
    # the wave start's drift reads (one DRS GetLaunchConfiguration per server): read-only, so more
    # at once than applies; 100 servers in 2 rounds of calls
    drift_parallelism: int = 50
    stale_applying_seconds: float = 600.0
    max_attempts: int = 6
    account_listing_min: int = 10
    chunk_servers: int = 50  # servers applied together (the budget is overrun by at most one chunk)
    # a background run's chunks: one account-wide listing of launch templates serves a chunk (a page
    # holds 200), and an overrun of the budget matters less there
    background_chunk_servers: int = 200

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LaunchOptions:
        """From ``LAUNCH_APPLY_PARALLELISM``, ``LAUNCH_APPLY_BUDGET_SECONDS``,
        ``LAUNCH_SAVE_BUDGET_SECONDS``, ``LAUNCH_BACKGROUND_BUDGET_SECONDS``,
        ``LAUNCH_WAVE_BUDGET_SECONDS``, ``LAUNCH_DRIFT_CHECK`` (full | templates | off),
        ``LAUNCH_DRIFT_PARALLELISM``, ``LAUNCH_APPLY_CHUNK_SERVERS`` and
        ``LAUNCH_BACKGROUND_CHUNK_SERVERS``."""
        problems: list[dict[str, str]] = []

        def number(name: str, default: float, low: float, high: float) -> float:
            raw = env.get(name)
            if raw is None or raw == "":
                return default
            try:
                value = float(raw)
            except ValueError:
                value = float("nan")
            if not low <= value <= high:
                problems.append({"field": name, "message": f"must be a number from {low:g} to {high:g}"})
                return default
            return value

        drift = env.get("LAUNCH_DRIFT_CHECK") or cls.drift_check.value
        if drift not in {d.value for d in DriftCheck}:
            problems.append({"field": "LAUNCH_DRIFT_CHECK", "message": "must be full, templates or off"})
            drift = cls.drift_check.value
        options = cls(
            parallelism=int(number("LAUNCH_APPLY_PARALLELISM", cls.parallelism, 1, 200)),
            save_budget_seconds=number("LAUNCH_APPLY_BUDGET_SECONDS", cls.save_budget_seconds, 1, 900),
            after_save_budget_seconds=number("LAUNCH_SAVE_BUDGET_SECONDS", cls.after_save_budget_seconds, 0, 20),
            # a run may wait up to 60 s for the run before it, then applies: within the 300 s timeout
            background_budget_seconds=number("LAUNCH_BACKGROUND_BUDGET_SECONDS", cls.background_budget_seconds,
                                             1, 150),
            wave_budget_seconds=number("LAUNCH_WAVE_BUDGET_SECONDS", cls.wave_budget_seconds, 1, 900),
            drift_check=DriftCheck(drift),
            drift_parallelism=int(number("LAUNCH_DRIFT_PARALLELISM", cls.drift_parallelism, 1, 200)),
            chunk_servers=int(number("LAUNCH_APPLY_CHUNK_SERVERS", cls.chunk_servers, 1, 3000)),
            background_chunk_servers=int(number("LAUNCH_BACKGROUND_CHUNK_SERVERS", cls.background_chunk_servers,
                                                1, 3000)),
        )
        if problems:
            # a deployment mistake, not the caller's: surfaces as a 500 with the details logged
            raise ValueError("invalid launch settings configuration: " + "; ".join(
                f"{p['field']} {p['message']}" for p in problems))
        return options

    def apply_options(self, *, background: bool = False) -> ApplyOptions:
        return ApplyOptions(parallelism=self.parallelism, max_attempts=self.max_attempts,
                            account_listing_min=self.account_listing_min,
                            chunk_servers=self.background_chunk_servers if background else self.chunk_servers)


class GroupStore(Protocol):
    def get(self, group_id: str) -> ProtectionGroup | None: ...

    def get_settings(self, group_id: str) -> ProtectionGroup | None:
        """The group's members and launch settings; its per-server status may be left out (cheaper)."""
        ...

    def save_overrides(
        self, group_id: str, servers: dict[str, Any], expected_version: int, now_iso: str, actor: str
    ) -> int: ...

    def write_status(self, group_id: str, record: dict[str, Any], expected_revision: int | None) -> bool: ...


class AccountResolver(Protocol):
    def context_for(self, account_id: str | None, region: str) -> AccountContext: ...


GatewayFactory = Callable[[AccountContext], LaunchGateway]
# queues a background run of a group's apply: (group id, continuation {applyId, settingsHash});
# raises a DomainError when it cannot be queued
Dispatch = Callable[[str, dict[str, str]], None]


@dataclass
class GroupView:
    """A group read for launch settings."""

    group: ProtectionGroup
    settings: ParsedSettings
    status: LaunchConfigStatus | None
    revision: int | None
    template_ids: dict[str, str] = field(default_factory=dict)
    apply_started_at: str | None = None
    apply_id: str | None = None
    # ``launchConfigStatus.background``: the apply continues in background runs (applyId,
    # settingsHash, runs, leaseUntil while a run applies, counts, waitingFor)
    background: dict[str, Any] | None = None

    @property
    def group_id(self) -> str:
        return self.group.group_id

    @property
    def version(self) -> int:
        return self.group.version

    @property
    def members(self) -> list[str]:
        return list(dict.fromkeys(self.group.source_server_ids))

    @property
    def state(self) -> LaunchConfigState:
        return self.status.status if self.status is not None else L.NOT_CONFIGURED

    def intended(self) -> dict[str, EffectiveLaunchConfig]:
        return {sid: intended_config(self.settings.group, self.settings.overrides.get(sid)) for sid in self.members}

    def settings_hash(self) -> str:
        """One hash of every member's effective launch settings: changes when any server's would."""
        digest = hashlib.sha256()
        for sid, cfg in sorted(self.intended().items()):
            digest.update(f"{sid}={config_hash(cfg)};".encode())
        return digest.hexdigest()[:32]

    @classmethod
    def of(cls, group: ProtectionGroup) -> GroupView:
        settings, _ = parse_settings(group)
        raw = group.launch_config_status or {}
        try:
            status = LaunchConfigStatus.model_validate(raw) if raw else None
        except ValidationError:
            log.warning("group %s has an unreadable launchConfigStatus; treating it as absent", group.group_id)
            status = None
        template_ids = {
            sid: str(entry["launchTemplateId"])
            for sid, entry in (raw.get("serverConfigs") or {}).items()
            if isinstance(entry, dict) and entry.get("launchTemplateId")
        }
        revision = raw.get("revision")
        background = raw.get("background")
        return cls(group, settings, status, int(revision) if revision is not None else None, template_ids,
                   raw.get("applyStartedAt"), raw.get("applyId"),
                   dict(background) if isinstance(background, dict) else None)


@dataclass
class ApplyReport:
    group_id: str
    record: LaunchConfigStatus | None
    outcomes: dict[str, ServerOutcome] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    persisted: bool = True
    duration_ms: int = 0
    template_ids: dict[str, str] = field(default_factory=dict)
    # the apply continues in background runs: the status as written (``applying``, ``background``),
    # or as left when queuing failed
    continued: dict[str, Any] = field(default_factory=dict)

    def servers(self, state: LaunchConfigState) -> list[str]:
        return sorted(s for s, o in self.outcomes.items() if o.status is state)

    def body(self) -> dict[str, Any]:
        status = {**public_status(self.record, self.template_ids), **self.continued}
        applied, failed, pending = (self.servers(s) for s in (L.READY, L.FAILED, L.PENDING))
        return {
            "groupId": self.group_id, **status,
            "appliedServers": len(applied), "failedServers": len(failed), "pendingServers": len(pending),
            "skippedServers": len(self.skipped), "applied": applied, "failed": failed, "pending": pending,
            "skipped": self.skipped, "calls": self.calls, "durationMs": self.duration_ms, "persisted": self.persisted,
        }


def public_status(record: LaunchConfigStatus | None, template_ids: Mapping[str, str] | None = None,
                  background: Mapping[str, Any] | None = None) -> dict[str, Any]:
    body = (record or LaunchConfigStatus()).model_dump(mode="json", by_alias=True, exclude_none=True)
    for server_id, tid in (template_ids or {}).items():
        if server_id in body["serverConfigs"]:
            body["serverConfigs"][server_id]["launchTemplateId"] = tid
    if background is not None:
        body["background"] = dict(background)
    return body
