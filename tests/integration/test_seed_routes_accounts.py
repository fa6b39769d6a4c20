"""The account routes the seeds name: a target account's capacity with its staging accounts, the
check of a staging account before it is added, and the sync that extends staging servers into the
target - over the local stack, with figures taken from the DRS emulator's own state."""

from __future__ import annotations

from typing import Any

import pytest
from query_support import REGION, Spokes, dump, make_spokes

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def spokes(stack: Any) -> Spokes:
    """Accounts of this module only (the sync extends servers into B, which no other test may see)."""
    return make_spokes(stack)


def _replicating(stack: Any, account: str) -> int:
    return sum(1 for s in stack.emulator.servers(account=account, region=REGION) if s["replicationState"] != "STOPPED")


def test_target_capacity_combines_the_target_and_its_staging_accounts(stack: Any, admin: Any, readonly: Any,
                                                                      invoke: Any, spokes: Spokes) -> None:
    status, body = readonly.get(f"/accounts/targets/{spokes.b}/capacity", regions=REGION)
    assert status == 200, dump(body)
    assert body["targetAccountId"] == spokes.b and body["stagingAccountIds"] == [spokes.s]
    assert [(a["accountId"], a["accountType"]) for a in body["accounts"]] == [(spokes.b, "TARGET"),
                                                                              (spokes.s, "STAGING")]
    expected = _replicating(stack, spokes.b) + _replicating(stack, spokes.s)
    assert body["combined"]["replicatingServers"] == expected == 25
    assert body["combined"]["maxReplicatingServers"] == 600 and body["combined"]["status"] == "OK"
    totals = {a["accountId"]: a["totals"] for a in body["accounts"]}
    assert totals[spokes.s]["sourceServers"] == 2 and totals[spokes.b]["sourceServers"] == 23
    assert body["recoveryCapacity"]["limit"] == 4000 and body["recoveryCapacity"]["metric"] == "recoveryInstances"
    assert body["unreachableAccounts"] == [] and body["warnings"] == []
    direct = invoke("query", "get_target_account_capacity", path={"accountId": spokes.b}, query={"regions": REGION})
    assert direct == body
    status, body = admin.get("/accounts/targets/000000000000/capacity")
    assert status == 404 and body["error"] == "ACCOUNT_NOT_FOUND"
    status, body = admin.get("/accounts/targets/not-an-account/capacity")
    assert status == 400 and body["error"] == "INVALID_PARAMETER"


def test_a_staging_account_is_checked_before_it_is_added(stack: Any, admin: Any, readonly: Any, invoke: Any,
                                                        spokes: Spokes) -> None:
    body = {"accountId": spokes.s, "roleArn": spokes.role(spokes.s), "region": REGION, "targetAccountId": spokes.b}
    status, out = admin.post("/staging-accounts/validate", body)
    assert status == 200, dump(out)
    assert out["valid"] is True and out["roleAccessible"] is True and out["drsInitialized"] is True
    assert out["currentServers"] == 2 and out["replicatingServers"] == _replicating(stack, spokes.s) == 2
    target = _replicating(stack, spokes.b)
    assert out["combinedBefore"]["replicatingServers"] == target
    assert out["totalAfter"] == out["combinedAfter"]["replicatingServers"] == target + 2
    assert out["combinedAfter"]["maxReplicatingServers"] == 600
    direct = invoke("query", "validate_staging_account", body=body)
    assert {k: v for k, v in direct.items() if k != "checks"} == {k: v for k, v in out.items() if k != "checks"}

    # B's role requires an external id: without it the role cannot be assumed
    status, out = admin.post("/staging-accounts/validate", {"accountId": spokes.b, "roleArn": spokes.role(spokes.b),
                                                            "region": REGION})
    assert status == 200, dump(out)
    assert out["valid"] is False and out["roleAccessible"] is False and out["drsInitialized"] is False
    assert out["currentServers"] == 0 and any(c["status"] == "FAILED" for c in out["checks"])
    # with it, the same account is fine
    status, out = admin.post("/staging-accounts/validate", {"accountId": spokes.b, "roleArn": spokes.role(spokes.b),
                                                            "externalId": spokes.b_external_id, "region": REGION})
    assert status == 200 and out["valid"] is True and out["currentServers"] == 23, dump(out)
    assert spokes.b_external_id not in str(out)

    status, out = admin.post("/staging-accounts/validate", {**body, "stagingRegion": "x"})
    assert status == 400 and "stagingRegion" in str(out["details"]), dump(out)
    status, out = admin.post("/staging-accounts/validate", {**body, "roleArn": spokes.role(spokes.b)})
    assert status == 400 and "roleArn" in str(out["details"]), dump(out)
    status, out = admin.post("/staging-accounts/validate", {**body, "targetAccountId": spokes.s})
    assert status == 400 and "targetAccountId" in str(out["details"]), dump(out)
    status, out = admin.post("/staging-accounts/validate", {**body, "targetAccountId": "000000000000"})
    assert status == 404 and out["error"] == "ACCOUNT_NOT_FOUND", dump(out)
    assert readonly.post("/staging-accounts/validate", body)[0] == 403


def test_sync_extends_the_staging_servers_into_the_target_once(stack: Any, admin: Any, invoke: Any,
                                                               spokes: Spokes) -> None:
    path = f"/accounts/targets/{spokes.b}/staging-accounts/sync"
    before = {s["sourceServerID"] for s in stack.emulator.servers(account=spokes.b, region=REGION)}
    staging = {s["sourceServerID"] for s in stack.emulator.servers(account=spokes.s, region=REGION)}

    status, dry = admin.post(path, {"regions": [REGION], "dryRun": True})
    assert status == 200, dump(dry)
    [report] = dry["stagingAccounts"]
    [region] = report["regions"]
    assert report["accountId"] == spokes.s and report["reachable"] is True and report["valid"] is True
    assert {s["sourceServerId"] for s in region["sourceServers"]} == staging and region["sourceServerCount"] == 2
    assert len(region["extensible"]) == 2, dump(dry)
    assert region["extended"] == [] and region["extension"]["status"] == "DRY_RUN"
    assert dry["summary"] == {"stagingAccounts": 1, "reachable": 1, "extended": 0, "failed": 0, "wouldExtend": 2}
    assert {s["sourceServerID"] for s in stack.emulator.servers(account=spokes.b, region=REGION)} == before

    status, done = admin.post(path, {"regions": [REGION]})
    assert status == 200, dump(done)
    [region] = done["stagingAccounts"][0]["regions"]
    assert region["extension"]["status"] == "OK" and len(region["extended"]) == 2 and region["failed"] == []
    after = {s["sourceServerID"]: s for s in stack.emulator.servers(account=spokes.b, region=REGION)}
    new = set(after) - before
    assert new == {e["sourceServerId"] for e in region["extended"]} and len(new) == 2
    assert done["summary"]["extended"] == 2

    again = invoke("data-management", "sync_staging_accounts", path={"accountId": spokes.b},
                   body={"regions": [REGION]})
    [region] = again["stagingAccounts"][0]["regions"]
    assert region["extended"] == [] and region["extensible"] == [] and len(region["extendedIntoTarget"]) == 2
    assert len(stack.emulator.servers(account=spokes.b, region=REGION)) == len(before) + 2

    status, body = admin.post(f"/accounts/targets/{spokes.a}/staging-accounts/sync", {"regions": [REGION]})
    assert status == 200 and body["stagingAccounts"] == [] and body["summary"]["stagingAccounts"] == 0
    status, body = admin.post("/accounts/targets/000000000000/staging-accounts/sync", {})
    assert status == 404 and body["error"] == "ACCOUNT_NOT_FOUND"
    status, body = admin.post(path, {"extend": True})
    assert status == 400 and "extend" in str(body["details"])
