"""Launch settings of protection groups: per-server overrides, validation, applying with a persisted
per-server status, drift detection and the wave-start decision.

Status writes (``launchConfigStatus``, one attribute written whole, compare-and-swap on its
``revision``) follow :data:`~drs_orch.domain.statuses.LAUNCH_CONFIG_TRANSITIONS`: an apply moves
the group to ``applying`` (only one apply per group at a time; one left ``applying`` for longer than
``stale_applying_seconds`` is taken over through ``pending``) and then to ``ready``, ``partial``,
``failed`` or ``pending`` (time budget ran out, or the settings changed while applying). A group
without any launch setting is ``not_configured``.

Background runs (issue 15): a save or an apply whose budget ran out with servers ``pending``
writes the group ``applying`` with a ``background`` block and queues a run (an asynchronous
invocation of the same function, ``apply_launch_configs`` with a ``continuation``) through the
``Dispatch`` its route gives; each run (:meth:`LaunchSettingsService.continue_apply`) applies the
next servers within ``background_budget_seconds`` and queues the next one while servers remain
pending. A run stops when the status names another apply or the settings changed; a save takes a
background apply over (``apply_after_save``). ``docs/ARCHITECTURE.md`` (launch settings in the
background) has the rules.

Wave start (:meth:`LaunchSettingsService.prepare_wave`), fast path, costs for the wave's servers
with settings, by drift check (``LAUNCH_DRIFT_CHECK``):

- every mode: one DynamoDB GetItem per group; the stored per-server hash is compared with the hash
  of the server's current settings (an edit since the last apply means applying again);
- ``templates``: no DRS call (the launch template ids are kept in the status); for the
  servers with EC2-side settings one DescribeLaunchTemplateVersions per template, or one
  account-wide paginated listing of default versions (1 call per 200 templates of the account and
  region) from ``account_listing_min`` templates on;
- ``full`` (default, issue 15): in addition one DRS GetLaunchConfiguration per server with DRS-side
  settings, so a DRS setting changed in the console (e.g. launchDisposition) is caught at wave
  start too; these reads run ``LAUNCH_DRIFT_PARALLELISM`` (50) at a time, so 100 servers cost two
  rounds of calls (``bench/launch_config.py``);
- ``off``: nothing but the DynamoDB reads.

Reads run in parallel; the fast path never writes to DRS or EC2. The status view
(``?checkDrift=true``) and the apply route always compare with both DRS and EC2.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from drs_orch.domain.errors import Conflict, DomainError, NotFound, UpstreamError, ValidationFailed
from drs_orch.domain.input_rules import MAX_OVERRIDES_PER_GROUP, check_count
from drs_orch.domain.launch_config import (
    EffectiveLaunchConfig,
    LaunchConfigStatus,
    ServerLaunchOverride,
    canonical_config,
    config_hash,
    drifted_fields,
    from_observed,
    split_for_drs_and_ec2,
)
from drs_orch.domain.launch_rules import (
    Reason,
    ServerOutcome,
    WavePath,
    applying_record,
    intended_config,
    is_managed,
    observed_hash,
    plan_servers,
    project_observed,
    released_record,
    settled_record,
    unconfigured_record,
    wave_path,
)
from drs_orch.domain.models import ProtectionGroup, parse, to_iso
from drs_orch.domain.statuses import LaunchConfigState, check_transition
from drs_orch.services.launch_apply import LaunchApplier, LaunchGateway, Observation, shared_pool
from drs_orch.services.launch_background import (
    TAKEOVER_ATTEMPTS,
    BackgroundRuns,
    Continuation,
    StatusRace,
    parse_time,
)
from drs_orch.services.launch_groups import (
    AccountResolver,
    ApplyReport,
    Dispatch,
    DriftCheck,
    GatewayFactory,
    GroupStore,
    GroupView,
    LaunchOptions,
    public_status,
)
from drs_orch.services.launch_validation import (
    find_problems,
    parse_settings,
    static_ip_report,
)

log = logging.getLogger(__name__)
L = LaunchConfigState


class LaunchSettingsService(BackgroundRuns):
    def __init__(
        self,
        store: GroupStore,
        accounts: AccountResolver,
        gateways: GatewayFactory,
        *,
        options: LaunchOptions | None = None,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        edit_guard: Callable[[str], None] | None = None,
    ) -> None:
        """``edit_guard(group_id)`` raises when the group's settings must not change now (e.g. an
        active execution uses it); it runs before every override change and explicit apply."""
        self._store = store
        self._accounts = accounts
        self._gateways = gateways
        self.options = options or LaunchOptions()
        self._clock = clock
        self._monotonic = monotonic
        self._sleep = sleep
        self._edit_guard = edit_guard

    # ------------------------------------------------------------------ plumbing

    def _now(self) -> str:
        return to_iso(self._clock())

    def _load(self, group_id: str) -> GroupView:
        group = self._store.get(group_id)
        if group is None:
            raise NotFound(f"protection group {group_id} not found", code="GROUP_NOT_FOUND")
        return GroupView.of(group)

    def _gateway(self, group: ProtectionGroup) -> LaunchGateway:
        ctx = self._accounts.context_for(group.account_id, group.region)
        return self._gateways(ctx)

    def _applier(self, gateway: LaunchGateway, *, reads: bool = False, background: bool = False) -> LaunchApplier:
        size = self.options.drift_parallelism if reads else self.options.parallelism
        return LaunchApplier(gateway, self.options.apply_options(background=background), pool=shared_pool(size),
                             monotonic=self._monotonic, sleep=self._sleep)

    def _write(self, view: GroupView, record: LaunchConfigStatus, *, apply_id: str | None = None,
               template_ids: Mapping[str, str] | None = None, background: Mapping[str, Any] | None = None) -> bool:
        """One atomic, valid status transition (compare-and-swap on the revision). ``background``:
        the apply continues in background runs (kept only while the status is ``applying``)."""
        check_transition(LaunchConfigState, view.state, record.status)
        ids = {**view.template_ids, **(template_ids or {})}
        item = public_status(record, {s: t for s, t in ids.items() if s in record.server_configs}, background)
        item["revision"] = (view.revision or 0) + 1
        if apply_id is not None:
            item["applyId"] = apply_id
            item["applyStartedAt"] = self._now()
        if not self._store.write_status(view.group_id, item, view.revision):
            return False
        view.status, view.revision = record, item["revision"]
        view.template_ids = {s: t for s, t in ids.items() if s in record.server_configs}
        view.apply_started_at = item.get("applyStartedAt")
        view.apply_id = item.get("applyId")
        view.background = item.get("background")
        return True

    def _is_stale(self, view: GroupView) -> bool:
        if view.apply_started_at is None:
            return True
        started = parse_time(view.apply_started_at)
        return (self._clock() - started).total_seconds() > self.options.stale_applying_seconds

    def _begin(self, view: GroupView, targets: Iterable[str], actor: str) -> None:
        """Move the group to ``applying``; :class:`Conflict` ``APPLY_IN_PROGRESS`` when another
        apply holds it."""
        if view.state is L.APPLYING:
            if not self._is_stale(view):
                queued = " in the background" if view.background is not None else ""
                raise Conflict(f"launch settings of group {view.group_id} are being applied{queued} already",
                               code="APPLY_IN_PROGRESS")
            self._release(view, f"the apply started at {view.apply_started_at} did not finish")
        if not self._write(view, applying_record(view.status, targets, actor, self._now()), apply_id=uuid.uuid4().hex):
            raise StatusRace()

    def _release(self, view: GroupView, why: str) -> None:
        """``applying`` -> ``pending``: the servers being applied become pending; :class:`Conflict`
        when the status changed meanwhile."""
        released = released_record(view.status, why, self._now())
        if not self._write(view, released):
            raise StatusRace()

    def _consistent(self, view: GroupView, intended: Mapping[str, EffectiveLaunchConfig]) -> bool:
        status = view.status
        return status is not None and status.status is not L.APPLYING and set(status.server_configs) == set(intended)

    # ------------------------------------------------------------------ apply

    def _run_apply(
        self,
        view: GroupView,
        actor: str,
        *,
        force: bool = False,
        only: Iterable[str] | None = None,
        extra: Mapping[str, Reason] | None = None,
        known: Mapping[str, Observation] | None = None,
        budget: float,
        min_chunks: int = 0,
        background: Dispatch | None = None,
    ) -> ApplyReport:
        started = self._monotonic()
        intended = view.intended()
        plan = plan_servers(intended, view.status, force=force, only=only)
        targets = dict(plan.targets)
        targets.update({s: r for s, r in (extra or {}).items() if s in plan.intended})
        report = ApplyReport(view.group_id, view.status, skipped=[s for s in plan.up_to_date if s not in targets],
                             template_ids=dict(view.template_ids))
        if not any(is_managed(c) for c in intended.values()):
            if view.state not in (L.NOT_CONFIGURED, L.APPLYING):
                report.persisted = self._write(view, unconfigured_record(view.status, view.members))
            report.record = view.status
            return report
        if not targets and self._consistent(view, intended):
            return report
        self._begin(view, targets, actor)
        self._apply_and_settle(view, {s: intended[s] for s in targets}, actor, report, force=force, known=known,
                               budget=budget, min_chunks=min_chunks,
                               continuation=(background, 0, None) if background is not None else None)
        report.duration_ms = int((self._monotonic() - started) * 1000)
        return report

    def _apply_and_settle(self, view: GroupView, targets: Mapping[str, EffectiveLaunchConfig], actor: str,
                          report: ApplyReport, *, force: bool = False, known: Mapping[str, Observation] | None = None,
                          budget: float, min_chunks: int = 0, continuation: Continuation | None = None,
                          in_background: bool = False) -> None:
        """Apply ``targets`` (the group holds ``applying`` for this apply), then write the settled
        status for the group as it is now; the outcome goes into ``report``."""
        applying = view.status
        try:
            gateway = self._gateway(view.group)
            applier = self._applier(gateway, background=in_background)
            deadline = self._monotonic() + budget
            outcomes = applier.apply(targets, deadline=deadline, force=force, known=known,
                                     template_ids=view.template_ids, min_chunks=min_chunks)
            report.calls = gateway.call_counts()
        except DomainError as exc:
            outcomes = {s: ServerOutcome(L.FAILED, errors=[exc.message]) for s in targets}
        except Exception:
            # the group must not stay "applying" because of a bug; the error is logged in full
            log.exception("unexpected error while applying launch settings of %s", view.group_id)
            outcomes = {s: ServerOutcome(L.FAILED, errors=["internal error while applying"]) for s in targets}
        report.outcomes = outcomes
        latest_group = self._store.get_settings(view.group_id)  # the settings now (edited while applying?)
        latest = GroupView.of(latest_group) if latest_group is not None else view
        record, template_ids = settled_record(applying, outcomes, latest.intended(), self._now(), actor)
        if record.status is L.NOT_CONFIGURED:
            ok = self._write(view, LaunchConfigStatus(status=L.PENDING, applied_by=actor, last_applied=self._now()))
            report.persisted = ok and self._write(view, record, template_ids=template_ids)
        else:
            report.persisted, report.continued = self._settle_or_continue(view, latest, record, template_ids,
                                                                          continuation)
        if not report.persisted:
            log.warning("launch settings status of %s changed while applying; result not recorded", view.group_id)
        report.record = record
        report.template_ids = {**view.template_ids, **template_ids}

    def apply_group(self, group_id: str, actor: str, *, force: bool = False,
                    background: Dispatch | None = None, in_save: bool = False) -> dict[str, Any]:
        """POST .../apply-launch-configs: servers whose settings changed or that are not ready, plus
        servers whose DRS or EC2 state drifted (both read); every server with ``force``. What does
        not fit the budget (``save_budget_seconds``; ``after_save_budget_seconds`` ``in_save``: a PUT
        with ``force``) continues in background runs when ``background`` can queue them."""
        view = self._load(group_id)
        if self._edit_guard is not None:
            self._edit_guard(group_id)
        drifted: dict[str, Reason] = {}
        known: dict[str, Observation] = {}
        if not force:
            drifted, known, _ = self._drift(view, view.members, DriftCheck.FULL)
        budget = self.options.after_save_budget_seconds if in_save else self.options.save_budget_seconds
        report = self._run_apply(view, actor, force=force, extra=drifted, known=known, budget=budget, min_chunks=1,
                                 background=background)
        return report.body()

    # ------------------------------------------------------------------ hooks for other use cases

    def validate(self, group: ProtectionGroup) -> None:
        """Raise :class:`ValidationFailed` listing every problem of the group's launch settings."""
        settings, _ = parse_settings(group)
        ec2 = None if settings.is_empty else self._gateway(group).ec2
        problems = find_problems(group, ec2)
        if problems:
            raise ValidationFailed(f"invalid launch settings: {len(problems)} problem(s)",
                                   code="INVALID_LAUNCH_SETTINGS", details=problems)

    def apply_after_save(self, group: ProtectionGroup, actor: str, *,
                         background: Dispatch | None = None) -> dict[str, Any]:
        """Apply what changed after the group was saved, within ``after_save_budget_seconds`` (at
        least one chunk of servers); what does not fit continues in background runs queued through
        ``background`` (the status says ``applying`` with a ``background`` block). Never fails the
        save. Returns the status.

        A save while a background run holds the group takes it over: when that run is applying
        now, nothing is applied here and a new run is queued to start after it; otherwise its
        queued run will find the status taken over and stop."""
        view = GroupView.of(self._store.get(group.group_id) or group)
        try:
            for attempt in range(TAKEOVER_ATTEMPTS):
                try:
                    if view.state is L.APPLYING and view.background is not None and background is not None:
                        if self._background_busy(view):
                            return self._hand_over(view, background)
                        self._release(view, "superseded by a newer save")
                    report = self._run_apply(view, actor, budget=self.options.after_save_budget_seconds,
                                             min_chunks=1, background=background)
                    break
                except StatusRace:
                    # a background run wrote the status meanwhile (claimed a run, queued the next):
                    # read it again and take over from there
                    if attempt == TAKEOVER_ATTEMPTS - 1:
                        raise
                    view = GroupView.of(self._store.get(group.group_id) or group)
        except Conflict as exc:
            body = public_status(view.status, view.template_ids)
            body["errors"] = [*body.get("errors", []), exc.message]
            return body
        except DomainError as exc:
            log.warning("applying launch settings of %s failed: %s", view.group_id, exc.message)
            body = public_status(view.status, view.template_ids)
            body["errors"] = [*body.get("errors", []), exc.message]
            return body
        return {**public_status(report.record, report.template_ids), **report.continued}

    def _drift(
        self, view: GroupView, servers: Iterable[str], mode: DriftCheck, *, deadline: float | None = None
    ) -> tuple[dict[str, Reason], dict[str, Observation], dict[str, int]]:
        """Servers whose stored ready hash is current but whose DRS/EC2 state hashes differently."""
        plan = plan_servers(view.intended(), view.status, only=servers)
        candidates = {s: plan.intended[s] for s in plan.up_to_date}
        if not candidates or mode is DriftCheck.OFF:
            return {}, {}, {}
        try:
            gateway = self._gateway(view.group)
        except DomainError as exc:
            log.warning("drift check of %s impossible: %s", view.group_id, exc.message)
            return {s: Reason.DRIFTED for s in candidates}, {}, {}
        observations = self._applier(gateway, reads=True).observe(
            candidates, deadline=deadline or self._monotonic() + self.options.wave_budget_seconds,
            template_ids=view.template_ids, read_drs=mode is DriftCheck.FULL)
        stored = view.status.server_configs if view.status else {}
        drifted: dict[str, Reason] = {}
        for sid, cfg in candidates.items():
            obs = observations[sid]
            # an unreadable server counts as drifted: re-applying is safer than launching stale settings
            if obs.error is not None or _observed_hash(cfg, obs) != stored[sid].config_hash:
                drifted[sid] = Reason.DRIFTED
        return drifted, observations, gateway.call_counts()

    def prepare_wave(self, group_ids: list[str], server_ids: list[str], actor: str, *,
                     dry_run: bool = False) -> dict[str, Any]:
        """Decide and prepare the launch settings of a wave's servers (module docstring: costs).
        With ``dry_run`` the decision is made exactly so, and nothing is applied or written: the
        servers that would be applied are listed under ``wouldApply``.

        FAST: every server with settings is ready with its current settings and nothing drifted;
        nothing is written. FALLBACK: the servers that are not ready, changed or drifted are applied
        first. NONE: no server of the wave has launch settings. Raises :class:`UpstreamError`
        ``LAUNCH_SETTINGS_NOT_APPLIED`` when some server could not be applied in time.
        """
        started = self._monotonic()
        deadline = started + self.options.wave_budget_seconds
        wave = set(server_ids)
        views = [self._load(gid) for gid in dict.fromkeys(group_ids)]
        needing: dict[str, str] = {}
        per_group: dict[str, tuple[dict[str, Reason], dict[str, Observation]]] = {}
        calls: dict[str, int] = {}
        managed = 0
        claimed: set[str] = set()
        for view in views:
            mine = [s for s in view.members if s in wave and s not in claimed]
            claimed.update(mine)
            plan = plan_servers(view.intended(), view.status, only=mine)
            managed += len(plan.intended)
            drifted, known, used = self._drift(view, mine, self.options.drift_check, deadline=deadline)
            for name, n in used.items():
                calls[name] = calls.get(name, 0) + n
            targets = {**plan.targets, **drifted}
            needing.update({s: r.value for s, r in targets.items()})
            per_group[view.group_id] = (targets, known)
        path, reason = wave_path(managed, needing)
        result: dict[str, Any] = {"path": path.value, "reason": reason, "applied": [], "calls": calls}
        if dry_run:
            result["wouldApply"] = dict(sorted(needing.items()))
            return result
        if path is not WavePath.FALLBACK:
            result["durationMs"] = int((self._monotonic() - started) * 1000)
            return result
        failed: dict[str, list[str]] = {}
        for view in views:
            targets, known = per_group[view.group_id]
            if not targets:
                continue
            outcomes = self._apply_for_wave(view, targets, known, actor, max(0.0, deadline - self._monotonic()),
                                            calls)
            result["applied"].extend(s for s, o in outcomes.items() if o.status is L.READY)
            failed.update({s: o.errors or [o.status.value] for s, o in outcomes.items() if o.status is not L.READY})
        result["applied"].sort()
        result["durationMs"] = int((self._monotonic() - started) * 1000)
        if failed:
            raise UpstreamError(
                f"launch settings could not be applied to {len(failed)} server(s) of this wave",
                code="LAUNCH_SETTINGS_NOT_APPLIED",
                details={**result, "failed": failed},
            )
        return result

    def _apply_for_wave(self, view: GroupView, targets: dict[str, Reason], known: Mapping[str, Observation],
                        actor: str, budget: float, calls: dict[str, int]) -> dict[str, ServerOutcome]:
        try:
            report = self._run_apply(view, actor, only=list(targets), extra=targets, known=known, budget=budget)
            outcomes = report.outcomes
            used = report.calls
        except Conflict:
            # another apply holds the status: the launch still needs the settings, so apply them
            # without recording (the other apply records its own result)
            intended = view.intended()
            gateway = self._gateway(view.group)
            outcomes = self._applier(gateway).apply(
                {s: intended[s] for s in targets}, deadline=self._monotonic() + budget, known=known,
                template_ids=view.template_ids)
            used = gateway.call_counts()
        for name, n in used.items():
            calls[name] = calls.get(name, 0) + n
        return outcomes

    # ------------------------------------------------------------------ overrides

    def _server_view(self, view: GroupView, server_id: str) -> dict[str, Any]:
        override = view.settings.overrides.get(server_id)
        cfg = intended_config(view.settings.group, override)
        entry = view.status.server_configs.get(server_id) if view.status else None
        want = config_hash(cfg)
        return {
            "groupId": view.group_id,
            "serverId": server_id,
            "version": view.version,
            "override": override.model_dump(mode="json", by_alias=True, exclude_none=True) if override else None,
            "useGroupDefaults": override.use_group_defaults if override else True,
            "effectiveConfig": canonical_config(cfg),
            "configHash": want,
            "managed": is_managed(cfg),
            "status": public_status(view.status, view.template_ids)["serverConfigs"].get(server_id) if entry else None,
            "upToDate": bool(entry and entry.status is L.READY and entry.config_hash == want),
        }

    def _member(self, view: GroupView, server_id: str) -> None:
        if server_id not in view.members:
            raise NotFound(f"server {server_id} is not in protection group {view.group_id}",
                           code="SERVER_NOT_IN_GROUP")

    def get_server_config(self, group_id: str, server_id: str) -> dict[str, Any]:
        view = self._load(group_id)
        self._member(view, server_id)
        return self._server_view(view, server_id)

    def _save(self, view: GroupView, servers: dict[str, Any], expected: Any, actor: str,
              background: Dispatch | None = None) -> GroupView:
        """Validate the group with ``servers`` (raw overrides), then store them normalised and apply."""
        if expected is not None and (not isinstance(expected, int) or expected != view.version):
            raise Conflict(f"protection group {view.group_id} is at version {view.version}, not {expected}",
                           code="VERSION_CONFLICT")
        if self._edit_guard is not None:
            self._edit_guard(view.group_id)
        for server_id, raw in servers.items():
            if not isinstance(raw, dict):
                raise ValidationFailed("invalid launch settings: 1 problem(s)", code="INVALID_LAUNCH_SETTINGS",
                                       details=[{"field": f"servers.{server_id}", "message": "must be an object"}])
        candidate = view.group.model_copy(update={"servers": servers})
        self.validate(candidate)
        normalised = {sid: _stored(parse(ServerLaunchOverride, raw)) for sid, raw in servers.items()}
        version = self._store.save_overrides(view.group_id, normalised, view.version, self._now(), actor)
        self.apply_after_save(candidate.model_copy(update={"servers": normalised, "version": version}), actor,
                              background=background)
        return self._load(view.group_id)

    def put_server_config(self, group_id: str, server_id: str, body: dict[str, Any], actor: str,
                          background: Dispatch | None = None) -> dict[str, Any]:
        fields = dict(body)
        expected = fields.pop("version", None)
        view = self._load(group_id)
        self._member(view, server_id)
        servers = {**(view.group.servers or {}), server_id: fields}
        return self._server_view(self._save(view, servers, expected, actor, background), server_id)

    def delete_server_config(self, group_id: str, server_id: str, actor: str, expected: Any = None,
                             background: Dispatch | None = None) -> dict[str, Any]:
        view = self._load(group_id)
        self._member(view, server_id)
        servers = dict(view.group.servers or {})
        if server_id not in servers:
            raise NotFound(f"server {server_id} has no launch settings override", code="OVERRIDE_NOT_FOUND")
        del servers[server_id]
        return self._server_view(self._save(view, servers, expected, actor, background), server_id)

    def bulk_update(self, group_id: str, body: dict[str, Any], actor: str,
                    background: Dispatch | None = None) -> dict[str, Any]:
        """``{"servers": {serverId: override | null}, "version"?}``; null removes an override.
        All or nothing: one validation listing every problem, one write, one apply."""
        changes = body.get("servers")
        if not isinstance(changes, dict) or not changes:
            raise ValidationFailed("servers must be a non-empty object of serverId -> override or null",
                                   details=[{"field": "servers", "message": "required"}])
        check_count(changes, MAX_OVERRIDES_PER_GROUP, "servers")
        view = self._load(group_id)
        outsiders = [{"field": f"servers.{sid}", "message": "server is not in this group"}
                     for sid in changes if sid not in view.members]
        if outsiders:
            raise ValidationFailed(f"invalid launch settings: {len(outsiders)} problem(s)",
                                   code="INVALID_LAUNCH_SETTINGS", details=outsiders)
        servers = dict(view.group.servers or {})
        for server_id, raw in changes.items():
            if raw is None:
                servers.pop(server_id, None)
            else:
                servers[server_id] = raw
        saved = self._save(view, servers, body.get("version"), actor, background)
        return {"groupId": group_id, "version": saved.version,
                "servers": {sid: self._server_view(saved, sid) for sid in sorted(changes)},
                "launchConfigStatus": public_status(saved.status, saved.template_ids, saved.background)}

    def validate_ip(self, group_id: str, server_id: str, body: dict[str, Any]) -> dict[str, Any]:
        view = self._load(group_id)
        self._member(view, server_id)
        ip = body.get("staticPrivateIp") or body.get("ip")
        if not isinstance(ip, str) or not ip.strip():
            raise ValidationFailed("staticPrivateIp is required",
                                   details=[{"field": "staticPrivateIp", "message": "required"}])
        subnet_id = body.get("subnetId") or view.intended()[server_id].subnet_id
        others = {o.static_private_ip: sid for sid, o in view.settings.overrides.items()
                  if o.static_private_ip and sid != server_id}
        report = static_ip_report(ip, subnet_id if isinstance(subnet_id, str) else None,
                                  self._gateway(view.group).ec2, others)
        return {"groupId": group_id, "serverId": server_id, **report}

    def get_status(self, group_id: str, *, check_drift: bool = False) -> dict[str, Any]:
        view = self._load(group_id)
        plan = plan_servers(view.intended(), view.status)
        body = {"groupId": group_id, **public_status(view.status, view.template_ids, view.background)}
        body["outdatedServers"] = {s: r.value for s, r in sorted(plan.targets.items())}
        if check_drift:
            drifted, known, calls = self._drift(view, view.members, DriftCheck.FULL)
            body["driftedServers"] = {s: _drift_detail(plan.intended[s], known.get(s)) for s in sorted(drifted)}
            body["driftCheckCalls"] = calls
        return body


def _stored(override: ServerLaunchOverride) -> dict[str, Any]:
    return override.model_dump(mode="json", by_alias=True, exclude_none=True)


def _observed_effective(intended: EffectiveLaunchConfig, obs: Observation) -> EffectiveLaunchConfig:
    """What DRS and EC2 hold; a part that was not read (drift check ``templates``) counts as intended."""
    drs = obs.drs if obs.drs is not None else split_for_drs_and_ec2(intended)[0]
    return from_observed(drs, obs.template.data if obs.template else {})


def _observed_hash(intended: EffectiveLaunchConfig, obs: Observation) -> str:
    return observed_hash(intended, _observed_effective(intended, obs))


def _drift_detail(intended: EffectiveLaunchConfig, obs: Observation | None) -> list[str]:
    if obs is None:
        return ["drift check impossible"]
    if obs.error is not None:
        return [obs.error]
    observed = project_observed(intended, _observed_effective(intended, obs))
    return drifted_fields(intended, observed) or ["staticPrivateIp"]
