"""Plan readiness (issue 21): evaluate plans against their recovery objectives and store the result.

One evaluation run (a plan saved, ``POST /recovery-plans/{id}/evaluate``, or the scheduled run over
every plan) works in three steps:

1. read the plans and their groups (one batch read), build each plan's launch snapshot and gather
   the account-regions they touch;
2. check each account's role once (a fresh AssumeRole with its external id, never the cached
   credentials), then read DRS once per account-region (source servers, jobs, recovery instances),
   the account-regions in parallel; a run over many plans reads each account-region whole, a run
   for one plan only its servers;
3. per plan: the pure rules of :mod:`drs_orch.domain.readiness` (with the launch settings status of
   its groups and the fingerprint of its last COMPLETED drill), then the plan's current item and -
   when its readiness changed - a history entry; a plan that got worse is published to the alerts
   topic, and every change is counted (metric ``PlanReadinessChanged``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, Protocol

from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.errors import DomainError, NotFound
from drs_orch.domain.execution_snapshot import Snapshot, build_snapshot, split_scope
from drs_orch.domain.inventory import RegionUnavailable
from drs_orch.domain.messages import Alert
from drs_orch.domain.models import ProtectionGroup, RecoveryPlan, parse, to_iso
from drs_orch.domain.objectives import measured_rto
from drs_orch.domain.readiness import PlanFacts, ScopeFacts, evaluate, is_worse
from drs_orch.domain.requests import MaintenanceInput
from drs_orch.services import telemetry
from drs_orch.services.data_ports import AccountContexts, ExecutionReader, GroupStore, Item, PlanStore
from drs_orch.services.engine.observe import AlertPublisher
from drs_orch.services.engine.start import group_refs, plan_waves
from drs_orch.services.plan_fingerprint import LaunchState, launch_state, pack, plan_fingerprint, unpack
from drs_orch.services.query_ports import Readers

log = logging.getLogger(__name__)

HISTORY_DAYS = 90
WORKERS = 8
TRIGGERS = ("PLAN_SAVED", "ON_DEMAND", "SCHEDULE")


class ReadinessStore(Protocol):
    def current(self, plan_id: str) -> Item | None: ...
    def current_many(self, plan_ids: Iterable[str]) -> dict[str, Item]: ...
    def save(self, plan_id: str, current: Item, history: Item | None, expires_at: int) -> None: ...
    def history(self, plan_id: str, limit: int = 50) -> list[Item]: ...
    def ended_runs(self, plan_id: str, limit: int = 10) -> list[Item]: ...
    def latest_completed_drill(self, plan_id: str, after: str | None) -> Item | None: ...


class RoleProbe(Protocol):
    def assume(self, ctx: AccountContext) -> dict[str, str]: ...


class PairCheck(Protocol):
    """Instance pairs of a group and their launch-into prerequisites (issue 14)."""

    def pairs_of(self, group_id: str) -> list[Item]: ...
    def check_pairs(self, group: ProtectionGroup, pairs: list[Item],
                    described: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]: ...


class ReadinessService:
    def __init__(self, plans: PlanStore, groups: GroupStore, executions: ExecutionReader, contexts: AccountContexts,
                 readers: Readers, probe: RoleProbe, store: ReadinessStore, alerts: AlertPublisher,
                 now: Callable[[], datetime], workers: int = WORKERS,
                 monotonic: Callable[[], float] = time.monotonic, pairs: PairCheck | None = None) -> None:
        self.plans = plans
        self.groups = groups
        self.executions = executions
        self.contexts = contexts
        self.readers = readers
        self.probe = probe
        self.store = store
        self.alerts = alerts
        self.now = now
        self.workers = workers
        self.monotonic = monotonic
        self.pairs = pairs

    # ------------------------------------------------------------------ entry points
    def evaluate_plan(self, plan_id: str, trigger: str = "ON_DEMAND") -> Item:
        plan = self.plans.get(plan_id)
        if plan is None:
            raise NotFound(f"recovery plan {plan_id} does not exist", code="PLAN_NOT_FOUND")
        run = self._run([plan], trigger, whole_regions=False)
        return dict(run["evaluations"][plan_id])

    def evaluate_all(self, body: Mapping[str, Any]) -> Item:
        parse(MaintenanceInput, body)  # only ``source`` (who started it)
        run = self._run(list(self.plans.all()), "SCHEDULE", whole_regions=True)
        run.pop("evaluations")
        return run

    def after_save(self, plan_id: str) -> None:
        """The hook of plan create/update: evaluate, never failing the save that called it."""
        try:
            self.evaluate_plan(plan_id, "PLAN_SAVED")
        except Exception as exc:  # noqa: BLE001 - the plan is saved; its evaluation can be run again
            log.warning("readiness of plan %s not evaluated after its save: %s", plan_id, exc)

    def summaries(self, plan_ids: Sequence[str]) -> dict[str, Item]:
        """planId -> what a plan list shows (plans never evaluated are absent)."""
        out: dict[str, Item] = {}
        for plan_id, item in self.store.current_many(plan_ids).items():
            ev = item.get("evaluation") or {}
            if ev.get("status"):
                out[plan_id] = {"status": ev["status"], "evaluatedAt": ev.get("evaluatedAt"),
                                "findingCount": int(ev.get("findingCount") or 0),
                                "retestRequired": bool((ev.get("retest") or {}).get("required")),
                                "trigger": ev.get("trigger")}
        return out

    def readiness(self, plan_id: str) -> Item:
        plan = self.plans.get(plan_id)
        if plan is None:
            raise NotFound(f"recovery plan {plan_id} does not exist", code="PLAN_NOT_FOUND")
        current = self.store.current(plan_id)
        runs = []
        for meta in self.store.ended_runs(plan_id):
            if not meta.get("endTime"):
                continue
            objectives = meta.get("objectives") or {}
            measured = meta.get("measuredRtoSeconds")
            paused = meta.get("pausedSeconds")
            if measured is None:
                computed = measured_rto(meta.get("startTime"), meta.get("endTime"), meta.get("statusHistory") or [])
                measured, paused = (computed[0], computed[1]) if computed else (None, None)
            rto = objectives.get("rtoMinutes")
            runs.append({"executionId": meta["executionId"], "executionType": meta.get("executionType"),
                         "status": meta.get("status"), "startTime": meta.get("startTime"),
                         "endTime": meta.get("endTime"), "rtoMinutes": rto, "measuredRtoSeconds": measured,
                         "pausedSeconds": paused,
                         "rtoMet": None if rto is None or measured is None else measured <= int(rto) * 60})
        return {"planId": plan_id, "rtoMinutes": plan.rto_minutes, "rpoMinutes": plan.rpo_minutes,
                "current": (current or {}).get("evaluation"), "history": self.store.history(plan_id),
                "executions": runs}

    # ------------------------------------------------------------------ one run
    def _run(self, plans: list[RecoveryPlan], trigger: str, *, whole_regions: bool) -> Item:
        started = self.monotonic()
        now = self.now()
        evaluated_at = to_iso(now)
        group_ids = {g for p in plans for g in p.group_ids}
        groups = self.groups.get_many(sorted(group_ids)) if group_ids else {}
        hub = self.contexts.hub_account_id
        prepared: list[tuple[RecoveryPlan, Any, Snapshot | None, tuple[str, str] | None]] = []
        wanted: dict[str, set[str]] = {}
        for plan in plans:
            snapshot: Snapshot | None = None
            error: tuple[str, str] | None = None
            waves: list[Any] = []
            try:
                waves = plan_waves(plan)
                mine = {g: groups[g] for w in waves for g in w.protection_group_ids if g in groups}
                snapshot = build_snapshot(waves, group_refs(mine, hub))
            except DomainError as exc:
                error = (exc.code, exc.message)
            prepared.append((plan, waves, snapshot, error))
            if snapshot is not None:
                for scope, ids in snapshot.servers_by_scope().items():
                    wanted.setdefault(scope, set()).update(ids)
        account_errors = self._check_accounts(wanted)
        calls: dict[str, int] = {}
        scopes = self._read_scopes(wanted, account_errors, whole_regions, calls)
        launch = {gid: launch_state(g) for gid, g in groups.items()}
        pair_problems = self._pair_problems(groups, scopes)
        currents = self.store.current_many([p.plan_id for p in plans])
        last_runs = self.executions.last_runs(p.plan_id for p in plans)
        report: Item = {"evaluatedAt": evaluated_at, "trigger": trigger, "planCount": len(plans),
                        "statusCounts": {}, "changes": [], "accountRegions": sorted(wanted), "drsCalls": calls,
                        "errors": [], "evaluations": {}}
        for plan, waves, snapshot, error in prepared:
            plan_id = plan.plan_id
            try:
                result = self._evaluate_one(plan, waves, snapshot, error, scopes, account_errors, launch,
                                            currents.get(plan_id), last_runs.get(plan_id), trigger, evaluated_at,
                                            now, pair_problems)
            except DomainError as exc:
                report["errors"].append({"planId": plan_id, "error": exc.code, "message": exc.message})
                continue
            report["evaluations"][plan_id] = result
            status = result["status"]
            report["statusCounts"][status] = report["statusCounts"].get(status, 0) + 1
            if result.get("previousStatus") and result["previousStatus"] != status:
                report["changes"].append({"planId": plan_id, "from": result["previousStatus"], "to": status})
        report["durationSeconds"] = round(self.monotonic() - started, 3)
        for status, count in report["statusCounts"].items():
            telemetry.count(telemetry.PLANS_BY_READINESS, count, readiness=status, trigger=trigger)
        return report

    def _pair_problems(self, groups: Mapping[str, ProtectionGroup],
                       scopes: Mapping[str, ScopeFacts]) -> dict[str, list[Item]]:
        """Server -> the problems of its instance pair, for the groups that have pairs (each group
        checked once per run, whatever the number of plans using it), from the source servers this
        run read (DRS is not read again; EC2 is read for the target instances)."""
        out: dict[str, list[Item]] = {}
        if self.pairs is None:
            return out
        hub = self.contexts.hub_account_id
        for group_id, group in sorted(groups.items()):
            read = scopes.get(f"{group.account_id or hub}#{group.region}")
            if read is None or read.error:  # the account-region's own finding says why
                continue
            pairs = self.pairs.pairs_of(group_id)
            if not pairs:
                continue
            try:
                checked = self.pairs.check_pairs(group, pairs, described=read.servers)
            except DomainError as exc:
                for pair in pairs:
                    out[str(pair["sourceServerId"])] = [{"code": exc.code, "message": exc.message}]
                continue
            for result in checked["results"]:
                if result["problems"]:
                    out[str(result["sourceServerId"])] = list(result["problems"])
        return out

    def _check_accounts(self, wanted: Mapping[str, set[str]]) -> dict[str, str]:
        """account -> why its role cannot be assumed (each account checked once per run)."""
        errors: dict[str, str] = {}
        seen: set[str] = set()
        for scope in sorted(wanted):
            account, region = split_scope(scope)
            if account in seen:
                continue
            seen.add(account)
            try:
                ctx = self.contexts.context_for(account, region)
                if ctx.role_arn:
                    self.probe.assume(ctx)
            except DomainError as exc:
                errors[account] = exc.message
            except Exception as exc:  # noqa: BLE001 - STS's refusal, whatever its form, is the finding
                errors[account] = (f"the role of account {account} cannot be assumed "
                                   f"({type(exc).__name__}: {str(exc)[:300]})")
        return errors

    def _read_scopes(self, wanted: Mapping[str, set[str]], account_errors: Mapping[str, str], whole: bool,
                     calls: dict[str, int]) -> dict[str, ScopeFacts]:
        out: dict[str, ScopeFacts] = {}
        todo = []
        for scope in sorted(wanted):
            account, _ = split_scope(scope)
            if account in account_errors:
                out[scope] = ScopeFacts(error_code="ACCOUNT_ROLE_NOT_ASSUMABLE", error=account_errors[account])
            else:
                todo.append(scope)

        def read(scope: str) -> tuple[ScopeFacts, dict[str, int]]:
            account, region = split_scope(scope)
            try:
                reader = self.readers.drs(self.contexts.context_for(account, region))
                servers = reader.source_servers(None if whole else sorted(wanted[scope]))
                facts = ScopeFacts(servers={str(s.get("sourceServerID")): s for s in servers}, jobs=reader.jobs(),
                                   recovery_instances=len(reader.recovery_instances()))
                return facts, dict(reader.calls)
            except RegionUnavailable as exc:
                return ScopeFacts(error_code="REGION_UNAVAILABLE", error=f"{exc.state.value}: {exc.reason}"), {}
            except DomainError as exc:
                return ScopeFacts(error_code="REGION_UNAVAILABLE", error=f"{exc.code}: {exc.message}"), {}

        if todo:
            with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(todo)))) as pool:
                for scope, (facts, used) in zip(todo, pool.map(read, todo), strict=True):
                    out[scope] = facts
                    for name, n in used.items():
                        calls[name] = calls.get(name, 0) + n
        return out

    def _baseline(self, plan_id: str, current: Item | None, last_run: Item | None) -> tuple[Item | None, str | None]:
        """The last COMPLETED drill's fingerprint, looked for only when a run ended since last time."""
        baseline = (current or {}).get("baseline")
        seen = (current or {}).get("lastRunSeen")
        last_id = (last_run or {}).get("lastExecutionId")
        if not last_id or last_id == seen:
            return baseline, seen
        drill = self.store.latest_completed_drill(plan_id, (baseline or {}).get("startTime"))
        if drill is not None and drill.get("fingerprint"):
            baseline = {"executionId": drill["executionId"], "startTime": drill.get("startTime"),
                        "endTime": drill.get("endTime"), "packed": pack(drill["fingerprint"])}
        return baseline, str(last_id)

    def _evaluate_one(self, plan: RecoveryPlan, waves: Any, snapshot: Snapshot | None, error: tuple[str, str] | None,
                      scopes: Mapping[str, ScopeFacts], account_errors: Mapping[str, str],
                      launch: Mapping[str, LaunchState],
                      current: Item | None, last_run: Item | None, trigger: str, evaluated_at: str,
                      now: datetime, pair_problems: Mapping[str, list[Item]] | None = None) -> Item:
        plan_id = plan.plan_id
        mine = {s: scopes[s] for s in (snapshot.scopes if snapshot else ()) if s in scopes}
        pending: dict[str, str] = {}
        failed: dict[str, list[str]] = {}
        hashes: dict[str, str] = {}
        for gid in dict.fromkeys(g for w in waves for g in w.protection_group_ids):
            if gid in launch:
                h, p, f = launch[gid]
                hashes.update(h)
                pending.update(p)
                failed.update(f)
        fp = plan_fingerprint(plan, snapshot, hashes) if snapshot is not None else None
        baseline, seen = self._baseline(plan_id, current, last_run)
        accounts = {split_scope(s)[0] for s in (snapshot.scopes if snapshot else ())}
        drilled = {**baseline, "fingerprint": unpack(baseline.get("packed")) or {}} if baseline else None
        facts = PlanFacts(plan=plan, waves=waves, snapshot=snapshot, snapshot_error=error, scopes=mine,
                          account_errors={a: m for a, m in account_errors.items() if a in accounts},
                          launch_pending=pending, launch_failed=failed, fingerprint=fp, baseline=drilled,
                          pair_problems=pair_problems or {})
        result = evaluate(facts)
        previous = ((current or {}).get("evaluation") or {}).get("status")
        evaluation = {"planId": plan_id, "planName": plan.plan_name, "evaluatedAt": evaluated_at,
                      "trigger": trigger, "previousStatus": previous, **result}
        changed = (previous != result["status"]
                   or sorted(((current or {}).get("evaluation") or {}).get("counts") or {}) != sorted(result["counts"])
                   or bool((((current or {}).get("evaluation") or {}).get("retest") or {}).get("required"))
                   != bool(result["retest"]["required"]))
        history = None
        if changed:
            history = {"evaluatedAt": evaluated_at, "status": result["status"], "previousStatus": previous,
                       "trigger": trigger, "findingCount": result["findingCount"], "counts": result["counts"],
                       "retestRequired": bool(result["retest"]["required"]),
                       "predictedDurationSeconds": result["summary"]["predictedDurationSeconds"]}
        expires = int((now + timedelta(days=HISTORY_DAYS)).timestamp())
        self.store.save(plan_id, {"evaluation": evaluation, "baseline": baseline, "lastRunSeen": seen}, history,
                        expires)
        if previous is not None and previous != result["status"]:
            telemetry.count(telemetry.PLAN_READINESS_CHANGED, readiness=result["status"], previous=previous)
            telemetry.event("plan_readiness_changed", planId=plan_id, previous=previous, readiness=result["status"])
            if is_worse(result["status"], previous):
                self.alerts.publish(readiness_alert(evaluation))
        return evaluation


def readiness_alert(evaluation: Mapping[str, Any]) -> Alert:
    plan_id = str(evaluation["planId"])
    worst = [f for f in evaluation.get("findings") or [] if f.get("severity") in ("HIGH", "MEDIUM")][:5]
    status = str(evaluation["status"])
    return Alert(kind="PLAN_READINESS_CHANGED", severity="HIGH" if status == "NOT_READY" else "MEDIUM",
                 subject=f"{status}: recovery plan {evaluation.get('planName') or plan_id}",
                 what=f"Recovery plan \"{evaluation.get('planName')}\" went from {evaluation.get('previousStatus')} "
                      f"to {status}: a recovery now would not meet its objectives.",
                 plan_id=plan_id, plan_name=str(evaluation.get("planName") or ""),
                 facts={"Evaluated": evaluation.get("evaluatedAt"), "Findings": evaluation.get("findingCount"),
                        **{f"{i + 1}. {f['code']}": f["message"][:200] for i, f in enumerate(worst)}},
                 action="Read the findings and do what each says; then POST /recovery-plans/{id}/evaluate.",
                 link=f"/recovery-plans/{plan_id}/readiness")
