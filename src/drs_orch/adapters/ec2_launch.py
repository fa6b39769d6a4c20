"""EC2 and IAM for launch settings, in one account and region: existence of subnets, security
groups, instance types and instance profiles, private IPs in use, and the EC2 launch templates DRS
launches from (default version read, new version written, default switched).

Every list goes through :func:`drs_orch.adapters.paging.pages` (boto3 paginators); filters are
sent in chunks of at most 200 values (the EC2 limit per filter).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from drs_orch.adapters.drs_launch import CallCounter, DrsLaunch, aws_error
from drs_orch.adapters.paging import Throttled, pages
from drs_orch.domain.errors import NotFound, UpstreamError
from drs_orch.domain.launch_rules import AddressUse, SubnetInfo, TemplateVersion

FILTER_CHUNK = 200


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    items = sorted(set(values))
    for start in range(0, len(items), FILTER_CHUNK):
        yield items[start : start + FILTER_CHUNK]


class Ec2Launch:
    def __init__(self, ec2_client: Any, iam_client: Any, counter: CallCounter | None = None) -> None:
        self._ec2 = ec2_client
        self._iam = iam_client
        self.calls = counter or CallCounter()

    def _pages(self, operation: str, label: str, *, page_size: int | None = None,
               **kwargs: Any) -> Iterator[dict[str, Any]]:
        """The shared paginated reader (resumes throttled listings), counting each page."""
        try:
            yield from pages(self._ec2, operation, token_key="NextToken", page_size=page_size,
                             on_page=lambda: self.calls.add(f"ec2:{label}"), **kwargs)
        except Throttled as exc:
            raise UpstreamError(f"EC2 {label}: {exc}", code="THROTTLED") from exc
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(exc, f"EC2 {label}") from exc

    # ------------------------------------------------------------------ validation lookups

    def subnets(self, subnet_ids: Iterable[str]) -> dict[str, SubnetInfo]:
        found: dict[str, SubnetInfo] = {}
        for chunk in _chunks(subnet_ids):
            filters = [{"Name": "subnet-id", "Values": chunk}]
            for page in self._pages("describe_subnets", "DescribeSubnets", Filters=filters):
                for s in page.get("Subnets", []):
                    found[s["SubnetId"]] = SubnetInfo(s["SubnetId"], s["VpcId"], s["CidrBlock"])
        return found

    def security_groups(self, group_ids: Iterable[str]) -> dict[str, str]:
        """Existing security groups -> their VPC id."""
        found: dict[str, str] = {}
        for chunk in _chunks(group_ids):
            filters = [{"Name": "group-id", "Values": chunk}]
            for page in self._pages("describe_security_groups", "DescribeSecurityGroups", Filters=filters):
                for g in page.get("SecurityGroups", []):
                    found[g["GroupId"]] = str(g.get("VpcId") or "")
        return found

    def instance_types(self, names: Iterable[str]) -> set[str]:
        """The instance types offered in this region among ``names``."""
        found: set[str] = set()
        for chunk in _chunks(names):
            filters = [{"Name": "instance-type", "Values": chunk}]
            for page in self._pages("describe_instance_types", "DescribeInstanceTypes", Filters=filters):
                found.update(t["InstanceType"] for t in page.get("InstanceTypes", []))
        return found

    def instance_profiles(self, names: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for name in sorted(set(names)):
            self.calls.add("iam:GetInstanceProfile")
            try:
                self._iam.get_instance_profile(InstanceProfileName=name)
            except (ClientError, BotoCoreError) as exc:
                error = aws_error(exc, f"IAM GetInstanceProfile {name}")
                if isinstance(error, NotFound):
                    continue
                raise error from exc
            found.add(name)
        return found

    def addresses_in_use(self, subnet_ids: Iterable[str], ips: Iterable[str]) -> dict[tuple[str, str], AddressUse]:
        """``(subnetId, ip) -> who uses it`` for the given IPs in the given subnets."""
        subnets = sorted(set(subnet_ids))
        wanted = set(ips)
        used: dict[tuple[str, str], AddressUse] = {}
        if not subnets or not wanted:
            return used
        for subnet_chunk in _chunks(subnets):
            for ip_chunk in _chunks(wanted):
                filters = [
                    {"Name": "subnet-id", "Values": subnet_chunk},
                    {"Name": "addresses.private-ip-address", "Values": ip_chunk},
                ]
                for page in self._pages(
                    "describe_network_interfaces", "DescribeNetworkInterfaces", Filters=filters
                ):
                    for eni in page.get("NetworkInterfaces", []):
                        addresses = {a.get("PrivateIpAddress") for a in eni.get("PrivateIpAddresses", [])}
                        addresses.add(eni.get("PrivateIpAddress"))
                        for ip in addresses & wanted:
                            used[(eni["SubnetId"], str(ip))] = AddressUse(
                                eni["NetworkInterfaceId"],
                                (eni.get("Attachment") or {}).get("InstanceId"),
                                str(eni.get("Description") or ""),
                            )
        return used

    # ------------------------------------------------------------------ launch templates

    def default_version(self, template_id: str) -> TemplateVersion:
        self.calls.add("ec2:DescribeLaunchTemplateVersions")
        try:
            out = self._ec2.describe_launch_template_versions(LaunchTemplateId=template_id, Versions=["$Default"])
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(exc, f"EC2 DescribeLaunchTemplateVersions of {template_id}") from exc
        versions = out.get("LaunchTemplateVersions") or []
        if not versions:
            raise NotFound(f"launch template {template_id} has no default version", code="AWS_RESOURCE_NOT_FOUND")
        return _version(versions[0])

    def default_versions(self) -> dict[str, TemplateVersion]:
        """The default version of every launch template of the account and region (one paginated
        listing instead of one call per template)."""
        found: dict[str, TemplateVersion] = {}
        for page in self._pages(
            "describe_launch_template_versions", "DescribeLaunchTemplateVersions", page_size=200,
            Versions=["$Default"],
        ):
            for v in page.get("LaunchTemplateVersions", []):
                found[v["LaunchTemplateId"]] = _version(v)
        return found

    def create_version(
        self, template_id: str, data: dict[str, Any], source_version: int | None, description: str
    ) -> int:
        kwargs: dict[str, Any] = {
            "LaunchTemplateId": template_id,
            "LaunchTemplateData": data,
            "VersionDescription": description[:255],
        }
        if source_version is not None:
            kwargs["SourceVersion"] = str(source_version)
        self.calls.add("ec2:CreateLaunchTemplateVersion")
        try:
            out = self._ec2.create_launch_template_version(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(exc, f"EC2 CreateLaunchTemplateVersion of {template_id}") from exc
        return int(out["LaunchTemplateVersion"]["VersionNumber"])

    def set_default_version(self, template_id: str, version: int) -> None:
        self.calls.add("ec2:ModifyLaunchTemplate")
        try:
            self._ec2.modify_launch_template(LaunchTemplateId=template_id, DefaultVersion=str(version))
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(exc, f"EC2 ModifyLaunchTemplate of {template_id}") from exc


def _version(raw: dict[str, Any]) -> TemplateVersion:
    return TemplateVersion(
        template_id=str(raw["LaunchTemplateId"]),
        version=int(raw["VersionNumber"]),
        data=dict(raw.get("LaunchTemplateData") or {}),
    )


class AwsLaunchGateway:
    """DRS, EC2 and IAM of one account and region, sharing one call counter."""

    def __init__(self, drs_client: Any, ec2_client: Any, iam_client: Any) -> None:
        self._counter = CallCounter()
        self._drs = DrsLaunch(drs_client, self._counter)
        self._ec2 = Ec2Launch(ec2_client, iam_client, self._counter)

    @property
    def drs(self) -> DrsLaunch:
        return self._drs

    @property
    def ec2(self) -> Ec2Launch:
        return self._ec2

    def call_counts(self) -> dict[str, int]:
        return self._counter.snapshot()
