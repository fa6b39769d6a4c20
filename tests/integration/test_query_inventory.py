"""GET /drs/source-servers, the account listings and the hub-and-spoke layer over the local stack."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from query_support import (
    HUB,
    REGION,
    Spokes,
    assumed_role_count,
    broken_targets,
    dump,
    frozen_clock,
    spokes_for,
)

from drs_orch.adapters.clients import ClientFactory
from drs_orch.adapters.readers import AwsReaders
from drs_orch.domain.accounts import AccountContext

pytestmark = pytest.mark.integration

@pytest.fixture(scope="session")
def spokes(stack: Any) -> Spokes:
    return spokes_for(stack)


@pytest.fixture
def frozen(stack: Any) -> Iterator[Any]:
    with frozen_clock(stack) as emulator:
        yield emulator


def test_seed_003_example_3_direct_invocation(stack: Any, invoke: Any, frozen: Any) -> None:
    """The seed's call, exactly as written: operation + queryParams.region."""
    out = invoke("query", "get_drs_source_servers", query={"region": "us-east-1"})
    assert out["region"] == "us-east-1", dump(out)
    expected = {s["sourceServerID"]: s for s in stack.emulator.servers(account=HUB, region="us-east-1")}
    assert out["totalCount"] == len(expected)
    assert out["serverCount"] == len(out["servers"]) == min(len(expected), 100)
    for server in out["servers"]:
        truth = expected[server["sourceServerID"]]
        assert server["hostname"] in (truth["hostname"], truth["hostname"].split(".")[0])
        assert server["replicationState"] == truth["replicationState"]
        assert server["lifecycleState"] in ("READY_FOR_LAUNCH", "SYNCING", "STALLED", "DISCONNECTED", "STOPPED")
        assert set(server["hardware"]) >= {"totalCores", "ramGiB", "totalDiskGiB"}
        assert server["tags"] == truth["tags"]
    db = next(s for s in out["servers"] if s["tags"].get("Tier") == "db" and s["tags"].get("Application") == "OrderSystem")
    assert db["hardware"]["totalCores"] == 8 and db["hardware"]["ramGiB"] == 64 and db["hardware"]["totalDiskGiB"] == 600
    assert db["recommendedInstanceType"] == "r5.2xlarge"
    stalled = [s for s in out["servers"] if s["replicationState"] == "STALLED"]
    assert stalled and all(s["lifecycleState"] == "STALLED" for s in stalled)


def test_rest_pagination_across_pages_and_filters(admin: Any, stack: Any, spokes: Spokes) -> None:
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        params: dict[str, Any] = {"region": REGION, "accountId": spokes.b, "limit": 10}
        if token:
            params["nextToken"] = token
        status, body = admin.get("/drs/source-servers", **params)
        assert status == 200, dump(body)
        assert body["totalCount"] == 23 and body["regionStatus"] == {"status": "OK"}
        seen += [s["sourceServerID"] for s in body["servers"]]
        pages += 1
        token = body.get("nextToken")
        if not token:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 23
    assert set(seen) == set(spokes.servers[spokes.b])
    # filters are applied before paging: 7 db servers, 3 per page -> 3 pages
    db: list[str] = []
    token = None
    while True:
        params = {"region": REGION, "accountId": spokes.b, "limit": 3, "tags": "Tier=db"}
        if token:
            params["nextToken"] = token
        status, body = admin.get("/drs/source-servers", **params)
        assert status == 200 and body["totalCount"] == 7
        assert all(s["tags"]["Tier"] == "db" for s in body["servers"])
        db += [s["sourceServerID"] for s in body["servers"]]
        token = body.get("nextToken")
        if not token:
            break
    truth = {s["sourceServerID"] for s in stack.emulator.servers(account=spokes.b, region=REGION, tags={"Tier": "db"})}
    assert set(db) == truth and len(db) == 7
    # a token of another query is refused, not misapplied
    status, body = admin.get("/drs/source-servers", region=REGION, accountId=spokes.b, limit=3, nextToken=token or "x")
    assert status == 400 and body["error"] == "INVALID_NEXT_TOKEN"


def test_replication_state_filter_and_json_tags(admin: Any, spokes: Spokes) -> None:
    status, body = admin.get("/drs/source-servers", region=REGION, accountId=spokes.a, replicationState="STOPPED")
    assert status == 200 and [s["nameTag"] for s in body["servers"]] == ["a-web-01"]
    assert body["servers"][0]["lifecycleState"] == "STOPPED"
    status, body = admin.get("/drs/source-servers", region=REGION, accountId=spokes.a, tags='{"Tier": "APP"}')
    assert status == 200 and [s["nameTag"] for s in body["servers"]] == ["a-app-01"]
    status, body = admin.get("/drs/source-servers", region=REGION, replicationState="RUNNING")
    assert status == 400 and body["error"] == "INVALID_PARAMETER"
    status, body = admin.get("/drs/source-servers", region="mars-1")
    assert status == 400


def test_drs_pagination_through_the_paginator(stack: Any, spokes: Spokes) -> None:
    """The DRS reader follows nextToken across several DRS pages (page size 5 -> 5 requests)."""
    before = len(stack.emulator.calls("DescribeSourceServers", account=spokes.b, region=REGION))
    readers = AwsReaders(ClientFactory(REGION), drs_page_size=5)
    ctx = AccountContext(spokes.b, REGION, spokes.role(spokes.b), spokes.b_external_id)
    reader = readers.drs(ctx)
    got = reader.source_servers()
    calls = stack.emulator.calls("DescribeSourceServers", account=spokes.b, region=REGION)[before:]
    assert sorted(s["sourceServerID"] for s in got) == sorted(spokes.servers[spokes.b])
    assert reader.calls == {"DescribeSourceServers": 5} and len(calls) == 5


def test_uninitialized_region_is_a_region_status(admin: Any, invoke: Any, spokes: Spokes) -> None:
    status, body = admin.get("/drs/source-servers", region="us-west-2", accountId=spokes.a)
    assert status == 200, dump(body)
    assert body["servers"] == [] and body["regionStatus"]["status"] == "DRS_NOT_INITIALIZED"
    out = invoke("query", "get_drs_source_servers", query={"region": "us-west-2", "accountId": spokes.a})
    assert out["regionStatus"]["status"] == "DRS_NOT_INITIALIZED"


def test_two_target_accounts_and_the_assume_role_cache(admin: Any, invoke: Any, stack: Any, spokes: Spokes) -> None:
    """A is reached without and B with an external id; each is assumed once however often it is used.
    moto's STS records every AssumeRole independently of the ClientFactory's own counter."""
    from drs_orch.entrypoints.wiring import container

    factory = container().clients
    cached_before = {acct: factory.assume_role_calls_by_account.get(acct, 0) for acct in (spokes.a, spokes.b)}
    sts_before = {acct: assumed_role_count(acct, spokes.role(acct)) for acct in (spokes.a, spokes.b)}
    for account in (spokes.a, spokes.b):
        for _ in range(3):
            status, body = admin.get("/drs/source-servers", region=REGION, accountId=account)
            assert status == 200 and body["accountId"] == account, dump(body)
        admin.get("/drs/source-servers", region="us-west-2", accountId=account)
        invoke("query", "get_drs_service_limits", query={"accountId": account})
        invoke("query", "get_ec2_subnets", query={"accountId": account})
    status, body = admin.get("/drs/source-servers", region=REGION, accountId=spokes.a)
    assert {s["sourceServerID"] for s in body["servers"]} == set(spokes.servers[spokes.a])
    for account in (spokes.a, spokes.b):
        # one AssumeRole per account for the whole session: made here unless an earlier test did
        made_here = assumed_role_count(account, spokes.role(account)) - sts_before[account]
        assert made_here == (0 if cached_before[account] else 1)
        assert factory.assume_role_calls_by_account[account] == 1


def test_wrong_external_id_missing_role_and_unknown_account_fail_clearly(admin: Any, invoke: Any,
                                                                         spokes: Spokes) -> None:
    with broken_targets(spokes):
        for account in (spokes.c, spokes.d):
            status, body = admin.get("/drs/source-servers", region=REGION, accountId=account)
            assert status == 502, dump(body)
            assert body["error"] == "ASSUME_ROLE_DENIED"
            assert account in body["message"] and body["details"]["accountId"] == account
            assert "external id" in body["message"]
            assert "a-wrong-external-id" not in str(body) and "whatever-id" not in str(body)
        out = invoke("query", "get_drs_source_servers", query={"region": REGION, "accountId": spokes.c})
        assert out["error"] == "ASSUME_ROLE_DENIED" and spokes.c in out["message"]
    status, body = admin.get("/drs/source-servers", region=REGION, accountId="999999999999")
    assert status == 404 and body["error"] == "ACCOUNT_NOT_FOUND" and "999999999999" in body["message"]
    status, body = admin.get("/drs/source-servers", region=REGION, accountId="12345")
    assert status == 400


def test_staging_account_is_reachable_by_its_id(admin: Any, spokes: Spokes) -> None:
    status, body = admin.get("/drs/source-servers", region=REGION, accountId=spokes.s)
    assert status == 200 and body["totalCount"] == 2, dump(body)


def test_accounts_listing_never_shows_external_ids(admin: Any, readonly: Any, spokes: Spokes) -> None:
    status, body = readonly.get("/drs/accounts")
    assert status == 200
    by_id = {a["accountId"]: a for a in body["accounts"]}
    assert body["accounts"][0]["accountId"] == HUB and body["accounts"][0]["isCurrentAccount"] is True
    assert by_id[spokes.b]["hasExternalId"] is True and by_id[spokes.a]["hasExternalId"] is False
    assert by_id[spokes.s]["accountType"] == "STAGING" and by_id[spokes.s]["targetAccountId"] == spokes.b
    assert spokes.b_external_id not in str(body) and "externalId" not in str(body)
    status, body = admin.get("/accounts/current")
    assert status == 200 and body["accountId"] == HUB and body["region"] == REGION
