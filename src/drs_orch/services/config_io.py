"""Configuration export and import (``domain.config_doc`` describes the document).

Import validates every item first, against the stored state and against the other items of the
document, and reports per item ``created``/``updated``/``skipped``/``failed`` with reasons. A dry
run stops there; its report is exactly what the real import then reports. A real import with any
failed item writes nothing; otherwise it computes every write (the same claims, references and
releases as the API's) and hands them to the ``ConfigWriter`` as one write: a saga with an intent
record (``adapters/dynamodb_import.py``), rolled back if a write is refused meanwhile, and rolled back
by whoever finds it unfinished after a crash (the next import or export, housekeeping, or a write of
an item it touched): never half imported.
Servers in active executions are refused; ``mode`` ``skip`` keeps existing items (matched by name,
accounts by id), ``overwrite`` replaces them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from drs_orch.domain.accounts import AccountContext, TargetAccount
from drs_orch.domain.config_doc import DocItem, export_document, parse_document
from drs_orch.domain.data_models import ImportMode, ImportRequest
from drs_orch.domain.errors import Conflict, DomainError, ValidationFailed
from drs_orch.domain.input_rules import MAX_GROUPS_PER_WAVE, MAX_WAVES_PER_PLAN, check_count, name_key, nfc
from drs_orch.domain.models import (
    ProtectionGroup,
    ProtectionGroupInput,
    RecoveryPlan,
    RecoveryPlanInput,
    TargetAccountInput,
    parse,
    to_iso,
)
from drs_orch.services import group_members as gm
from drs_orch.services.data_ports import (
    AccountContexts,
    AccountWrite,
    BackgroundDispatch,
    CommitConflict,
    ConfigWrite,
    ConfigWriter,
    ExecutionReader,
    Item,
)
from drs_orch.services.protection_groups import ProtectionGroupService
from drs_orch.services.recovery_plans import RecoveryPlanService
from drs_orch.services.target_accounts import TargetAccountService, keep_secrets

_TYPES = {"targetAccount": "targetAccounts", "protectionGroup": "protectionGroups", "recoveryPlan": "recoveryPlans"}
_PAST = {"create": "created", "update": "updated", "skip": "skipped", "fail": "failed"}


@dataclass
class Planned:
    kind: str
    name: str
    action: str = "fail"
    reason: str | None = None
    details: Any = None
    warnings: list[str] = field(default_factory=list)
    entity_id: str | None = None
    item: ProtectionGroup | RecoveryPlan | None = None  # a group or plan as it will be written
    old: ProtectionGroup | RecoveryPlan | None = None
    account: TargetAccount | None = None  # a target account as it will be written
    old_account: TargetAccount | None = None

    @property
    def writes(self) -> bool:
        return self.action in ("create", "update") and (self.item is not None or self.account is not None)

    def fail(self, exc: DomainError) -> None:
        self.action, self.reason, self.details = "fail", exc.message, exc.details

    def report(self) -> Item:
        out: Item = {"type": self.kind, "name": self.name, "action": _PAST[self.action]}
        if self.reason:
            out["reason"] = self.reason
        if self.details is not None:
            out["details"] = self.details
        if self.warnings:
            out["warnings"] = self.warnings
        return out


class ImportContexts:
    """Account contexts that also know the accounts this import registers or changes."""

    def __init__(self, base: AccountContexts, planned: Mapping[str, TargetAccount]) -> None:
        self._base = base
        self._planned = planned
        self.hub_account_id = base.hub_account_id

    def context_for(self, account_id: str | None, region: str) -> AccountContext:
        account = self._planned.get(account_id or "")
        if account is not None and account.role_arn:
            return AccountContext(account.account_id, region, role_arn=account.role_arn,
                                  external_id=account.external_id)
        return self._base.context_for(account_id, region)


class ConfigService:
    def __init__(self, groups: ProtectionGroupService, plans: RecoveryPlanService, accounts: TargetAccountService,
                 executions: ExecutionReader, now: Callable[[], datetime], hub_region: str, *,
                 writer: ConfigWriter) -> None:
        self.writer = writer
        self.groups = groups
        self.plans = plans
        self.accounts = accounts
        self.executions = executions
        self.now = now
        self.hub_region = hub_region

    def recover(self) -> str:
        """Roll back an import found unfinished (a Lambda that ended mid-import) once it is stale."""
        return self.writer.recover()

    def export(self) -> Item:
        self.recover()
        return export_document(self.groups.groups.all(), self.plans.plans.all(),
                               [a.to_item() for a in self.accounts.accounts.all()],
                               exported_at=to_iso(self.now()), account_id=self.groups.contexts.hub_account_id,
                               region=self.hub_region)

    # import -----------------------------------------------------------------------------------
    def import_config(self, body: Mapping[str, Any], actor: str, *,
                      background: BackgroundDispatch | None = None) -> Item:
        if "config" in body:
            request = parse(ImportRequest, body)
        elif not any(k in body for k in ("protectionGroups", "recoveryPlans", "targetAccounts")):
            raise ValidationFailed("config is required: the document to import (GET /config/export gives one)",
                                   details=[{"field": "config", "message": "required"}])
        else:  # a bare document, as the earlier system accepted
            request = parse(ImportRequest, {"config": {k: v for k, v in body.items() if k not in ("dryRun", "mode")},
                                            **{k: body[k] for k in ("dryRun", "mode") if k in body}})
        doc = parse_document(request.config)
        if self.recover() == "RUNNING":
            raise _import_running()
        planned = self._evaluate(doc.accounts, doc.groups, doc.plans, request.mode, actor)
        report = self._report(planned, request, doc.schema)
        if request.dry_run:
            return report
        failed = [p for p in planned if p.action == "fail"]
        if failed:
            raise ValidationFailed(
                f"the import was refused: {len(failed)} item(s) failed validation, nothing was written",
                code="IMPORT_REJECTED", details=report)
        self._apply(planned, actor, background)
        report["written"] = {
            _TYPES[kind]: {p.name: p.entity_id for p in planned if p.kind == kind and p.action in ("create", "update")}
            for kind in _TYPES
        }
        return report

    def _report(self, planned: list[Planned], request: ImportRequest, schema: str) -> Item:
        items = [p.report() for p in planned]
        summary = {
            plural: {past: sum(1 for p in planned if p.kind == kind and p.action == action)
                     for action, past in _PAST.items()}
            for kind, plural in _TYPES.items()
        }
        by_action = {past: [{k: v for k, v in i.items() if k in ("type", "name", "reason")}
                            for i in items if i["action"] == past] for past in _PAST.values()}
        return {"success": not by_action["failed"], "dryRun": request.dry_run, "mode": request.mode.value,
                "schemaVersion": schema, "summary": summary, "items": items, **by_action}

    def _active_servers(self) -> dict[tuple[str, str, str], str]:
        busy: dict[tuple[str, str, str], str] = {}
        for execution in self.executions.active():
            execution_id = str(execution.get("executionId"))
            servers = self.executions.server_ids(execution_id)
            if servers and execution.get("accountId") and execution.get("region"):
                for server in servers:
                    busy[(str(execution["accountId"]), str(execution["region"]), server)] = execution_id
                continue
            # not snapshotted yet (or recorded without a place): the groups' current servers
            for group in self.groups.groups.get_many(execution.get("protectionGroupIds") or []).values():
                for server in group.source_server_ids:
                    busy[(group.account_id, group.region, server)] = execution_id
        return busy

    def _evaluate(self, accounts: list[DocItem], groups: list[DocItem], plans: list[DocItem], mode: ImportMode,
                  actor: str) -> list[Planned]:
        out: list[Planned] = []
        planned_accounts: dict[str, TargetAccount] = {}
        seen: set[str] = set()
        for doc in accounts:
            p = Planned(doc.kind, doc.name, warnings=list(doc.warnings))
            out.append(p)
            try:
                if doc.name in seen:
                    raise ValidationFailed(f"account {doc.name} is listed twice")
                seen.add(doc.name)
                stored = self.accounts.accounts.get(doc.name) if doc.name.isdigit() else None
                if stored is not None and mode is ImportMode.SKIP:
                    p.action, p.entity_id = "skip", doc.name
                    continue
                account_spec = parse(TargetAccountInput, keep_secrets(doc.body, stored))
                p.account = self.accounts.build(account_spec, old=stored, actor=actor)
                p.old_account, p.entity_id = stored, account_spec.account_id
                p.action = "update" if stored else "create"
                planned_accounts[account_spec.account_id] = p.account
            except DomainError as exc:
                p.fail(exc)

        contexts = ImportContexts(self.groups.contexts, planned_accounts)
        busy = self._active_servers()
        existing_groups = {name_key(d.name): self.groups.groups.find_by_name(d.name) for d in groups}
        overwritten = {g.group_id for g in existing_groups.values() if g and mode is ImportMode.OVERWRITE}
        records: dict[str, ProtectionGroup] = {}  # lower name -> the group as it will be
        failed_groups: set[str] = set()
        claimed: dict[tuple[str, str, str], str] = {}
        seen = set()
        for doc in groups:
            p = Planned(doc.kind, doc.name, warnings=list(doc.warnings))
            out.append(p)
            lower = name_key(doc.name)
            existing = existing_groups.get(lower)
            try:
                if lower in seen:
                    raise ValidationFailed(f"protection group {doc.name!r} is listed twice")
                seen.add(lower)
                if existing is not None and mode is ImportMode.SKIP:
                    p.action, p.entity_id, records[lower] = "skip", existing.group_id, existing
                    continue
                spec = parse(ProtectionGroupInput, doc.body)
                group_id = existing.group_id if existing else self.groups.new_id()
                item = self.groups.build(spec, group_id=group_id, old=existing, actor=actor, contexts=contexts,
                                         extra_accounts=planned_accounts)
                self._refuse_busy(item, existing, busy)
                keys = [(item.account_id, item.region, s) for s in item.source_server_ids]
                doubled = sorted({k[2] for k in keys if k in claimed})
                if doubled:
                    raise Conflict(f"servers {', '.join(doubled)} are also in protection group "
                                   f"{claimed[next(k for k in keys if k in claimed)]!r} of this import",
                                   code="SERVER_CONFLICT", details={"serverIds": doubled})
                gm.plan_claims(self.groups.groups, group_id, item, existing,
                               ignore_owners=lambda owner: owner in overwritten, purge=False)
                claimed.update(dict.fromkeys(keys, doc.name))
                p.item, p.old, p.entity_id = item, existing, group_id
                p.action = "update" if existing else "create"
                records[lower] = item
            except DomainError as exc:
                p.fail(exc)
                failed_groups.add(lower)

        seen = set()
        for doc in plans:
            p = Planned(doc.kind, doc.name, warnings=list(doc.warnings))
            out.append(p)
            try:
                lower = name_key(doc.name)
                if lower in seen:
                    raise ValidationFailed(f"recovery plan {doc.name!r} is listed twice")
                seen.add(lower)
                existing_plan = self.plans.plans.find_by_name(doc.name)
                if existing_plan is not None and mode is ImportMode.SKIP:
                    p.action, p.entity_id = "skip", existing_plan.plan_id
                    continue
                body, used = self._plan_body(doc, records, failed_groups)
                plan_spec = parse(RecoveryPlanInput, body)
                if existing_plan is not None and self.plans.active_executions(existing_plan.plan_id):
                    raise Conflict(f"recovery plan {doc.name!r} has an active execution", code="PLAN_HAS_ACTIVE_EXECUTION")
                plan_id = existing_plan.plan_id if existing_plan else self.plans.new_id()
                p.item = self.plans.build(plan_spec, plan_id=plan_id, old=existing_plan, actor=actor, groups=used)
                p.old, p.entity_id = existing_plan, plan_id
                p.action = "update" if existing_plan else "create"
            except DomainError as exc:
                p.fail(exc)
        return out

    @staticmethod
    def _refuse_busy(item: ProtectionGroup, existing: ProtectionGroup | None,
                     busy: Mapping[tuple[str, str, str], str]) -> None:
        keys = {(item.account_id, item.region, s) for s in item.source_server_ids}
        if existing is not None:
            keys |= {(existing.account_id, existing.region, s) for s in existing.source_server_ids}
        hits = sorted((k[2], busy[k]) for k in keys if k in busy)
        if hits:
            raise Conflict(
                "servers in active executions cannot be imported: "
                + ", ".join(f"{server} (execution {execution})" for server, execution in hits[:10]),
                code="SERVER_IN_ACTIVE_EXECUTION",
                details={"servers": [{"serverId": s, "executionId": e} for s, e in hits]},
            )

    def _plan_body(self, doc: DocItem, records: Mapping[str, ProtectionGroup],
                   failed_groups: set[str]) -> tuple[dict[str, Any], dict[str, ProtectionGroup]]:
        """The plan body with group names turned into ids, and the groups it uses as they will be."""
        body = {k: v for k, v in doc.body.items() if k != "waves"}
        used: dict[str, ProtectionGroup] = {}
        waves: list[Any] = []
        check_count(doc.body.get("waves"), MAX_WAVES_PER_PLAN, "waves")
        for index, wave in enumerate(doc.body.get("waves") or []):
            if not isinstance(wave, Mapping):
                waves.append(wave)
                continue
            entry = {k: v for k, v in wave.items() if k != "protectionGroupNames"}
            ids = list(entry.pop("protectionGroupIds", None) or [])
            check_count(wave.get("protectionGroupNames"), MAX_GROUPS_PER_WAVE, f"waves[{index}].protectionGroupNames")
            for name in wave.get("protectionGroupNames") or []:
                lower = name_key(str(name))
                if lower in failed_groups:
                    raise ValidationFailed(f"wave {wave.get('waveNumber')} uses protection group {name!r}, which "
                                           "failed to import", code="DEPENDS_ON_FAILED_ITEM")
                record = records.get(lower) or self.groups.groups.find_by_name(nfc(str(name)))
                if record is None:
                    raise ValidationFailed(f"wave {wave.get('waveNumber')} uses protection group {name!r}, which "
                                           "neither exists nor is in this import", code="UNKNOWN_GROUP")
                ids.append(record.group_id)
                used[record.group_id] = record
            for group_id in ids:
                if group_id not in used:
                    record = self.groups.groups.get(group_id)
                    if record is not None:
                        used[group_id] = record
            entry["protectionGroupIds"] = ids
            waves.append(entry)
        body["waves"] = waves
        return body, used

    def _apply(self, planned: list[Planned], actor: str, background: BackgroundDispatch | None = None) -> None:
        order = [p for p in planned if p.kind == "targetAccount"]
        for kind in ("protectionGroup", "recoveryPlan"):
            order += [p for p in planned if p.kind == kind and p.action == "update"]
            order += [p for p in planned if p.kind == kind and p.action == "create"]
        order = [p for p in order if p.writes]
        overwritten = {str(p.entity_id) for p in order if p.kind == "protectionGroup" and p.old is not None}
        write = ConfigWrite()
        current: Planned | None = None
        try:
            # a crashed save of one of these items is rolled back before the claims are computed
            self.writer.finish_sagas([str(p.entity_id) for p in order if p.kind == "protectionGroup" and p.old],
                                     [str(p.entity_id) for p in order if p.kind == "recoveryPlan" and p.old])
            for p in order:
                current = p
                if p.account is not None:
                    write.accounts.append(AccountWrite(p.account, p.old_account.version if p.old_account else None))
                    continue
                assert p.item is not None
                if isinstance(p.item, ProtectionGroup):
                    assert p.old is None or isinstance(p.old, ProtectionGroup)
                    claims = gm.plan_claims(self.groups.groups, str(p.entity_id), p.item, p.old,
                                            ignore_owners=lambda owner: owner in overwritten)
                    write.groups.append(gm.write_for(str(p.entity_id), p.item,
                                                     None if p.old is None else p.old.version, claims))
                else:
                    assert p.old is None or isinstance(p.old, RecoveryPlan)
                    write.plans.append(self.plans.write_for(p.item, p.old))
            current = None
            self.writer.apply(write)
        except DomainError as exc:
            raise _aborted(current, exc.message, exc.to_body()) from None
        except CommitConflict as exc:
            if exc.kind == "IMPORT_RUNNING":
                raise _import_running() from None
            current = _item_of(order, exc)
            raise _aborted(current, _conflict_message(exc), {"error": exc.kind, "key": exc.key}) from None
        for p in order:
            if isinstance(p.item, ProtectionGroup):
                self.groups.after_save(p.item, actor, background=background)


def _import_running() -> Conflict:
    return Conflict("another import is being written; retry once it has finished", code="IMPORT_IN_PROGRESS")


def _aborted(current: Planned | None, message: str, error: Any) -> Conflict:
    where = f"{current.kind} {current.name!r}" if current else "its writes"
    return Conflict(f"the import stopped at {where}: {message}; nothing of it was kept (all of it was rolled back)",
                    code="IMPORT_ABORTED",
                    details={"item": current.report() if current else None, "error": error, "rollbackProblems": []})


def _item_of(order: list[Planned], exc: CommitConflict) -> Planned | None:
    """The item of the import whose write was refused, when the conflict names it."""
    for p in order:
        servers = p.item.source_server_ids if isinstance(p.item, ProtectionGroup) else []
        if exc.key is not None and (exc.key == p.entity_id or exc.key.lower() == p.name.lower()
                                    or exc.key in servers):
            return p
    return None


def _conflict_message(exc: CommitConflict) -> str:
    what = {"SERVER": "a server was claimed by another group meanwhile",
            "NAME": "the name was taken meanwhile", "VERSION": "an item changed meanwhile",
            "EXISTS": "an item was created meanwhile", "GROUP_MISSING": "a protection group was deleted meanwhile",
            "ACCOUNT": "a target account changed meanwhile"}
    return what.get(exc.kind, "another request changed the same data at the same moment") + (
        f" ({exc.key})" if exc.key else "")
