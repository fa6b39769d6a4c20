"""Protection groups: create, read, list, update (optimistic locking), delete, preview a tag
selection, re-resolve a tag group.

Rules (issue 4): names are unique case-insensitively; a server belongs to at most one group; a tag
group's servers are resolved when it is saved or re-resolved and stored as its snapshot (executions
never resolve tags); an update names the version it read; a group used by a plan cannot be
deleted; a group used by an active execution cannot change unless that execution is PAUSED."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

from drs_orch.domain.accounts import role_name_problem
from drs_orch.domain.data_rules import check_drs_region, page_size
from drs_orch.domain.errors import Conflict, DomainError, NotFound, ValidationFailed
from drs_orch.domain.input_rules import nfc
from drs_orch.domain.inventory import summarize_source_server
from drs_orch.domain.models import ProtectionGroup, ProtectionGroupInput, RecoveryPlan, dump, parse, to_iso
from drs_orch.domain.tags import normalize_selection
from drs_orch.services import group_members as gm
from drs_orch.services.data_ports import (
    AccountContexts,
    AccountStore,
    BackgroundDispatch,
    CommitConflict,
    DrsInventory,
    ExecutionReader,
    GroupStore,
    Item,
    LaunchSettingsHook,
    PlanStore,
)

# Fields a client may echo back from a GET in an update body; they are ignored, never written.
READ_ONLY_FIELDS = frozenset({
    "groupId", "createdDate", "lastModifiedDate", "createdBy", "lastModifiedBy", "resolvedAt",
    "launchConfigStatus", "serverCount", "selectionMode", "recoveryPlans", "launchConfigError",
})
_EDITABLE = ("groupName", "description", "region", "accountId", "sourceServerIds", "serverSelectionTags",
             "launchConfig", "servers")


def view(group: ProtectionGroup) -> Item:
    """The API shape of a group."""
    out = group.as_dict()
    out["selectionMode"] = "TAGS" if group.is_tag_based else "EXPLICIT"
    out["serverCount"] = len(group.source_server_ids)
    return out


def plan_refs(plan_ids: list[str], plans: Mapping[str, RecoveryPlan]) -> list[Item]:
    """``[{planId, planName}]`` of the plans using a group (``planName`` None for a plan gone meanwhile)."""
    return [{"planId": p, "planName": plans[p].plan_name if p in plans else None} for p in plan_ids]


class ProtectionGroupService:
    def __init__(self, groups: GroupStore, plans: PlanStore, accounts: AccountStore, contexts: AccountContexts,
                 drs: DrsInventory, executions: ExecutionReader, now: Callable[[], datetime],
                 launch_settings: LaunchSettingsHook | None = None,
                 new_id: Callable[[], str] = lambda: str(uuid.uuid4())) -> None:
        self.groups = groups
        self.plans = plans
        self.accounts = accounts
        self.contexts = contexts
        self.drs = drs
        self.executions = executions
        self.now = now
        self.launch_settings = launch_settings
        self.new_id = new_id

    # reads ------------------------------------------------------------------------------------
    def get(self, group_id: str) -> Item:
        item = self._load(group_id)
        out = view(item)
        plan_ids = sorted(self.plans.plans_using(group_id))
        out["recoveryPlans"] = plan_refs(plan_ids, self.plans.get_many(plan_ids))
        return out

    def list_page(self, query: Mapping[str, str]) -> Item:
        region = query.get("region") or None
        if region:
            check_drs_region(region)
        result = self.groups.page(account_id=query.get("accountId") or None, region=region,
                                  name_prefix=nfc(query.get("name") or "") or None, limit=page_size(query.get("limit")),
                                  token=query.get("nextToken") or None)
        groups = [view(g) for g in result.items]
        return {"groups": groups, "count": len(groups), "nextToken": result.next_token}

    def _load(self, group_id: str) -> ProtectionGroup:
        item = self.groups.get(group_id)
        if item is None:
            raise NotFound(f"protection group {group_id} does not exist", code="GROUP_NOT_FOUND")
        return item

    # writes -----------------------------------------------------------------------------------
    def build(self, spec: ProtectionGroupInput, *, group_id: str, old: ProtectionGroup | None, actor: str,
              contexts: AccountContexts | None = None, extra_accounts: Collection[str] = ()) -> ProtectionGroup:
        """The record ``spec`` describes (servers resolved and checked for existence), not yet saved.
        ``contexts``/``extra_accounts``: an import that registers accounts in the same request."""
        check_drs_region(spec.region)
        account_id = gm.account_for(spec.account_id, self.contexts, self.accounts, extra_accounts)
        ctx = (contexts or self.contexts).context_for(account_id, spec.region)
        wrong_role = role_name_problem(ctx, spec.assume_role_name)
        if wrong_role:
            raise ValidationFailed(wrong_role, code="ROLE_MISMATCH",
                                   details=[{"field": "assumeRoleName", "message": wrong_role}])
        members = gm.resolve_members(self.drs, ctx, spec.source_server_ids, spec.server_selection_tags)
        gm.check_size(members.server_ids, members.resolved)
        now = to_iso(self.now())
        data = dump(spec)
        item = ProtectionGroup(
            group_id=group_id,
            group_name=spec.group_name,
            description=spec.description,
            region=spec.region,
            account_id=account_id,
            source_server_ids=members.server_ids,
            server_selection_tags=spec.server_selection_tags,
            resolved_at=now if members.resolved else None,
            launch_config=data.get("launchConfig"),
            servers=data.get("servers"),
            version=1 if old is None else old.version + 1,
            created_date=now if old is None else old.created_date,
            created_by=actor if old is None else old.created_by,
            last_modified_date=now,
            last_modified_by=actor,
        )
        if self.launch_settings is not None:
            self.launch_settings.validate(item)
        return item

    def create(self, body: Mapping[str, Any], actor: str, *, background: BackgroundDispatch | None = None) -> Item:
        """``background`` queues the background runs of a launch-settings apply that does not fit
        the save's budget (``LaunchSettingsService.apply_after_save``)."""
        spec = parse(ProtectionGroupInput, _without(body, {"version"}))
        group_id = self.new_id()
        item = self.build(spec, group_id=group_id, old=None, actor=actor)
        self.save(item, None)
        return self.after_save(item, actor, background=background)

    def update(self, group_id: str, body: Mapping[str, Any], actor: str, *,
               background: BackgroundDispatch | None = None) -> Item:
        if "version" not in body or body.get("version") is None:
            raise ValidationFailed("an update must carry the version it read", code="VERSION_REQUIRED",
                                   details=[{"field": "version", "message": "required"}])
        old = self._load(group_id)
        spec = parse(ProtectionGroupInput, merged_input(old, _without(body, READ_ONLY_FIELDS)))
        if spec.version != old.version:
            raise version_conflict(group_id, spec.version, old.version)
        gm.refuse_if_running(self.executions, group_id, "change it")
        item = self.build(spec, group_id=group_id, old=old, actor=actor)
        if (item.account_id, item.region) != (old.account_id, old.region):
            self._refuse_if_used(group_id, "move it to another account or region")
        self.save(item, old)
        if spec.force and self.launch_settings is not None:
            out = view(item)
            try:  # force: re-apply every server's settings, changed or not (seed 004)
                out["launchConfigStatus"] = self.launch_settings.apply_group(group_id, actor, force=True,
                                                                             background=background, in_save=True)
            except DomainError as exc:
                out["launchConfigError"] = exc.to_body()
            return out
        return self.after_save(item, actor, background=background)

    def refresh(self, group_id: str, actor: str, *, background: BackgroundDispatch | None = None) -> Item:
        """Re-resolve a tag group's selection and save the new snapshot."""
        old = self._load(group_id)
        if not old.is_tag_based:
            raise ValidationFailed(f"protection group {group_id} lists its servers explicitly; only tag-based "
                                   "groups are re-resolved", code="NOT_TAG_BASED")
        gm.refuse_if_running(self.executions, group_id, "re-resolve it")
        spec = parse(ProtectionGroupInput, merged_input(old, {"version": old.version}))
        item = self.build(spec, group_id=group_id, old=old, actor=actor)
        before = set(old.source_server_ids)
        after = set(item.source_server_ids)
        self.save(item, old)
        out = self.after_save(item, actor, background=background)
        out["changes"] = {"added": sorted(after - before), "removed": sorted(before - after)}
        return out

    def save(self, item: ProtectionGroup, old: ProtectionGroup | None) -> None:
        """Claim what ``item`` needs and write it in one transaction (409 on any conflict)."""
        claims = gm.plan_claims(self.groups, item.group_id, item, old)
        write = gm.write_for(item.group_id, item, None if old is None else old.version, claims)
        try:
            self.groups.commit(write)
        except CommitConflict as exc:
            raise self._commit_error(exc, item) from None

    def after_save(self, item: ProtectionGroup, actor: str, *, background: BackgroundDispatch | None = None) -> Item:
        out = view(item)
        if self.launch_settings is not None and (item.launch_config or item.servers):
            try:
                out["launchConfigStatus"] = self.launch_settings.apply_after_save(item, actor, background=background)
            except DomainError as exc:
                out["launchConfigError"] = exc.to_body()
        return out

    def delete(self, group_id: str, actor: str) -> Item:
        old = self._load(group_id)
        self._refuse_if_used(group_id, "delete it")
        gm.refuse_if_running(self.executions, group_id, "delete it")
        releases = [g for g in self.groups.server_guards(old.account_id, old.region, old.source_server_ids).values()
                    if g.owner == group_id]
        name_guard = self.groups.name_guard(old.group_name)
        if name_guard is not None and name_guard.owner == group_id:
            releases.append(name_guard)
        write = gm.write_for(group_id, None, old.version, gm.Claims(releases=releases))
        try:
            self.groups.commit(write)
        except CommitConflict as exc:
            if exc.kind == "IN_USE":
                self._refuse_if_used(group_id, "delete it")
            raise self._commit_error(exc, old) from None
        return {"groupId": group_id, "groupName": old.group_name, "deleted": True, "deletedBy": actor}

    def _refuse_if_used(self, group_id: str, what: str) -> None:
        plan_ids = sorted(self.plans.plans_using(group_id))
        if plan_ids:
            plans = self.plans.get_many(plan_ids)
            names = [plans[p].plan_name if p in plans else p for p in plan_ids]
            raise Conflict(
                f"cannot {what}: protection group {group_id} is used by recovery plan(s) {', '.join(names)}; "
                "remove it from them first",
                code="GROUP_IN_USE",
                details={"plans": plan_refs(plan_ids, plans)},
            )

    def _commit_error(self, exc: CommitConflict, item: ProtectionGroup) -> DomainError:
        if exc.kind == "VERSION":
            current = self.groups.get(item.group_id)
            return version_conflict(item.group_id, None, current.version if current else None)
        if exc.kind == "NAME":
            return Conflict(f"a protection group named {item.group_name!r} already exists",
                            code="GROUP_NAME_EXISTS", details={"groupName": item.group_name})
        if exc.kind == "SERVER" and exc.key:
            guard = self.groups.server_guards(item.account_id, item.region, [exc.key]).get(exc.key)
            owners = self.groups.get_many([guard.owner]) if guard else {}
            return gm.server_conflict(owners, {guard.owner if guard else "another group": [exc.key]})
        if exc.kind == "IN_USE":
            return Conflict("the protection group is used by a recovery plan", code="GROUP_IN_USE")
        return Conflict("another request changed the same data at the same moment; retry", code="CONCURRENT_CHANGE")

    # tag preview ------------------------------------------------------------------------------
    def preview(self, body: Mapping[str, Any]) -> Item:
        """Which servers a tag selection matches now (nothing is saved)."""
        group_id = body.get("protectionGroupId") or body.get("groupId")
        group = self._load(str(group_id)) if group_id else None
        # a stored group gives the place and, unless the body names serverSelectionTags, its selection
        raw_tags = body.get("serverSelectionTags")
        if "serverSelectionTags" not in body:
            stored = group.server_selection_tags if group is not None else None
            raw_tags = stored if stored is not None else body.get("tags")
        if raw_tags is None:
            raise ValidationFailed("serverSelectionTags is required", code="VALIDATION_ERROR",
                                   details=[{"field": "serverSelectionTags", "message": "required"}])
        tags = normalize_selection(raw_tags)
        region = group.region if group is not None else str(body.get("region") or "")
        check_drs_region(region)
        requested = group.account_id if group is not None else str(body.get("accountId") or "")
        account_id = gm.account_for(requested or None, self.contexts, self.accounts)
        ctx = self.contexts.context_for(account_id, region)
        members = gm.resolve_members(self.drs, ctx, None, tags)
        guards = self.groups.server_guards(account_id, region, members.server_ids)
        owners = self.groups.get_many({g.owner for g in guards.values()})
        servers = []
        for raw in members.servers:
            guard = guards.get(str(raw["sourceServerID"]))
            owner = owners.get(guard.owner) if guard else None
            if owner is not None and raw["sourceServerID"] not in owner.source_server_ids:
                owner = None
            servers.append(summarize_source_server(raw, owner, str(group_id) if group_id else None))
        return {
            "region": region,
            "accountId": account_id,
            "serverSelectionTags": tags,
            "sourceServerIds": members.server_ids,
            "resolvedServers": members.server_ids,
            "servers": servers,
            "serverCount": len(servers),
            "resolvedAt": to_iso(self.now()),
        }


def _without(body: Mapping[str, Any], keys: frozenset[str] | set[str]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in keys}


def merged_input(old: ProtectionGroup, body: Mapping[str, Any]) -> dict[str, Any]:
    """An update body over the stored group: fields not given keep their stored value; giving one
    selection mode drops the other."""
    stored = old.to_item()
    base = {k: stored[k] for k in _EDITABLE if stored.get(k) is not None}
    if old.is_tag_based:
        base.pop("sourceServerIds", None)  # the snapshot is not a selection
    if "sourceServerIds" in body:
        base.pop("serverSelectionTags", None)
    if "serverSelectionTags" in body:
        base.pop("sourceServerIds", None)
    base.update(body)
    return base


def version_conflict(entity_id: str, given: int | None, current: int | None) -> Conflict:
    return Conflict(
        f"{entity_id} was changed by someone else (you have version {given if given is not None else '?'}, "
        f"the current version is {current}); reload it and apply your change again",
        code="VERSION_CONFLICT",
        details={"currentVersion": current, "givenVersion": given},
    )
