"""Read-side use cases over fake readers: paging after filtering, per-region status, capacity
across accounts with a failing spoke, and the realtime reconcile's batched calls."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from drs_orch.adapters.execution_items import group
from drs_orch.domain.accounts import AccountContext, TargetAccount
from drs_orch.domain.errors import NotFound, UpstreamError
from drs_orch.domain.execution_records import ExecutionRecords
from drs_orch.domain.inventory import RegionState, RegionUnavailable, ServerFilter
from drs_orch.domain.models import ProtectionGroup
from drs_orch.services.accounts import AccountDirectory, AccountKind
from drs_orch.services.capacity import account_capacity, all_accounts_capacity
from drs_orch.services.inventory import list_accounts, list_source_servers
from drs_orch.services.realtime import execution_realtime

HUB = "123456789012"


def srv(i: int, state: str = "CONTINUOUS", tier: str = "db") -> dict[str, Any]:
    return {"sourceServerID": f"s-{i:017d}", "tags": {"Tier": tier},
            "dataReplicationInfo": {"dataReplicationState": state}, "sourceProperties": {}}


class FakeDrs:
    def __init__(self, servers: list[dict[str, Any]], jobs: list[dict[str, Any]] | None = None,
                 recovery: list[dict[str, Any]] | None = None, fail: RegionState | None = None,
                 ctx: AccountContext | None = None) -> None:
        self._servers, self._jobs, self._recovery = servers, jobs or [], recovery or []
        self._fail, self._ctx = fail, ctx
        self.calls: dict[str, int] = {}

    def _hit(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        if self._fail and self._ctx:
            raise RegionUnavailable(self._ctx.account_id, self._ctx.region, self._fail, "nope")

    def source_servers(self, server_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        self._hit("DescribeSourceServers")
        return [s for s in self._servers if server_ids is None or s["sourceServerID"] in server_ids]

    def jobs(self, job_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        self._hit("DescribeJobs")
        return [j for j in self._jobs if job_ids is None or j["jobID"] in job_ids]

    def recovery_instances(self, recovery_instance_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        self._hit("DescribeRecoveryInstances")
        return [r for r in self._recovery if recovery_instance_ids is None
                or r["recoveryInstanceID"] in recovery_instance_ids]


class FakeEc2:
    def __init__(self, instances: list[dict[str, Any]]) -> None:
        self._instances = instances
        self.calls: dict[str, int] = {}

    def instances(self, instance_ids: Sequence[str]) -> list[dict[str, Any]]:
        self.calls["DescribeInstances"] = self.calls.get("DescribeInstances", 0) + 1
        return [i for i in self._instances if i["InstanceId"] in instance_ids]


class FakeReaders:
    def __init__(self) -> None:
        self.fleet: dict[tuple[str, str], dict[str, Any]] = {}
        self.denied: set[str] = set()
        self.not_initialized: set[tuple[str, str]] = set()
        self.instances: list[dict[str, Any]] = []
        self.access_checks: list[str] = []
        self.made: list[FakeDrs] = []

    def _check(self, ctx: AccountContext) -> None:
        if ctx.account_id in self.denied:
            raise UpstreamError(f"account {ctx.account_id}: denied", code="ASSUME_ROLE_DENIED")

    def drs(self, ctx: AccountContext) -> FakeDrs:
        self._check(ctx)
        data = self.fleet.get((ctx.account_id, ctx.region), {})
        fail = RegionState.DRS_NOT_INITIALIZED if (ctx.account_id, ctx.region) in self.not_initialized else None
        reader = FakeDrs(data.get("servers", []), data.get("jobs"), data.get("recovery"), fail, ctx)
        self.made.append(reader)
        return reader

    def ec2(self, ctx: AccountContext) -> FakeEc2:
        self._check(ctx)
        return FakeEc2(self.instances)

    def iam(self, ctx: AccountContext) -> Any:
        raise AssertionError("not used")

    def check_access(self, ctx: AccountContext) -> None:
        self.access_checks.append(ctx.account_id)
        self._check(ctx)


class Targets:
    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = {i["accountId"]: TargetAccount.from_item(i) for i in items}

    def get(self, account_id: str) -> TargetAccount | None:
        return self.items.get(account_id)

    def list_all(self) -> list[TargetAccount]:
        return list(self.items.values())


class Groups:
    def __init__(self, groups: list[dict[str, Any]]) -> None:
        created = "2025-01-01T00:00:00.000Z"
        self.groups = [ProtectionGroup.from_item({"region": "us-east-1", "accountId": HUB, "createdDate": created,
                                                  "lastModifiedDate": created, **g}) for g in groups]
        self.calls = 0

    def groups_in(self, account_id: str, region: str) -> list[ProtectionGroup]:
        self.calls += 1
        return self.groups


def directory() -> AccountDirectory:
    return AccountDirectory(HUB, Targets([
        {"accountId": "111111111111", "accountName": "one", "roleArn": "arn:aws:iam::111111111111:role/R"},
        {"accountId": "222222222222", "roleArn": "arn:aws:iam::222222222222:role/R", "externalId": "secret-x",
         "stagingAccounts": [{"accountId": "333333333333", "roleArn": "arn:aws:iam::333333333333:role/R",
                              "externalId": "secret-y"}]},
        {"accountId": "444444444444"},
    ]))


def test_directory_contexts_and_listing_hide_external_ids() -> None:
    d = directory()
    assert d.context_for(None, "us-east-1").is_hub
    assert d.context_for("333333333333", "us-west-2").external_id == "secret-y"
    with pytest.raises(NotFound) as exc:
        d.context_for("444444444444", "us-east-1")
    assert exc.value.code == "ACCOUNT_NOT_CONFIGURED" and "444444444444" in exc.value.message
    with pytest.raises(NotFound) as exc:
        d.context_for("999999999999", "us-east-1")
    assert exc.value.code == "ACCOUNT_NOT_FOUND"
    kinds = [(k.account_id, k.kind) for k in d.known_accounts()]
    assert kinds[0] == (HUB, AccountKind.HUB) and ("333333333333", AccountKind.STAGING) in kinds
    listing = list_accounts(d)
    assert "secret" not in str(listing) and listing["accounts"][0]["isCurrentAccount"] is True


def test_source_servers_filter_then_page() -> None:
    readers = FakeReaders()
    servers = [srv(i, tier="db" if i % 2 else "web") for i in range(30)]
    readers.fleet[(HUB, "us-east-1")] = {"servers": servers}
    groups = Groups([{"groupId": "g1", "groupName": "G", "sourceServerIds": [srv(1)["sourceServerID"]]}])
    ctx = AccountContext(HUB, "us-east-1")
    f = ServerFilter(tags={"Tier": "DB"})
    seen: list[str] = []
    token = None
    while True:
        out = list_source_servers(readers, groups, ctx, f, limit=4, next_token=token)
        seen += [s["sourceServerID"] for s in out["servers"]]
        assert out["totalCount"] == 15 and out["regionStatus"] == {"status": "OK"}
        token = out.get("nextToken")
        if not token:
            break
    assert seen == sorted(s["sourceServerID"] for s in servers if s["tags"]["Tier"] == "db")
    first = list_source_servers(readers, groups, ctx, f, limit=4)
    assert first["servers"][0]["protectionGroup"] == {"groupId": "g1", "groupName": "G"}


def test_source_servers_uninitialized_region_is_a_status_not_an_error() -> None:
    readers = FakeReaders()
    readers.not_initialized.add((HUB, "us-west-2"))
    out = list_source_servers(readers, Groups([]), AccountContext(HUB, "us-west-2"), ServerFilter(), limit=10)
    assert out["servers"] == [] and out["regionStatus"]["status"] == "DRS_NOT_INITIALIZED"


def test_account_capacity_over_regions() -> None:
    readers = FakeReaders()
    readers.fleet[("111111111111", "us-east-1")] = {
        "servers": [srv(i) for i in range(5)] + [srv(9, "STOPPED")],
        "jobs": [{"jobID": "j1", "status": "STARTED", "participatingServers": [{}, {}]}],
        "recovery": [{"recoveryInstanceID": "r1"}],
    }
    readers.not_initialized.add(("111111111111", "us-west-2"))
    d = directory()
    out = account_capacity(readers, lambda r: d.context_for("111111111111", r), ["us-east-1", "us-west-2"])
    east, west = out["regions"]
    assert east["currentUsage"] == {"sourceServers": 6, "replicatingServers": 5, "activeJobs": 1,
                                    "serversInActiveJobs": 2, "recoveryInstances": 1}
    assert east["status"] == "OK" and west["regionStatus"]["status"] == "DRS_NOT_INITIALIZED"
    assert out["totals"]["replicatingServers"] == 5 and out["status"] == "OK"


def test_all_accounts_capacity_reports_unreachable_accounts_in_place() -> None:
    readers = FakeReaders()
    readers.denied.add("222222222222")
    readers.fleet[("111111111111", "us-east-1")] = {"servers": [srv(i) for i in range(250)]}
    d = AccountDirectory(HUB, Targets([
        {"accountId": "111111111111", "roleArn": "arn:aws:iam::111111111111:role/R",
         "stagingAccounts": [{"accountId": "555555555555", "roleArn": "arn:aws:iam::555555555555:role/R"}]},
        {"accountId": "222222222222", "roleArn": "arn:aws:iam::222222222222:role/R", "externalId": "wrong"},
    ]))
    out = all_accounts_capacity(readers, d, ["us-east-1"], workers=3)
    by_id = {a["accountId"]: a for a in out["accounts"]}
    assert by_id["222222222222"]["status"] == "ERROR"
    assert by_id["222222222222"]["error"]["code"] == "ASSUME_ROLE_DENIED"
    assert by_id["111111111111"]["status"] == "WARNING"
    assert out["unreachableAccounts"] == ["222222222222"]
    target = next(t for t in out["targets"] if t["targetAccountId"] == "111111111111")
    assert target["stagingAccountIds"] == ["555555555555"]
    assert target["combined"] == {"replicatingServers": 250, "maxReplicatingServers": 600, "percentUsed": 41.7,
                                  "status": "OK"}
    assert sorted(readers.access_checks) == sorted([HUB, "111111111111", "222222222222", "555555555555"])
    # the refused account is not retried per region
    assert all(r._ctx is None or r._ctx.account_id != "222222222222" for r in readers.made)


class Store:
    def __init__(self, items: list[dict[str, Any]]) -> None:
        self._items = items

    def load(self, execution_id: str) -> ExecutionRecords | None:
        return group(i for i in self._items if i["executionId"] == execution_id)


def test_realtime_is_one_batched_pass_for_many_servers() -> None:
    n = 40
    readers = FakeReaders()
    job = {"jobID": "drsjob-1", "status": "STARTED", "participatingServers": [
        {"sourceServerID": f"s-{i:017d}", "launchStatus": "LAUNCHED", "recoveryInstanceID": f"i-r{i}"} for i in range(n)]}
    readers.fleet[("111111111111", "us-east-1")] = {
        "jobs": [job], "recovery": [{"recoveryInstanceID": f"i-r{i}", "ec2InstanceID": f"i-{i:08x}"} for i in range(n)]}
    readers.instances = [{"InstanceId": f"i-{i:08x}", "State": {"Name": "running"}} for i in range(n)]
    items = [{"executionId": "e1", "sk": "META", "status": "RUNNING", "accountId": "111111111111", "region": "us-east-1"},
             {"executionId": "e1", "sk": "WAVE#0001", "waveNumber": 1, "status": "LAUNCHING", "jobIds": ["drsjob-1"]}]
    items += [{"executionId": "e1", "sk": f"SERVER#s-{i:017d}", "sourceServerId": f"s-{i:017d}", "waveNumber": 1,
               "status": "LAUNCHING", "jobId": "drsjob-1"} for i in range(n)]
    d = directory()
    out = execution_realtime(Store(items), d.context_for, readers, "e1", default_region="us-east-1",
                             now=datetime(2025, 1, 1, tzinfo=UTC))
    assert out["apiCalls"] == {"DescribeJobs": 1, "DescribeRecoveryInstances": 1, "DescribeInstances": 1}
    assert out["waves"][0]["liveStatus"] == "COMPLETED" and out["liveStatus"] == "COMPLETED"
    assert out["summary"]["byLiveStatus"] == {"LAUNCHED": n} and out["summary"]["changedServers"] == n
    assert all(s["instanceState"] == "running" for s in out["waves"][0]["servers"])
    assert out["reconciledAt"] == "2025-01-01T00:00:00.000Z" and out["dataSource"] == "live"


def test_realtime_unknown_execution_and_unreachable_account() -> None:
    readers = FakeReaders()
    d = directory()
    with pytest.raises(NotFound):
        execution_realtime(Store([]), d.context_for, readers, "nope", default_region="us-east-1", now=datetime.now(UTC))
    readers.denied.add("222222222222")
    items = [{"executionId": "e2", "sk": "META", "status": "RUNNING", "accountId": "222222222222", "region": "us-east-1"},
             {"executionId": "e2", "sk": "WAVE#0001", "waveNumber": 1, "status": "LAUNCHING", "jobIds": ["drsjob-2"]}]
    out = execution_realtime(Store(items), d.context_for, readers, "e2", default_region="us-east-1", now=datetime.now(UTC))
    assert out["dataSource"] == "partial"
    assert out["liveSources"][0]["status"]["code"] == "ASSUME_ROLE_DENIED"
    assert out["waves"][0]["liveStatus"] == "LAUNCHING" and out["liveStatus"] == "RUNNING"
