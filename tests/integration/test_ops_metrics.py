"""Metrics of a drill, read back from the log output as CloudWatch would: EMF lines in the
DRSOrchestration namespace, low-cardinality dimensions only (never an execution id)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from engine_support import (
    fast_fixture,  # noqa: F401 - fixture "fast", used by pytestmark
    group,
    plan,
    seed,
    start,
    wait_terminal,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fast")]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _emf(output: str) -> list[tuple[str, dict[str, str], float]]:
    """(metric name, dimensions, value) of every EMF document. On the local stack the Lambda handlers
    run as threads of one process, so two documents printed at once can share a line (in AWS each
    invocation has its own stdout): each line is read as a sequence of documents."""
    decoder = json.JSONDecoder()
    docs = []
    for line in output.splitlines():
        at = 0
        while line.startswith("{", at):
            try:
                doc, at = decoder.raw_decode(line, at)
            except ValueError:  # not a JSON document (a plain log line)
                break
            docs.append(doc)
    found = []
    for doc in docs:
        if not isinstance(doc, dict) or "_aws" not in doc:
            continue
        for directive in doc["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == "DRSOrchestration"
            dims = {d: doc[d] for group_ in directive["Dimensions"] for d in group_}
            for metric in directive["Metrics"]:
                value = doc[metric["Name"]]
                found.append((metric["Name"], dims, float(value[0] if isinstance(value, list) else value)))
    return found


def test_a_drill_emits_its_metrics_as_emf_lines(stack: Any, admin: Any, capfd: pytest.CaptureFixture[str]) -> None:
    a, b = seed(stack, 2), seed(stack, 1)
    plan_id = plan(admin, [[group(admin, a)], [group(admin, b)]])
    capfd.readouterr()
    execution_id = start(admin, plan_id)
    assert wait_terminal(admin, execution_id)["status"] == "COMPLETED"
    status, _ = admin.post("/executions", {"planId": "no-such-plan", "executionType": "DRILL"})
    assert status == 404
    metrics = _emf(capfd.readouterr().out)

    def values(name: str, **dims: str) -> list[float]:
        return [v for n, d, v in metrics if n == name and all(d.get(k) == x for k, x in dims.items())]

    assert values("ExecutionsStarted", executionType="DRILL")
    assert values("ExecutionsEnded", executionType="DRILL", outcome="COMPLETED")
    assert values("ExecutionDuration", executionType="DRILL", outcome="COMPLETED")[-1] > 0
    assert 3.0 in values("ServersLaunched", executionType="DRILL")
    assert len(values("WaveDuration", executionType="DRILL", outcome="COMPLETED")) >= 2
    assert values("LaunchSettingsPath")
    assert values("TickDuration") and all(v >= 0 for v in values("TickDuration"))
    assert values("RequestsRefused", status="404")
    # low cardinality: every metric carries service; no dimension is an id
    assert all(d["service"] == "drs-orch" for _, d, _ in metrics)
    assert not [d for _, d, _ in metrics if any(UUID.search(str(v)) for v in d.values())]
    assert not [d for _, d, _ in metrics if set(d) - {"service", "executionType", "outcome", "path", "status",
                                                      "operation", "awsService", "kind", "how"}]
