"""Operations resources of the template that moto's CloudFormation skips, created through their
own APIs from the same template properties: CloudWatch alarms (PutMetricAlarm), the SNS topic
policy (SetTopicAttributes) and S3 bucket policies (PutBucketPolicy). Logs Insights query definitions have no moto API at all: they are
reported as not modelled locally (cfn-lint and the template tests check them)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

NOT_MODELLED = {"AWS::Logs::QueryDefinition"}


class Resolver:
    """The intrinsic functions these resources use: Ref, Fn::Sub (string form), Fn::GetAtt of the
    attributes given in ``attributes`` (``{"ConsoleBucket.Arn": ...}``)."""

    def __init__(self, params: Mapping[str, str], physical: Mapping[str, str], account: str, region: str,
                 attributes: Mapping[str, str] | None = None) -> None:
        self._values = {**params, **physical, **(attributes or {}), "AWS::Partition": "aws", "AWS::Region": region,
                        "AWS::AccountId": account}

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self._values[value["Ref"]]
        if set(value) == {"Fn::GetAtt"}:
            target = value["Fn::GetAtt"]
            return self._values[".".join(target) if isinstance(target, list) else target]
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            return re.sub(r"\$\{([\w:.]+)\}", lambda m: str(self._values[m.group(1)]), value["Fn::Sub"])
        return {k: self(v) for k, v in value.items()}


def create(missing: Mapping[str, Any], resolve: Resolver, client: Callable[[str], Any]) -> tuple[list[str], list[str]]:
    created: list[str] = []
    not_modelled: list[str] = []
    for logical, res in missing.items():
        if res["Type"] not in ("AWS::CloudWatch::Alarm", "AWS::SNS::TopicPolicy", "AWS::S3::BucketPolicy", *NOT_MODELLED):
            continue
        props = resolve(res.get("Properties") or {})
        if res["Type"] == "AWS::CloudWatch::Alarm":
            client("cloudwatch").put_metric_alarm(**{k: v for k, v in props.items()})
            created.append(logical)
        elif res["Type"] == "AWS::SNS::TopicPolicy":
            for topic in props["Topics"]:
                client("sns").set_topic_attributes(TopicArn=topic, AttributeName="Policy",
                                                   AttributeValue=json.dumps(props["PolicyDocument"]))
            created.append(logical)
        elif res["Type"] == "AWS::S3::BucketPolicy":
            client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(props["PolicyDocument"]))
            created.append(logical)
        elif res["Type"] in NOT_MODELLED:
            not_modelled.append(logical)
    return created, not_modelled
