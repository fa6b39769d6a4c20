"""Configuration export/import over in-memory ports: the round trip into a truly empty store, dry
run versus real import, all-or-nothing, the earlier system's format."""

from __future__ import annotations

import copy

import pytest
from data_fakes import HUB, Db, FakeDrs, server, services

from drs_orch.domain.config_doc import parse_document
from drs_orch.domain.errors import Conflict, ValidationFailed

R = "us-east-1"
SPOKE = "111111111111"


def populated() -> tuple[object, FakeDrs]:
    drs = FakeDrs()
    s = services(Db(), drs)
    db_ids = drs.add(HUB, R, *[server({"Tier": "db"}) for _ in range(2)])
    web_ids = drs.add(HUB, R, *[server({"Tier": "web", "Env": "prod"}) for _ in range(3)])
    drs.add(SPOKE, R, server({"Tier": "db"}, server_id="s-11111111111111111"))
    s.accounts.create({"accountId": SPOKE, "accountName": "spoke", "externalId": "secret-ext-id",
                       "roleArn": f"arn:aws:iam::{SPOKE}:role/DRSOrchestrationRole"}, "t")
    db = s.groups.create({"groupName": "DB", "region": R, "sourceServerIds": db_ids,
                          "launchConfig": {"copyTags": True, "instanceType": "r5.large",
                                           "targetInstanceTypeRightSizingMethod": "NONE"},
                          "servers": {db_ids[0]: {"copyPrivateIp": True}}}, "t")
    web = s.groups.create({"groupName": "web", "region": R, "serverSelectionTags": {"Tier": "web"}}, "t")
    spoke = s.groups.create({"groupName": "Spoke DB", "region": R, "accountId": SPOKE,
                             "sourceServerIds": ["s-11111111111111111"]}, "t")
    s.plans.create({"planName": "Order DR", "description": "d", "waves": [
        {"waveNumber": 1, "waveName": "db", "protectionGroupIds": [db["groupId"]]},
        {"waveNumber": 2, "waveName": "web", "protectionGroupIds": [web["groupId"]], "pauseBeforeWave": True}]}, "t")
    s.plans.create({"planName": "Spoke", "waves": [{"waveNumber": 0, "waveName": "all",
                                                     "protectionGroupIds": [spoke["groupId"]]}]}, "t")
    assert set(web["sourceServerIds"]) == set(web_ids)
    return s, drs


def strip(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "exportedAt"}


def test_export_has_names_not_ids_and_no_secrets():
    s, _ = populated()
    doc = s.config.export()
    assert doc["schemaVersion"] == "2.1"
    assert [g["groupName"] for g in doc["protectionGroups"]] == ["DB", "Spoke DB", "web"]
    assert doc["recoveryPlans"][0]["waves"][1]["protectionGroupNames"] == ["web"]
    assert doc["protectionGroups"][2] == {"groupName": "web", "description": "", "region": R, "accountId": HUB,
                                          "serverSelectionTags": {"Tier": "web"}}
    assert "secret-ext-id" not in repr(doc) and "groupId" not in repr(doc)


def test_export_import_into_an_empty_store_export_gives_the_same_document():
    s, drs = populated()
    first = s.config.export()
    empty = services(Db(), drs)
    report = empty.config.import_config({"config": copy.deepcopy(first), "dryRun": False}, "importer")
    assert report["success"] and report["summary"]["protectionGroups"]["created"] == 3
    assert strip(empty.config.export()) == strip(first)
    # the imported account has no external id (exports carry none): it can be added afterwards
    assert not empty.db.accounts[SPOKE].get("externalId")


def test_dry_run_reports_exactly_what_the_import_then_does():
    s, drs = populated()
    doc = s.config.export()
    target = services(Db(), drs)
    target.accounts.create({"accountId": SPOKE, "roleArn": f"arn:aws:iam::{SPOKE}:role/DRSOrchestrationRole"}, "t")
    target.groups.create({"groupName": "db", "region": R, "sourceServerIds": [drs.fleet[(HUB, R)][0]["sourceServerID"],
                                                                             drs.fleet[(HUB, R)][1]["sourceServerID"]]}, "t")
    before = copy.deepcopy(target.db)
    dry = target.config.import_config({"config": doc, "dryRun": True, "mode": "skip"}, "i")
    assert target.db == before  # a dry run writes nothing
    real = target.config.import_config({"config": doc, "mode": "skip"}, "i")
    assert dry["dryRun"] and not real["dryRun"]
    for key in ("items", "summary", "created", "updated", "skipped", "failed", "success"):
        assert dry[key] == real[key], key
    assert real["summary"]["protectionGroups"] == {"created": 2, "updated": 0, "skipped": 1, "failed": 0}
    assert real["summary"]["targetAccounts"]["skipped"] == 1


def test_overwrite_mode_updates_by_name():
    s, drs = populated()
    doc = s.config.export()
    doc["protectionGroups"][0]["description"] = "changed"
    report = s.config.import_config({"config": doc, "mode": "overwrite"}, "i")
    assert report["summary"]["protectionGroups"]["updated"] == 3
    assert s.groups.groups.find_by_name("DB").description == "changed"
    assert s.db.accounts[SPOKE]["externalId"] == "secret-ext-id"  # overwriting keeps the secret


def test_any_failed_item_means_nothing_is_written():
    s, drs = populated()
    doc = s.config.export()
    doc["protectionGroups"].append({"groupName": "broken", "region": R, "sourceServerIds": ["s-99999999999999999"]})
    target = services(Db(), drs)
    before = copy.deepcopy(target.db)
    with pytest.raises(ValidationFailed) as err:
        target.config.import_config({"config": doc}, "i")
    assert err.value.code == "IMPORT_REJECTED" and target.db == before
    failed = {i["name"]: i for i in err.value.details["items"] if i["action"] == "failed"}
    assert set(failed) == {"broken"}
    assert failed["broken"]["reason"].startswith("1 source server(s) do not exist")


def test_servers_claimed_twice_in_one_document_and_plans_on_failed_groups_fail():
    s, drs = populated()
    doc = s.config.export()
    ids = doc["protectionGroups"][0]["sourceServerIds"]
    doc["protectionGroups"].append({"groupName": "copy", "region": R, "sourceServerIds": ids})
    doc["recoveryPlans"].append({"planName": "uses copy", "waves": [
        {"waveNumber": 1, "waveName": "w", "protectionGroupNames": ["copy"]}]})
    report = services(Db(), drs).config.import_config({"config": doc, "dryRun": True}, "i")
    failed = {i["name"]: i for i in report["items"] if i["action"] == "failed"}
    assert set(failed) == {"copy", "uses copy"}
    assert failed["uses copy"]["reason"].endswith("which failed to import")


def test_servers_in_active_executions_are_refused():
    s, drs = populated()
    doc = s.config.export()
    target = services(Db(), drs)
    target.executions.items.append({"executionId": "e-1", "status": "PAUSED", "accountId": HUB, "region": R,
                                    "protectionGroupIds": ["whatever"]})
    target.executions.servers["e-1"] = [doc["protectionGroups"][0]["sourceServerIds"][0]]
    target.db.groups["whatever"] = {"groupId": "whatever", "groupName": "old", "accountId": HUB, "region": R,
                                    "sourceServerIds": [], "version": 1}
    report = target.config.import_config({"config": doc, "dryRun": True}, "i")
    failed = [i for i in report["items"] if i["action"] == "failed"]
    assert [i["name"] for i in failed][:1] == ["DB"]
    assert "active executions" in failed[0]["reason"]


def test_a_write_refused_midway_is_rolled_back():
    s, drs = populated()
    doc = s.config.export()
    target = services(Db(), drs)
    real_commit = target.groups.groups.commit
    calls = {"n": 0}

    def flaky(write):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3 and write.item is not None:  # the third group write loses a race
            from drs_orch.services.data_ports import CommitConflict
            raise CommitConflict("SERVER", write.claim_servers[0])
        return real_commit(write)

    target.groups.groups.commit = flaky
    with pytest.raises(Conflict) as err:
        target.config.import_config({"config": doc}, "i")
    assert err.value.code == "IMPORT_ABORTED" and err.value.details["rollbackProblems"] == []
    assert target.db.groups == {} and target.db.plans == {} and target.db.accounts == {}
    assert not [k for k in target.db.guards if k.startswith("group-")]


def test_the_earlier_systems_export_is_read():
    drs = FakeDrs()
    ids = drs.add(HUB, R, *[server({"Tier": "app"}) for _ in range(2)])
    legacy = {
        "exportedAt": "2025-01-01T00:00:00Z", "sourceRegion": R, "sourceAccount": HUB,
        "protectionGroups": [
            {"groupName": "App", "description": "", "region": R, "accountId": HUB, "assumeRoleName": "x",
             "owner": "bob", "serverSelectionTags": {"Tier": "app"}, "sourceServerIds": ["s-00000000000000777"],
             "launchConfig": {"copyTags": True, "bootMode": "UEFI"},
             "servers": [{"sourceServerId": ids[0], "useGroupDefaults": True, "instanceName": "a",
                          "launchTemplate": {"copyPrivateIp": True, "bootMode": "UEFI"}}]},
        ],
        "recoveryPlans": [
            {"planName": "Legacy", "description": "", "accountId": HUB, "notificationEmail": "a@b.c",
             "waves": [{"waveNumber": 0, "waveName": "app", "protectionGroupName": "App",
                        "protectionGroupId": "old-id", "serverIds": ids, "pauseBeforeWave": False}]},
        ],
    }
    doc = parse_document(legacy)
    assert doc.schema == "legacy" and doc.groups[0].body["servers"] == {ids[0]: {"copyPrivateIp": True,
                                                                                 "useGroupDefaults": True}}
    s = services(Db(), drs)
    report = s.config.import_config(legacy, "i")  # a bare document, as the earlier system accepted
    assert report["success"] and report["schemaVersion"] == "legacy"
    group = s.groups.groups.find_by_name("App")
    assert group.source_server_ids == sorted(ids) and group.launch_config == {"copyTags": True}
    plan = s.plans.plans.find_by_name("Legacy")
    assert plan.waves[0].protection_group_ids == [group.group_id]
    warnings = {i["name"]: i.get("warnings") for i in report["items"]}
    assert any("assumeRoleName" in w for w in warnings["App"]) and any("notificationEmail" in w
                                                                       for w in warnings["Legacy"])
