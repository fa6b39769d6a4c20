"""Recovery plans: waves of protection groups with dependencies.

A plan stores references to its groups, never copies of their servers; GET shows, per wave, the
servers the wave would launch now, and an execution snapshots them when it starts. Every problem
of a plan is reported at once (``domain.plan_graph.validate_plan_graph``). A plan's reference to a
group is written in the plan's transaction, together with a check that the group exists, so a
used group can never be deleted."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from drs_orch.domain.accounts import role_name_problem
from drs_orch.domain.data_rules import MAX_GROUPS_PER_PLAN, page_size
from drs_orch.domain.errors import Conflict, DomainError, NotFound, ValidationFailed
from drs_orch.domain.input_rules import nfc
from drs_orch.domain.models import ProtectionGroup, RecoveryPlan, RecoveryPlanInput, parse, to_iso
from drs_orch.domain.plan_graph import (
    WAVE_ORDER_SCHEMA,
    Problem,
    Wave,
    effective_order,
    normalize_waves,
    validate_plan_graph,
)
from drs_orch.domain.plan_runs import with_runs
from drs_orch.domain.statuses import ExecutionStatus
from drs_orch.services.data_ports import (
    AccountContexts,
    CommitConflict,
    ExecutionReader,
    GroupStore,
    GuardRef,
    Item,
    PlanStore,
    PlanSubscriptions,
    PlanWrite,
)
from drs_orch.services.protection_groups import version_conflict

READ_ONLY_FIELDS = frozenset({"readiness", "planId", "createdDate", "lastModifiedDate", "createdBy", "lastModifiedBy",
                              "waveCount", "totalServers", "region", "effectiveOrder", "schemaVersion",
                              "notificationSubscriptionArn"})


class PlanReadiness(Protocol):
    """What plans need of the readiness service (issue 21)."""

    def after_save(self, plan_id: str) -> None: ...
    def summaries(self, plan_ids: Sequence[str]) -> dict[str, Item]: ...


@dataclass(frozen=True)
class GroupInfo:
    """What the plan checks need of a group (``domain.plan_graph.GroupRef``)."""

    region: str
    account_id: str | None


def dump_wave(wave: Wave) -> Item:
    return wave.model_dump(mode="json", by_alias=True, exclude_none=True)


def plan_view(plan: RecoveryPlan, groups: Mapping[str, ProtectionGroup]) -> Item:
    """The API shape of a plan: each wave with the servers it would launch now."""
    out = plan.as_dict()
    waves: list[Item] = []
    total = 0
    accounts: set[str] = set()
    regions: set[str] = set()
    for wave in plan.waves:
        server_ids: list[str] = []
        for group_id in wave.protection_group_ids:
            group = groups.get(group_id)
            if group is None:
                continue
            accounts.add(group.account_id)
            regions.add(group.region)
            server_ids.extend(s for s in group.source_server_ids if s not in server_ids)
        total += len(server_ids)
        waves.append({**dump_wave(wave), "serverIds": server_ids, "serverCount": len(server_ids)})
    out["waves"] = waves
    out["effectiveOrder"] = effective_order(plan.waves)
    out["waveCount"] = len(waves)
    out["totalServers"] = total
    out["accountId"] = next(iter(accounts)) if len(accounts) == 1 else None
    out["region"] = next(iter(regions)) if len(regions) == 1 else None
    return out


def plan_group_ids(plan: RecoveryPlan) -> list[str]:
    return plan.group_ids


class RecoveryPlanService:
    def __init__(self, plans: PlanStore, groups: GroupStore, executions: ExecutionReader, contexts: AccountContexts,
                 now: Callable[[], datetime], new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
                 subscriptions: PlanSubscriptions | None = None, readiness: PlanReadiness | None = None) -> None:
        self.subscriptions = subscriptions
        self.readiness = readiness
        self.plans = plans
        self.groups = groups
        self.executions = executions
        self.contexts = contexts
        self.now = now
        self.new_id = new_id

    # reads ------------------------------------------------------------------------------------
    def load(self, plan_id: str) -> RecoveryPlan:
        item = self.plans.get(plan_id)
        if item is None:
            raise NotFound(f"recovery plan {plan_id} does not exist", code="PLAN_NOT_FOUND")
        return item

    def get(self, plan_id: str) -> Item:
        item = self.load(plan_id)
        return plan_view(item, self.groups.get_many(plan_group_ids(item)))

    def list_page(self, query: Mapping[str, str]) -> Item:
        result = self.plans.page(name_prefix=nfc(query.get("name") or "") or None, limit=page_size(query.get("limit")),
                                 token=query.get("nextToken") or None)
        ids: list[str] = []
        for plan in result.items:
            ids.extend(plan_group_ids(plan))
        groups = self.groups.get_many(ids)
        plans = [plan_view(p, groups) for p in result.items]
        # the page's runs in reads that do not grow with the page (domain/plan_runs.py)
        runs = self.executions.last_runs(p.plan_id for p in result.items) if plans else {}
        servers = {g: group.source_server_ids for g, group in groups.items()}
        plans = with_runs(plans, self.executions.active() if plans else [], runs, servers)
        if self.readiness is not None and plans:
            summaries = self.readiness.summaries([str(p["planId"]) for p in plans])
            plans = [{**p, "readiness": summaries.get(str(p["planId"]))} for p in plans]
        return {"recoveryPlans": plans, "count": len(plans), "nextToken": result.next_token}

    # writes -----------------------------------------------------------------------------------
    def build(self, spec: RecoveryPlanInput, *, plan_id: str, old: RecoveryPlan | None, actor: str,
              groups: Mapping[str, ProtectionGroup] | None = None) -> RecoveryPlan:
        """The record ``spec`` describes, after every check; ``groups`` overrides the stored
        groups (an import validating against the groups it is about to write)."""
        waves = normalize_waves(spec.waves)
        ids: list[str] = []
        for wave in waves:
            ids.extend(g for g in wave.protection_group_ids if g not in ids)
        if len(ids) > MAX_GROUPS_PER_PLAN:
            raise ValidationFailed(
                f"a recovery plan uses at most {MAX_GROUPS_PER_PLAN} protection groups, this one uses {len(ids)}",
                code="PLAN_TOO_LARGE", details={"groupCount": len(ids), "limit": MAX_GROUPS_PER_PLAN})
        found = dict(groups) if groups is not None else self.groups.get_many(ids)
        refs = {g: GroupInfo(found[g].region, found[g].account_id) for g in ids if g in found}
        servers = {g: list(found[g].source_server_ids) for g in ids if g in found}
        problems = validate_plan_graph(waves, refs, servers, default_account_id=self.contexts.hub_account_id)
        problems += self._account_problems(spec, refs)
        problems += _expected_servers_problems(spec, servers)
        if problems:
            raise ValidationFailed(
                f"the recovery plan has {len(problems)} problem(s): " + "; ".join(p.message for p in problems),
                code="INVALID_PLAN",
                details=[p.to_dict() for p in problems],
            )
        now = to_iso(self.now())
        plan = RecoveryPlan(
            plan_id=plan_id,
            plan_name=spec.plan_name,
            description=spec.description,
            waves=waves,
            schema_version=WAVE_ORDER_SCHEMA,
            version=1 if old is None else old.version + 1,
            created_date=now if old is None else old.created_date,
            created_by=actor if old is None else old.created_by,
            last_modified_date=now,
            last_modified_by=actor,
            notification_email=spec.notification_email,
            notification_subscription_arn=None if old is None else old.notification_subscription_arn,
        )
        optional = {"drill_ttl_hours": spec.drill_ttl_hours or None, "rto_minutes": spec.rto_minutes,
                    "rpo_minutes": spec.rpo_minutes, "job_timeout_minutes": spec.job_timeout_minutes,
                    "wave_timeout_minutes": spec.wave_timeout_minutes}
        return plan.model_copy(update={k: v for k, v in optional.items() if v is not None})

    def _account_problems(self, spec: RecoveryPlanInput, refs: Mapping[str, GroupInfo]) -> list[Problem]:
        """The earlier console's top-level accountId / assumeRoleName, checked against the groups."""
        if not spec.account_id and not spec.assume_role_name:
            return []
        hub = self.contexts.hub_account_id
        found: list[Problem] = []
        expected = spec.account_id
        for group_id, ref in sorted(refs.items()):
            account = ref.account_id or hub
            if expected and account != expected:
                found.append(Problem("ACCOUNT_MISMATCH", f"protection group {group_id} is in account {account}, "
                                                         f"not in the plan's accountId {expected}"))
            wrong_role = role_name_problem(self.contexts.context_for(account, ref.region), spec.assume_role_name)
            if wrong_role:
                found.append(Problem("ROLE_MISMATCH", wrong_role))
        return list({p.message: p for p in found}.values())

    def _save_with_subscription(self, item: RecoveryPlan, old: RecoveryPlan | None) -> None:
        """Save, keeping the plan's e-mail subscription in step with its ``notificationEmail``: the
        new subscription is made first and dropped again if the save is refused; the old one is
        dropped once the save is done."""
        email, before = item.notification_email, None if old is None else old.notification_email
        if self.subscriptions is None or email == before:
            self.save(item, old)
            return
        new_arn = self.subscriptions.subscribe_plan(item.plan_id, email) if email else None
        item = item.model_copy(update={"notification_subscription_arn": new_arn})
        try:
            self.save(item, old)
        except DomainError:
            if new_arn:
                self.subscriptions.unsubscribe(new_arn)
            raise
        if old is not None and old.notification_subscription_arn:
            self.subscriptions.unsubscribe(old.notification_subscription_arn)

    def create(self, body: Mapping[str, Any], actor: str) -> Item:
        spec = parse(RecoveryPlanInput, _plan_body(body, drop=frozenset({"version"})))
        item = self.build(spec, plan_id=self.new_id(), old=None, actor=actor)
        self._save_with_subscription(item, None)
        self._evaluate(item.plan_id)
        return self.get(item.plan_id)

    def update(self, plan_id: str, body: Mapping[str, Any], actor: str) -> Item:
        if body.get("version") is None:
            raise ValidationFailed("an update must carry the version it read", code="VERSION_REQUIRED",
                                   details=[{"field": "version", "message": "required"}])
        old = self.load(plan_id)
        stored = old.to_item()
        merged = {"planName": old.plan_name, "description": old.description,
                  "waves": [dump_wave(w) for w in old.waves], "notificationEmail": old.notification_email}
        for kept in ("drillTtlHours", "rtoMinutes", "rpoMinutes", "jobTimeoutMinutes", "waveTimeoutMinutes"):
            if stored.get(kept):
                merged[kept] = stored[kept]
        merged.update(_plan_body(body, drop=READ_ONLY_FIELDS))
        spec = parse(RecoveryPlanInput, merged)
        if spec.version != old.version:
            raise version_conflict(plan_id, spec.version, old.version)
        self._refuse_if_running(plan_id, allow_paused=True, what="change it")
        item = self.build(spec, plan_id=plan_id, old=old, actor=actor)
        self._save_with_subscription(item, old)
        self._evaluate(plan_id)
        return self.get(plan_id)

    def _evaluate(self, plan_id: str) -> None:
        """Readiness (issue 21) is evaluated on every create and update; it never fails the save."""
        if self.readiness is not None:
            self.readiness.after_save(plan_id)

    def save(self, item: RecoveryPlan, old: RecoveryPlan | None) -> None:
        try:
            self.plans.commit(self.write_for(item, old))
        except CommitConflict as exc:
            raise self._commit_error(exc, item) from None

    def write_for(self, item: RecoveryPlan, old: RecoveryPlan | None) -> PlanWrite:
        """What saving ``item`` over ``old`` claims, references and releases (a stale name guard is
        purged here; a live one is 409 PLAN_NAME_EXISTS)."""
        plan_id = item.plan_id
        claim_name: str | None = None
        releases: list[GuardRef] = []
        name_lower = item.plan_name.lower()
        if old is None or old.plan_name.lower() != name_lower:
            guard = self.plans.name_guard(name_lower)
            if guard is None:
                claim_name = name_lower
            elif guard.owner != plan_id:
                owner = self.plans.get(guard.owner)
                if owner is not None and owner.plan_name.lower() == name_lower:
                    raise name_exists(owner)
                if not self.plans.purge_guard(guard, owner.version if owner else None):
                    raise Conflict("another request changed the same plans at the same moment; retry",
                                   code="CONCURRENT_CHANGE")
                claim_name = name_lower
            if old is not None:
                old_guard = self.plans.name_guard(old.plan_name)
                if old_guard is not None and old_guard.owner == plan_id:
                    releases.append(old_guard)
        new_ids = item.group_ids
        old_ids = old.group_ids if old else []
        return PlanWrite(plan_id=plan_id, item=item, expected_version=None if old is None else old.version,
                         claim_name=claim_name, releases=releases,
                         add_refs=[g for g in new_ids if g not in old_ids],
                         remove_refs=[g for g in old_ids if g not in new_ids])

    def delete(self, plan_id: str, actor: str) -> Item:
        old = self.load(plan_id)
        self._refuse_if_running(plan_id, allow_paused=False, what="delete it")
        releases: list[GuardRef] = []
        guard = self.plans.name_guard(old.plan_name)
        if guard is not None and guard.owner == plan_id:
            releases.append(guard)
        write = PlanWrite(plan_id=plan_id, item=None, expected_version=old.version, releases=releases,
                          remove_refs=old.group_ids)
        try:
            self.plans.commit(write)
        except CommitConflict as exc:
            raise self._commit_error(exc, old) from None
        if self.subscriptions is not None and old.notification_subscription_arn:
            self.subscriptions.unsubscribe(old.notification_subscription_arn)
        return {"planId": plan_id, "planName": old.plan_name, "deleted": True, "deletedBy": actor}

    def active_executions(self, plan_id: str) -> list[Item]:
        return [e for e in self.executions.active() if e.get("planId") == plan_id]

    def _refuse_if_running(self, plan_id: str, *, allow_paused: bool, what: str) -> None:
        active = [e for e in self.active_executions(plan_id)
                  if not (allow_paused and e.get("status") == ExecutionStatus.PAUSED.value)]
        if active:
            raise Conflict(
                f"cannot {what}: recovery plan {plan_id} has active execution(s) "
                f"{', '.join(str(e.get('executionId')) for e in active)}",
                code="PLAN_HAS_ACTIVE_EXECUTION",
                details={"executions": [{"executionId": e.get("executionId"), "status": e.get("status")}
                                        for e in active]},
            )

    def _commit_error(self, exc: CommitConflict, item: RecoveryPlan) -> DomainError:
        if exc.kind == "VERSION":
            current = self.plans.get(item.plan_id)
            return version_conflict(item.plan_id, None, current.version if current else None)
        if exc.kind == "NAME":
            return name_exists(item)
        if exc.kind == "GROUP_MISSING":
            return Conflict(f"protection group {exc.key} was deleted while the plan was being saved",
                            code="GROUP_NOT_FOUND", details={"groupId": exc.key})
        return Conflict("another request changed the same data at the same moment; retry", code="CONCURRENT_CHANGE")


def name_exists(plan: RecoveryPlan) -> Conflict:
    return Conflict(f"a recovery plan named {plan.plan_name!r} already exists", code="PLAN_NAME_EXISTS",
                    details={"planId": plan.plan_id, "planName": plan.plan_name})


def _plan_body(body: Mapping[str, Any], drop: frozenset[str]) -> dict[str, Any]:
    """Accept the earlier system's ``name`` for ``planName``; ignore read-only echoes."""
    out = {k: v for k, v in body.items() if k not in drop}
    if "name" in out and "planName" not in out:
        out["planName"] = out.pop("name")
    if isinstance(out.get("waves"), list):
        out["waves"] = [_strip_wave(w) for w in out["waves"]]
    return out


def _strip_wave(wave: Any) -> Any:
    """Drop the read-only echo ``serverCount``; ``serverIds`` stays, to be checked."""
    if not isinstance(wave, Mapping):
        return wave
    return {k: v for k, v in wave.items() if k != "serverCount"}


def _expected_servers_problems(spec: RecoveryPlanInput, servers: Mapping[str, list[str]]) -> list[Problem]:
    """A wave's ``serverIds`` (sent by the earlier console, echoed by clients) must be exactly the
    servers its groups launch: a plan launches whole groups, and a different list would be a
    different recovery than the client believes it saved."""
    found: list[Problem] = []
    for wave in spec.waves:
        if wave.server_ids is None:
            continue
        launched = {s for g in wave.protection_group_ids for s in servers.get(g, [])}
        expected = set(wave.server_ids)
        if expected != launched:
            missing, extra = sorted(launched - expected), sorted(expected - launched)
            found.append(Problem(
                "WAVE_SERVERS_MISMATCH",
                f"wave {wave.wave_number}: serverIds differs from the servers of its protection groups "
                f"(not listed: {', '.join(missing[:10]) or 'none'}; not in its groups: {', '.join(extra[:10]) or 'none'}); "
                "a wave launches whole groups: change the groups, or send the servers they hold",
                wave.wave_number))
    return found
