"""The read-side readers for an account and region, built on the shared ClientFactory (so spoke
credentials come from its cached AssumeRole)."""

from __future__ import annotations

from drs_orch.adapters.clients import ClientFactory
from drs_orch.adapters.drs import DrsReader
from drs_orch.adapters.ec2 import Ec2Reader
from drs_orch.adapters.iam import IamReader
from drs_orch.domain.accounts import AccountContext


class AwsReaders:
    def __init__(self, clients: ClientFactory, drs_page_size: int | None = None) -> None:
        self._clients = clients
        self._drs_page_size = drs_page_size

    def drs(self, ctx: AccountContext) -> DrsReader:
        return DrsReader(self._clients.get("drs", ctx), ctx, page_size=self._drs_page_size)

    def ec2(self, ctx: AccountContext) -> Ec2Reader:
        return Ec2Reader(self._clients.get("ec2", ctx), ctx)

    def iam(self, ctx: AccountContext) -> IamReader:
        return IamReader(self._clients.get("iam", ctx), ctx)

    def check_access(self, ctx: AccountContext) -> None:
        """Raise (naming the account) when the account's role cannot be assumed."""
        self._clients.credentials(ctx)
