"""``POST /config/import`` written all or nothing: one saga (``dynamodb_saga``) for every account,
group and plan of the import, crash-safe.

The import's intent record is ``import-intent#config`` (one import at a time; a second one meanwhile
is refused). Its first chunks mark every group and plan it writes (``group-intent#<groupId>``,
``plan-intent#<planId>`` naming the import as ``parent``), so an API write of one of them waits for
the import (409) or, once the import is stale, rolls it back before writing. Then, in order: the
accounts, the groups (item, name claim, server claims), the plans (item, name claim, the references
that keep their groups). A guard that one item of the import gives up and another takes (a server
moving between two overwritten groups, a name passed on) is handed over in place, so nothing is
released before the end. Each write is undone, if the import is rolled back, by putting back the
item as it was read (or deleting a created one), conditional on it still being the version the
import wrote. What items give up (guards, references of plans) is released after the end.

Who finishes an unfinished import (a Lambda that ended mid-import): once it is older than the
data-management Lambda may run (``dynamodb_saga.STALE_SECONDS``), the next import, the next
export (``GET /config/export``), the scheduled housekeeping, or a write of any group or plan it
marked rolls it back. Until then, reads may show the items of its applied chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from drs_orch.adapters import dynamodb_saga as saga
from drs_orch.adapters import dynamodb_tx as dx
from drs_orch.adapters.dynamodb_accounts import DynamoAccountStore
from drs_orch.adapters.dynamodb_groups import DynamoGroupStore
from drs_orch.adapters.dynamodb_plans import DynamoPlanStore, ref_update, remove_refs_later
from drs_orch.services.data_ports import CommitConflict, ConfigWrite, GroupWrite, GuardRef, PlanWrite

KIND, OWNER = "import", "config"


class DynamoConfigWriter:
    def __init__(self, groups: DynamoGroupStore, plans: DynamoPlanStore, accounts: DynamoAccountStore) -> None:
        self.groups = groups
        self.plans = plans
        self.accounts = accounts
        self.guards = groups.guards
        self.between_chunks: Callable[[int], None] | None = None  # tests: a crash between saga chunks

    def recover(self, *, stale_seconds: float | None = None) -> str:
        return saga.recover(self.guards, KIND, OWNER, stale_seconds=stale_seconds)

    def apply(self, write: ConfigWrite) -> None:
        if self.recover() == "RUNNING":
            raise CommitConflict("IMPORT_RUNNING")
        self.finish_sagas([g.group_id for g in write.groups], [p.plan_id for p in write.plans])
        run = saga.Saga(self.guards, KIND, OWNER, between_chunks=self.between_chunks)
        token = run.intent_id
        # what the import's items give up, by guard key: handed over if another item takes it
        given_up: dict[str, GuardRef] = {}
        for g in write.groups:
            given_up.update((r.key, r) for r in g.releases)
        for p in write.plans:
            given_up.update((r.key, r) for r in p.releases)

        def take(key: str, owner_attr: str, owner: str, label: tuple[str, str | None], guard_type: str) -> saga.Step:
            held = given_up.pop(key, None)
            if held is not None:
                return saga.transfer_step(self.guards, held, owner_attr, owner, token, label)
            return saga.claim_step(self.guards, key, owner_attr, owner, token, label, guardType=guard_type)

        steps = [saga.marker_step(self.guards, "group", g.group_id, run.key, token) for g in write.groups]
        steps += [saga.marker_step(self.guards, "plan", p.plan_id, run.key, token) for p in write.plans]
        before = saga.before_images(self.accounts.table, "accountId",
                                [a.account.account_id for a in write.accounts if a.expected_version is not None])
        for a in write.accounts:
            account_id = a.account.account_id
            steps.append(saga.item_step(self.accounts.table, "accountId", account_id,
                                        {"Put": self.accounts.put_request(a.account, a.expected_version)},
                                        ("ACCOUNT", account_id), before.get(account_id), a.account.version))

        def own(table: str, key_name: str, write: GroupWrite | PlanWrite, entity_id: str, tx: dx.Transaction,
                version: int, kind: str, name_key: Callable[[str], str]) -> list[saga.Step]:
            """The item's own write (with its before-image) and its name claim."""
            out = [_item(table, key_name, entity_id, tx, before.get(entity_id), version)]
            if write.claim_name:
                out.append(take(name_key(write.claim_name), key_name, entity_id, ("NAME", write.claim_name),
                                f"{kind}-name"))
            return out

        before = saga.before_images(self.groups.table, "groupId",
                                [g.group_id for g in write.groups if g.expected_version is not None])
        for g in write.groups:
            assert g.item is not None
            steps += own(self.groups.table, "groupId", g, g.group_id, self.groups.item_write(g), g.item.version,
                         "group", dx.group_name_key)
            account, region = g.item.account_id, g.item.region
            steps += [take(dx.group_server_key(account, region, s), "groupId", g.group_id, ("SERVER", s),
                           "group-server") for s in g.claim_servers]
        before = saga.before_images(self.plans.table, "planId",
                                [p.plan_id for p in write.plans if p.expected_version is not None])
        for p in write.plans:
            assert p.item is not None
            steps += own(self.plans.table, "planId", p, p.plan_id, self.plans.item_write(p), p.item.version,
                         "plan", dx.plan_name_key)
            for group_id in p.add_refs:
                check, add = self.plans.ref_add(p.plan_id, group_id)
                steps.append(saga.Step({check[0]: check[1]}, f"{self.groups.table}#{group_id}", check[2]))
                steps.append(saga.Step({add[0]: add[1]}, f"{self.guards}#{dx.group_plans_key(group_id)}", add[2],
                                       {"Update": ref_update(self.guards, p.plan_id, group_id, add=False)}))
        removals = [(p.plan_id, g) for p in write.plans for g in p.remove_refs]
        markers = [saga.intent_key("group", g.group_id) for g in write.groups]
        markers += [saga.intent_key("plan", p.plan_id) for p in write.plans]

        def after() -> None:
            dx.release_later(self.guards, list(given_up.values()))
            for plan_id, group_id in removals:
                remove_refs_later(self.guards, plan_id, [group_id])
            for key in markers:
                saga.delete_intent(self.guards, key, token)

        summary: dict[str, Any] = {
            "accountIds": [a.account.account_id for a in write.accounts],
            "groupIds": [g.group_id for g in write.groups], "planIds": [p.plan_id for p in write.plans],
            "claimCount": sum(len(g.claim_servers) + bool(g.claim_name) for g in write.groups)
            + sum(bool(p.claim_name) for p in write.plans),
            "releaseCount": len(given_up),
        }
        run.run(steps, summary=summary, after=after)


    def finish_sagas(self, group_ids: Iterable[str], plan_ids: Iterable[str]) -> None:
        """A group or plan of the import with a saga of its own left unfinished: rolled back first
        when stale (one batch read finds them), refused while one is under way."""
        owners = [("group", g) for g in group_ids] + [("plan", p) for p in plan_ids]
        found = dx.batch_get(self.guards, "guardKey", [saga.intent_key(kind, owner) for kind, owner in owners])
        for kind, owner in owners:
            if saga.intent_key(kind, owner) in found and saga.recover(self.guards, kind, owner) == "RUNNING":
                raise CommitConflict("CONCURRENT", owner)


def _item(table: str, key_name: str, key: str, tx: dx.Transaction, before: dict[str, Any] | None,
          version: int) -> saga.Step:
    (entry,), (label,) = tx.items, tx.labels
    return saga.item_step(table, key_name, key, entry, label, before, version)
