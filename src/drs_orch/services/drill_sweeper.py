"""The drill sweeper (scheduled, and ``POST /maintenance/drill-sweep``): terminates drill recovery
instances whose expiry passed and that no active execution owns, through DRS, then checks with EC2
that they are gone; it never touches an instance DRS does not list as a drill
(:func:`drs_orch.domain.drill_hygiene.verdict`).

What it did is the answer (the dispatch layer audits it, with the instance ids as targets) and, when
it terminated something or failed to, an alert on the alerts topic."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from drs_orch.domain.drill_hygiene import SCOPE_LOOKBACK_DAYS, TaggedInstance, verdict
from drs_orch.domain.errors import DomainError, ValidationFailed
from drs_orch.domain.messages import Alert
from drs_orch.domain.statuses import ACTIVE_EXECUTION
from drs_orch.services import telemetry
from drs_orch.services.engine.observe import AlertPublisher
from drs_orch.services.engine.ports import StartRefused

log = logging.getLogger(__name__)

FINISHED_JOB = frozenset({"COMPLETED"})
VERIFY_BUDGET_SECONDS = 240.0
POLL_SECONDS = 2.0
TERMINATE_BATCH = 200  # TerminateRecoveryInstances takes at most 200 ids


class DrillInstances(Protocol):
    def tagged_drill_instances(self, scope: str) -> list[TaggedInstance]: ...
    def recovery_instances(self, scope: str) -> dict[str, dict[str, Any]]: ...
    def terminate(self, scope: str, recovery_instance_ids: list[str]) -> str | None: ...
    def job_status(self, scope: str, job_id: str) -> str: ...
    def ec2_states(self, scope: str, instance_ids: list[str]) -> dict[str, str]: ...


class DrillSweeper:
    def __init__(self, instances: DrillInstances, *, get_meta: Callable[[str], Mapping[str, Any] | None],
                 scopes: Callable[[str], Iterable[str]], alerts: AlertPublisher, now: Callable[[], datetime],
                 sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic,
                 verify_budget_seconds: float = VERIFY_BUDGET_SECONDS) -> None:
        self._instances = instances
        self._get_meta = get_meta
        self._scopes = scopes
        self._alerts = alerts
        self._now = now
        self._sleep = sleep
        self._monotonic = monotonic
        self._budget = verify_budget_seconds

    def sweep(self, body: Mapping[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(body) - {"source"})
        if unknown:
            raise ValidationFailed(f"unknown field(s): {', '.join(unknown)}", code="UNKNOWN_FIELD",
                                   details={"unknown": unknown})
        now = self._now()
        since = (now - timedelta(days=SCOPE_LOOKBACK_DAYS)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        report: dict[str, Any] = {"checkedAt": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
                                  "scopes": [], "terminatedInstanceIds": [], "unverifiedInstanceIds": [],
                                  "skipped": [], "errors": []}
        owners: dict[str, bool] = {}
        for scope in sorted(set(self._scopes(since))):
            report["scopes"].append(scope)
            try:
                self._sweep_scope(scope, now, owners, report)
            except DomainError as exc:
                report["errors"].append({"scope": scope, "error": exc.code, "message": exc.message})
            except Exception as exc:  # noqa: BLE001 - one account-region that cannot answer must not stop the rest
                log.warning("drill sweep of %s failed: %s", scope, exc)
                report["errors"].append({"scope": scope, "error": type(exc).__name__, "message": str(exc)[:500]})
        report["terminatedCount"] = len(report["terminatedInstanceIds"])
        report["status"] = "FAILED" if report["errors"] or report["unverifiedInstanceIds"] else "OK"
        self._report(report)
        return report

    def _owner_active(self, execution_id: str, owners: dict[str, bool]) -> bool:
        if execution_id not in owners:
            meta = self._get_meta(execution_id) if execution_id else None
            owners[execution_id] = meta is not None and str(meta.get("status")) in {s.value for s in ACTIVE_EXECUTION}
        return owners[execution_id]

    def _sweep_scope(self, scope: str, now: datetime, owners: dict[str, bool], report: dict[str, Any]) -> None:
        tagged = self._instances.tagged_drill_instances(scope)
        if not tagged:
            return
        known = self._instances.recovery_instances(scope)
        chosen: dict[str, str] = {}  # ec2 id -> recovery instance id
        for instance in tagged:
            drs = known.get(instance.instance_id)
            reason = verdict(instance, now, None if drs is None else bool(drs["isDrill"]),
                             self._owner_active(instance.execution_id, owners))
            if reason is None and drs is not None:
                chosen[instance.instance_id] = str(drs["recoveryInstanceId"])
            elif reason != "NOT_EXPIRED":
                report["skipped"].append({"instanceId": instance.instance_id, "scope": scope, "reason": reason})
        if not chosen:
            return
        ids = sorted(set(chosen.values()))
        for start in range(0, len(ids), TERMINATE_BATCH):
            batch = ids[start:start + TERMINATE_BATCH]
            instances = sorted(i for i, r in chosen.items() if r in batch)
            try:
                job_id = self._instances.terminate(scope, batch)
            except StartRefused as exc:
                report["errors"].append({"scope": scope, "error": exc.code or "NO_ANSWER", "message": exc.message,
                                         "instanceIds": instances})
                continue
            gone, left = self._verify(scope, job_id, instances)
            report["terminatedInstanceIds"] += gone
            report["unverifiedInstanceIds"] += left
            telemetry.count(telemetry.DRILL_INSTANCES_TERMINATED, len(gone))

    def _verify(self, scope: str, job_id: str | None, instance_ids: list[str]) -> tuple[list[str], list[str]]:
        """Wait (within the budget) for the TERMINATE job to end, then ask EC2 which are gone."""
        deadline = self._monotonic() + self._budget
        while job_id and self._monotonic() < deadline:
            if self._instances.job_status(scope, job_id) in FINISHED_JOB:
                break
            self._sleep(POLL_SECONDS)
        states = self._instances.ec2_states(scope, instance_ids)
        while self._monotonic() < deadline and any(s not in ("terminated", "gone") for s in states.values()):
            self._sleep(POLL_SECONDS)
            states = self._instances.ec2_states(scope, instance_ids)
        gone = [i for i in instance_ids if states.get(i) in ("terminated", "gone")]
        return gone, [i for i in instance_ids if i not in gone]

    def _report(self, report: dict[str, Any]) -> None:
        if report["status"] == "FAILED":
            telemetry.count(telemetry.DRILL_SWEEP_FAILED)
            unverified = report["unverifiedInstanceIds"]
            self._alerts.publish(Alert(
                kind="DRILL_CLEANUP_UNVERIFIED" if unverified and not report["errors"] else "DRILL_CLEANUP_FAILED",
                subject="Drill clean-up needs attention",
                what="The drill sweeper could not terminate, or could not confirm the termination of, expired "
                     "drill recovery instances. They keep running and cost money until someone looks.",
                facts={"Unverified": ", ".join(unverified) or "none",
                       "Errors": "; ".join(f"{e['scope']}: {e['error']} {e['message']}" for e in report["errors"])
                       or "none",
                       "Terminated": ", ".join(report["terminatedInstanceIds"]) or "none"},
                action="Check the instances in the EC2 console of each account-region and terminate them through "
                       "DRS; then run POST /maintenance/drill-sweep again.",
                link="/audit-log?operation=sweep_drill_instances"))
        elif report["terminatedInstanceIds"]:
            self._alerts.publish(Alert(
                kind="DRILL_INSTANCES_TERMINATED", severity="LOW",
                subject=f"Drill clean-up: {len(report['terminatedInstanceIds'])} expired drill instance(s) terminated",
                what="The drill sweeper terminated expired drill recovery instances that no active execution "
                     "owned, and EC2 confirms they are gone.",
                facts={"Terminated": ", ".join(report["terminatedInstanceIds"]), "Scopes": ", ".join(report["scopes"])},
                link="/audit-log?operation=sweep_drill_instances"))
