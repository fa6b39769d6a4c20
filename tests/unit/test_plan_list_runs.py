"""GET /recovery-plans: the run fields of a page cost two reads of the executions table whatever
the page size (the active executions and one batch of latest runs), never one per plan."""

from __future__ import annotations

from typing import Any

from data_fakes import HUB, server, services

R = "us-east-1"


class Counting:
    """The executions reader, counting its calls."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)
        if not callable(target):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            return target(*args, **kwargs)

        return call


def test_a_page_of_plans_reads_the_executions_twice_whatever_its_size() -> None:
    s = services()
    ids = s.drs.add(HUB, R, *[server({"App": "Shop"}) for _ in range(12)])
    groups = [s.groups.create({"groupName": f"g{n}", "region": R, "sourceServerIds": ids[n * 2:n * 2 + 2]}, "t")
              for n in range(6)]
    plans = [s.plans.create({"planName": f"p{n}", "waves": [{"waveNumber": 1, "waveName": "w",
                                                             "protectionGroupIds": [groups[n % 6]["groupId"]]}]}, "t")
             for n in range(12)]
    s.executions.items.append({"executionId": "e-run", "planId": plans[0]["planId"], "status": "RUNNING",
                               "protectionGroupIds": [groups[0]["groupId"]], "executionType": "DRILL",
                               "startTime": "2025-01-01T00:00:00Z", "planName": "p0"})
    s.executions.items.append({"executionId": "e-old", "planId": plans[1]["planId"], "status": "COMPLETED",
                               "startTime": "2024-01-01T00:00:00Z", "endTime": "2024-01-01T01:00:00Z"})
    counting = Counting(s.executions)
    s.plans.executions = counting
    for limit in ("2", "12"):
        counting.calls.clear()
        page = s.plans.list_page({"limit": limit})
        assert page["count"] == int(limit)
        assert counting.calls == {"last_runs": 1, "active": 1}
    listed = {p["planName"]: p for p in s.plans.list_page({"limit": "12"})["recoveryPlans"]}
    # p6 shares g0 with p0's running drill
    assert listed["p6"]["hasServerConflict"] is True
    assert listed["p6"]["conflictInfo"]["serverIds"] == ids[0:2]
    assert listed["p0"]["hasServerConflict"] is False and listed["p0"]["lastExecutionStatus"] == "RUNNING"
    assert listed["p1"]["lastExecutionStatus"] == "COMPLETED" and listed["p1"]["lastEndTime"] == "2024-01-01T01:00:00Z"
    assert listed["p2"]["lastExecutionStatus"] is None and listed["p2"]["hasServerConflict"] is False
