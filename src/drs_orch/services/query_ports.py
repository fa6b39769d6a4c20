"""Ports of the read side: what the inventory, capacity, EC2 and realtime use cases need from AWS
and from the tables. Adapters in ``drs_orch.adapters`` implement them with boto3.

Readers raise :class:`drs_orch.domain.inventory.RegionUnavailable` when DRS/EC2 in their account
and region cannot answer (not initialised, access denied, unreachable, throttled), and
:class:`drs_orch.domain.errors.UpstreamError` for other AWS failures. Obtaining a reader for a
spoke account may raise ``UpstreamError`` (code ``ASSUME_ROLE_DENIED``...) naming the account.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.execution_records import ExecutionRecords
from drs_orch.domain.models import ProtectionGroup


class DrsReader(Protocol):
    calls: dict[str, int]

    def source_servers(self, server_ids: Sequence[str] | None = None) -> list[dict[str, Any]]: ...
    def jobs(self, job_ids: Sequence[str] | None = None) -> list[dict[str, Any]]: ...
    def recovery_instances(self, recovery_instance_ids: Sequence[str] | None = None) -> list[dict[str, Any]]: ...
    def staging_accounts(self) -> list[str]: ...
    def extensible_source_servers(self, staging_account_id: str) -> list[dict[str, Any]]: ...


class Ec2Reader(Protocol):
    calls: dict[str, int]

    def subnets(self, vpc_id: str | None = None) -> list[dict[str, Any]]: ...
    def security_groups(self, vpc_id: str | None = None) -> list[dict[str, Any]]: ...
    def instance_types(self, family: str | None = None) -> list[dict[str, Any]]: ...
    def instances(self, instance_ids: Sequence[str]) -> list[dict[str, Any]]: ...


class IamReader(Protocol):
    def instance_profiles(self) -> list[dict[str, Any]]: ...


class Readers(Protocol):
    """Readers for one account and region; each call may assume the account's role (cached)."""

    def drs(self, ctx: AccountContext) -> DrsReader: ...
    def ec2(self, ctx: AccountContext) -> Ec2Reader: ...
    def iam(self, ctx: AccountContext) -> IamReader: ...
    def check_access(self, ctx: AccountContext) -> None: ...


class GroupsByAccountRegion(Protocol):
    def groups_in(self, account_id: str, region: str) -> list[ProtectionGroup]: ...


class ExecutionRecordsReader(Protocol):
    def load(self, execution_id: str) -> ExecutionRecords | None:
        """Every record of the execution (META, waves, jobs, servers); None when it does not exist."""
        ...
