"""Composition root: builds adapters and services from the environment, once per container.
Each use case area adds its own cached properties here."""

from __future__ import annotations

import os
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

from drs_orch.entrypoints.settings import Settings
from drs_orch.services.clock import Clock, SystemClock

# Adapters and services are imported where they are built (cold start: a function imports only
# what its first request uses; boto3 and the pydantic models load with the first adapter).
if TYPE_CHECKING:
    from drs_orch.adapters.clients import ClientFactory
    from drs_orch.adapters.drill_instances import AwsDrillInstances
    from drs_orch.adapters.drs_inventory import AwsDrsInventory
    from drs_orch.adapters.dynamodb_accounts import DynamoAccountStore
    from drs_orch.adapters.dynamodb_executions_read import DynamoExecutionReader
    from drs_orch.adapters.dynamodb_groups import DynamoGroupStore
    from drs_orch.adapters.dynamodb_import import DynamoConfigWriter
    from drs_orch.adapters.dynamodb_instance_pairs import DynamoInstancePairs
    from drs_orch.adapters.dynamodb_plans import DynamoPlanStore
    from drs_orch.adapters.dynamodb_query import ExecutionRecordsReader, GroupsByAccountRegion
    from drs_orch.adapters.dynamodb_retention import DynamoRetentionIndex
    from drs_orch.adapters.health import AwsHealthProbe
    from drs_orch.adapters.readers import AwsReaders
    from drs_orch.adapters.sns_alerts import SnsAlerts
    from drs_orch.domain.accounts import AccountContext
    from drs_orch.services.accounts import AccountDirectory
    from drs_orch.services.audit import AuditTrail
    from drs_orch.services.config_io import ConfigService
    from drs_orch.services.drill_sweeper import DrillSweeper
    from drs_orch.services.engine.context import EngineDeps
    from drs_orch.services.engine.reconcile import Engine
    from drs_orch.services.engine.wake import Waker
    from drs_orch.services.failover import FailoverService
    from drs_orch.services.health import HealthService
    from drs_orch.services.housekeeping import Housekeeping
    from drs_orch.services.instance_pairs import InstancePairService
    from drs_orch.services.launch_settings import LaunchSettingsService
    from drs_orch.services.native_plans import NativePlanService
    from drs_orch.services.protection_groups import ProtectionGroupService
    from drs_orch.services.readiness import ReadinessService
    from drs_orch.services.recovery_plans import RecoveryPlanService
    from drs_orch.services.retention import RetentionService
    from drs_orch.services.staging_accounts import StagingAccountService
    from drs_orch.services.tag_sync import TagSyncService
    from drs_orch.services.target_accounts import TargetAccountService


class Container:
    """The composition root's product: adapters and services, built on first use. ``clock`` is the
    one Clock every use case reads; build it with :func:`bootstrap`."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()

    def run_in_background(self, function_arn: str, event: dict[str, Any]) -> None:
        """Queue ``event`` for an asynchronous invocation of ``function_arn``."""
        from drs_orch.adapters.lambda_invoke import invoke_async

        invoke_async(function_arn, self.settings.region, event)

    @cached_property
    def health_probe(self) -> AwsHealthProbe:
        from drs_orch.adapters.health import AwsHealthProbe

        return AwsHealthProbe(self.settings.region)

    @cached_property
    def health(self) -> HealthService:
        from drs_orch.services.health import HealthService

        self.health_probe.warm()
        return HealthService(self.health_probe, self.settings.table_names, self.settings.state_machine_arn)

    @cached_property
    def clients(self) -> ClientFactory:
        from drs_orch.adapters.clients import ClientFactory

        return ClientFactory(self.settings.region)

    @cached_property
    def hub_account_id(self) -> str:
        from drs_orch.adapters.aws import client

        return str(client("sts", region=self.settings.region).get_caller_identity()["Account"])

    @cached_property
    def accounts(self) -> AccountDirectory:
        from drs_orch.services.accounts import AccountDirectory

        return AccountDirectory(self.hub_account_id, self.account_store)

    # ------------------------------------------------------------------ query side (issue 6)
    @cached_property
    def readers(self) -> AwsReaders:
        from drs_orch.adapters.readers import AwsReaders

        return AwsReaders(self.clients)

    @cached_property
    def groups_by_account_region(self) -> GroupsByAccountRegion:
        from drs_orch.adapters.dynamodb_query import GroupsByAccountRegion

        return GroupsByAccountRegion(self.settings.protection_groups_table)

    @cached_property
    def execution_items(self) -> ExecutionRecordsReader:
        from drs_orch.adapters.dynamodb_query import ExecutionRecordsReader

        return ExecutionRecordsReader(self.settings.executions_table)

    # ------------------------------------------------------------------ launch settings (issue 7)
    @cached_property
    def launch_settings(self) -> LaunchSettingsService:
        from drs_orch.adapters.dynamodb_launch import GroupLaunchTable
        from drs_orch.adapters.ec2_launch import AwsLaunchGateway
        from drs_orch.services.launch_groups import LaunchOptions
        from drs_orch.services.launch_settings import LaunchSettingsService

        def gateway(ctx: AccountContext) -> AwsLaunchGateway:
            return AwsLaunchGateway(self.clients.get("drs", ctx), self.clients.get("ec2", ctx),
                                    self.clients.get("iam", ctx))

        def edit_guard(group_id: str) -> None:
            from drs_orch.services.group_members import refuse_if_running

            refuse_if_running(self.execution_reader, group_id, "change its launch settings")

        return LaunchSettingsService(
            GroupLaunchTable(self.settings.protection_groups_table), self.accounts, gateway,
            options=LaunchOptions.from_env(os.environ), clock=self.clock.now, edit_guard=edit_guard,
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
    def config_writer(self) -> DynamoConfigWriter:
        from drs_orch.adapters.dynamodb_import import DynamoConfigWriter

        return DynamoConfigWriter(self.group_store, self.plan_store, self.account_store)

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
        from drs_orch.services.protection_groups import ProtectionGroupService

        return ProtectionGroupService(
            self.group_store, self.plan_store, self.account_store, self.accounts, self.drs_inventory,
            self.execution_reader, now=self.clock.now,
            launch_settings=self.launch_settings,
        )

    @cached_property
    def recovery_plans(self) -> RecoveryPlanService:
        from drs_orch.adapters.sns import SnsNotifier
        from drs_orch.services.recovery_plans import RecoveryPlanService

        return RecoveryPlanService(self.plan_store, self.group_store, self.execution_reader, self.accounts,
                                   now=self.clock.now,
                                   subscriptions=SnsNotifier(self.settings.execution_topic_arn, self.settings.region),
                                   readiness=self.readiness)

    @cached_property
    def readiness(self) -> ReadinessService:
        from drs_orch.adapters.account_probe import AwsAccountProbe
        from drs_orch.adapters.dynamodb_readiness import DynamoReadinessStore
        from drs_orch.services.readiness import ReadinessService

        return ReadinessService(self.plan_store, self.group_store, self.execution_reader, self.accounts,
                                self.readers, AwsAccountProbe(self.settings.region),
                                DynamoReadinessStore(self.settings.executions_table), self.alerts,
                                now=self.clock.now, pairs=self.instance_pairs)

    @cached_property
    def native_plans(self) -> NativePlanService:
        from drs_orch.adapters.drs_native_plans import DrsNativePlans
        from drs_orch.services.native_plans import NativePlanService

        gateway = DrsNativePlans(lambda ctx: self.clients.get("drs", ctx))
        return NativePlanService(self.recovery_plans, self.protection_groups, self.group_store, self.plan_store,
                                 self.accounts, gateway)

    @cached_property
    def target_accounts(self) -> TargetAccountService:
        from drs_orch.adapters.account_probe import AwsAccountProbe
        from drs_orch.services.target_accounts import TargetAccountService

        return TargetAccountService(self.account_store, self.group_store, self.accounts,
                                    AwsAccountProbe(self.settings.region),
                                    now=self.clock.now, hub_region=self.settings.region)

    @cached_property
    def staging_accounts(self) -> StagingAccountService:
        from drs_orch.adapters.account_probe import AwsAccountProbe
        from drs_orch.adapters.drs_staging import AwsStagingGateway
        from drs_orch.services.staging_accounts import StagingAccountService

        probe = AwsAccountProbe(self.settings.region)
        return StagingAccountService(self.accounts, self.readers, probe, AwsStagingGateway(self.clients, probe),
                                     self.drs_regions)

    @cached_property
    def tag_sync(self) -> TagSyncService:
        from drs_orch.adapters.dynamodb_tagsync import DynamoTagSyncStore
        from drs_orch.adapters.events import EventBridgeSchedule
        from drs_orch.services.tag_sync import TagSyncService

        return TagSyncService(
            DynamoTagSyncStore(self.settings.tag_sync_table),
            EventBridgeSchedule(self.settings.tag_sync_rule_name, self.settings.region),
            self.accounts, self.account_store, self.group_store, self.drs_inventory, self.drs_inventory,
            now=self.clock.now, hub_region=self.settings.region,
        )

    @cached_property
    def config_io(self) -> ConfigService:
        from drs_orch.services.config_io import ConfigService

        return ConfigService(self.protection_groups, self.recovery_plans, self.target_accounts,
                             self.execution_reader, now=self.clock.now, hub_region=self.settings.region,
                             writer=self.config_writer)

    # ------------------------------------------------------------------ execution engine (issue 5)
    @cached_property
    def engine_deps(self) -> EngineDeps:
        from drs_orch.adapters.drs_jobs import DrsJobs, Ec2Instances, ScopeContexts
        from drs_orch.adapters.dynamodb_executions import DynamoExecutionStore
        from drs_orch.adapters.dynamodb_plans_reader import DynamoPlanReader
        from drs_orch.adapters.sns import SnsNotifier
        from drs_orch.adapters.stepfunctions import StepFunctionsStateMachine
        from drs_orch.services.engine.context import EngineDeps

        s = self.settings
        contexts = ScopeContexts(self.accounts.context_for)
        return EngineDeps(
            store=DynamoExecutionStore(s.executions_table, s.guards_table),
            plans=DynamoPlanReader(s.recovery_plans_table, s.protection_groups_table),
            drs=DrsJobs(self.clients, contexts),
            ec2=Ec2Instances(self.clients, contexts),
            sfn=StepFunctionsStateMachine(s.state_machine_arn, s.region),
            notifier=SnsNotifier(s.execution_topic_arn, s.region, s.console_url),
            hub_account_id=self.hub_account_id,
            clock=self.clock,
            preparer=self.launch_settings,
            alerts=self.alerts,
            drill_tagger=self.drill_instances,
            drill_ttl_hours=s.drill_ttl_hours,
            pairing=self.failover,
        )

    # ------------------------------------------------------------------ failover and failback (issue 14)
    @cached_property
    def instance_pair_store(self) -> DynamoInstancePairs:
        from drs_orch.adapters.dynamodb_instance_pairs import DynamoInstancePairs

        return DynamoInstancePairs(self.settings.executions_table)

    @cached_property
    def instance_pairs(self) -> InstancePairService:
        from drs_orch.adapters.drs_failover import clear_launch_into
        from drs_orch.domain.models import to_iso
        from drs_orch.services.instance_pairs import InstancePairService

        return InstancePairService(self.instance_pair_store, self.group_store, self.readers, self.accounts.context_for,
                                   self.launch_settings, self.hub_account_id, lambda: to_iso(self.clock.now()),
                                   lambda ctx, sid: clear_launch_into(self.clients.get("drs", ctx), sid))

    @cached_property
    def failover(self) -> FailoverService:
        from drs_orch.adapters.drs_failover import DrsFailover
        from drs_orch.adapters.drs_jobs import ScopeContexts
        from drs_orch.adapters.dynamodb_executions import DynamoExecutionStore
        from drs_orch.domain.models import to_iso
        from drs_orch.services.engine.start import start_execution
        from drs_orch.services.failover import FailoverService

        s = self.settings
        return FailoverService(self.instance_pair_store,
                               DrsFailover(self.clients, ScopeContexts(self.accounts.context_for)),
                               DynamoExecutionStore(s.executions_table, s.guards_table),
                               lambda body, actor: start_execution(self.engine_deps, body, actor),
                               lambda: to_iso(self.clock.now()))

    @cached_property
    def waker(self) -> Waker:
        """Event-driven wake-ups of the reconcile loop (issue 19): the execution store and the state
        machine only (``entrypoints/drs_events.py``)."""
        from drs_orch.adapters.dynamodb_executions import DynamoExecutionStore
        from drs_orch.adapters.stepfunctions import StepFunctionsStateMachine
        from drs_orch.services.engine.wake import Waker

        s = self.settings
        return Waker(DynamoExecutionStore(s.executions_table, s.guards_table),
                     StepFunctionsStateMachine(s.state_machine_arn, s.region))

    @cached_property
    def engine(self) -> Engine:
        from drs_orch.services.engine.reconcile import Engine

        return Engine(self.engine_deps)

    # ------------------------------------------------------------------ operations (issue 16)
    @cached_property
    def alerts(self) -> SnsAlerts:
        from drs_orch.adapters.sns_alerts import SnsAlerts

        return SnsAlerts(self.settings.alerts_topic_arn, self.settings.region, self.settings.console_url)

    @cached_property
    def retention(self) -> RetentionService:
        from datetime import UTC, datetime

        from drs_orch.services.engine.lifecycle import delete_executions
        from drs_orch.services.retention import RetentionService

        return RetentionService(self.retention_index,
                                lambda ids: delete_executions(self.engine_deps, ids),
                                now=lambda: datetime.now(UTC), retention_days=self.settings.execution_retention_days)

    @cached_property
    def retention_index(self) -> DynamoRetentionIndex:
        from drs_orch.adapters.dynamodb_retention import DynamoRetentionIndex

        return DynamoRetentionIndex(self.settings.executions_table)

    @cached_property
    def housekeeping(self) -> Housekeeping:
        from datetime import UTC, datetime

        from drs_orch.services.housekeeping import Housekeeping

        return Housekeeping(self.retention, self.engine_deps, self.retention_index.paused,
                            now=lambda: datetime.now(UTC), paused_alert_minutes=self.settings.paused_alert_minutes)

    @cached_property
    def drill_instances(self) -> AwsDrillInstances:
        from drs_orch.adapters.drill_instances import AwsDrillInstances
        from drs_orch.adapters.drs_jobs import DrsJobs, Ec2Instances, ScopeContexts

        contexts = ScopeContexts(self.accounts.context_for)
        return AwsDrillInstances(self.clients, contexts, DrsJobs(self.clients, contexts),
                                 Ec2Instances(self.clients, contexts))

    @cached_property
    def drill_sweeper(self) -> DrillSweeper:
        from datetime import UTC, datetime

        from drs_orch.services.drill_sweeper import DrillSweeper

        def scopes(since: str) -> set[str]:
            accounts = [self.hub_account_id] + [a.account_id for a in self.account_store.all()
                                                if a.account_id != self.hub_account_id]
            known = {f"{a}#{r}" for a in accounts for r in self.drs_regions}
            return known | self.retention_index.drill_scopes_since(since)

        return DrillSweeper(self.drill_instances, get_meta=self.engine_deps.store.get_meta, scopes=scopes,
                            alerts=self.alerts, now=lambda: datetime.now(UTC))

    @cached_property
    def audit(self) -> AuditTrail:
        from datetime import UTC, datetime

        from drs_orch.adapters.dynamodb_audit import DynamoAuditStore
        from drs_orch.services.audit import AuditTrail

        return AuditTrail(DynamoAuditStore(self.settings.audit_table), now=lambda: datetime.now(UTC),
                          retention_days=self.settings.audit_retention_days)


def bootstrap(settings: Settings | None = None, *, clock: Clock | None = None, **adapters: Any) -> Container:
    """The one place that wires the platform: settings from the environment unless given, the
    Clock, and any adapter or service replaced by name (``bootstrap(engine_deps=..., group_store=...)``
    for tests over in-memory stores). Unknown names are refused."""
    built = Container(settings or Settings.from_env(), clock)
    for name, value in adapters.items():
        if not isinstance(getattr(Container, name, None), cached_property):
            raise TypeError(f"bootstrap: {name!r} is not a component of the container")
        built.__dict__[name] = value  # takes the place of the cached_property's first build
    return built


@cache
def container() -> Container:
    """The Lambda runtime's container (one per process)."""
    return bootstrap()
