"""Recovery objectives (issue 21), pure: a plan's RTO and RPO targets with their per-wave overrides,
what an execution measured against them, and the fingerprint of what a drill ran.

- RTO (``rtoMinutes``): the time from the start of a recovery until a wave's servers are launched.
  The plan's RTO applies to its last wave (the whole run); a wave's own ``rtoMinutes`` bounds the
  time until that wave completes (tier-1 waves usually have a tighter one). Operator pauses are not
  recovery work the plan controls: measured RTO excludes them and reports them separately.
- RPO (``rpoMinutes``): the age of the data a server launches with; a wave's ``rpoMinutes``
  overrides the plan's for its servers.
- Fingerprint: what a run launches - its servers per account-region, the launch-settings hash of
  each managed server, the wave structure and the accounts - so that a plan that changed since its
  last COMPLETED drill can be flagged "re-test required" with the differences listed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drs_orch.domain.models import RecoveryPlan


@dataclass(frozen=True)
class WaveObjective:
    wave_number: int
    rto_minutes: int | None
    rpo_minutes: int | None


def _minutes(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def wave_objectives(plan: RecoveryPlan) -> dict[int, WaveObjective]:
    """The effective objectives of each wave of a plan (its own, else the plan's)."""
    rto, rpo = _minutes(plan.rto_minutes), _minutes(plan.rpo_minutes)
    out: dict[int, WaveObjective] = {}
    for wave in plan.waves:
        own_rto, own_rpo = _minutes(wave.rto_minutes), _minutes(wave.rpo_minutes)
        out[wave.wave_number] = WaveObjective(wave.wave_number, own_rto if own_rto is not None else rto,
                                              own_rpo if own_rpo is not None else rpo)
    return out


def _objectives(rto: int | None, rpo: int | None) -> dict[str, int]:
    return {k: v for k, v in (("rtoMinutes", rto), ("rpoMinutes", rpo)) if v is not None}


def objectives_record(plan: RecoveryPlan) -> dict[str, Any] | None:
    """What an execution copies from its plan: the plan's objectives and the waves' own overrides
    (None when the plan states no objective)."""
    waves = {str(w.wave_number): _objectives(w.rto_minutes, w.rpo_minutes) for w in plan.waves}
    waves = {n: w for n, w in waves.items() if w}
    record: dict[str, Any] = _objectives(plan.rto_minutes, plan.rpo_minutes)
    if waves:
        record["waves"] = waves
    return record or None


def _parse(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def paused_seconds(history: Sequence[Mapping[str, Any]], until: str) -> float:
    """Seconds an execution spent PAUSED according to its status history (until ``until`` if still
    paused or if ``until`` falls inside a pause)."""
    total = 0.0
    paused_at: datetime | None = None
    end = _parse(until)
    for entry in history:
        at = _parse(entry.get("at"))
        if at is None:
            continue
        if end is not None and at > end:
            break
        if entry.get("status") == "PAUSED":
            paused_at = paused_at or at
        elif paused_at is not None:
            total += (at - paused_at).total_seconds()
            paused_at = None
    if paused_at is not None and end is not None:
        total += max(0.0, (end - paused_at).total_seconds())
    return round(total, 3)


def measured_rto(start: Any, end: Any, history: Sequence[Mapping[str, Any]]) -> tuple[float, float] | None:
    """(recovery seconds excluding pauses, paused seconds) between ``start`` and ``end``."""
    begin, finish = _parse(start), _parse(end)
    if begin is None or finish is None:
        return None
    paused = paused_seconds(history, str(end))
    return round(max(0.0, (finish - begin).total_seconds() - paused), 3), paused


def _verdict(measured: float | None, objective_minutes: int | None) -> bool | None:
    if measured is None or objective_minutes is None:
        return None
    return measured <= objective_minutes * 60


def wave_rpo_minutes(objectives: Mapping[str, Any] | None, wave_number: int) -> int | None:
    """The RPO of a wave's servers: the wave's own, else the plan's (as the execution recorded them)."""
    recorded = objectives or {}
    own = (recorded.get("waves") or {}).get(str(wave_number)) or {}
    return _minutes(own.get("rpoMinutes", recorded.get("rpoMinutes")))


def rpo_met(data_age_seconds: float, rpo_minutes: int | None) -> bool | None:
    """One server's data age at launch against its wave's RPO (None: no RPO)."""
    return _verdict(float(data_age_seconds), rpo_minutes)


def rpo_summary(ages: Iterable[float], rpo_minutes: int | None) -> dict[str, Any]:
    """A wave's data ages at launch against its RPO: the servers measured, the worst age, how many
    were over the RPO and whether all met it (None without an RPO or a measured server). Kept on the
    wave when it ends, so the execution's report never reads its servers."""
    values = sorted((float(a) for a in ages), reverse=True)
    over = None if rpo_minutes is None else sum(1 for a in values if not _verdict(a, rpo_minutes))
    return {"rpoMinutes": rpo_minutes, "serversMeasured": len(values),
            "worstDataAgeSeconds": values[0] if values else None, "serversOverRpo": over,
            "rpoMet": (over == 0) if values and over is not None else None}


def objectives_report(meta: Mapping[str, Any], waves: Iterable[Mapping[str, Any]],
                      rpo_by_wave: Mapping[int, Mapping[str, Any]]) -> dict[str, Any]:
    """An execution's measured RTO (whole run and per wave, pauses apart) and, per wave, the RPO
    achieved (``rpo_by_wave``: :func:`rpo_summary` of each wave's data ages at launch) against the
    objectives the execution recorded at its start. Each server's own row is in the servers listing."""
    objectives = meta.get("objectives") or {}
    per_wave_objectives = objectives.get("waves") or {}
    history = list(meta.get("statusHistory") or [])
    run = measured_rto(meta.get("startTime"), meta.get("endTime"), history) if meta.get("endTime") else None
    rto = _minutes(objectives.get("rtoMinutes"))
    out: dict[str, Any] = {
        "rtoMinutes": rto,
        "rpoMinutes": _minutes(objectives.get("rpoMinutes")),
        "measuredRtoSeconds": run[0] if run else None,
        "pausedSeconds": run[1] if run else None,
        "rtoMet": _verdict(run[0] if run else None, rto),
    }
    wave_rows: list[dict[str, Any]] = []
    for wave in sorted(waves, key=lambda w: int(w["waveNumber"])):
        number = int(wave["waveNumber"])
        own = per_wave_objectives.get(str(number)) or {}
        w_rto = _minutes(own.get("rtoMinutes", objectives.get("rtoMinutes")))
        ended = wave.get("endedAt") if wave.get("status") in ("COMPLETED", "PARTIAL") else None
        measured = measured_rto(meta.get("startTime"), ended, history) if ended else None
        # a stored summary lacks its null attributes (DynamoDB keeps none)
        rpo = {**rpo_summary((), wave_rpo_minutes(objectives, number)), **(rpo_by_wave.get(number) or {})}
        wave_rows.append({"waveNumber": number, "rtoMinutes": w_rto,
                          "measuredRtoSeconds": measured[0] if measured else None,
                          "rtoMet": _verdict(measured[0] if measured else None, w_rto), **rpo})
    out["waves"] = wave_rows
    worst = [float(w["worstDataAgeSeconds"]) for w in wave_rows if w.get("worstDataAgeSeconds") is not None]
    out["worstDataAgeSeconds"] = max(worst) if worst else None
    verdicts = [w["rpoMet"] for w in wave_rows if w.get("rpoMet") is not None]
    out["rpoMet"] = all(verdicts) if verdicts else None
    out["serversOverRpo"] = sum(int(w["serversOverRpo"] or 0) for w in wave_rows)
    return out


# ---------------------------------------------------------------------------- fingerprint


def fingerprint(waves: Sequence[Mapping[str, Any]], servers_by_wave: Mapping[int, Sequence[str]],
                launch_hashes: Mapping[str, str]) -> dict[str, Any]:
    """What a run of the plan launches. ``waves``: the stored (normalized) waves;
    ``servers_by_wave``: wave number -> ``<account>#<region>#<serverId>`` of its servers;
    ``launch_hashes``: server id -> the hash of its intended launch settings (managed servers)."""
    structure = [{"waveNumber": int(w["waveNumber"]),
                  "protectionGroupIds": sorted(w.get("protectionGroupIds") or []),
                  "dependsOnWaves": sorted(int(d) for d in w.get("dependsOnWaves") or []),
                  "pauseBeforeWave": bool(w.get("pauseBeforeWave")),
                  "onServerFailure": str(w.get("onServerFailure") or "STOP")}
                 for w in sorted(waves, key=lambda w: int(w["waveNumber"]))]
    servers = {str(n): sorted(ids) for n, ids in sorted(servers_by_wave.items())}
    every = {s for ids in servers.values() for s in ids}
    accounts = sorted({s.rsplit("#", 1)[0] for s in every})
    ids = {s.rsplit("#", 1)[-1] for s in every}
    hashes = {sid: h[:16] for sid, h in sorted(launch_hashes.items()) if sid in ids}  # 64 bits tell a change
    body = {"waves": structure, "servers": servers, "accounts": accounts, "launchSettings": hashes}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    return {"digest": digest, **body}


def _wave_map(fp: Mapping[str, Any]) -> dict[int, Mapping[str, Any]]:
    return {int(w["waveNumber"]): w for w in fp.get("waves") or []}


def fingerprint_differences(then: Mapping[str, Any], now: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Why today's fingerprint differs from the last good drill's (empty: it does not)."""
    if then.get("digest") == now.get("digest"):
        return []
    out: list[dict[str, Any]] = []

    def every(fp: Mapping[str, Any]) -> set[str]:
        return {s for ids in (fp.get("servers") or {}).values() for s in ids}

    added, removed = sorted(every(now) - every(then)), sorted(every(then) - every(now))
    if added:
        out.append({"kind": "SERVERS_ADDED", "items": added,
                    "message": f"{len(added)} server(s) added since the last completed drill"})
    if removed:
        out.append({"kind": "SERVERS_REMOVED", "items": removed,
                    "message": f"{len(removed)} server(s) removed since the last completed drill"})
    moved = sorted(s for n, ids in (now.get("servers") or {}).items() for s in ids
                   if s in every(then) and s not in set((then.get("servers") or {}).get(n) or []))
    if moved:
        out.append({"kind": "SERVERS_MOVED", "items": moved, "message": f"{len(moved)} server(s) changed wave"})
    old_hashes, new_hashes = then.get("launchSettings") or {}, now.get("launchSettings") or {}
    kept = {s.rsplit("#", 1)[-1] for s in every(then) & every(now)}
    changed = sorted(s for s in kept if old_hashes.get(s) != new_hashes.get(s))
    if changed:
        out.append({"kind": "LAUNCH_SETTINGS_CHANGED", "items": changed,
                    "message": f"launch settings of {len(changed)} server(s) changed"})
    old_waves, new_waves = _wave_map(then), _wave_map(now)
    wave_changes = sorted(n for n in set(old_waves) | set(new_waves) if old_waves.get(n) != new_waves.get(n))
    if wave_changes:
        out.append({"kind": "WAVES_CHANGED", "items": [str(n) for n in wave_changes],
                    "message": f"wave structure changed (waves {', '.join(map(str, wave_changes))})"})
    old_accounts, new_accounts = set(then.get("accounts") or []), set(now.get("accounts") or [])
    if old_accounts != new_accounts:
        out.append({"kind": "ACCOUNTS_CHANGED", "items": sorted(old_accounts ^ new_accounts),
                    "message": "the account-regions the plan launches into changed"})
    if not out:
        out.append({"kind": "CHANGED", "items": [], "message": "what the plan launches changed"})
    return out
