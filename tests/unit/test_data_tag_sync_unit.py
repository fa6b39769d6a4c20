"""Tag sync over in-memory ports: batching, the lock, per-account errors, origin accounts."""

from __future__ import annotations

from typing import Any

import pytest
from data_fakes import HUB, Clock, Db, FakeAccountStore, FakeContexts, FakeDrs, FakeGroupStore, server

from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.errors import Conflict, UpstreamError
from drs_orch.services.tag_sync import TagSyncService

R = "us-east-1"
SPOKE = "111111111111"


class Store:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.locked = False

    def get(self, config_id: str) -> dict[str, Any] | None:
        return self.items.get(config_id)

    def put(self, item: dict[str, Any]) -> None:
        self.items[item["configId"]] = dict(item)

    def acquire_lock(self, owner: str, now_epoch: int, ttl_seconds: int) -> bool:
        if self.locked:
            return False
        self.locked = True
        return True

    def release_lock(self, owner: str) -> None:
        self.locked = False

    def synced_keys(self, keys: list[str]) -> dict[str, list[str]]:
        return {k: self.items[k]["tagKeys"] for k in keys if k in self.items}

    def remember(self, key: str, tag_keys: list[str]) -> None:
        self.items[key] = {"configId": key, "tagKeys": tag_keys}


class Instances:
    def __init__(self) -> None:
        self.tags: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
        self.calls: list[tuple[str, str, int]] = []
        self.fail: set[str] = set()

    def tags_by_instance(self, ctx: AccountContext, instance_ids: list[str]) -> dict[str, dict[str, str]]:
        if ctx.account_id in self.fail:
            raise UpstreamError("ec2 said no", code="EC2_ERROR")
        self.calls.append((ctx.account_id, ctx.region, len(instance_ids)))
        known = self.tags.get((ctx.account_id, ctx.region), {})
        return {i: dict(known[i]) for i in instance_ids if i in known}


def service(db: Db, drs: FakeDrs, instances: Instances, store: Store | None = None) -> TagSyncService:
    return TagSyncService(store or Store(), schedule=None, contexts=FakeContexts(db),  # type: ignore[arg-type]
                          accounts=FakeAccountStore(db), groups=FakeGroupStore(db), drs=drs, instances=instances,
                          now=Clock(), hub_region=R)


def with_instance(tags: dict[str, str], instance_id: str, origin: tuple[str, str] | None = None) -> dict[str, Any]:
    s = server(tags)
    s["sourceProperties"]["identificationHints"]["awsInstanceID"] = instance_id
    if origin:
        s["sourceCloudProperties"] = {"originAccountID": origin[0], "originRegion": origin[1]}
    return s


def test_one_describe_instances_per_200_servers_and_counts():
    db, drs, instances = Db(), FakeDrs(), Instances()
    servers = [with_instance({"Keep": "me"}, f"i-{n:05d}") for n in range(450)]
    drs.add(HUB, R, *servers)
    instances.tags[(HUB, R)] = {f"i-{n:05d}": {"Env": "prod", "aws:autoscaling:groupName": "x"} for n in range(400)}
    report = service(db, drs, instances).run({}, "t")
    assert instances.calls == [(HUB, R, 200), (HUB, R, 200), (HUB, R, 50)]
    result = report["results"][0]
    assert result["servers"] == 450 and result["withInstance"] == 400 and result["instanceNotFound"] == 50
    assert result["updated"] == 400 and result["tagsSet"] == 400 and report["status"] == "COMPLETED"
    assert all(s["tags"] == {"Keep": "me", "Env": "prod"} for s in drs.fleet[(HUB, R)][:400])


def test_a_second_run_while_one_is_running_is_refused():
    db, drs = Db(), FakeDrs()
    store = Store()
    store.locked = True
    with pytest.raises(Conflict) as err:
        service(db, drs, Instances(), store).run({}, "t")
    assert err.value.code == "TAG_SYNC_RUNNING"


def test_one_failing_account_makes_the_run_partial_and_the_rest_still_syncs():
    db, drs, instances = Db(), FakeDrs(), Instances()
    db.accounts[SPOKE] = {"accountId": SPOKE, "roleArn": f"arn:aws:iam::{SPOKE}:role/DRSOrchestrationRole"}
    drs.add(HUB, R, with_instance({}, "i-hub"))
    drs.add(SPOKE, R, with_instance({}, "i-spoke"))
    instances.tags[(HUB, R)] = {"i-hub": {"A": "1"}}
    instances.fail.add(SPOKE)
    report = service(db, drs, instances).run({}, "t")
    assert report["status"] == "PARTIAL" and report["accounts"] == [HUB, SPOKE]
    by_account = {r["accountId"]: r for r in report["results"]}
    assert by_account[SPOKE]["error"]["code"] == "EC2_ERROR" and by_account[HUB]["updated"] == 1


def test_instances_are_looked_up_in_their_origin_account():
    db, drs, instances = Db(), FakeDrs(), Instances()
    db.accounts[SPOKE] = {"accountId": SPOKE, "roleArn": f"arn:aws:iam::{SPOKE}:role/DRSOrchestrationRole"}
    drs.add(HUB, "us-west-2", with_instance({}, "i-origin", origin=(SPOKE, R)))
    instances.tags[(SPOKE, R)] = {"i-origin": {"From": "spoke"}}
    report = service(db, drs, instances).run({"accountId": HUB, "region": "us-west-2"}, "t")
    assert instances.calls == [(SPOKE, R, 1)] and report["results"][0]["updated"] == 1
