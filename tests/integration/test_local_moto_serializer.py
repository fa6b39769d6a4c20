"""The local stack's XML answers (drs_local/moto_speed.py, patches 11 and 12) are moto's: EC2's
descriptions of instances and images (whose creation dates go through one of moto's answer
transformers) read the same with and without the patches, and an element name xmltodict refuses
is still refused."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
import xmltodict
from moto.core.serialize import AttributePicker

from drs_local.stack import ACCESS_KEY, SECRET_KEY

pytestmark = pytest.mark.integration

REGION = "eu-north-1"  # a region no other test launches in


def _answers(ec2: Any, instance_ids: list[str], image_id: str) -> tuple[Any, ...]:
    instances = ec2.describe_instances(InstanceIds=instance_ids)["Reservations"]
    images = ec2.describe_images(ImageIds=[image_id])["Images"]
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": instance_ids}])["Tags"]
    return instances, images, tags


def test_ec2_answers_are_the_ones_moto_wrote(stack: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ec2 = _client(stack)
    image_id = ec2.describe_images()["Images"][0]["ImageId"]
    launched = ec2.run_instances(ImageId=image_id, MinCount=3, MaxCount=3, InstanceType="c5.large",
                                 TagSpecifications=[{"ResourceType": "instance",
                                                     "Tags": [{"Key": "Name", "Value": "serializer"}]}])
    ids = [i["InstanceId"] for i in launched["Instances"]]
    image = ec2.create_image(InstanceId=ids[0], Name="serializer-image")["ImageId"]

    patched = _answers(ec2, ids, image)
    monkeypatch.setattr(AttributePicker, "__call__", AttributePicker.unpatched_call)  # type: ignore[attr-defined]
    monkeypatch.setattr(xmltodict, "_validate_name", xmltodict._validate_name.unpatched)
    assert _answers(ec2, ids, image) == patched
    assert patched[1][0]["CreationDate"]  # written by moto's transformer for Image.CreationDate
    assert len(patched[0][0]["Instances"]) == 3


def test_an_element_name_xmltodict_refuses_is_refused_every_time(stack: Any) -> None:
    for _ in range(2):
        with pytest.raises(ValueError, match="whitespace"):
            xmltodict.unparse({"root": {"a b": "1"}})
    assert xmltodict.unparse({"root": {"ab": "1"}}).endswith("<root><ab>1</ab></root>")


def _client(stack: Any) -> Any:
    return boto3.client("ec2", region_name=REGION, endpoint_url=stack.moto_url,
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
