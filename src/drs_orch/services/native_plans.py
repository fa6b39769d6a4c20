"""Interop with DRS native Recovery Plans: export one of our plans as a native plan in its
account-region, import a native plan as ours (see :mod:`drs_orch.domain.native_plans` for the
mapping and what is reported as not carried over).

Import finds protection groups for each step's servers: servers in no group get a new group (split
by the group size limit) named after the plan and the step; servers that are exactly the members of
existing groups reuse those groups; any other mix is a 409 ``SERVERS_IN_OTHER_GROUPS`` (a server
belongs to one group). Everything is checked before anything is written; if the plan cannot be
created after its groups were, the new groups are deleted again. ``dryRun`` answers the same
preview without writing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from pydantic import Field

from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.data_rules import MAX_SERVERS_PER_GROUP
from drs_orch.domain.errors import Conflict, DomainError, ValidationFailed
from drs_orch.domain.input_rules import Name
from drs_orch.domain.models import InputModel, parse
from drs_orch.domain.native_plans import (
    ImportedWave,
    NativeExport,
    export_plan,
    import_plan,
    parse_drs_arn,
)
from drs_orch.services.data_ports import AccountContexts, GroupStore, Item, PlanStore
from drs_orch.services.protection_groups import ProtectionGroupService
from drs_orch.services.recovery_plans import RecoveryPlanService, plan_group_ids

PLAN_ID_TAG = "drs-orch:planId"
PLAN_VERSION_TAG = "drs-orch:planVersion"


class NativePlanGateway(Protocol):
    def create(self, ctx: AccountContext, export: NativeExport, *, key: str, tags: dict[str, str]) -> str: ...
    def read(self, ctx: AccountContext, arn: str) -> tuple[dict[str, Any], list[dict[str, Any]]]: ...


class ExportRequest(InputModel):
    native_plan_name: str | None = Field(default=None, min_length=1, max_length=256)
    pause_as_wait_minutes: int | None = Field(default=None, ge=1, le=120)
    dry_run: bool = False


class ImportRequest(InputModel):
    recovery_plan_arn: str = Field(min_length=20, max_length=2048)
    plan_name: Name | None = None
    wait_as_pause: bool = False
    dry_run: bool = False


class NativePlanService:
    def __init__(
        self,
        plans: RecoveryPlanService,
        groups: ProtectionGroupService,
        group_store: GroupStore,
        plan_store: PlanStore,
        contexts: AccountContexts,
        gateway: NativePlanGateway,
    ) -> None:
        self.plans = plans
        self.groups = groups
        self.group_store = group_store
        self.plan_store = plan_store
        self.contexts = contexts
        self.gateway = gateway

    # export -----------------------------------------------------------------------------------
    def export(self, plan_id: str, body: Mapping[str, Any]) -> Item:
        request = parse(ExportRequest, dict(body))
        plan = self.plans.load(plan_id)
        groups = self.group_store.get_many(plan_group_ids(plan))
        native = export_plan(
            plan,
            groups,
            hub_account_id=self.contexts.hub_account_id,
            name=request.native_plan_name,
            pause_as_wait_minutes=request.pause_as_wait_minutes,
        )
        ctx = self.contexts.context_for(native.account_id, native.region)
        arn = None
        if not request.dry_run:
            version = str(plan.version)
            arn = self.gateway.create(
                ctx,
                native,
                key=f"{plan_id}#{version}#{native.name}",
                tags={PLAN_ID_TAG: plan_id, PLAN_VERSION_TAG: version},
            )
        return {
            "planId": plan_id,
            "planVersion": plan.version,
            "dryRun": request.dry_run,
            "recoveryPlanArn": arn,
            "nativePlan": native.to_dict(),
            "notExported": [f.to_dict() for f in native.not_exported],
            "adjustments": [f.to_dict() for f in native.adjustments],
        }

    # import -----------------------------------------------------------------------------------
    def import_native(self, body: Mapping[str, Any], actor: str) -> Item:
        request = parse(ImportRequest, dict(body))
        parsed = parse_drs_arn(request.recovery_plan_arn)
        if parsed is None or parsed[2] != "recovery-plan":
            raise ValidationFailed(
                "recoveryPlanArn is not a DRS recovery plan ARN",
                code="INVALID_ARN",
                details=[{"field": "recoveryPlanArn", "message": "not a recovery-plan ARN"}],
            )
        account_id, region = parsed[0], parsed[1]
        ctx = self.contexts.context_for(account_id, region)
        native, steps = self.gateway.read(ctx, request.recovery_plan_arn)
        imported = import_plan(
            native, steps, plan_name=request.plan_name, wait_as_pause=request.wait_as_pause
        )
        if self.plan_store.find_by_name(imported.plan_name) is not None:
            raise Conflict(
                f"a recovery plan named {imported.plan_name!r} already exists",
                code="PLAN_NAME_EXISTS",
                details={"planName": imported.plan_name},
            )
        group_account = None if account_id == self.contexts.hub_account_id else account_id
        allocation = [self._groups_for(imported.plan_name, w, account_id, region) for w in imported.waves]
        new_groups = [g for reuse, new in allocation if not reuse for g in new]
        taken = {str(g["groupName"]).lower() for g in new_groups}
        if len(taken) != len(new_groups):
            raise Conflict("two steps would give their new groups the same name", code="GROUP_NAME_EXISTS")
        for g in new_groups:
            if self.group_store.find_by_name(str(g["groupName"])) is not None:
                raise Conflict(
                    f"a protection group named {g['groupName']!r} already exists",
                    code="GROUP_NAME_EXISTS",
                    details={"groupName": g["groupName"]},
                )
        preview = {
            "source": {
                "recoveryPlanArn": request.recovery_plan_arn,
                "accountId": account_id,
                "region": region,
                "name": native.get("name"),
            },
            "dryRun": request.dry_run,
            "notImported": [f.to_dict() for f in imported.not_imported],
            "adjustments": [f.to_dict() for f in imported.adjustments],
            "reusedGroupIds": [gid for reuse, _ in allocation for gid in reuse],
        }

        def waves_body(ids: list[list[str]]) -> list[Item]:
            return [
                {"waveNumber": w.wave_number, "waveName": w.wave_name, "protectionGroupIds": group_ids,
                 "dependsOnWaves": [w.wave_number - 1] if w.wave_number > 1 else [],
                 "pauseBeforeWave": w.pause_before_wave, "onServerFailure": w.on_server_failure}
                for w, group_ids in zip(imported.waves, ids, strict=True)
            ]  # fmt: skip

        plan_body = {"planName": imported.plan_name, "description": imported.description}
        if request.dry_run:
            waves = [
                {**w, "newGroupNames": [g["groupName"] for g in new]}
                for w, (_, new) in zip(
                    waves_body([reuse for reuse, _ in allocation]), allocation, strict=True
                )
            ]
            return {**preview, "plan": {**plan_body, "waves": waves},
                    "newGroups": [{**g, "accountId": account_id} for g in new_groups]}  # fmt: skip
        created: list[str] = []
        try:
            ids: list[list[str]] = []
            for reuse, new in allocation:
                wave_ids = list(reuse)
                for g in new:
                    item = self.groups.create(
                        {**g, **({"accountId": group_account} if group_account else {})}, actor
                    )
                    created.append(str(item["groupId"]))
                    wave_ids.append(str(item["groupId"]))
                ids.append(wave_ids)
            plan = self.plans.create({**plan_body, "waves": waves_body(ids)}, actor)
        except DomainError:
            for group_id in reversed(created):
                self.groups.delete(group_id, actor)
            raise
        return {**preview, "plan": plan, "createdGroupIds": created}

    def _groups_for(
        self, plan_name: str, wave: ImportedWave, account_id: str, region: str
    ) -> tuple[list[str], list[Item]]:
        """(existing group ids to reuse, new group bodies) for one wave's servers."""
        guards = self.group_store.server_guards(account_id, region, wave.server_ids)
        owners = self.group_store.get_many({g.owner for g in guards.values()})
        owned = {sid: g.owner for sid, g in guards.items()
                 if g.owner in owners and sid in owners[g.owner].source_server_ids}  # fmt: skip
        if not owned:
            chunks = [wave.server_ids[i : i + MAX_SERVERS_PER_GROUP]
                      for i in range(0, len(wave.server_ids), MAX_SERVERS_PER_GROUP)]  # fmt: skip
            base = f"{plan_name} - {wave.wave_name}"[:60].rstrip()
            return [], [
                {"groupName": base if len(chunks) == 1 else f"{base} {i}"[:64], "region": region,
                 "description": f"imported from DRS recovery plan step {wave.step_name}", "sourceServerIds": chunk}
                for i, chunk in enumerate(chunks, start=1)
            ]  # fmt: skip
        reuse = sorted(set(owned.values()))
        members = {sid for gid in reuse for sid in owners[gid].source_server_ids}
        if len(owned) == len(wave.server_ids) and members == set(wave.server_ids):
            return reuse, []
        raise Conflict(
            f"wave {wave.wave_number} ({wave.step_name}): its servers are partly in other protection groups;"
            " a server belongs to one group",
            code="SERVERS_IN_OTHER_GROUPS",
            details={"waveNumber": wave.wave_number, "groupedServers": owned,
                     "ungroupedServers": [s for s in wave.server_ids if s not in owned],
                     "otherMembers": sorted(members - set(wave.server_ids))},
        )  # fmt: skip
