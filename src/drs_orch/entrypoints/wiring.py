"""Composition root: builds adapters and services from the environment, once per container.
Each use case area adds its own cached properties here."""

from __future__ import annotations

import os
from functools import cache, cached_property
from typing import TYPE_CHECKING

from drs_orch.adapters.aws import client
from drs_orch.adapters.clients import ClientFactory
from drs_orch.adapters.dynamodb_query import ExecutionItemsReader, GroupsByAccountRegion
from drs_orch.adapters.health import AwsHealthProbe
from drs_orch.adapters.readers import AwsReaders
from drs_orch.domain.accounts import AccountContext
from drs_orch.entrypoints.settings import Settings
from drs_orch.services.accounts import AccountDirectory
from drs_orch.services.launch_settings import LaunchSettingsService

if TYPE_CHECKING:
    from drs_orch.adapters.drs_inventory import AwsDrsInventory
    from drs_orch.adapters.dynamodb_accounts import DynamoAccountStore
    from drs_orch.adapters.dynamodb_executions_read import DynamoExecutionReader
    from drs_orch.adapters.dynamodb_groups import DynamoGroupStore
    from drs_orch.adapters.dynamodb_plans import DynamoPlanStore
    from drs_orch.services.config_io import ConfigService
    from drs_orch.services.engine.context import EngineDeps
    from drs_orch.services.engine.reconcile import Engine
    from drs_orch.services.native_plans import NativePlanService
    from drs_orch.services.protection_groups import ProtectionGroupService
    from drs_orch.services.recovery_plans import RecoveryPlanService
    from drs_orch.services.tag_sync import TagSyncService
    from drs_orch.services.target_accounts import TargetAccountService


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
        return AccountDirectory(self.hub_account_id, self.account_store)

    # ------------------------------------------------------------------ query side (issue 6)
    @cached_property
    def readers(self) -> AwsReaders:
        return AwsReaders(self.clients)

    @cached_property
    def groups_by_account_region(self) -> GroupsByAccountRegion:
        return GroupsByAccountRegion(self.settings.protection_groups_table)

    @cached_property
    def execution_items(self) -> ExecutionItemsReader:
        return ExecutionItemsReader(self.settings.executions_table)

    # ------------------------------------------------------------------ launch settings (issue 7)
    @cached_property
    def launch_settings(self) -> LaunchSettingsService:
        from datetime import UTC, datetime

        from drs_orch.adapters.dynamodb_launch import GroupLaunchTable
        from drs_orch.adapters.ec2_launch import AwsLaunchGateway
        from drs_orch.services.launch_groups import LaunchOptions

        def gateway(ctx: AccountContext) -> AwsLaunchGateway:
            return AwsLaunchGateway(self.clients.get("drs", ctx), self.clients.get("ec2", ctx),
                                    self.clients.get("iam", ctx))

        def edit_guard(group_id: str) -> None:
            from drs_orch.services.group_members import refuse_if_running

            refuse_if_running(self.execution_reader, group_id, "change its launch settings")

        return LaunchSettingsService(
            GroupLaunchTable(self.settings.protection_groups_table), self.accounts, gateway,
            options=LaunchOptions.from_env(os.environ), clock=lambda: datetime.now(UTC), edit_guard=edit_guard,
        )

    @cached_property
    def drs_regions(self) -> tuple[str, ...]:
        """Regions the capacity views cover: DRS_REGIONS (comma-separated), else the hub's region."""
        raw = os.environ.get("DRS_REGIONS", "")
        regions = tuple(dict.fromkeys(r.strip() for r in raw.split(",") if r.strip()))
        return regions or (self.settings.region,)

    # ------------------------------------------------------------------ data management (issue 4)
    @cached_property
    def group_store(self) -> DynamoGroupStore:
        from drs_orch.adapters.dynamodb_groups import DynamoGroupStore

        return DynamoGroupStore(self.settings.protection_groups_table, self.settings.guards_table)

    @cached_property
    def plan_store(self) -> DynamoPlanStore:
        from drs_orch.adapters.dynamodb_plans import DynamoPlanStore

        return DynamoPlanStore(self.settings.recovery_plans_table, self.settings.guards_table,
                               self.settings.protection_groups_table)

    @cached_property
    def account_store(self) -> DynamoAccountStore:
        from drs_orch.adapters.dynamodb_accounts import DynamoAccountStore

        return DynamoAccountStore(self.settings.target_accounts_table)

    @cached_property
    def drs_inventory(self) -> AwsDrsInventory:
        from drs_orch.adapters.drs_inventory import AwsDrsInventory

        return AwsDrsInventory(self.clients)

    @cached_property
    def execution_reader(self) -> DynamoExecutionReader:
        from drs_orch.adapters.dynamodb_executions_read import DynamoExecutionReader

        return DynamoExecutionReader(self.settings.executions_table)

    @cached_property
    def protection_groups(self) -> ProtectionGroupService:
        from datetime import UTC, datetime

        from drs_orch.services.protection_groups import ProtectionGroupService

        return ProtectionGroupService(
            self.group_store, self.plan_store, self.account_store, self.accounts, self.drs_inventory,
            self.execution_reader, now=lambda: datetime.now(UTC),
            launch_settings=self.launch_settings,
        )

    @cached_property
    def recovery_plans(self) -> RecoveryPlanService:
        from datetime import UTC, datetime

        from drs_orch.services.recovery_plans import RecoveryPlanService

        return RecoveryPlanService(self.plan_store, self.group_store, self.execution_reader, self.accounts,
                                   now=lambda: datetime.now(UTC))

    @cached_property
    def native_plans(self) -> NativePlanService:
        from drs_orch.adapters.drs_native_plans import DrsNativePlans
        from drs_orch.services.native_plans import NativePlanService

        gateway = DrsNativePlans(lambda ctx: self.clients.get("drs", ctx))
        return NativePlanService(self.recovery_plans, self.protection_groups, self.group_store, self.plan_store,
                                 self.accounts, gateway)

    @cached_property
    def target_accounts(self) -> TargetAccountService:
        from datetime import UTC, datetime

        from drs_orch.adapters.account_probe import AwsAccountProbe
        from drs_orch.services.target_accounts import TargetAccountService

        return TargetAccountService(self.account_store, self.group_store, self.accounts,
                                    AwsAccountProbe(self.settings.region),
                                    now=lambda: datetime.now(UTC), hub_region=self.settings.region)

    @cached_property
    def tag_sync(self) -> TagSyncService:
        from datetime import UTC, datetime

        from drs_orch.adapters.dynamodb_tagsync import DynamoTagSyncStore
        from drs_orch.adapters.events import EventBridgeSchedule
        from drs_orch.services.tag_sync import TagSyncService

        return TagSyncService(
            DynamoTagSyncStore(self.settings.tag_sync_table),
            EventBridgeSchedule(self.settings.tag_sync_rule_name, self.settings.region),
            self.accounts, self.account_store, self.group_store, self.drs_inventory, self.drs_inventory,
            now=lambda: datetime.now(UTC), hub_region=self.settings.region,
        )

    @cached_property
    def config_io(self) -> ConfigService:
        from datetime import UTC, datetime

        from drs_orch.services.config_io import ConfigService

        return ConfigService(self.protection_groups, self.recovery_plans, self.target_accounts,
                             self.execution_reader, now=lambda: datetime.now(UTC), hub_region=self.settings.region)

    # ------------------------------------------------------------------ execution engine (issue 5)
    @cached_property
    def engine_deps(self) -> EngineDeps:
        from drs_orch.adapters.drs_jobs import DrsJobs, Ec2Instances, ScopeContexts
        from drs_orch.adapters.dynamodb_executions import DynamoExecutionStore
        from drs_orch.adapters.dynamodb_plans_reader import DynamoPlanReader
        from drs_orch.adapters.sns import SnsNotifier
        from drs_orch.adapters.stepfunctions import StepFunctionsStateMachine
        from drs_orch.services.engine.context import EngineDeps, SystemClock

        s = self.settings
        contexts = ScopeContexts(self.accounts.context_for)
        return EngineDeps(
            store=DynamoExecutionStore(s.executions_table, s.guards_table),
            plans=DynamoPlanReader(s.recovery_plans_table, s.protection_groups_table),
            drs=DrsJobs(self.clients, contexts),
            ec2=Ec2Instances(self.clients, contexts),
            sfn=StepFunctionsStateMachine(s.state_machine_arn, s.region),
            notifier=SnsNotifier(s.execution_topic_arn, s.region),
            hub_account_id=self.hub_account_id,
            clock=SystemClock(),
            preparer=self.launch_settings,
        )

    @cached_property
    def engine(self) -> Engine:
        from drs_orch.services.engine.reconcile import Engine

        return Engine(self.engine_deps)


@cache
def container() -> Container:
    return Container(Settings.from_env())
