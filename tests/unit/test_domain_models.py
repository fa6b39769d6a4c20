from datetime import UTC, datetime, timedelta, timezone

import pytest

from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.models import (
    ProtectionGroup,
    ProtectionGroupInput,
    RecoveryPlan,
    RecoveryPlanInput,
    TargetAccount,
    TargetAccountInput,
    dump,
    parse,
    to_iso,
)

S1, S2, S3 = "s-0123456789abcdef0", "s-0123456789abcdef1", "s-0123456789ABCDEF2"
NOW = "2025-02-16T10:30:00.000Z"


def fields(err: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {d["field"]: d["message"] for d in err.value.details}


def pg(**extra):
    return {"groupName": "Web", "region": "us-east-1", "sourceServerIds": [S1], **extra}


# protection groups


def test_protection_group_input_explicit():
    model = parse(
        ProtectionGroupInput,
        pg(groupName="  Web tier ", sourceServerIds=[S1, S2, S1], accountId="111111111111"),
    )
    assert model.group_name == "Web tier"
    assert model.source_server_ids == [S1, S2]
    assert model.server_selection_tags is None
    assert dump(model) == {
        "groupName": "Web tier",
        "description": "",
        "region": "us-east-1",
        "accountId": "111111111111",
        "sourceServerIds": [S1, S2],
    }


def test_protection_group_input_accepts_snake_case_names():
    model = parse(ProtectionGroupInput, {"group_name": "g", "region": "eu-west-1", "source_server_ids": [S3]})
    assert model.source_server_ids == [S3]


def test_protection_group_input_tags():
    model = parse(
        ProtectionGroupInput,
        {"groupName": "g", "region": "us-west-2", "serverSelectionTags": {" Env ": " Prod ", "App": "web"}},
    )
    assert model.server_selection_tags == {"Env": "Prod", "App": "web"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"groupName": "g", "region": "us-east-1"}, "sourceServerIds"),
        (pg(serverSelectionTags={"a": "b"}), "serverSelectionTags"),
        (pg(serverSelectionTags=None, sourceServerIds=[]), "sourceServerIds"),
        (pg(groupName="   "), "groupName"),
        (pg(groupName="x" * 65), "groupName"),
        (pg(description="d" * 1001), "description"),
        (pg(region="us-east"), "region"),
        (pg(region="US-EAST-1"), "region"),
        (pg(accountId="12345678901"), "accountId"),
        (pg(accountId="١١١١١١١١١١١١"), "accountId"),
        (pg(sourceServerIds=["s-123"]), "sourceServerIds[0]"),
        (pg(sourceServerIds=[S1, "i-0123456789abcdef0"]), "sourceServerIds[1]"),
        (pg(version=-1), "version"),
        (pg(groupId="pg-1"), "groupId"),
        (pg(launchConfig={"instanceType": "huge"}), "launchConfig.instanceType"),
        (pg(launchConfig={"subnetId": "subnet-xyz"}), "launchConfig.subnetId"),
        (pg(launchConfig={"copyTags": "maybe"}), "launchConfig.copyTags"),
        (pg(servers={"nope": {}}), "servers.nope"),
        (pg(servers={S2: {}}), f"servers.{S2}"),
        (
            pg(launchConfig={"instanceType": "m5.large", "targetInstanceTypeRightSizingMethod": "BASIC"}),
            "launchConfig",
        ),
        (pg(servers={S1: {"staticPrivateIp": "10.0.0.9"}}), f"servers.{S1}"),
    ],
)
def test_protection_group_input_rejects(body, field):
    with pytest.raises(ValidationFailed) as err:
        parse(ProtectionGroupInput, body)
    assert err.value.code == "VALIDATION_ERROR"
    assert field in fields(err)


@pytest.mark.parametrize("region", ["us-east-1", "ap-southeast-5", "us-gov-west-1"])
def test_regions(region):
    assert parse(ProtectionGroupInput, pg(region=region)).region == region


@pytest.mark.parametrize("region", ["cn-north-1", "eusc-de-east-1", "aa-aa-1"])
def test_one_region_rule_refuses_regions_without_drs(region):
    with pytest.raises(ValidationFailed) as err:
        parse(ProtectionGroupInput, pg(region=region))
    assert "region" in fields(err)


def test_parse_lists_every_problem():
    with pytest.raises(ValidationFailed) as err:
        parse(ProtectionGroupInput, {"groupName": "", "region": "x", "sourceServerIds": ["bad"], "extra": 1})
    assert set(fields(err)) == {"groupName", "region", "sourceServerIds[0]", "extra"}
    assert "4 problem" in err.value.message


def test_parse_reports_every_launch_config_problem():
    with pytest.raises(ValidationFailed) as err:
        parse(
            ProtectionGroupInput,
            pg(
                sourceServerIds=[S1, S2],
                launchConfig={"subnetId": "subnet-0123456789abcdef0"},
                servers={
                    S1: {"staticPrivateIp": "10.0.0.9"},
                    S2: {"staticPrivateIp": "10.0.0.9", "copyPrivateIp": True},
                },
            ),
        )
    messages = [(d["field"], d["message"]) for d in err.value.details]
    assert (f"servers.{S2}", "copyPrivateIp must be false when staticPrivateIp is set") in messages
    assert sum(1 for f, m in messages if "also given to" in m) == 2


def test_parse_non_object():
    with pytest.raises(ValidationFailed) as err:
        parse(ProtectionGroupInput, ["not", "an", "object"])
    assert err.value.details[0]["field"] == ""


def test_protection_group_record_round_trip():
    record = {
        "groupId": "pg-1",
        "groupName": "Web",
        "description": "",
        "region": "us-east-1",
        "accountId": "111111111111",
        "sourceServerIds": [S1, S2],
        "serverSelectionTags": {"Env": "prod"},
        "resolvedAt": NOW,
        "launchConfig": {"instanceType": "m5.large", "copyTags": True},
        "servers": {S1: {"useGroupDefaults": True, "instanceType": "t3.micro"}},
        "launchConfigStatus": {"status": "pending", "serverConfigs": {}, "errors": []},
        "version": 3,
        "createdDate": NOW,
        "lastModifiedDate": "2025-02-16T11:00:00+00:00",
        "createdBy": "alice",
    }
    model = parse(ProtectionGroup, {**record, "legacyAttribute": 1})
    assert dump(model) == record
    assert model.is_tag_based
    assert model.effective_config_for(S1).instance_type == "t3.micro"
    assert model.effective_config_for(S2).instance_type == "m5.large"


def test_protection_group_record_rejects_bad_dates():
    with pytest.raises(ValidationFailed) as err:
        parse(
            ProtectionGroup,
            {
                "groupId": "pg",
                "groupName": "g",
                "region": "us-east-1",
                "createdDate": "tuesday",
                "lastModifiedDate": NOW,
            },
        )
    assert "createdDate" in fields(err)


# recovery plans


def test_recovery_plan_input_and_record():
    plan = parse(
        RecoveryPlanInput,
        {
            "planName": " DR ",
            "waves": [
                {"waveNumber": 2, "waveName": "App", "protectionGroupIds": ["pg-2"]},
                {"waveNumber": 1, "waveName": "DB", "protectionGroupId": "pg-1", "pauseBeforeWave": True},
            ],
        },
    )
    assert plan.plan_name == "DR"
    waves = plan.normalized_waves()
    assert [(w.wave_number, w.depends_on_waves) for w in waves] == [(1, []), (2, [1])]
    record = RecoveryPlan(
        plan_id="rp-1", plan_name=plan.plan_name, waves=waves, created_date=NOW, last_modified_date=NOW
    )
    again = parse(RecoveryPlan, dump(record))
    assert again == record
    assert dump(again)["waves"][0] == {
        "waveNumber": 1,
        "waveName": "DB",
        "protectionGroupIds": ["pg-1"],
        "dependsOnWaves": [],
        "independent": False,
        "pauseBeforeWave": True,
        "onServerFailure": "STOP",
    }


def test_recovery_plan_input_field_paths():
    with pytest.raises(ValidationFailed) as err:
        parse(
            RecoveryPlanInput,
            {"planName": "p", "waves": [{"waveNumber": 1}, {"waveNumber": "two", "waveName": "w"}]},
        )
    assert set(fields(err)) == {"waves[0].waveName", "waves[1].waveNumber"}


def test_recovery_plan_needs_waves_field():
    with pytest.raises(ValidationFailed) as err:
        parse(RecoveryPlanInput, {"planName": "p"})
    assert "waves" in fields(err)


# target accounts


def test_target_account_input():
    model = parse(
        TargetAccountInput,
        {
            "accountId": "111111111111",
            "accountName": "Prod",
            "roleArn": "arn:aws:iam::111111111111:role/DRSOrchestrationRole",
            "externalId": "drs-orchestration-cross-account",
            "stagingAccounts": [
                {
                    "accountId": "222222222222",
                    "roleArn": "arn:aws:iam::222222222222:role/path/DRSOrchestrationRole",
                }
            ],
        },
    )
    assert model.staging_accounts[0].account_id == "222222222222"
    record = parse(TargetAccount, {**dump(model), "createdDate": NOW, "createdBy": "alice"})
    assert record.role_arn == model.role_arn


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"accountId": "1111"}, "accountId"),
        ({"accountId": "111111111111", "roleArn": "arn:aws:iam::111111111111:user/bob"}, "roleArn"),
        ({"accountId": "111111111111", "roleArn": "arn:aws:iam::222222222222:role/R"}, "roleArn"),
        ({"accountId": "111111111111", "externalId": "x"}, "externalId"),
        (
            {
                "accountId": "111111111111",
                "stagingAccounts": [
                    {"accountId": "111111111111", "roleArn": "arn:aws:iam::111111111111:role/R"}
                ],
            },
            "stagingAccounts[0].accountId",
        ),
        (
            {
                "accountId": "111111111111",
                "stagingAccounts": [
                    {"accountId": "222222222222", "roleArn": "arn:aws:iam::333333333333:role/R"}
                ],
            },
            "stagingAccounts[0].roleArn",
        ),
        (
            {
                "accountId": "111111111111",
                "stagingAccounts": [
                    {"accountId": "222222222222", "roleArn": "arn:aws:iam::222222222222:role/R"},
                    {"accountId": "222222222222", "roleArn": "arn:aws:iam::222222222222:role/R"},
                ],
            },
            "stagingAccounts[1].accountId",
        ),
    ],
)
def test_target_account_input_rejects(body, field):
    with pytest.raises(ValidationFailed) as err:
        parse(TargetAccountInput, body)
    assert field in fields(err)


def test_target_account_reports_all_cross_field_problems():
    with pytest.raises(ValidationFailed) as err:
        parse(
            TargetAccountInput,
            {
                "accountId": "111111111111",
                "roleArn": "arn:aws:iam::999999999999:role/R",
                "stagingAccounts": [
                    {"accountId": "111111111111", "roleArn": "arn:aws:iam::111111111111:role/R"}
                ],
            },
        )
    assert set(fields(err)) == {"roleArn", "stagingAccounts[0].accountId"}


# time


def test_to_iso():
    assert to_iso(datetime(2025, 2, 16, 10, 30, tzinfo=UTC)) == NOW
    assert (
        to_iso(datetime(2025, 2, 16, 12, 30, 0, 123456, tzinfo=timezone(timedelta(hours=2))))
        == "2025-02-16T10:30:00.123Z"
    )
    with pytest.raises(ValueError):
        to_iso(datetime(2025, 2, 16))


def test_the_earlier_consoles_blank_role_arn_means_no_role() -> None:
    hub = parse(TargetAccountInput, {"accountId": "123456789012", "accountName": "hub", "roleArn": ""})
    assert hub.role_arn is None
    spoke = parse(TargetAccountInput, {"accountId": "111111111111", "roleArn": " ", "externalId": ""})
    assert spoke.role_arn is None and spoke.external_id is None
