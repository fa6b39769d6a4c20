"""A group save whose launch settings do not fit the save's time budget answers at once with the
group ``applying`` (a ``background`` block: counts, what it waits for) and background runs (the
data-management function invoked asynchronously, ``apply_launch_configs`` with a continuation)
bring every server to ready with no further call (issue 15). The budgets are made tiny here, and
the chunks two servers, instead of seeding thousands of servers: the save applies one chunk, each
background run one more."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import pytest
from launch_support import REGION, Network, aws, network, seed, template_of, unique

from drs_local import moto_patches
from drs_orch.entrypoints.wiring import container

pytestmark = pytest.mark.integration

SETTINGS = {"copyTags": True, "launchDisposition": "STOPPED", "instanceType": "m5.large"}


@pytest.fixture(scope="module")
def net(stack: Any) -> Network:
    return network(stack)


@pytest.fixture
def tiny_budgets(stack: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    service = container().launch_settings
    monkeypatch.setattr(service, "options", dataclasses.replace(
        service.options, after_save_budget_seconds=0.0, background_budget_seconds=0.0, chunk_servers=2,
        background_chunk_servers=2, parallelism=2))
    yield


def _status(admin: Any, gid: str) -> dict[str, Any]:
    code, body = admin.get(f"/protection-groups/{gid}/launch-config-status")
    assert code == 200, body
    return dict(body)


def _until_settled(admin: Any, gid: str, seconds: float = 90.0) -> dict[str, Any]:
    """Reads the status (no apply call) until the background runs have settled it."""
    ends = time.monotonic() + seconds
    while True:
        body = _status(admin, gid)
        if body["status"] != "applying" or time.monotonic() > ends:
            return body
        time.sleep(0.2)


def _create(admin: Any, servers: list[str], settings: dict[str, Any]) -> dict[str, Any]:
    code, group = admin.post("/protection-groups", {"groupName": unique("bg"), "region": REGION,
                                                    "sourceServerIds": servers, "launchConfig": settings})
    assert code == 201, group
    return dict(group)


def test_a_save_that_does_not_fit_its_budget_continues_in_the_background(
        stack: Any, admin: Any, net: Network, tiny_budgets: None) -> None:
    servers = seed(stack, 7)
    group = _create(admin, servers, SETTINGS)
    answer = group["launchConfigStatus"]
    assert answer["status"] == "applying", answer
    background = answer["background"]
    assert background["runs"] == 0 and background["pendingServers"] == 5 and background["readyServers"] == 2
    assert background["failedServers"] == 0 and "background run 1" in background["waitingFor"]
    assert sorted(s for s, c in answer["serverConfigs"].items() if c["status"] == "ready") == sorted(servers)[:2]

    settled = _until_settled(admin, group["groupId"])
    assert settled["status"] == "ready", settled
    assert "background" not in settled and settled["outdatedServers"] == {}
    assert {c["status"] for c in settled["serverConfigs"].values()} == {"ready"}
    for sid in servers:  # applied in DRS and EC2, not only recorded
        config = aws(stack, "drs").get_launch_configuration(sourceServerID=sid)
        assert config["copyTags"] is True and config["launchDisposition"] == "STOPPED"
        assert template_of(stack, sid)[1]["InstanceType"] == "m5.large"


def test_a_second_save_while_the_background_runs_wins(stack: Any, admin: Any, invoke: Any, net: Network,
                                                      tiny_budgets: None) -> None:
    servers = seed(stack, 8)
    group = _create(admin, servers, SETTINGS)
    first = group["launchConfigStatus"]["background"]
    assert group["launchConfigStatus"]["status"] == "applying"
    code, second = admin.put(f"/protection-groups/{group['groupId']}",
                             {"version": group["version"], "launchConfig": {**SETTINGS, "instanceType": "c5.xlarge"}})
    assert code == 200, second
    taken = second["launchConfigStatus"]
    assert taken["status"] == "applying" and taken["background"]["applyId"] != first["applyId"], taken
    assert taken["background"]["settingsHash"] != first["settingsHash"]

    settled = _until_settled(admin, group["groupId"])
    assert settled["status"] == "ready", settled
    for sid in servers:  # the newer settings everywhere: the first save's runs stopped without overwriting
        assert template_of(stack, sid)[1]["InstanceType"] == "c5.xlarge", sid
        code, server = admin.get(f"/protection-groups/{group['groupId']}/servers/{sid}/launch-config")
        assert code == 200 and server["upToDate"] is True, server

    # a run of the first save arriving now stops and writes nothing
    before = _status(admin, group["groupId"])
    stale = invoke("data-management", "apply_launch_configs", path={"groupId": group["groupId"]},
                   body={"continuation": {"applyId": first["applyId"], "settingsHash": first["settingsHash"]}})
    assert stale["stopped"] == "SUPERSEDED" and stale["status"] == "ready", stale
    assert _status(admin, group["groupId"]) == before


def test_a_run_for_a_deleted_group_stops(stack: Any, admin: Any, invoke: Any, net: Network) -> None:
    servers = seed(stack, 1)
    group = _create(admin, servers, SETTINGS)
    assert admin.delete(f"/protection-groups/{group['groupId']}")[0] == 200
    gone = invoke("data-management", "apply_launch_configs", path={"groupId": group["groupId"]},
                  body={"continuation": {"applyId": "ab12", "settingsHash": "cd34"}})
    assert gone["error"] == "GROUP_NOT_FOUND", gone


def test_a_background_run_that_cannot_be_queued_leaves_the_save_successful_and_says_why(
        stack: Any, admin: Any, net: Network, tiny_budgets: None, monkeypatch: pytest.MonkeyPatch) -> None:
    servers = seed(stack, 5)
    moto_patches.refuse_async_invocations()
    try:
        group = _create(admin, servers, SETTINGS)
    finally:
        moto_patches.refuse_async_invocations(None)
    status = group["launchConfigStatus"]
    assert status["status"] == "pending" and "background" not in status, status
    assert any("could not be queued" in e and "apply again" in e for e in status["errors"]), status["errors"]
    stored = _status(admin, group["groupId"])
    assert stored["status"] == "pending" and len(stored["outdatedServers"]) == 3
    code, got = admin.get(f"/protection-groups/{group['groupId']}")
    assert code == 200 and got["sourceServerIds"] == group["sourceServerIds"]  # the group is saved whole

    service = container().launch_settings  # the caller applies by hand
    monkeypatch.setattr(service, "options", dataclasses.replace(service.options, save_budget_seconds=60.0,
                                                                chunk_servers=100))
    code, applied = admin.post(f"/protection-groups/{group['groupId']}/apply-launch-configs", {})
    assert code == 200 and applied["status"] == "ready", applied
