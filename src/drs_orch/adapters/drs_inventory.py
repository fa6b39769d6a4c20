"""What data management asks DRS and EC2 for, per account and region: source servers (existence,
tags, replication), tagging, active jobs and recovery instances (plan lint), and the EC2 tags of
source instances (tag sync). Reads go through the shared readers (paginators, backoff, region
errors); tagging maps failures the same way."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from drs_orch.adapters.clients import ClientFactory
from drs_orch.adapters.drs import DrsReader, region_error
from drs_orch.adapters.ec2 import Ec2Reader
from drs_orch.domain.accounts import AccountContext

Item = dict[str, Any]


class AwsDrsInventory:
    def __init__(self, clients: ClientFactory) -> None:
        self._clients = clients

    def _drs(self, ctx: AccountContext) -> DrsReader:
        return DrsReader(self._clients.get("drs", ctx), ctx)

    def source_servers(self, ctx: AccountContext, server_ids: Iterable[str] | None = None) -> list[Item]:
        return self._drs(ctx).source_servers(None if server_ids is None else list(server_ids))

    def tag(self, ctx: AccountContext, arn: str, tags: Mapping[str, str]) -> None:
        try:
            self._clients.get("drs", ctx).tag_resource(resourceArn=arn, tags=dict(tags))
        except (ClientError, BotoCoreError) as exc:
            raise region_error("drs", ctx, exc) from exc

    def untag(self, ctx: AccountContext, arn: str, keys: list[str]) -> None:
        try:
            self._clients.get("drs", ctx).untag_resource(resourceArn=arn, tagKeys=list(keys))
        except (ClientError, BotoCoreError) as exc:
            raise region_error("drs", ctx, exc) from exc

    def jobs(self, ctx: AccountContext) -> list[Item]:
        return self._drs(ctx).jobs()

    def recovery_instances(self, ctx: AccountContext) -> list[Item]:
        return self._drs(ctx).recovery_instances()

    def tags_by_instance(self, ctx: AccountContext, instance_ids: list[str]) -> dict[str, dict[str, str]]:
        """One DescribeInstances request per 200 instances (a filter, so gone instances are simply
        absent)."""
        if not instance_ids:
            return {}
        reader = Ec2Reader(self._clients.get("ec2", ctx), ctx)
        return {
            str(i["InstanceId"]): {str(t["Key"]): str(t.get("Value", "")) for t in i.get("Tags") or []}
            for i in reader.instances(instance_ids)
        }
