"""Property-based fuzz of the whole API from its own OpenAPI document (schemathesis), with an
admin token, against a local stack of its own (a `drs-orch up` process, so nothing it creates
reaches the other tests). For every generated request: no 5xx; every 4xx is ``{error, message}``;
a refused request that would write (POST/PUT/DELETE) leaves every DynamoDB table as it was.
Bounded by ``FUZZ_EXAMPLES`` per operation (default 8). Figures: FUZZ_REPORT=path writes them."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings

from own_stack import own_stack_process

pytestmark = pytest.mark.integration
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
WRITES = {"POST", "PUT", "DELETE", "PATCH"}
SEEN: Counter[str] = Counter()
STATUSES: Counter[int] = Counter()


@pytest.fixture(scope="module")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with own_stack_process(tmp_path_factory.mktemp("fuzz"), speed=600) as state:
        env = {**os.environ, "DRS_ORCH_STATE_DIR": state["stateDir"]}
        token = subprocess.run([sys.executable, "-m", "drs_orch.entrypoints.cli", "token", "--role",
                                "DRSOrchestrationAdmin"], capture_output=True, text=True, check=True,
                               env=env).stdout.strip()
        dynamo = boto3.client("dynamodb", endpoint_url=state["motoUrl"], region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        yield {**state, "token": token, "dynamo": dynamo, "session": requests.Session()}
    report = os.environ.get("FUZZ_REPORT")
    if report:
        Path(report).write_text(json.dumps({"requests": sum(SEEN.values()), "operations": len(SEEN),
                                            "statuses": dict(sorted(STATUSES.items())),
                                            "fiveHundreds": sum(n for s, n in STATUSES.items() if s >= 500)},
                                           indent=2))


@pytest.fixture(scope="module")
def api_schema(fuzz_stack: dict[str, Any]) -> Any:
    doc = requests.get(fuzz_stack["apiUrl"] + "/openapi.json", timeout=30).json()
    return schemathesis.openapi.from_dict(doc)


def _tables_digest(dynamo: Any) -> str:
    digest = hashlib.sha256()
    for name in sorted(dynamo.list_tables()["TableNames"]):
        if "-audit-" in name:  # a refused request is audited (issue 16): the trail is not state
            continue
        items = []
        for page in dynamo.get_paginator("scan").paginate(TableName=name):
            items.extend(json.dumps(i, sort_keys=True) for i in page["Items"])
        digest.update(name.encode())
        for item in sorted(items):
            digest.update(item.encode())
    return digest.hexdigest()


def test_no_5xx_typed_4xx_and_nothing_written_when_refused(api_schema: Any, fuzz_stack: dict[str, Any]) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 60
    for operation in operations:
        _fuzz(operation, fuzz_stack)
    assert len(SEEN) == len(operations)  # every operation was exercised


def _fuzz(operation: Any, fuzz_stack: dict[str, Any]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        writes = case.method.upper() in WRITES
        before = _tables_digest(fuzz_stack["dynamo"]) if writes else None
        try:
            response = case.call(base_url=fuzz_stack["apiUrl"], session=fuzz_stack["session"],
                                 headers={"Authorization": f"Bearer {fuzz_stack['token']}"}, timeout=60)
        except requests.RequestException as exc:
            raise AssertionError(f"{case.method} {case.formatted_path} query={case.query} body={case.body}: "
                                 f"no answer ({exc})") from None
        SEEN[operation.label] += 1
        STATUSES[response.status_code] += 1
        assert response.status_code < 500, (case.method, case.formatted_path, case.body, response.text[:500])
        if 400 <= response.status_code < 500:
            body = response.json()
            assert isinstance(body.get("error"), str) and isinstance(body.get("message"), str), body
            if writes:
                assert _tables_digest(fuzz_stack["dynamo"]) == before, (case.method, case.formatted_path, body)

    run()
