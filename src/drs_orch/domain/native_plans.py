"""Our recovery plans <-> DRS native Recovery Plans (pure: no I/O).

A native plan lives in one account and region and runs its steps strictly one after another: a
SERVER step launches up to 100 servers as one job, with a per-server impact level (a CRITICAL server
that does not launch fails the step and the execution; an OPTIONAL one does not), and a WAIT step
waits 1-120 minutes. Our plan is a graph of waves of protection groups with manual pauses and a
per-wave failure policy. What one side cannot express is reported, never silently dropped.

Export (ours -> native):

* waves in dependency order (ties by wave number) -> one SERVER step each (waves over 100 servers
  are split into consecutive steps); ``onServerFailure`` STOP -> CRITICAL servers, CONTINUE ->
  OPTIONAL servers;
* reported as not exported: dependencies that let waves run in parallel (``DEPENDENCIES``: native
  steps are sequential), manual pauses (``PAUSE``; with ``pauseAsWaitMinutes`` they become timed
  WAIT steps, still reported as approximated), per-server and group launch settings
  (``LAUNCH_SETTINGS``: they live in each server's DRS launch configuration, not in the plan), tag
  selection (``TAG_SELECTION``: the native step gets today's servers), wave descriptions
  (``WAVE_DESCRIPTION``), waves without servers (``EMPTY_WAVE``);
* adjustments (nothing lost): names changed to the native name pattern, split waves.

Import (native -> ours): each SERVER step becomes a wave depending on the previous one; its
``onServerFailure`` is CONTINUE when every server is OPTIONAL, else STOP, and a mix is reported
(``IMPACT_LEVEL``: our policy is per wave). WAIT steps are reported (``WAIT``); with ``waitAsPause``
the next wave pauses before it starts instead (still reported as approximated).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.models import ProtectionGroup, RecoveryPlan

MAX_STEPS = 20
MAX_SERVERS_PER_STEP = 100
MAX_NATIVE_NAME = 256
OUR_NAME_MAX = 64
_NATIVE_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9 _-]*")
_ARN = re.compile(
    r"arn:aws[a-z-]*:drs:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):(?P<kind>[a-z-]+)/(?P<id>[\w.-]+)"
)


@dataclass(frozen=True)
class Finding:
    """Something that did not carry over (``kind`` names what) or was adapted on the way."""

    kind: str
    message: str
    wave_number: int | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "message": self.message}
        if self.wave_number is not None:
            out["waveNumber"] = self.wave_number
        if self.details:
            out["details"] = dict(self.details)
        return out


@dataclass(frozen=True)
class NativeStep:
    name: str
    servers: tuple[tuple[str, str], ...] = ()  # (source server id, impact level)
    wait_minutes: int | None = None
    wave_number: int | None = None

    def configuration(self, account_id: str, region: str) -> dict[str, Any]:
        if self.wait_minutes is not None:
            return {"waitStepConfiguration": {"waitDurationMinutes": self.wait_minutes}}
        return {
            "serverStepConfiguration": {
                "servers": [
                    {"serverArn": source_server_arn(account_id, region, sid), "impactLevel": impact}
                    for sid, impact in self.servers
                ]
            }
        }

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "stepName": self.name,
            "type": "WAIT" if self.wait_minutes is not None else "SERVER",
        }
        if self.wave_number is not None:
            out["waveNumber"] = self.wave_number
        if self.wait_minutes is not None:
            out["waitDurationMinutes"] = self.wait_minutes
        else:
            out["servers"] = [{"sourceServerId": sid, "impactLevel": impact} for sid, impact in self.servers]
        return out


@dataclass(frozen=True)
class NativeExport:
    name: str
    description: str
    account_id: str
    region: str
    steps: list[NativeStep]
    not_exported: list[Finding]
    adjustments: list[Finding]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "accountId": self.account_id,
            "region": self.region,
            "steps": [s.to_dict() for s in self.steps],
        }


@dataclass(frozen=True)
class ImportedWave:
    wave_number: int
    wave_name: str
    server_ids: list[str]
    on_server_failure: str
    pause_before_wave: bool
    step_name: str


@dataclass(frozen=True)
class NativeImport:
    plan_name: str
    description: str
    account_id: str
    region: str
    waves: list[ImportedWave]
    not_imported: list[Finding]
    adjustments: list[Finding]


def source_server_arn(account_id: str, region: str, server_id: str) -> str:
    return f"arn:aws:drs:{region}:{account_id}:source-server/{server_id}"


def parse_drs_arn(arn: str) -> tuple[str, str, str, str] | None:
    """``arn:aws:drs:REGION:ACCOUNT:KIND/ID`` -> (account, region, kind, id)."""
    m = _ARN.fullmatch(arn)
    return (m["account"], m["region"], m["kind"], m["id"]) if m else None


def native_name(raw: str, fallback: str) -> str:
    """``raw`` in the native name pattern ``[a-zA-Z0-9][a-zA-Z0-9 _-]*`` (at most 256 characters)."""
    cleaned = re.sub(r"[^a-zA-Z0-9 _-]+", "-", raw).strip(" _-")
    cleaned = re.sub(r"-{2,}", "-", cleaned)[:MAX_NATIVE_NAME].rstrip()
    return cleaned if cleaned and _NATIVE_NAME.fullmatch(cleaned) else fallback


def _unique(name: str, taken: set[str], limit: int) -> str:
    candidate, n = name, 2
    while candidate.lower() in taken:
        suffix = f" {n}"
        candidate = name[: limit - len(suffix)] + suffix
        n += 1
    taken.add(candidate.lower())
    return candidate


def wave_order(waves: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Waves in an order that respects ``dependsOnWaves`` (ties by wave number)."""
    remaining = sorted(waves, key=lambda w: int(w["waveNumber"]))
    done: set[int] = set()
    ordered: list[Mapping[str, Any]] = []
    while remaining:
        ready = next(
            (w for w in remaining if set(int(d) for d in w.get("dependsOnWaves") or []) <= done), remaining[0]
        )
        remaining.remove(ready)
        ordered.append(ready)
        done.add(int(ready["waveNumber"]))
    return ordered


def _closure(number: int, deps: Mapping[int, list[int]]) -> set[int]:
    seen: set[int] = set()
    stack = list(deps.get(number, []))
    while stack:
        d = stack.pop()
        if d not in seen:
            seen.add(d)
            stack.extend(deps.get(d, []))
    return seen


def _wave_servers(wave: Mapping[str, Any], groups: Mapping[str, ProtectionGroup]) -> list[str]:
    out: list[str] = []
    for group_id in wave.get("protectionGroupIds") or []:
        group = groups.get(group_id)
        for sid in group.source_server_ids if group is not None else []:
            if sid not in out:
                out.append(sid)
    return out


def _group_findings(plan_groups: list[ProtectionGroup], waves_of: Mapping[str, int]) -> list[Finding]:
    out = []
    for group in plan_groups:
        gid = group.group_id
        overrides = sorted((group.servers or {}).keys())
        if group.launch_config or overrides:
            status = (group.launch_config_status or {}).get("status")
            out.append(Finding(
                "LAUNCH_SETTINGS",
                f"group {group.group_name}: launch settings stay in each server's DRS launch configuration"
                " (the native plan does not carry them)" + ("" if status == "APPLIED" else f"; last apply: {status}"),
                waves_of.get(gid),
                {"groupId": gid, "groupLaunchConfig": bool(group.launch_config), "serverOverrides": overrides},
            ))  # fmt: skip
        if group.server_selection_tags:
            out.append(Finding(
                "TAG_SELECTION",
                f"group {group.group_name} selects servers by tags; the native step lists the servers"
                " resolved now and will not follow tag changes",
                waves_of.get(gid),
                {"groupId": gid, "serverSelectionTags": dict(group.server_selection_tags),
                 "resolvedAt": group.resolved_at},
            ))  # fmt: skip
    return out


def export_plan(
    plan: RecoveryPlan,
    groups: Mapping[str, ProtectionGroup],
    *,
    hub_account_id: str,
    name: str | None = None,
    pause_as_wait_minutes: int | None = None,
) -> NativeExport:
    """The native plan our ``plan`` becomes, with what could not be expressed."""
    waves = wave_order(plan.wave_items())
    used = [groups[g] for w in waves for g in w.get("protectionGroupIds") or [] if g in groups]
    places = sorted({(g.account_id or hub_account_id, g.region) for g in used})
    if len(places) > 1:
        raise ValidationFailed(
            "a native recovery plan lives in one account and region; this plan spans "
            + ", ".join(f"{a}/{r}" for a, r in places),
            code="PLAN_SPANS_REGIONS",
            details=[{"accountId": a, "region": r} for a, r in places],
        )
    if not places:
        raise ValidationFailed("the plan has no servers to export", code="NATIVE_PLAN_EMPTY")
    account_id, region = places[0]
    not_exported: list[Finding] = []
    adjustments: list[Finding] = []
    plan_name = plan.plan_name
    final_name = native_name(name or plan_name, "plan-" + plan.plan_id[:8])
    if final_name != (name or plan_name):
        adjustments.append(Finding("RENAMED", f"plan name {name or plan_name!r} -> {final_name!r}",
                                   details={"from": name or plan_name, "to": final_name}))  # fmt: skip
    deps = {int(w["waveNumber"]): [int(d) for d in w.get("dependsOnWaves") or []] for w in waves}
    steps: list[NativeStep] = []
    taken: set[str] = set()
    earlier: list[int] = []
    for wave in waves:
        number = int(wave["waveNumber"])
        wave_name = str(wave["waveName"])
        missing = [e for e in earlier if e not in _closure(number, deps)]
        if missing:
            not_exported.append(Finding(
                "DEPENDENCIES",
                f"wave {number} depends on {deps[number] or 'nothing'}; native steps run one after another, so it"
                f" will also wait for wave(s) {missing}",
                number, {"dependsOnWaves": deps[number], "alsoWaitsFor": missing},
            ))  # fmt: skip
        earlier.append(number)
        if wave.get("waveDescription"):
            not_exported.append(
                Finding("WAVE_DESCRIPTION", f"wave {number}'s description (steps have none)", number)
            )
        servers = _wave_servers(wave, groups)
        if not servers:
            not_exported.append(
                Finding("EMPTY_WAVE", f"wave {number} has no servers; a SERVER step needs one", number)
            )
            continue
        if wave.get("pauseBeforeWave"):
            if pause_as_wait_minutes is None:
                not_exported.append(Finding(
                    "PAUSE", f"the manual pause before wave {number} (native plans cannot wait for an operator)",
                    number,
                ))  # fmt: skip
            else:
                wait_name = _unique(
                    native_name(f"pause before {wave_name}", f"pause-{number}"), taken, MAX_NATIVE_NAME
                )
                steps.append(NativeStep(wait_name, wait_minutes=pause_as_wait_minutes, wave_number=number))
                not_exported.append(Finding(
                    "PAUSE",
                    f"the manual pause before wave {number} became a timed wait of {pause_as_wait_minutes} minutes",
                    number, {"waitDurationMinutes": pause_as_wait_minutes, "approximated": True},
                ))  # fmt: skip
        impact = "OPTIONAL" if wave.get("onServerFailure") == "CONTINUE" else "CRITICAL"
        base = native_name(wave_name, f"wave-{number}")
        if base != wave_name:
            adjustments.append(Finding("RENAMED", f"wave {number} name {wave_name!r} -> {base!r}", number,
                                       {"from": wave_name, "to": base}))  # fmt: skip
        chunks = [servers[i : i + MAX_SERVERS_PER_STEP] for i in range(0, len(servers), MAX_SERVERS_PER_STEP)]
        if len(chunks) > 1:
            adjustments.append(Finding("WAVE_SPLIT", f"wave {number} has {len(servers)} servers: {len(chunks)} steps"
                                       f" of at most {MAX_SERVERS_PER_STEP}", number, {"steps": len(chunks)}))  # fmt: skip
        for i, chunk in enumerate(chunks, start=1):
            label = base if len(chunks) == 1 else f"{base} {i}-{len(chunks)}"
            steps.append(NativeStep(
                _unique(label, taken, MAX_NATIVE_NAME), tuple((s, impact) for s in chunk), wave_number=number
            ))  # fmt: skip
    if not any(s.wait_minutes is None for s in steps):
        raise ValidationFailed("the plan has no servers to export", code="NATIVE_PLAN_EMPTY")
    if len(steps) > MAX_STEPS:
        raise ValidationFailed(
            f"a native recovery plan has at most {MAX_STEPS} steps; this plan needs {len(steps)}",
            code="NATIVE_PLAN_TOO_LARGE", details={"steps": len(steps), "limit": MAX_STEPS},
        )  # fmt: skip
    waves_of = {g: int(w["waveNumber"]) for w in waves for g in w.get("protectionGroupIds") or []}
    not_exported.extend(_group_findings(used_unique(used), waves_of))
    return NativeExport(
        final_name,
        (plan.description or "")[:1024],
        account_id,
        region,
        steps,
        not_exported,
        adjustments,
    )


def used_unique(groups: list[ProtectionGroup]) -> list[ProtectionGroup]:
    seen: set[str] = set()
    out = []
    for g in groups:
        if g.group_id not in seen:
            seen.add(g.group_id)
            out.append(g)
    return out


def _our_name(raw: str, limit: int = OUR_NAME_MAX) -> str:
    return raw.strip()[:limit].rstrip()


def import_plan(
    native: Mapping[str, Any],
    steps: Sequence[Mapping[str, Any]],
    *,
    plan_name: str | None = None,
    wait_as_pause: bool = False,
) -> NativeImport:
    """Our plan (waves of server ids, groups still to be found) for a native plan and its steps in
    order (``GetRecoveryPlan`` / ``ListRecoveryPlanSteps`` shapes)."""
    parsed = parse_drs_arn(str(native["recoveryPlanArn"]))
    if parsed is None:
        raise ValidationFailed(
            f"not a DRS recovery plan ARN: {native['recoveryPlanArn']}", code="INVALID_ARN"
        )
    account_id, region = parsed[0], parsed[1]
    not_imported: list[Finding] = []
    adjustments: list[Finding] = []
    wanted = plan_name or str(native["name"])
    name = _our_name(wanted)
    if name != wanted:
        adjustments.append(Finding("RENAMED", f"plan name shortened to {OUR_NAME_MAX} characters",
                                   details={"from": wanted, "to": name}))  # fmt: skip
    waves: list[ImportedWave] = []
    pending_wait: list[str] = []
    for step in steps:
        step_name = str(step["stepName"])
        config = step.get("configuration") or {}
        wait = (config.get("waitStepConfiguration") or {}).get("waitDurationMinutes")
        if wait is not None:
            pending_wait.append(step_name)
            approximated = " (the next wave pauses before it starts instead)" if wait_as_pause else ""
            not_imported.append(Finding(
                "WAIT", f"WAIT step {step_name!r} of {wait} minutes: our plans have no timed wait{approximated}",
                len(waves) + 1, {"stepName": step_name, "waitDurationMinutes": wait, "approximated": wait_as_pause},
            ))  # fmt: skip
            continue
        servers = (config.get("serverStepConfiguration") or {}).get("servers") or []
        server_ids = [str(s["serverArn"]).rsplit("/", 1)[-1] for s in servers]
        levels = {str(s.get("impactLevel") or "CRITICAL") for s in servers}
        number = len(waves) + 1
        if levels == {"OPTIONAL"}:
            policy = "CONTINUE"
        else:
            policy = "STOP"
            optional = [
                sid for s, sid in zip(servers, server_ids, strict=True) if s.get("impactLevel") == "OPTIONAL"
            ]
            if optional:
                not_imported.append(Finding(
                    "IMPACT_LEVEL",
                    f"step {step_name!r} mixes CRITICAL and OPTIONAL servers; wave {number} stops on any failure",
                    number, {"optionalServerIds": optional},
                ))  # fmt: skip
        wave_name = _our_name(step_name)
        if wave_name != step_name:
            adjustments.append(Finding("RENAMED", f"step {step_name!r} shortened for wave {number}", number))
        waves.append(ImportedWave(number, wave_name, server_ids, policy, wait_as_pause and bool(pending_wait),
                                  step_name))  # fmt: skip
        pending_wait = []
    if not waves:
        raise ValidationFailed("the native plan has no SERVER step to import", code="NATIVE_PLAN_EMPTY")
    description = str(native.get("description") or "")[:1000]
    return NativeImport(name, description, account_id, region, waves, not_imported, adjustments)
