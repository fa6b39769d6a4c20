"""Plan readiness (issue 21), pure: would this plan meet its objectives if the region died now?

:func:`evaluate` turns what one evaluation observed about a plan (DRS source servers and jobs per
account-region, capacity, which accounts' roles can be assumed, launch-settings status, the
fingerprint of the last COMPLETED drill) into findings and a status:

- ``NOT_READY``: a finding of severity HIGH - the plan cannot start, or some server cannot launch
  (missing from DRS, disconnected, no snapshot), or an account or region cannot be reached;
- ``AT_RISK``: a finding of severity MEDIUM - it would launch, but miss an objective (replication
  lag beyond the RPO, predicted duration beyond the RTO with DRS's job queueing), launch from an old
  snapshot, run short of DRS capacity, or carry launch settings that failed to apply;
- ``READY``: only LOW findings (information: launch settings still to apply at the wave's start,
  jobs that queue but stay within the RTO, no objective set, re-test required).

"Re-test required" is a flag of its own (with the differences from the last good drill) and a LOW
finding: a plan that changed since its drill is not broken, but its next real recovery would be the
first test of its new state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from drs_orch.domain.capacity import RegionUsage, capacity_report, usage_from
from drs_orch.domain.data_age import launch_readiness
from drs_orch.domain.dry_run import DEFAULT_LAUNCH_SECONDS, ActiveUsage, JobSpec, forecast, launch_seconds
from drs_orch.domain.execution_snapshot import Snapshot
from drs_orch.domain.limits import MAX_RECOVERY_INSTANCES, MAX_REPLICATING_SERVERS
from drs_orch.domain.models import RecoveryPlan
from drs_orch.domain.objectives import fingerprint_differences, wave_objectives
from drs_orch.domain.plan_graph import Wave

MAX_STORED_FINDINGS = 200


class Readiness(StrEnum):
    READY = "READY"
    AT_RISK = "AT_RISK"
    NOT_READY = "NOT_READY"


class Severity(StrEnum):
    HIGH = "HIGH"  # NOT_READY
    MEDIUM = "MEDIUM"  # AT_RISK
    LOW = "LOW"  # information


_RANK = {Severity.HIGH: 0, Severity.MEDIUM: 1, Severity.LOW: 2}
_WORSE = {Readiness.READY: 0, Readiness.AT_RISK: 1, Readiness.NOT_READY: 2}


def is_worse(new: str, old: str | None) -> bool:
    """Whether readiness ``new`` is worse than ``old`` (None: never evaluated counts as READY)."""
    return _WORSE[Readiness(new)] > _WORSE[Readiness(old or Readiness.READY.value)]


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    action: str
    server_id: str | None = None
    wave: int | None = None
    account_id: str | None = None
    region: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "severity": self.severity.value, "message": self.message,
                               "action": self.action}
        for key, value in (("serverId", self.server_id), ("waveNumber", self.wave), ("accountId", self.account_id),
                           ("region", self.region)):
            if value is not None:
                out[key] = value
        return out


@dataclass
class ScopeFacts:
    """One account-region as this run read it: DescribeSourceServers items by id, DescribeJobs
    items, the count of recovery instances; or the reason it could not be read."""

    servers: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    jobs: Sequence[Mapping[str, Any]] = field(default_factory=list)
    recovery_instances: int = 0
    error_code: str | None = None
    error: str | None = None

    def usage(self) -> RegionUsage:
        return usage_from(self.servers.values(), self.jobs, [{}] * self.recovery_instances)


@dataclass
class PlanFacts:
    plan: RecoveryPlan
    waves: Sequence[Wave]
    snapshot: Snapshot | None
    snapshot_error: tuple[str, str] | None
    scopes: Mapping[str, ScopeFacts]
    account_errors: Mapping[str, str]
    launch_pending: Mapping[str, str] = field(default_factory=dict)  # server -> reason to apply at wave start
    launch_failed: Mapping[str, list[str]] = field(default_factory=dict)
    fingerprint: Mapping[str, Any] | None = None
    baseline: Mapping[str, Any] | None = None  # {executionId, endTime, fingerprint} of the last good drill
    # failover plans (issue 14): server -> the problems of its instance pair ({code, message, remediation})
    pair_problems: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)


def _split(scope: str) -> tuple[str, str]:
    account, _, region = scope.partition("#")
    return account, region


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def _server_findings(facts: PlanFacts, snapshot: Snapshot) -> list[Finding]:
    out: list[Finding] = []
    objectives = wave_objectives(facts.plan)
    for wave in snapshot.waves:
        rpo = objectives.get(wave.number)
        rpo_minutes = rpo.rpo_minutes if rpo else None
        for scope, server_id in wave.servers:
            account, region = _split(scope)
            where: dict[str, Any] = {"server_id": server_id, "wave": wave.number, "account_id": account, "region": region}
            read = facts.scopes.get(scope)
            if read is None or read.error:
                continue  # reported once per account-region
            server = read.servers.get(server_id)
            if server is None:
                out.append(Finding("SERVER_NOT_IN_DRS", Severity.HIGH,
                                   f"source server {server_id} is not known to DRS in {account}/{region}",
                                   "Remove it from its protection group, or re-install the replication agent",
                                   **where))
                continue
            state = launch_readiness(server)
            if not state.can_launch:
                out.append(Finding("SERVER_CANNOT_LAUNCH", Severity.HIGH,
                                   f"{server_id} cannot launch: {state.reason}",
                                   "Restore its replication (DRS console: the source server's data replication)",
                                   **where))
                continue
            age = state.data_age_seconds
            if state.data_source.value == "LAST_SNAPSHOT":
                out.append(Finding("REPLICATION_UNHEALTHY", Severity.MEDIUM,
                                   f"{server_id} replication is {state.replication_state}: it would launch from its "
                                   f"last snapshot" + (f" ({_minutes(age)} old)" if age is not None else ""),
                                   "Fix the replication of the server (agent, network, staging area)", **where))
            if rpo_minutes is not None and age is not None and age > rpo_minutes * 60:
                out.append(Finding("RPO_EXCEEDED", Severity.MEDIUM,
                                   f"{server_id}: data would be {_minutes(age)} old, the RPO is {rpo_minutes} min",
                                   "Check the replication lag of the server (bandwidth, throttling, stalls)",
                                   **where))
            if server_id in facts.launch_failed:
                out.append(Finding("LAUNCH_SETTINGS_FAILED", Severity.MEDIUM,
                                   f"{server_id}: its launch settings failed to apply: "
                                   + "; ".join(facts.launch_failed[server_id])[:300],
                                   "Fix the launch settings and apply them (POST /protection-groups/{id}/"
                                   "apply-launch-configs)", **where))
            elif server_id in facts.launch_pending:
                out.append(Finding("LAUNCH_SETTINGS_PENDING", Severity.LOW,
                                   f"{server_id}: launch settings not applied yet ({facts.launch_pending[server_id]});"
                                   " they are applied when its wave starts, which adds time",
                                   "Apply the group's launch settings now", **where))
    return out


def _forecast_findings(facts: PlanFacts, snapshot: Snapshot) -> tuple[list[Finding], float | None]:
    if any(s.error for s in facts.scopes.values()):
        return [], None
    seconds: dict[str, float] = {}
    active: dict[str, ActiveUsage] = {}
    for scope, read in facts.scopes.items():
        observed = launch_seconds(read.jobs)
        seconds[scope] = observed if observed is not None else DEFAULT_LAUNCH_SECONDS
        live = [j for j in read.jobs if j.get("status") in ("PENDING", "STARTED")]
        active[scope] = ActiveUsage(len(live), sum(len(j.get("participatingServers") or []) for j in live))
    jobs = [JobSpec(j.key, j.wave, j.scope, j.server_ids) for w in snapshot.waves for j in w.jobs]
    result = forecast(facts.waves, jobs, active, seconds)
    out: list[Finding] = []
    plan_rto = facts.plan.rto_minutes
    own_rto = {w.wave_number: w.rto_minutes for w in facts.plan.waves if w.rto_minutes is not None}
    for number, end in sorted(result.wave_end.items()):
        rto = own_rto.get(number)
        if rto is not None and end > int(rto) * 60:
            out.append(Finding("RTO_FORECAST_EXCEEDED", Severity.MEDIUM,
                               f"wave {number} would complete {_minutes(end)} after the start; its RTO is {rto} min",
                               "Split the wave, move servers to an earlier wave or another account-region, or "
                               "raise the objective", wave=number))
    if plan_rto is not None and result.duration > int(plan_rto) * 60:
        out.append(Finding("RTO_FORECAST_EXCEEDED", Severity.MEDIUM,
                           f"the run would take {_minutes(result.duration)}; the plan's RTO is {plan_rto} min",
                           "Reduce queueing (fewer servers per account-region and wave) or raise the objective"))
    queued = sorted({j.spec.wave for j in result.jobs if j.queued > 0})
    if queued:
        out.append(Finding("JOBS_QUEUED", Severity.LOW,
                           f"waves {', '.join(map(str, queued))} would wait for DRS capacity (20 jobs / 500 servers "
                           "in active jobs per account-region)", "Nothing, if the RTO still holds"))
    paused = [w.wave_number for w in facts.waves if w.pause_before_wave]
    if paused and (plan_rto is not None):
        out.append(Finding("PAUSES_NOT_TIMED", Severity.LOW,
                           f"waves {', '.join(map(str, paused))} pause for an operator; the forecast does not time "
                           "pauses", "Count the operators' time against the RTO"))
    return out, result.duration


def _capacity_findings(facts: PlanFacts, snapshot: Snapshot) -> list[Finding]:
    out: list[Finding] = []
    planned = snapshot.servers_by_scope()
    for scope, read in sorted(facts.scopes.items()):
        if read.error:
            continue
        account, region = _split(scope)
        usage = read.usage()
        launching = len(planned.get(scope) or [])
        if usage.recovery_instances + launching > MAX_RECOVERY_INSTANCES:
            out.append(Finding("RECOVERY_INSTANCES_EXHAUSTED", Severity.HIGH,
                               f"{account}/{region} holds {usage.recovery_instances} recovery instances; launching "
                               f"{launching} more exceeds the {MAX_RECOVERY_INSTANCES} quota",
                               "Terminate old drill instances (POST /maintenance/drill-sweep)",
                               account_id=account, region=region))
            continue
        report = capacity_report(usage)
        if report["status"] == "CRITICAL" or usage.replicating_servers > MAX_REPLICATING_SERVERS:
            out.append(Finding("CAPACITY_CRITICAL", Severity.MEDIUM,
                               f"DRS capacity in {account}/{region} is CRITICAL: "
                               + ", ".join(f"{m['metric']} {m['used']}/{m['limit']}" for m in report["metrics"]
                                           if m["status"] == "CRITICAL"),
                               "Free capacity (active jobs, recovery instances) or add a staging account",
                               account_id=account, region=region))
        elif report["status"] == "WARNING":
            out.append(Finding("CAPACITY_WARNING", Severity.LOW, f"DRS capacity in {account}/{region} is above 80%",
                               "Watch it", account_id=account, region=region))
    return out


def _retest(facts: PlanFacts) -> tuple[dict[str, Any], list[Finding]]:
    if facts.fingerprint is None:
        return {"required": False, "differences": []}, []
    if not facts.baseline:
        return ({"required": True, "reason": "NEVER_DRILLED", "differences": []},
                [Finding("NEVER_DRILLED", Severity.LOW, "no drill of this plan has completed",
                         "Run a drill (executionType DRILL)")])
    differences = fingerprint_differences(facts.baseline.get("fingerprint") or {}, facts.fingerprint)
    retest: dict[str, Any] = {"required": bool(differences), "differences": differences,
                              "baselineExecutionId": facts.baseline.get("executionId"),
                              "baselineAt": facts.baseline.get("endTime")}
    if differences:
        retest["reason"] = "CHANGED_SINCE_DRILL"
        return retest, [Finding("RETEST_REQUIRED", Severity.LOW,
                                "the plan changed since its last completed drill: "
                                + "; ".join(d["message"] for d in differences),
                                "Run a drill to test the new state")]
    return retest, []


def _pair_findings(facts: PlanFacts, snapshot: Snapshot) -> list[Finding]:
    """Launch-into prerequisites of the plan's paired servers: a failover would fail each of them."""
    wave_of = {server: wave.number for wave in snapshot.waves for _, server in wave.servers}
    return [Finding(str(p.get("code") or "PAIR_PROBLEM"), Severity.HIGH, str(p.get("message") or p.get("code")),
                    str(p.get("remediation") or "POST /drs/instances/validate-pairs and fix the pair"),
                    server_id=server, wave=wave_of.get(server))
            for server, problems in sorted(facts.pair_problems.items()) if server in wave_of for p in problems]


def evaluate(facts: PlanFacts) -> dict[str, Any]:
    """The readiness of one plan: ``status``, ``findings`` (worst first, at most
    :data:`MAX_STORED_FINDINGS`), ``findingCount``, ``counts`` per code, ``summary`` and ``retest``."""
    findings: list[Finding] = []
    predicted: float | None = None
    for account, message in sorted(facts.account_errors.items()):
        findings.append(Finding("ACCOUNT_ROLE_NOT_ASSUMABLE", Severity.HIGH, message,
                                f"Fix the role or external id of account {account}, then POST "
                                f"/accounts/targets/{account}/validate", account_id=account))
    for scope, read in sorted(facts.scopes.items()):
        account, region = _split(scope)
        if read.error and account not in facts.account_errors:
            findings.append(Finding(read.error_code or "REGION_UNAVAILABLE", Severity.HIGH,
                                    f"DRS in {account}/{region} cannot be read: {read.error}",
                                    "Check DRS initialization and the account's permissions in that region",
                                    account_id=account, region=region))
    snapshot = facts.snapshot
    if snapshot is None:
        code, message = facts.snapshot_error or ("PLAN_CANNOT_START", "the plan cannot start")
        findings.append(Finding(code, Severity.HIGH, message, "Fix the plan (POST /recovery-plans/{id}/validate)"))
    else:
        findings += _server_findings(facts, snapshot)
        forecast_findings, predicted = _forecast_findings(facts, snapshot)
        findings += forecast_findings
        findings += _capacity_findings(facts, snapshot)
        findings += _pair_findings(facts, snapshot)
    if facts.plan.rto_minutes is None and facts.plan.rpo_minutes is None and not any(
            o.rto_minutes or o.rpo_minutes for o in wave_objectives(facts.plan).values()):
        findings.append(Finding("NO_OBJECTIVES", Severity.LOW, "the plan states no RTO or RPO",
                                "Set rtoMinutes / rpoMinutes on the plan or its waves"))
    retest, retest_findings = _retest(facts)
    findings += retest_findings
    findings.sort(key=lambda f: (_RANK[f.severity], f.code, f.wave or 0, f.server_id or ""))
    if any(f.severity is Severity.HIGH for f in findings):
        status = Readiness.NOT_READY
    elif any(f.severity is Severity.MEDIUM for f in findings):
        status = Readiness.AT_RISK
    else:
        status = Readiness.READY
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.code] = counts.get(f.code, 0) + 1
    return {
        "status": status.value,
        "findings": [f.to_dict() for f in findings[:MAX_STORED_FINDINGS]],
        "findingCount": len(findings),
        "counts": counts,
        "summary": {
            "waveCount": len(facts.waves),
            "serverCount": snapshot.server_count if snapshot else 0,
            "accountRegions": sorted(facts.scopes),
            "predictedDurationSeconds": round(predicted) if predicted is not None else None,
            "rtoMinutes": facts.plan.rto_minutes,
            "rpoMinutes": facts.plan.rpo_minutes,
        },
        "retest": retest,
    }
