"""Issue 15 at scale: GET /executions/{id} costs one page of servers, not the execution's size, and
GET /executions/{id}/servers pages them from the store by wave and status, with tokens bound to the
filters. The DynamoDB items the handlers read are counted through botocore (every boto3 client of
the in-process Lambdas goes through ``BaseClient._make_api_call``), not through our code."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.client import BaseClient
from engine_support import (
    fast_fixture,  # noqa: F401 - fixture "fast", used by pytestmark
    group,
    seed,
    unique,
    wait_terminal,
)

from drs_orch.services.engine import queries

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fast")]


def _text(value: Any) -> str:
    """A string attribute, low-level ({"S": ...}) or as the resource layer already turned it."""
    return str(value.get("S", "")) if isinstance(value, dict) else str(value or "")


class ServerReads:
    """SERVER items of one execution that DynamoDB returned (Query, BatchGetItem)."""

    def __init__(self) -> None:
        self.execution_id = ""
        self.items = 0
        self._lock = threading.Lock()

    def count(self, operation: str, answer: dict[str, Any]) -> None:
        if operation == "Query":
            found = answer.get("Items") or []
        elif operation == "BatchGetItem":
            found = [i for items in (answer.get("Responses") or {}).values() for i in items]
        else:
            return
        mine = [i for i in found if _text(i.get("executionId")) == self.execution_id
                and _text(i.get("sk")).startswith("SERVER#")]
        with self._lock:
            self.items += len(mine)


@pytest.fixture(name="server_reads")
def server_reads_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerReads]:
    reads = ServerReads()
    original = BaseClient._make_api_call

    def counted(self: Any, operation: str, params: dict[str, Any]) -> Any:
        answer = original(self, operation, params)
        if self.meta.service_model.service_name == "dynamodb" and reads.execution_id:
            reads.count(operation, answer)
        return answer

    monkeypatch.setattr(BaseClient, "_make_api_call", counted)
    yield reads


def _run_execution(stack: Any, admin: Any) -> tuple[str, dict[str, list[str]]]:
    """12 servers: wave 1 holds 6 healthy ones and one stalled for 2 hours (old data at launch),
    wave 2 four healthy ones and one whose launch fails; RPO 30 minutes, CONTINUE on failure."""
    healthy1, stalled = seed(stack, 6), seed(stack, 1, state="STALLED")
    healthy2, failing = seed(stack, 4), seed(stack, 1, outcome="FAILED")
    status, body = admin.post("/recovery-plans", {
        "planName": unique("pages"), "rpoMinutes": 30,
        "waves": [{"waveNumber": 1, "waveName": "one", "protectionGroupIds": [group(admin, healthy1 + stalled)],
                   "onServerFailure": "CONTINUE"},
                  {"waveNumber": 2, "waveName": "two", "protectionGroupIds": [group(admin, healthy2 + failing)],
                   "onServerFailure": "CONTINUE"}]})
    assert status == 201, body
    status, started = admin.post("/executions", {"planId": body["planId"], "executionType": "DRILL",
                                                 "pollIntervalSeconds": 10})
    assert status == 202, started
    done = wait_terminal(admin, started["executionId"])
    assert done["status"] == "PARTIAL", done.get("errorMessage")
    return str(started["executionId"]), {"wave1": healthy1 + stalled, "wave2": healthy2 + failing,
                                         "stalled": stalled, "failing": failing}


def _pages(admin: Any, execution_id: str, **query: Any) -> tuple[list[dict[str, Any]], list[int], int]:
    rows: list[dict[str, Any]] = []
    sizes: list[int] = []
    token = None
    total = -1
    while True:
        status, page = admin.get(f"/executions/{execution_id}/servers", **query, **({"nextToken": token} if token else {}))
        assert status == 200, page
        rows += page["servers"]
        sizes.append(page["count"])
        total = page["total"]
        token = page["nextToken"]
        if not token:
            return rows, sizes, total


def test_details_read_one_page_and_the_servers_are_paged_by_wave_and_status(
        stack: Any, admin: Any, server_reads: ServerReads, monkeypatch: pytest.MonkeyPatch) -> None:
    execution_id, servers = _run_execution(stack, admin)
    every = sorted(servers["wave1"] + servers["wave2"])

    monkeypatch.setattr(queries, "MAX_DETAIL_SERVERS", 5)  # a page smaller than the execution
    server_reads.execution_id = execution_id
    status, details = admin.get(f"/executions/{execution_id}")
    assert status == 200, details
    assert server_reads.items == 5  # one page of SERVER items, never all 12
    assert details["serversTotal"] == 12 and details["serversIncluded"] == 5
    assert details["serversUrl"] == f"/executions/{execution_id}/servers"
    assert sorted(s["sourceServerId"] for w in details["waves"] for s in w["servers"]) == every[:5]
    assert details["serverCounts"]["launched"] == 11 and details["serverCounts"]["failed"] == 1
    assert [w["serverCounts"]["total"] for w in details["waves"]] == [7, 5]
    assert details["terminationMetadata"]["hasRecoveryInstances"] is True and details["canTerminate"] is True
    report = details["objectivesReport"]
    assert [(w["waveNumber"], w["rpoMinutes"], w["serversMeasured"], w["serversOverRpo"], w["rpoMet"])
            for w in report["waves"]] == [(1, 30, 7, 1, False), (2, 30, 4, 0, True)]
    assert report["worstDataAgeSeconds"] >= 7200 and report["rpoMet"] is False and report["serversOverRpo"] == 1

    server_reads.items = 0
    rows, sizes, total = _pages(admin, execution_id, wave=2, limit=2)
    assert sorted(r["sourceServerId"] for r in rows) == sorted(servers["wave2"]) and total == 5
    assert sizes == [2, 2, 1] and {r["waveNumber"] for r in rows} == {2}
    launched, sizes, total = _pages(admin, execution_id, status="launched", limit=4)
    assert total == 11 and sizes == [4, 4, 3] and {r["status"] for r in launched} == {"LAUNCHED"}
    assert [r["sourceServerId"] for r in launched] == [s for s in every if s not in servers["failing"]]
    stalled = next(r for r in launched if r["sourceServerId"] == servers["stalled"][0])
    assert stalled["dataAgeSeconds"] >= 7200 and stalled["rpoMet"] is False and stalled["rpoMinutes"] == 30
    failed, _, total = _pages(admin, execution_id, wave=2, status="FAILED")
    assert [r["sourceServerId"] for r in failed] == servers["failing"] and total == 1
    assert failed[0]["failureReason"]
    assert _pages(admin, execution_id, wave=1, status="FAILED")[0] == []

    status, first = admin.get(f"/executions/{execution_id}/servers", wave=2, limit=2)
    assert status == 200 and first["nextToken"]
    for other in ({"wave": 1}, {"status": "LAUNCHED"}, {"wave": 2, "status": "LAUNCHED"}, {}):
        status, refused = admin.get(f"/executions/{execution_id}/servers", **other, nextToken=first["nextToken"])
        assert status == 400 and refused["error"] == "INVALID_NEXT_TOKEN", (other, refused)
    status, refused = admin.get(f"/executions/{execution_id}/servers", nextToken="bm90LW91cnM")
    assert status == 400 and refused["error"] == "INVALID_NEXT_TOKEN"
    status, refused = admin.get("/executions/no-such-execution/servers")
    assert status == 404 and refused["error"] == "EXECUTION_NOT_FOUND"
