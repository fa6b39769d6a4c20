"""Tag sync: copy EC2 instance tags (not ``aws:*``) onto the DRS source servers replicating those
instances, in every target account and region, and remove the tags an earlier run copied that the
instance no longer has. One DescribeInstances request per 200 source servers of an account and
region; a lock item keeps two runs from overlapping; the last run's report is kept.

The source instance of a server is ``sourceProperties.identificationHints.awsInstanceID``, looked up
in ``sourceCloudProperties.originAccountID``/``originRegion`` when those name a known account, else
in the server's own account and region."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.data_models import TagSyncRunInput, TagSyncSettingsInput
from drs_orch.domain.data_rules import interval_hours, schedule_expression, tag_sync_diff
from drs_orch.domain.errors import Conflict, DomainError, NotFound, ValidationFailed
from drs_orch.domain.models import parse, to_iso
from drs_orch.services import telemetry
from drs_orch.services.data_ports import (
    AccountContexts,
    AccountStore,
    DrsInventory,
    GroupStore,
    InstanceTags,
    Item,
    Schedule,
    TagSyncStore,
)

BATCH = 200
LOCK_SECONDS = 900
LAST_RUN = "last-run"
SETTINGS = "settings"
_COUNTERS = ("servers", "withInstance", "noInstanceHint", "instanceNotFound", "updated", "tagsSet", "tagsRemoved",
             "failed")


def run_key(run_id: str) -> str:
    return f"run#{run_id}"


def synced_key(account_id: str, region: str, server_id: str) -> str:
    return f"synced#{account_id}#{region}#{server_id}"


class TagSyncService:
    def __init__(self, store: TagSyncStore, schedule: Schedule, contexts: AccountContexts, accounts: AccountStore,
                 groups: GroupStore, drs: DrsInventory, instances: InstanceTags, now: Callable[[], datetime],
                 hub_region: str) -> None:
        self.store = store
        self.schedule = schedule
        self.contexts = contexts
        self.accounts = accounts
        self.groups = groups
        self.drs = drs
        self.instances = instances
        self.now = now
        self.hub_region = hub_region

    # runs -------------------------------------------------------------------------------------
    def _targets(self, spec: TagSyncRunInput) -> tuple[list[str], list[str]]:
        hub = self.contexts.hub_account_id
        registered = [a.account_id for a in self.accounts.all() if a.account_id != hub]
        if spec.account_id:
            if spec.account_id != hub and spec.account_id not in registered:
                raise ValidationFailed(f"account {spec.account_id} is not registered", code="UNKNOWN_ACCOUNT")
            accounts = [spec.account_id]
        else:
            accounts = [hub, *sorted(registered)]
        if spec.regions:
            regions = list(spec.regions)
        elif spec.region:
            regions = [spec.region]
        else:
            configured = (self.store.get(SETTINGS) or {}).get("regions")
            regions = sorted(configured) if configured else sorted(
                {self.hub_region} | {g.region for g in self.groups.all()})
        return accounts, regions

    def start_async(self, body: Mapping[str, Any], actor: str, dispatch: Callable[[Item], None]) -> Item:
        """``{async: true}``: check the request, record the run as RUNNING and hand it to
        ``dispatch`` (an asynchronous invocation of the same function), answering at once."""
        spec = parse(TagSyncRunInput, body)
        accounts, regions = self._targets(spec)
        run_id = str(uuid.uuid4())
        record: Item = {"runId": run_id, "status": "RUNNING", "source": spec.source or "api", "startedBy": actor,
                        "startedAt": to_iso(self.now()), "accounts": accounts, "regions": regions}
        self.store.put({"configId": run_key(run_id), **record})
        worker = {k: v for k, v in dict(body).items() if k != "async"}
        dispatch({**worker, "runId": run_id})
        return {**record, "statusUrl": f"/drs/tag-sync?runId={run_id}"}

    def run_status(self, run_id: str) -> Item:
        item = self.store.get(run_key(run_id))
        if item is None:
            raise NotFound(f"tag sync run {run_id} does not exist", code="TAG_SYNC_RUN_NOT_FOUND")
        return {k: v for k, v in item.items() if k != "configId"}

    def run(self, body: Mapping[str, Any], actor: str) -> Item:
        spec = parse(TagSyncRunInput, body)
        accounts, regions = self._targets(spec)
        run_id = spec.run_id or str(uuid.uuid4())
        started = self.now()
        if not self.store.acquire_lock(run_id, int(started.timestamp()), LOCK_SECONDS):
            refused = Conflict("a tag sync is already running; wait for it to finish", code="TAG_SYNC_RUNNING")
            if spec.run_id:  # an asynchronous run promised to the caller: record why it did not run
                self.store.put({"configId": run_key(run_id), "runId": run_id, "status": "REFUSED",
                                "error": refused.to_body(), "finishedAt": to_iso(self.now())})
            raise refused
        results: list[Item] = []
        try:
            for account_id in accounts:
                for region in regions:
                    results.append(self._sync_one(account_id, region))
        finally:
            self.store.release_lock(run_id)
        totals = {name: sum(int(r.get(name, 0)) for r in results) for name in _COUNTERS}
        errors = [r for r in results if r.get("error")]
        status = "FAILED" if results and len(errors) == len(results) else (
            "PARTIAL" if errors or totals["failed"] else "COMPLETED")
        report: Item = {
            "runId": run_id,
            "source": spec.source or "api",
            "startedBy": actor,
            "startedAt": to_iso(started),
            "finishedAt": to_iso(self.now()),
            "status": status,
            "accounts": accounts,
            "regions": regions,
            "totals": totals,
            "results": results,
        }
        self.store.put({"configId": LAST_RUN, **report})
        if spec.run_id:
            self.store.put({"configId": run_key(run_id), **report})
        if status in ("FAILED", "PARTIAL"):
            telemetry.count(telemetry.TAG_SYNC_FAILED, status=status)
        return report

    def _sync_one(self, account_id: str, region: str) -> Item:
        result: Item = {"accountId": account_id, "region": region, **{name: 0 for name in _COUNTERS}}
        try:
            ctx = self.contexts.context_for(account_id, region)
            servers = self.drs.source_servers(ctx)
        except DomainError as exc:
            result["error"] = {"code": exc.code, "message": exc.message}
            return result
        result["servers"] = len(servers)
        for start in range(0, len(servers), BATCH):
            try:
                self._sync_batch(ctx, servers[start:start + BATCH], result)
            except DomainError as exc:
                result["error"] = {"code": exc.code, "message": exc.message}
                return result
        return result

    def _origin(self, ctx: AccountContext, server: Mapping[str, Any]) -> AccountContext:
        cloud = server.get("sourceCloudProperties") or {}
        account = cloud.get("originAccountID") or ctx.account_id
        region = cloud.get("originRegion") or ctx.region
        if (account, region) == (ctx.account_id, ctx.region):
            return ctx
        try:
            return self.contexts.context_for(str(account), str(region))
        except DomainError:
            return ctx

    def _sync_batch(self, ctx: AccountContext, servers: list[Item], result: Item) -> None:
        by_origin: dict[AccountContext, list[tuple[Item, str]]] = {}
        for server in servers:
            hints = (server.get("sourceProperties") or {}).get("identificationHints") or {}
            instance_id = hints.get("awsInstanceID")
            if not instance_id:
                result["noInstanceHint"] += 1
                continue
            by_origin.setdefault(self._origin(ctx, server), []).append((server, str(instance_id)))
        keys = [synced_key(ctx.account_id, ctx.region, str(s["sourceServerID"])) for s in servers]
        remembered = self.store.synced_keys(keys)
        for origin, pairs in by_origin.items():
            tags = self.instances.tags_by_instance(origin, [i for _, i in pairs])
            for server, instance_id in pairs:
                if instance_id not in tags:
                    result["instanceNotFound"] += 1
                    continue
                result["withInstance"] += 1
                key = synced_key(ctx.account_id, ctx.region, str(server["sourceServerID"]))
                before = remembered.get(key, [])
                current = {str(k): str(v) for k, v in (server.get("tags") or {}).items()}
                diff = tag_sync_diff(tags[instance_id], current, set(before))
                try:
                    if diff.to_set:
                        self.drs.tag(ctx, str(server["arn"]), diff.to_set)
                    if diff.to_remove:
                        self.drs.untag(ctx, str(server["arn"]), diff.to_remove)
                except DomainError:
                    result["failed"] += 1
                    continue
                if diff.changed:
                    result["updated"] += 1
                    result["tagsSet"] += len(diff.to_set)
                    result["tagsRemoved"] += len(diff.to_remove)
                if sorted(before) != diff.synced_keys:
                    self.store.remember(key, diff.synced_keys)

    def last_run(self) -> Item:
        item = self.store.get(LAST_RUN)
        if item is None:
            return {"status": "NEVER_RUN", "lastSync": None}
        out = {k: v for k, v in item.items() if k != "configId"}
        out["lastSync"] = out.get("finishedAt")
        return out

    # schedule ---------------------------------------------------------------------------------
    def settings(self) -> Item:
        rule = self.schedule.describe()
        stored = self.store.get(SETTINGS) or {}
        return {
            "enabled": rule.get("state") == "ENABLED",
            "intervalHours": interval_hours(rule.get("scheduleExpression")),
            "scheduleExpression": rule.get("scheduleExpression"),
            "ruleName": rule.get("name"),
            "regions": stored.get("regions"),
            "lastModified": stored.get("lastModified"),
            "lastModifiedBy": stored.get("lastModifiedBy"),
        }

    def update_settings(self, body: Mapping[str, Any], actor: str) -> Item:
        spec = parse(TagSyncSettingsInput, body)
        current = self.settings()
        enabled = spec.enabled if spec.enabled is not None else bool(current["enabled"])
        hours = spec.interval_hours or current["intervalHours"] or 1
        self.schedule.update(schedule_expression(int(hours)), enabled)
        stored = self.store.get(SETTINGS) or {"configId": SETTINGS}
        if "regions" in body:
            stored["regions"] = spec.regions or None
        stored.update(lastModified=to_iso(self.now()), lastModifiedBy=actor)
        self.store.put({k: v for k, v in stored.items() if v is not None})
        return self.settings()
