"""EC2 reads for one account and region (subnets, security groups, instance types, instances),
through boto3 paginators with backoff on throttling."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from drs_orch.adapters.drs import chunks, region_error
from drs_orch.adapters.paging import Sleep, Throttled, pages
from drs_orch.domain.accounts import AccountContext

# DescribeInstances accepts up to 200 values per filter; a filter (unlike InstanceIds) tolerates
# ids that no longer exist.
MAX_FILTER_VALUES = 200


def _name_tag(tags: Sequence[dict[str, Any]] | None) -> str | None:
    for tag in tags or []:
        if tag.get("Key") == "Name":
            return str(tag.get("Value"))
    return None


class Ec2Reader:
    def __init__(self, client: Any, ctx: AccountContext, *, sleep: Sleep = time.sleep) -> None:
        self._client = client
        self._ctx = ctx
        self._sleep = sleep
        self.calls: dict[str, int] = {}

    def _items(self, operation: str, result_key: str, **params: Any) -> list[dict[str, Any]]:
        name = "".join(part.capitalize() for part in operation.split("_"))

        def count() -> None:
            self.calls[name] = self.calls.get(name, 0) + 1

        out: list[dict[str, Any]] = []
        try:
            for page in pages(self._client, operation, token_key="NextToken", sleep=self._sleep, on_page=count,
                              **params):
                out.extend(page.get(result_key) or [])
        except (ClientError, BotoCoreError, Throttled) as exc:
            raise region_error("ec2", self._ctx, exc) from exc
        return out

    def subnets(self, vpc_id: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"Filters": [{"Name": "vpc-id", "Values": [vpc_id]}]} if vpc_id else {}
        return [
            {
                "subnetId": s.get("SubnetId"),
                "vpcId": s.get("VpcId"),
                "cidrBlock": s.get("CidrBlock"),
                "availabilityZone": s.get("AvailabilityZone"),
                "availableIpAddressCount": s.get("AvailableIpAddressCount"),
                "defaultForAz": s.get("DefaultForAz"),
                "name": _name_tag(s.get("Tags")),
            }
            for s in self._items("describe_subnets", "Subnets", **params)
        ]

    def security_groups(self, vpc_id: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"Filters": [{"Name": "vpc-id", "Values": [vpc_id]}]} if vpc_id else {}
        return [
            {
                "groupId": g.get("GroupId"),
                "groupName": g.get("GroupName"),
                "description": g.get("Description"),
                "vpcId": g.get("VpcId"),
                "name": _name_tag(g.get("Tags")),
            }
            for g in self._items("describe_security_groups", "SecurityGroups", **params)
        ]

    def instance_types(self, family: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = (
            {"Filters": [{"Name": "instance-type", "Values": [f"{family}.*"]}]} if family else {}
        )
        out = []
        for t in self._items("describe_instance_types", "InstanceTypes", **params):
            name = str(t.get("InstanceType"))
            if family and name.split(".", 1)[0] != family:
                continue
            out.append(
                {
                    "instanceType": name,
                    "family": name.split(".", 1)[0],
                    "vCpus": (t.get("VCpuInfo") or {}).get("DefaultVCpus"),
                    "memoryMiB": (t.get("MemoryInfo") or {}).get("SizeInMiB"),
                    "architectures": (t.get("ProcessorInfo") or {}).get("SupportedArchitectures"),
                    "currentGeneration": t.get("CurrentGeneration"),
                }
            )
        return out

    def instances(self, instance_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The instances among ``instance_ids`` (missing ones are left out); one request per page."""
        out: list[dict[str, Any]] = []
        for chunk in chunks(instance_ids, MAX_FILTER_VALUES):
            for reservation in self._items("describe_instances", "Reservations",
                                           Filters=[{"Name": "instance-id", "Values": chunk}]):
                out.extend(reservation.get("Instances") or [])
        return out

    def instances_not_terminated(self) -> list[dict[str, Any]]:
        """Every instance of the account-region that is not terminated (instance pair matching)."""
        out: list[dict[str, Any]] = []
        states = ["pending", "running", "stopping", "stopped"]
        for reservation in self._items("describe_instances", "Reservations",
                                       Filters=[{"Name": "instance-state-name", "Values": states}]):
            out.extend(reservation.get("Instances") or [])
        return out
