"""Replication configuration (templates and per server), launch configuration template deletion,
launch actions and source networks through an unmodified boto3 client."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore import xform_name
from emu_support import HUB, KEYS, SPOKE, call, sid

from drs_emulator import Emulator
from drs_emulator.coverage import unexpected_errors


@pytest.fixture(autouse=True)
def _answers_only_modelled_errors(emu: Emulator) -> Iterator[None]:
    """Every error these tests provoke is one the model lists for the operation (or a documented
    exception, ``drs_emulator.coverage.UNMODELLED_ERRORS``)."""
    yield
    assert unexpected_errors(emu.calls()) == []


PIT = [
    {"ruleID": 1, "units": "MINUTE", "interval": 10, "retentionDuration": 60, "enabled": True},
    {"ruleID": 2, "units": "HOUR", "interval": 1, "retentionDuration": 24, "enabled": True},
    {"ruleID": 3, "units": "DAY", "interval": 1, "retentionDuration": 7, "enabled": True},
]


def _network_ids(ec2: Any) -> tuple[str, str, str]:
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]
    subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"][0]
    group = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])[
        "SecurityGroups"
    ][0]
    return vpc["VpcId"], subnet["SubnetId"], group["GroupId"]


def _rct(drs: Any, subnet: str, group: str, **extra: Any) -> dict:
    params = {
        "stagingAreaSubnetId": subnet,
        "replicationServersSecurityGroupsIDs": [group],
        "ebsEncryption": "DEFAULT",
        "bandwidthThrottling": 0,
        "stagingAreaTags": {"drs": "staging"},
        "pitPolicy": PIT,
    }
    return dict(drs.create_replication_configuration_template(**{**params, **extra}))


def test_replication_configuration_templates(drs: Any, ec2: Any, emu: Emulator) -> None:
    _, subnet, group = _network_ids(ec2)
    first = _rct(drs, subnet, group, tags={"team": "dr"})
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 201
    template_id = first["replicationConfigurationTemplateID"]
    assert template_id.startswith("rct-") and first["arn"].endswith(
        f":replication-configuration-template/{template_id}"
    )
    assert first["pitPolicy"] == PIT and first["stagingAreaTags"] == {"drs": "staging"}
    with pytest.raises(drs.exceptions.ValidationException) as exc:
        _rct(drs, "subnet-00000000000000000", group)
    assert exc.value.response["fieldList"][0]["name"] == "stagingAreaSubnetId"
    with pytest.raises(drs.exceptions.ValidationException) as exc:
        _rct(drs, subnet, group, ebsEncryption="CUSTOM")
    assert exc.value.response["fieldList"][0]["name"] == "ebsEncryptionKeyArn"
    status, _, body = call(  # the model: exactly 3 rules (boto3 refuses it client-side, the emulator too)
        emu,
        "CreateReplicationConfigurationTemplate",
        {
            "stagingAreaSubnetId": subnet, "replicationServersSecurityGroupsIDs": [], "ebsEncryption": "NONE",
            "bandwidthThrottling": 0, "stagingAreaTags": {}, "pitPolicy": PIT[:2],
        },
    )  # fmt: skip
    assert status == 400 and body["fieldList"][0]["name"] == "pitPolicy"
    second = _rct(drs, subnet, group)
    pages = list(
        drs.get_paginator("describe_replication_configuration_templates").paginate(
            PaginationConfig={"PageSize": 1}
        )
    )
    assert len(pages) == 2
    updated = drs.update_replication_configuration_template(
        replicationConfigurationTemplateID=template_id, bandwidthThrottling=100, createPublicIP=True
    )
    assert updated["bandwidthThrottling"] == 100 and updated["createPublicIP"] is True
    assert drs.list_tags_for_resource(resourceArn=first["arn"])["tags"] == {"team": "dr"}
    drs.delete_replication_configuration_template(
        replicationConfigurationTemplateID=second["replicationConfigurationTemplateID"]
    )
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.describe_replication_configuration_templates(
            replicationConfigurationTemplateIDs=[second["replicationConfigurationTemplateID"]]
        )
    with pytest.raises(drs.exceptions.ConflictException):  # the region still has source servers
        drs.delete_replication_configuration_template(replicationConfigurationTemplateID=template_id)
    third = _rct(drs, subnet, group)
    assert third["replicationConfigurationTemplateID"] != second["replicationConfigurationTemplateID"]


def test_replication_configuration_per_server(drs: Any, ec2: Any, emu: Emulator) -> None:
    _, subnet, group = _network_ids(ec2)
    _rct(drs, subnet, group, bandwidthThrottling=50)
    server_id = sid("db-01.example.internal")
    config = drs.get_replication_configuration(sourceServerID=server_id)
    assert config["bandwidthThrottling"] == 50 and config["name"] == "db-01.example.internal"
    disks = [d["deviceName"] for d in config["replicatedDisks"]]
    assert disks and config["replicatedDisks"][0]["isBootDisk"] is True
    updated = drs.update_replication_configuration(
        sourceServerID=server_id,
        bandwidthThrottling=10,
        replicatedDisks=[{"deviceName": disks[0], "isBootDisk": True, "stagingDiskType": "GP3"}],
    )
    assert updated["bandwidthThrottling"] == 10 and len(updated["replicatedDisks"]) == 1
    assert drs.get_replication_configuration(sourceServerID=server_id)["bandwidthThrottling"] == 10
    with pytest.raises(drs.exceptions.ValidationException):
        drs.update_replication_configuration(
            sourceServerID=server_id, replicatedDisks=[{"deviceName": "/dev/nope"}]
        )
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.get_replication_configuration(sourceServerID="s-" + "0" * 17)
    emu.update_server(server_id, replication_state="DISCONNECTED")
    with pytest.raises(drs.exceptions.ConflictException):
        drs.update_replication_configuration(sourceServerID=server_id, bandwidthThrottling=1)


def test_delete_launch_configuration_template(drs: Any) -> None:
    first = drs.create_launch_configuration_template(copyTags=True)["launchConfigurationTemplate"]
    second = drs.create_launch_configuration_template()["launchConfigurationTemplate"]
    drs.delete_launch_configuration_template(
        launchConfigurationTemplateID=second["launchConfigurationTemplateID"]
    )
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.delete_launch_configuration_template(
            launchConfigurationTemplateID=second["launchConfigurationTemplateID"]
        )
    with pytest.raises(drs.exceptions.ConflictException):
        drs.delete_launch_configuration_template(
            launchConfigurationTemplateID=first["launchConfigurationTemplateID"]
        )
    third = drs.create_launch_configuration_template()["launchConfigurationTemplate"]
    assert third["launchConfigurationTemplateID"] not in {
        first["launchConfigurationTemplateID"],
        second["launchConfigurationTemplateID"],
    }


def _action(resource_id: str, order: int, code: str = "AWS-RunShellScript", **extra: Any) -> dict:
    return {
        "resourceId": resource_id,
        "actionCode": code,
        "order": order,
        "actionId": str(uuid.uuid4()),
        "optional": True,
        "active": True,
        "name": f"action {order}",
        "actionVersion": "$DEFAULT",
        "category": "VALIDATION",
        "description": "post launch check",
        **extra,
    }


def test_launch_actions(drs: Any, emu: Emulator) -> None:
    server_id = sid("web-01.example.internal")
    put = drs.put_launch_action(**_action(server_id, 2, parameters={"p": {"value": "x", "type": "DYNAMIC"}}))
    assert put["type"] == "SSM_COMMAND" and put["resourceId"] == server_id
    automation = drs.put_launch_action(**_action(server_id, 3, code="AWSEC2-CloneInstanceAndUpgradeWindows"))
    assert automation["type"] == "SSM_AUTOMATION"
    with pytest.raises(drs.exceptions.ConflictException):  # order is unique per resource
        drs.put_launch_action(**_action(server_id, 2))
    replaced = drs.put_launch_action(
        **{**_action(server_id, 5), "actionId": put["actionId"], "active": False}
    )
    assert replaced["order"] == 5 and replaced["active"] is False
    pages = list(
        drs.get_paginator("list_launch_actions").paginate(
            resourceId=server_id, PaginationConfig={"PageSize": 1}
        )
    )
    assert [p["items"][0]["order"] for p in pages] == [3, 5]
    only = drs.list_launch_actions(resourceId=server_id, filters={"actionIds": [put["actionId"]]})["items"]
    assert [a["actionId"] for a in only] == [put["actionId"]]
    drs.delete_launch_action(resourceId=server_id, actionId=put["actionId"])
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.delete_launch_action(resourceId=server_id, actionId=put["actionId"])
    template = drs.create_launch_configuration_template()["launchConfigurationTemplate"]
    drs.put_launch_action(**_action(template["launchConfigurationTemplateID"], 2))
    assert len(drs.list_launch_actions(resourceId=template["launchConfigurationTemplateID"])["items"]) == 1
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.list_launch_actions(resourceId="lct-" + "0" * 17)
    status, _, body = call(emu, "PutLaunchAction", _action(server_id, 1))  # below the model's minimum of 2
    assert status == 400 and body["fieldList"][0]["name"] == "order"


def test_source_network_lifecycle(drs: Any, emu: Emulator, ec2: Any) -> None:
    source = boto3.client("ec2", region_name="us-west-2", **KEYS)
    vpc = source.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    source.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")
    source.create_subnet(VpcId=vpc, CidrBlock="10.20.2.0/24")
    network_id = drs.create_source_network(
        vpcID=vpc, originAccountID=HUB, originRegion="us-west-2", tags={"app": "orders"}
    )["sourceNetworkID"]
    assert network_id.startswith("sn-")
    with pytest.raises(drs.exceptions.ConflictException):
        drs.create_source_network(vpcID=vpc, originAccountID=HUB, originRegion="us-west-2")
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.create_source_network(
            vpcID="vpc-0123456789abcdef0", originAccountID=SPOKE, originRegion="us-west-2"
        )
    with pytest.raises(drs.exceptions.ConflictException):  # never replicated: no template yet
        drs.export_source_network_cfn_template(sourceNetworkID=network_id)
    with pytest.raises(drs.exceptions.ConflictException):
        drs.stop_source_network_replication(sourceNetworkID=network_id)
    started = drs.start_source_network_replication(sourceNetworkID=network_id)["sourceNetwork"]
    assert started["replicationStatus"] == "IN_PROGRESS" and started["sourceVpcID"] == vpc
    emu.advance(600)
    described = drs.describe_source_networks(filters={"sourceNetworkIDs": [network_id]})["items"][0]
    assert described["replicationStatus"] == "PROTECTED" and described["tags"] == {"app": "orders"}
    assert drs.describe_source_networks(filters={"originRegion": "eu-west-1"})["items"] == []
    url = drs.export_source_network_cfn_template(sourceNetworkID=network_id)["s3DestinationUrl"]
    bucket, _, key = url.removeprefix("s3://").partition("/")
    template = json.loads(
        boto3.client("s3", region_name="us-east-1", **KEYS).get_object(Bucket=bucket, Key=key)["Body"].read()
    )
    cidrs = sorted(r["Properties"]["CidrBlock"] for r in template["Resources"].values())
    assert cidrs == ["10.20.0.0/16", "10.20.1.0/24", "10.20.2.0/24"]

    job = drs.start_source_network_recovery(
        sourceNetworks=[{"sourceNetworkID": network_id, "cfnStackName": "orders-net"}], tags={"k": "v"}
    )["job"]
    assert job["initiatedBy"] == "CREATE_NETWORK_RECOVERY" and job["status"] == "PENDING"
    assert job["participatingResources"] == [
        {"participatingResourceID": {"sourceNetworkID": network_id}, "launchStatus": "PENDING"}
    ]
    with pytest.raises(drs.exceptions.ConflictException):  # already in an active job
        drs.associate_source_network_stack(sourceNetworkID=network_id, cfnStackName="orders-net")
    emu.advance(60)
    done = drs.describe_jobs(filters={"jobIDs": [job["jobID"]]})["items"][0]
    assert done["status"] == "COMPLETED" and done["participatingResources"][0]["launchStatus"] == "LAUNCHED"
    network = drs.describe_source_networks()["items"][0]
    assert (
        network["cfnStackName"] == "orders-net" and network["lastRecovery"]["lastRecoveryResult"] == "SUCCESS"
    )
    launched = network["launchedVpcID"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [launched]}])["Subnets"]
    assert sorted(s["CidrBlock"] for s in subnets) == ["10.20.1.0/24", "10.20.2.0/24"]

    again = drs.start_source_network_recovery(sourceNetworks=[{"sourceNetworkID": network_id}])["job"]
    assert again["initiatedBy"] == "UPDATE_NETWORK_RECOVERY"
    emu.advance(60)
    fresh = drs.start_source_network_recovery(
        sourceNetworks=[{"sourceNetworkID": network_id, "cfnStackName": "orders-net-2"}], deployAsNew=True
    )["job"]
    emu.advance(60)
    assert fresh["initiatedBy"] == "CREATE_NETWORK_RECOVERY"
    assert drs.describe_source_networks()["items"][0]["launchedVpcID"] != launched
    associated = drs.associate_source_network_stack(sourceNetworkID=network_id, cfnStackName="orders-net")[
        "job"
    ]
    assert associated["initiatedBy"] == "ASSOCIATE_NETWORK_RECOVERY"
    emu.advance(60)
    network = drs.describe_source_networks()["items"][0]
    assert (
        network["launchedVpcID"] == launched
        and network["lastRecovery"]["lastRecoveryResult"] == "ASSOCIATE_SUCCESS"
    )
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.associate_source_network_stack(sourceNetworkID=network_id, cfnStackName="never-deployed")

    with pytest.raises(drs.exceptions.ConflictException):  # replication still running
        drs.delete_source_network(sourceNetworkID=network_id)
    stopped = drs.stop_source_network_replication(sourceNetworkID=network_id)["sourceNetwork"]
    assert stopped["replicationStatus"] == "STOPPED"
    drs.delete_source_network(sourceNetworkID=network_id)
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.start_source_network_replication(sourceNetworkID=network_id)


def _taggable(drs: Any, emu: Emulator, ec2: Any) -> dict[str, str]:
    """One ARN of every taggable resource kind of the model."""
    _, subnet, group = _network_ids(ec2)
    server_id = sid("web-01.example.internal")
    job = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}], isDrill=True)["job"]
    emu.advance(3600)
    instance = drs.describe_recovery_instances(filters={"sourceServerIDs": [server_id]})["items"][0]
    plan = drs.create_recovery_plan(name="tagged")["recoveryPlan"]["recoveryPlanArn"]
    drs.create_recovery_plan_step(
        recoveryPlanArn=plan,
        stepName="s",
        configuration={
            "serverStepConfiguration": {
                "servers": [{"serverArn": f"arn:aws:drs:us-east-1:{HUB}:source-server/{server_id}"}]
            }
        },
    )
    execution = drs.start_recovery_plan_execution(recoveryPlanArn=plan, mode="DRILL")["recoveryPlanExecution"]
    network = drs.create_source_network(
        vpcID=_network_ids(ec2)[0], originAccountID=HUB, originRegion="us-east-1"
    )
    return {
        "source-server": f"arn:aws:drs:us-east-1:{HUB}:source-server/{server_id}",
        "job": job["arn"],
        "recovery-instance": instance["arn"],
        "launch-configuration-template": drs.create_launch_configuration_template()[
            "launchConfigurationTemplate"
        ]["arn"],
        "replication-configuration-template": _rct(drs, subnet, group)["arn"],
        "source-network": f"arn:aws:drs:us-east-1:{HUB}:source-network/{network['sourceNetworkID']}",
        "recovery-plan": plan,
        "recovery-plan-execution": execution["recoveryPlanExecutionArn"],
    }


def test_every_taggable_resource_is_tagged_by_arn(drs: Any, emu: Emulator, ec2: Any, make_drs: Any) -> None:
    from drs_emulator.wire import service_model

    arns = _taggable(drs, emu, ec2)
    model = service_model()
    tagged_shapes = {
        name
        for name in model.shape_names
        if model.shape_for(name).type_name == "structure"
        and "tags" in model.shape_for(name).members
        and ("arn" in model.shape_for(name).members or name in ("RecoveryPlan", "RecoveryPlanExecution"))
    }
    # every model resource that carries both an ARN and tags is among the kinds exercised here
    assert {"SourceServer", "Job", "RecoveryInstance", "LaunchConfigurationTemplate",
            "ReplicationConfigurationTemplate", "SourceNetwork", "RecoveryPlan", "RecoveryPlanExecution"} <= tagged_shapes  # fmt: skip
    for kind, arn in arns.items():
        assert f":{HUB}:{kind}/" in arn, arn
        drs.tag_resource(resourceArn=arn, tags={"k1": "v1", "k2": "v2"})
        drs.untag_resource(resourceArn=arn, tagKeys=["k2"])
        assert drs.list_tags_for_resource(resourceArn=arn)["tags"].get("k1") == "v1", kind
        assert "k2" not in drs.list_tags_for_resource(resourceArn=arn)["tags"], kind
    west = make_drs(region="us-west-2")
    with pytest.raises(west.exceptions.ResourceNotFoundException):  # ARNs are per region
        west.list_tags_for_resource(resourceArn=arns["recovery-plan"].replace("us-east-1", "us-west-2"))


def test_resources_belong_to_the_callers_account_and_region(make_drs: Any, drs: Any, ec2: Any) -> None:
    from emu_support import assume

    spoke = make_drs(credentials=assume(SPOKE))
    plan = spoke.create_recovery_plan(name="spoke-plan")["recoveryPlan"]["recoveryPlanArn"]
    assert plan.startswith(f"arn:aws:drs:us-east-1:{SPOKE}:recovery-plan/rp-")
    assert drs.list_recovery_plans()["recoveryPlans"] == []
    with pytest.raises(drs.exceptions.AccessDeniedException):
        drs.list_tags_for_resource(resourceArn=plan)
    template = spoke.create_launch_configuration_template()["launchConfigurationTemplate"]
    assert f":{SPOKE}:launch-configuration-template/" in template["arn"]


def test_uninitialized_region_answers_uninitialized_for_the_new_operations(make_drs: Any) -> None:
    far = make_drs(region="eu-central-1")
    for call_ in (
        lambda: far.list_recovery_plans(),
        lambda: far.describe_source_networks(),
        lambda: far.describe_replication_configuration_templates(),
        lambda: far.create_recovery_plan(name="x"),
    ):
        with pytest.raises(far.exceptions.UninitializedAccountException):
            call_()
    far.initialize_service()
    assert far.list_recovery_plans()["recoveryPlans"] == []


def test_quota_and_unknown_ids_answer_their_documented_errors(drs: Any, emu: Emulator, ec2: Any) -> None:
    emu.quotas.max_launch_actions_per_resource = 1
    server_id = sid("app-01.example.internal")
    drs.put_launch_action(**_action(server_id, 2))
    with pytest.raises(drs.exceptions.ServiceQuotaExceededException):
        drs.put_launch_action(**_action(server_id, 3))
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.start_source_network_recovery(sourceNetworks=[{"sourceNetworkID": "sn-" + "0" * 17}])
    emu.quotas.max_source_networks = 0
    with pytest.raises(drs.exceptions.ServiceQuotaExceededException):
        drs.create_source_network(vpcID=_network_ids(ec2)[0], originAccountID=HUB, originRegion="us-east-1")


def test_every_new_paginator_pages_one_item_at_a_time(drs: Any, emu: Emulator, ec2: Any) -> None:
    vpc, subnet, group = _network_ids(ec2)
    server_id = sid("db-01.example.internal")
    for n in range(2):
        _rct(drs, subnet, group)
        drs.put_launch_action(**_action(server_id, n + 2))
        source = boto3.client("ec2", region_name="us-west-2", **KEYS).create_vpc(CidrBlock=f"10.{n}.0.0/16")
        drs.create_source_network(vpcID=source["Vpc"]["VpcId"], originAccountID=HUB, originRegion="us-west-2")
    plan = drs.create_recovery_plan(name="paged")["recoveryPlan"]["recoveryPlanArn"]
    for host in ("web-01.example.internal", "web-02.example.internal"):
        drs.create_recovery_plan_step(
            recoveryPlanArn=plan,
            stepName=host.split(".")[0],
            configuration={
                "serverStepConfiguration": {
                    "servers": [{"serverArn": f"arn:aws:drs:us-east-1:{HUB}:source-server/{sid(host)}"}]
                }
            },
        )
    drs.create_recovery_plan(name="paged-2")
    first = drs.start_recovery_plan_execution(recoveryPlanArn=plan, mode="DRILL")["recoveryPlanExecution"]
    emu.advance(7200)
    drs.start_recovery_plan_execution(recoveryPlanArn=plan, mode="DRILL")
    cases = {
        "describe_replication_configuration_templates": ({}, "items"),
        "describe_source_networks": ({}, "items"),
        "list_launch_actions": ({"resourceId": server_id}, "items"),
        "list_recovery_plans": ({}, "recoveryPlans"),
        "list_recovery_plan_steps": ({"recoveryPlanArn": plan}, "recoveryPlanSteps"),
        "list_recovery_plan_executions": ({"recoveryPlanArn": plan}, "recoveryPlanExecutions"),
        "list_recovery_plan_execution_steps": (
            {"recoveryPlanExecutionArn": first["recoveryPlanExecutionArn"]},
            "recoveryPlanExecutionSteps",
        ),
    }
    paginated = {
        xform_name(n) for n in drs.meta.service_model.operation_names if drs.can_paginate(xform_name(n))
    }
    earlier = {"describe_job_log_items", "describe_jobs", "describe_recovery_instances", "describe_recovery_snapshots",
               "describe_source_servers", "list_extensible_source_servers", "list_staging_accounts",
               "describe_launch_configuration_templates"}  # fmt: skip
    assert paginated - earlier == set(cases)
    for method, (params, key) in cases.items():
        pages = list(drs.get_paginator(method).paginate(PaginationConfig={"PageSize": 1}, **params))
        items = [item for page in pages for item in page[key]]
        assert len(items) == 2 and len(pages) == 2, method
        whole = drs.get_paginator(method).paginate(**params).build_full_result()[key]
        assert whole == items, method


def test_post_launch_actions_run_after_a_launch(drs: Any, emu: Emulator) -> None:
    web, other = sid("web-01.example.internal"), sid("web-02.example.internal")
    first = drs.put_launch_action(**_action(web, 2))
    second = drs.put_launch_action(**_action(web, 4, code="AWSEC2-CheckPerformance"))
    drs.put_launch_action(**_action(web, 3, active=False))
    drs.put_launch_action(**_action(other, 2))
    drs.update_launch_configuration(sourceServerID=web, postLaunchEnabled=True)
    emu.update_server(web, launch={"durationSeconds": 100})
    emu.update_server(other, launch={"durationSeconds": 100})
    job_id = drs.start_recovery(
        sourceServers=[{"sourceServerID": web}, {"sourceServerID": other}], isDrill=True
    )["job"]["jobID"]

    def status() -> dict[str, Any]:
        job = drs.describe_jobs(filters={"jobIDs": [job_id]})["items"][0]
        return {p["sourceServerID"]: p.get("launchActionsStatus") for p in job["participatingServers"]}

    emu.advance(150)  # launched at +110 s, the SSM agent not seen yet
    assert status() == {web: {"runs": []}, other: None}
    emu.advance(50)  # +200 s: the first active action runs
    runs = status()[web]["runs"]
    assert [(r["action"]["actionId"], r["status"]) for r in runs] == [(first["actionId"], "IN_PROGRESS")]
    emu.advance(100)  # +300 s: the first succeeded, the next active one (order 4) runs
    runs = status()[web]["runs"]
    assert [(r["action"]["actionId"], r["status"]) for r in runs] == [
        (first["actionId"], "SUCCEEDED"),
        (second["actionId"], "IN_PROGRESS"),
    ]
    assert runs[1]["action"]["type"] == "SSM_AUTOMATION"
    emu.advance(600)
    final = status()[web]
    assert [r["status"] for r in final["runs"]] == ["SUCCEEDED", "SUCCEEDED"]
    assert final["ssmAgentDiscoveryDatetime"] and len({r["runId"] for r in final["runs"]}) == 2
