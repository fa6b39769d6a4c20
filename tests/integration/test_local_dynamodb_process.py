"""The local stack's DynamoDB runs in a process of its own (drs_local/dynamodb_process.py): the
template's tables are there, as the template defines them, none is left in the stack's own moto, and
the process does not outlive the stack, even one that is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

from drs_local.template import TEMPLATE, load_template


def _template_tables() -> dict[str, dict[str, Any]]:
    """Table name on the local stack -> the template's properties of that table."""
    template = load_template(TEMPLATE)
    project = template["Parameters"]["ProjectName"]["Default"]
    return {v["Properties"]["TableName"]["Fn::Sub"].replace("${ProjectName}", project)
            .replace("${Environment}", "local"): v["Properties"]
            for v in template["Resources"].values() if v["Type"] == "AWS::DynamoDB::Table"}


def test_the_template_s_tables_are_served_by_the_dynamodb_process(stack: Any) -> None:
    served = stack.client("dynamodb")
    template = _template_tables()
    assert set(template) <= set(served.list_tables()["TableNames"])
    for name, props in template.items():
        table = served.describe_table(TableName=name)["Table"]
        assert table["KeySchema"] == props["KeySchema"]
        assert sorted(i["IndexName"] for i in table.get("GlobalSecondaryIndexes") or []) == sorted(
            i["IndexName"] for i in props.get("GlobalSecondaryIndexes") or [])
        ttl = served.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if props.get("TimeToLiveSpecification"):
            assert ttl["AttributeName"] == props["TimeToLiveSpecification"]["AttributeName"]
            assert ttl["TimeToLiveStatus"] == "ENABLED"
    # the stack's own moto keeps none: a client sent there by mistake fails instead of reading nothing
    assert stack.client("dynamodb", endpoint_url=stack.moto_url).list_tables()["TableNames"] == []


_PARENT = """
import sys, time
from drs_local.dynamodb_process import DynamoDbProcess
child = DynamoDbProcess.start()
print(child.process.pid, child.url, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie has exited; its parent (gone) did not reap it
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_dynamodb_process_ends_when_the_stack_s_process_is_killed() -> None:
    parent = subprocess.Popen([sys.executable, "-c", _PARENT], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        pid, url = parent.stdout.readline().split()
        assert _alive(int(pid))
        parent.send_signal(signal.SIGKILL)  # no stop(), no atexit: only its standard input closes
        parent.wait(timeout=30)
        deadline = time.monotonic() + 30
        while _alive(int(pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(int(pid)), f"the DynamoDB process {pid} ({url}) outlived the stack"
    finally:
        if parent.poll() is None:
            parent.kill()
