"""``drs-orch follow`` (and ``drill``/``recover --follow``) over a scripted API: the progress line says
why a job waits for DRS capacity, and at the end every failed server is listed, also those the
execution's details leave out (a large execution's details hold at most a page of servers)."""

from __future__ import annotations

from typing import Any

import pytest

from drs_orch.entrypoints.operator_cli import follow

WHY = "waiting for DRS capacity in 123456789012 / us-east-1: 500 of 500 servers are in active jobs; this job needs 100"


def _details(status: str, failed: int, waiting: bool) -> dict[str, Any]:
    jobs = [{"jobKey": "0001#005", "status": "QUEUED", **({"waitingFor": WHY} if waiting else {})}]
    return {"executionId": "ex-1", "status": status, "serverCounts": {"total": 600, "launched": 600 - failed,
                                                                      "failed": failed},
            "waves": [{"waveNumber": 1, "status": "LAUNCHING" if status == "RUNNING" else "PARTIAL", "jobs": jobs,
                       "jobIds": [], "servers": [], "serversTruncated": True}],
            "serversIncluded": 0, "serversTotal": 600}


class ScriptedApi:
    def __init__(self) -> None:
        self.details = [_details("RUNNING", 0, True), _details("PARTIAL", 3, False)]
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def call(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        self.calls.append((path, query))
        if path == "/executions/ex-1":
            return self.details.pop(0) if len(self.details) > 1 else self.details[0]
        assert path == "/executions/ex-1/servers" and query["status"] == "FAILED", (path, query)
        second = query.get("nextToken") == "t2"
        rows = [{"sourceServerId": f"s-{n:017x}", "waveNumber": 1, "status": "FAILED",
                 "failureReason": f"reason {n}"} for n in ((3,) if second else (1, 2))]
        return {"servers": rows, "nextToken": None if second else "t2"}


def test_follow_says_why_a_job_waits_and_lists_every_failed_server(capsys: pytest.CaptureFixture[str]) -> None:
    api = ScriptedApi()
    assert follow(api, "ex-1", interval=0) == 2  # type: ignore[arg-type]  # PARTIAL
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith(f"jobs 0  wave 1: {WHY}")
    assert [line for line in out if "FAILED:" in line] == [
        f"  wave 1 s-{n:017x} FAILED: reason {n}" for n in (1, 2, 3)]  # not in the details: read page by page
    assert out[-1] == "ex-1 PARTIAL"
    assert [q.get("nextToken") for p, q in api.calls if p.endswith("/servers")] == [None, "t2"]


def test_a_run_without_failures_reads_no_server_list(capsys: pytest.CaptureFixture[str]) -> None:
    api = ScriptedApi()
    api.details = [{**_details("COMPLETED", 0, False)}]
    assert follow(api, "ex-1", interval=0) == 0  # type: ignore[arg-type]
    assert not [p for p, _ in api.calls if p.endswith("/servers")]
    assert capsys.readouterr().out.splitlines()[-1] == "ex-1 COMPLETED"
