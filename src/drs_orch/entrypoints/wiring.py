"""Composition root: builds adapters and services from the environment, once per container.
Each use case area adds its own cached properties here."""

from __future__ import annotations

from functools import cache, cached_property

from drs_orch.adapters.aws import client
from drs_orch.adapters.clients import ClientFactory
from drs_orch.adapters.dynamodb import TargetAccountsTable
from drs_orch.adapters.health import AwsHealthProbe
from drs_orch.entrypoints.settings import Settings
from drs_orch.services.accounts import AccountDirectory


class Container:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def health_probe(self) -> AwsHealthProbe:
        return AwsHealthProbe(self.settings.region)

    @cached_property
    def clients(self) -> ClientFactory:
        return ClientFactory(self.settings.region)

    @cached_property
    def hub_account_id(self) -> str:
        return str(client("sts", region=self.settings.region).get_caller_identity()["Account"])

    @cached_property
    def accounts(self) -> AccountDirectory:
        return AccountDirectory(self.hub_account_id, TargetAccountsTable(self.settings.target_accounts_table))


@cache
def container() -> Container:
    return Container(Settings.from_env())
