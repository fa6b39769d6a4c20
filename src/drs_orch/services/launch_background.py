"""Background runs of a launch-settings apply (issue 15): what does not fit a save's or an apply's
time budget continues in runs of the data-management function invoked asynchronously, one after
the other, until no server is pending. The rules are in ``docs/ARCHITECTURE.md`` (launch settings
in the background); :class:`BackgroundRuns` is the part of
:class:`~drs_orch.services.launch_settings.LaunchSettingsService` that implements them."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from drs_orch.domain.errors import Conflict, DomainError
from drs_orch.domain.launch_config import EffectiveLaunchConfig, LaunchConfigStatus
from drs_orch.domain.launch_rules import applying_record, plan_servers, released_record
from drs_orch.domain.models import to_iso
from drs_orch.domain.statuses import LaunchConfigState
from drs_orch.services.launch_apply import FORCED_CHUNK_SECONDS, RETRY_GRACE_SECONDS
from drs_orch.services.launch_groups import (
    ApplyReport,
    Dispatch,
    GroupStore,
    GroupView,
    LaunchOptions,
    public_status,
)

log = logging.getLogger(__name__)
L = LaunchConfigState

TAKEOVER_ATTEMPTS = 5
# a run queued behind a run still applying waits this long at most, then queues itself again (so
# waiting and applying stay within the function's timeout)
MAX_WAIT_SECONDS = 60.0
# a run's lease: its budget, the steps of the servers whose DRS step started (retries end
# RETRY_GRACE_SECONDS past the budget) and this margin
LEASE_MARGIN_SECONDS = 60.0
# how a settled apply continues in the background: the dispatcher, the runs done, the apply's id
# (None: a new apply)
Continuation = tuple[Dispatch, int, "str | None"]


class StatusRace(Conflict):
    """The status changed between its read and a compare-and-swap write."""

    def __init__(self) -> None:
        super().__init__("launch settings status changed concurrently", code="APPLY_IN_PROGRESS")


def parse_time(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


class BackgroundRuns:
    """Background runs: continuing an apply, taking one over, a run itself (:meth:`continue_apply`)."""

    if TYPE_CHECKING:
        options: LaunchOptions
        _store: GroupStore
        _clock: Callable[[], datetime]
        _monotonic: Callable[[], float]
        _sleep: Callable[[float], None]

        def _now(self) -> str: ...

        def _load(self, group_id: str) -> GroupView: ...

        def _write(self, view: GroupView, record: LaunchConfigStatus, *, apply_id: str | None = None,
                   template_ids: Mapping[str, str] | None = None,
                   background: Mapping[str, Any] | None = None) -> bool: ...

        def _release(self, view: GroupView, why: str) -> None: ...

        def _apply_and_settle(self, view: GroupView, targets: Mapping[str, EffectiveLaunchConfig], actor: str,
                              report: ApplyReport, *, budget: float, min_chunks: int = 0,
                              continuation: Continuation | None = None, in_background: bool = False) -> None: ...

    def _background_block(self, view: GroupView, apply_id: str, runs: int, waiting_for: str,
                          lease_until: str | None = None, status: LaunchConfigStatus | None = None) -> dict[str, Any]:
        status = status or view.status
        configs = status.server_configs if status else {}
        plan = plan_servers(view.intended(), status)
        failed = sum(1 for s in plan.targets if s in configs and configs[s].status is L.FAILED)
        block: dict[str, Any] = {
            "applyId": apply_id, "settingsHash": view.settings_hash(), "runs": runs, "queuedAt": self._now(),
            "readyServers": len(plan.up_to_date), "pendingServers": len(plan.targets) - failed,
            "failedServers": failed, "waitingFor": waiting_for,
        }
        if lease_until is not None:
            block["leaseUntil"] = lease_until
        return block

    def _settle_or_continue(self, view: GroupView, latest: GroupView, record: LaunchConfigStatus,
                            template_ids: Mapping[str, str], continuation: Continuation | None) -> tuple[bool, dict[str, Any]]:
        """Write the settled ``record``; when it is ``pending`` (the budget ran out) and background
        runs can be queued, write it ``applying`` with a ``background`` block instead (one write) and
        queue the next run. Returns whether the write happened and what changes in the answer.
        Queuing failed: the group goes back to ``pending`` with why, for the caller to apply by hand."""
        pending = sum(1 for c in record.server_configs.values() if c.status is L.PENDING)
        if continuation is None or record.status is not L.PENDING or not pending:
            return self._write(view, record, template_ids=template_ids), {}
        dispatch, runs, apply_id = continuation
        apply_id = apply_id or uuid.uuid4().hex
        holding = record.model_copy(update={"status": L.APPLYING})
        block = self._background_block(latest, apply_id, runs, f"background run {runs + 1} (queued at {self._now()}) "
                                                               f"to apply {pending} pending server(s)", status=holding)
        if not self._write(view, holding, template_ids=template_ids, apply_id=apply_id, background=block):
            return False, {}
        try:
            dispatch(view.group_id, {"applyId": apply_id, "settingsHash": block["settingsHash"]})
        except Exception as exc:  # the group is saved: whatever went wrong, the answer says so, never a 500
            message = exc.message if isinstance(exc, DomainError) else "internal error"
            log.warning("background apply of %s could not be queued: %s", view.group_id, message,
                        exc_info=not isinstance(exc, DomainError))
            why = (f"{pending} server(s) still pending: the background apply could not be queued ({message}); "
                   "apply again (POST .../apply-launch-configs) or let the wave start apply them")
            back = record.model_copy(update={"errors": [*record.errors, why]})
            if self._write(view, back):
                return True, public_status(back, view.template_ids)
            return True, {}
        return True, public_status(holding, view.template_ids, block)

    def _background_busy(self, view: GroupView) -> bool:
        """A background run is applying now (its lease has not ended)."""
        lease = (view.background or {}).get("leaseUntil")
        return view.state is L.APPLYING and bool(lease) and parse_time(str(lease)) > self._clock()

    def _hand_over(self, view: GroupView, dispatch: Dispatch) -> dict[str, Any]:
        """A save while a background run applies: the status is taken over (the run finds another
        ``applyId`` at its end and records nothing), and a new background run is queued that waits
        for the old run's lease to end, so two applies never write a server at the same time."""
        lease = str((view.background or {}).get("leaseUntil"))
        holding = released_record(view.status, None, self._now()).model_copy(update={"status": L.APPLYING})
        apply_id = uuid.uuid4().hex
        block = self._background_block(view, apply_id, 0, f"the previous background run to end (by {lease})",
                                       lease_until=lease, status=holding)
        # one write from the old run's claim to the new apply: the old run, ending in between two
        # writes, would find no lease to remove and the new run would wait out the whole lease
        if not self._write(view, holding, apply_id=apply_id, background=block):
            raise StatusRace()
        return self._queue_or_release(view, holding, block, dispatch)

    def _queue_or_release(self, view: GroupView, holding: LaunchConfigStatus, block: dict[str, Any],
                          dispatch: Dispatch) -> dict[str, Any]:
        try:
            dispatch(view.group_id, {"applyId": block["applyId"], "settingsHash": block["settingsHash"]})
        except Exception as exc:  # the group is saved: never a 500
            message = exc.message if isinstance(exc, DomainError) else "internal error"
            log.warning("background apply of %s could not be queued: %s", view.group_id, message,
                        exc_info=not isinstance(exc, DomainError))
            why = f"the background apply could not be queued ({message}); apply again (POST .../apply-launch-configs)"
            self._release(view, why)
            return public_status(view.status, view.template_ids)
        return public_status(holding, view.template_ids, block)

    def continue_apply(self, group_id: str, continuation: Mapping[str, str],
                       dispatch: Dispatch | None) -> dict[str, Any]:
        """One background run: apply the next pending servers within ``background_budget_seconds``,
        then queue the next run while servers remain pending. Stops (``stopped`` in the answer,
        nothing written) when the status no longer names this apply (a newer save or apply took it
        over) or the group's settings changed since the run was queued; 404 when the group is gone."""
        view = self._load(group_id)
        apply_id, settings = continuation["applyId"], continuation["settingsHash"]
        waited = 0.0
        while True:
            if view.state is not L.APPLYING or (view.background or {}).get("applyId") != apply_id:
                return self._stopped(view, "SUPERSEDED")
            if view.settings_hash() != settings:
                with contextlib.suppress(Conflict):
                    self._release(view, "the launch settings changed while applying in the background; apply again")
                return self._stopped(view, "SETTINGS_CHANGED")
            if not self._background_busy(view):
                break
            # queued by a save that took over from a run still applying: start once that run has
            # ended (it removes its lease) or its lease is over; after MAX_WAIT_SECONDS, queue again
            if waited >= MAX_WAIT_SECONDS and dispatch is not None:
                try:
                    dispatch(group_id, dict(continuation))
                except DomainError as exc:
                    with contextlib.suppress(Conflict):
                        self._release(view, f"the background apply could not be queued ({exc.message}); apply again")
                return self._stopped(view, "REQUEUED")
            ends = parse_time(str((view.background or {})["leaseUntil"]))
            pause = max(0.0, min((ends - self._clock()).total_seconds(), 1.0))
            self._sleep(pause)
            waited += max(pause, 0.1)
            view = self._load(group_id)
        runs = int((view.background or {}).get("runs") or 0) + 1
        actor = (view.status.applied_by if view.status else None) or "background"
        targets = {s: r for s, r in plan_servers(view.intended(), view.status).targets.items()
                   if view.status is None or s not in view.status.server_configs
                   or view.status.server_configs[s].status is not L.FAILED}
        started = self._monotonic()
        lease = to_iso(self._clock() + timedelta(seconds=self._hard_seconds()))
        claim = applying_record(view.status, targets, actor, self._now()).model_copy(
            update={"errors": view.status.errors if view.status else []})
        block = self._background_block(view, apply_id, runs, f"background run {runs} applying {len(targets)} "
                                                             f"server(s) (until {lease} at the latest)", lease)
        if not self._write(view, claim, apply_id=apply_id, background=block):
            return self._stopped(view, "SUPERSEDED")
        report = ApplyReport(view.group_id, view.status, template_ids=dict(view.template_ids))
        intended = view.intended()
        self._apply_and_settle(view, {s: intended[s] for s in targets}, actor, report,
                               budget=self.options.background_budget_seconds, min_chunks=1,
                               continuation=(dispatch, runs, apply_id) if dispatch is not None else None,
                               in_background=True)
        report.duration_ms = int((self._monotonic() - started) * 1000)
        body = report.body()
        if not report.persisted:
            self._end_lease(view.group_id, lease)
            return {**body, "stopped": "SUPERSEDED"}
        return body

    def _hard_seconds(self) -> float:
        """How long one background run may take (its lease): its budget (or the first chunk's start),
        the steps of the servers whose DRS step started (retries end 30 s past it), and a margin."""
        return (max(self.options.background_budget_seconds, FORCED_CHUNK_SECONDS) + RETRY_GRACE_SECONDS
                + LEASE_MARGIN_SECONDS)

    def _end_lease(self, group_id: str, lease: str) -> None:
        """A run that lost the status tells the apply that took over (and waits for ``lease``) that
        it has ended: the lease goes from the status, compare-and-swap, only if it is still there."""
        group = self._store.get(group_id)
        if group is None:
            return
        view = GroupView.of(group)
        if view.state is not L.APPLYING or view.background is None or view.background.get("leaseUntil") != lease:
            return
        block = {k: v for k, v in view.background.items() if k != "leaseUntil"}
        block["waitingFor"] = f"background run {int(block.get('runs') or 0) + 1} (the previous run has ended)"
        if view.status is not None and not self._write(view, view.status, apply_id=view.apply_id, background=block):
            log.info("status of %s changed while the ended run removed its lease", group_id)

    def _stopped(self, view: GroupView, why: str) -> dict[str, Any]:
        return {"groupId": view.group_id, **public_status(view.status, view.template_ids, view.background),
                "stopped": why}
