"""The API contract: for every operation of the route table, its request body model, its query
parameter model and its response model. ``GET /openapi.json`` is generated from it, the dispatcher
checks query parameters with it, and the contract test checks every answer against it (a handler
that answers with something its response model does not describe fails the test).

Kept beside the route table, keyed by operation; ``tests/foundation/test_contract.py`` checks that
both name the same operations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model
from pydantic.alias_generators import to_camel

from drs_orch.domain import failover as fd
from drs_orch.domain import requests as rq
from drs_orch.domain.data_models import ImportRequest, TagSyncRunInput, TagSyncSettingsInput
from drs_orch.domain.execution_snapshot import StartExecutionInput
from drs_orch.domain.models import ProtectionGroupInput, RecoveryPlanInput, TargetAccountInput
from drs_orch.entrypoints.contract import accounts, config, groups, operations, plans, readiness, system
from drs_orch.entrypoints.contract import executions as ex
from drs_orch.entrypoints.contract import failover as fo
from drs_orch.entrypoints.contract import inventory as inv
from drs_orch.entrypoints.contract import queries as q
from drs_orch.entrypoints.contract.base import ErrorBody
from drs_orch.services.native_plans import ExportRequest as NativeExportRequest
from drs_orch.services.native_plans import ImportRequest as NativeImportRequest


@dataclass(frozen=True)
class Contract:
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: Any  # a model class, or a union of them

    @property
    def response_adapter(self) -> TypeAdapter[Any]:
        return _adapter(self.response)


_ADAPTERS: dict[int, TypeAdapter[Any]] = {}


def _adapter(tp: Any) -> TypeAdapter[Any]:
    key = id(tp)
    if key not in _ADAPTERS:
        _ADAPTERS[key] = TypeAdapter(tp)
    return _ADAPTERS[key]


_ECHOED = ("groupId", "planId", "createdDate", "createdBy", "lastModifiedDate", "lastModifiedBy", "createdAt",
           "lastModifiedAt", "selectionMode", "serverCount", "waveCount", "totalServers", "region",
           "effectiveOrder", "schemaVersion", "launchConfigStatus", "recoveryPlans", "resolvedAt",
           "hasExternalId", "isHub", "notificationSubscriptionArn", "lastValidated", "lastValidationStatus",
           "readiness")


def partial(model: type[BaseModel]) -> type[BaseModel]:
    """The body of a PUT: every field of ``model`` optional (what is not given keeps its stored
    value), plus the read-only fields a client may echo from a GET (ignored). ``version`` carries
    the version read."""
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        fields[name] = (Optional[info.annotation], Field(default=None, description=info.description))  # noqa: UP045
    for echoed in _ECHOED:
        snake = "".join("_" + c.lower() if c.isupper() else c for c in echoed)
        if snake not in fields:
            fields[snake] = (Any, Field(default=None, description="read-only; ignored"))
    config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")
    return create_model(f"{model.__name__}Update", __config__=config, **fields)


STARTED_OR_DRY_RUN = ex.Started | ex.DryRun

CONTRACTS: dict[str, Contract] = {
    "health": Contract(None, None, system.Health),
    "export_native_recovery_plan": Contract(NativeExportRequest, None, plans.NativeExport),
    "import_native_recovery_plan": Contract(NativeImportRequest, None, plans.NativeImport),
    "health_deep": Contract(None, None, system.Health),
    "get_audit_log": Contract(None, q.AuditQuery, operations.AuditLog),
    "run_housekeeping": Contract(rq.MaintenanceInput, None, operations.Housekeeping),
    "sweep_drill_instances": Contract(rq.MaintenanceInput, None, operations.DrillSweep),
    "get_openapi": Contract(None, None, system.OpenApiDocument),
    "get_user_permissions": Contract(None, None, system.UserPermissions),
    "list_protection_groups": Contract(None, q.GroupListQuery, groups.GroupList),
    "create_protection_group": Contract(ProtectionGroupInput, None, groups.Group),
    "resolve_protection_group_tags": Contract(rq.TagPreviewInput, None, groups.ResolvePreview),
    "get_protection_group": Contract(None, None, groups.Group),
    "update_protection_group": Contract(partial(ProtectionGroupInput), None, groups.Group),
    "delete_protection_group": Contract(None, None, groups.GroupDeleted),
    "refresh_protection_group": Contract(None, None, groups.RefreshedGroup),
    "update_server_launch_config": Contract(rq.ServerLaunchInput, None, groups.ServerLaunchView),
    "get_server_launch_config": Contract(None, None, groups.ServerLaunchView),
    "delete_server_launch_config": Contract(rq.VersionInput, q.VersionQuery, groups.ServerLaunchView),
    "bulk_update_server_configs": Contract(rq.BulkLaunchInput, None, groups.BulkLaunchResult),
    "validate_static_ip": Contract(rq.StaticIpInput, None, groups.StaticIpCheck),
    "apply_launch_configs": Contract(rq.ApplyLaunchConfigsInput, None, groups.ApplyResult),
    "get_launch_config_status": Contract(None, q.LaunchStatusQuery, groups.LaunchStatusView),
    "list_recovery_plans": Contract(None, q.PlanListQuery, plans.PlanList),
    "create_recovery_plan": Contract(RecoveryPlanInput, None, plans.Plan),
    "get_recovery_plan": Contract(None, None, plans.Plan),
    "update_recovery_plan": Contract(partial(RecoveryPlanInput), None, plans.Plan),
    "delete_recovery_plan": Contract(None, None, plans.PlanDeleted),
    "validate_recovery_plan": Contract(None, None, plans.PlanLint),
    "evaluate_recovery_plan": Contract(None, None, readiness.ReadinessEvaluation),
    "get_recovery_plan_readiness": Contract(None, None, readiness.PlanReadiness),
    "evaluate_all_recovery_plans": Contract(rq.MaintenanceInput, None, readiness.ReadinessRun),
    "list_target_accounts": Contract(None, None, accounts.TargetAccountList),
    "add_target_account": Contract(TargetAccountInput, None, accounts.TargetAccountView),
    "get_target_account": Contract(None, None, accounts.TargetAccountView),
    "update_target_account": Contract(partial(TargetAccountInput), None, accounts.TargetAccountView),
    "delete_target_account": Contract(None, None, accounts.AccountDeleted),
    "validate_target_account": Contract(rq.RegionsInput, q.RegionQuery, accounts.AccountValidation),
    "add_staging_account": Contract(rq.StagingAccountBody, None, accounts.TargetAccountView),
    "remove_staging_account": Contract(None, None, accounts.TargetAccountView),
    "sync_staging_accounts": Contract(rq.StagingSyncInput, None, accounts.StagingSync),
    "validate_staging_account": Contract(rq.StagingValidationInput, None, inv.StagingValidation),
    "run_tag_sync": Contract(TagSyncRunInput, None, config.TagSyncRun),
    "get_tag_sync_status": Contract(None, q.TagSyncStatusQuery, config.TagSyncRun),
    "get_tag_sync_settings": Contract(None, None, config.TagSyncSettings),
    "update_tag_sync_settings": Contract(TagSyncSettingsInput, None, config.TagSyncSettings),
    "export_configuration": Contract(None, None, config.ExportDocument),
    "import_configuration": Contract(ImportRequest, None, config.ImportReport),
    "execute_recovery_plan": Contract(StartExecutionInput, None, STARTED_OR_DRY_RUN),
    "execute_plan": Contract(partial(StartExecutionInput), None, STARTED_OR_DRY_RUN),
    "list_executions": Contract(None, q.ExecutionListQuery, ex.ExecutionList),
    "get_execution_details": Contract(None, None, ex.ExecutionDetails),
    "get_execution_servers": Contract(None, q.ServerPageQuery, ex.ServerPage),
    "get_execution_status": Contract(None, None, ex.ExecutionStatusView),
    "get_execution_waves": Contract(None, None, ex.ExecutionWaves),
    "get_execution_jobs": Contract(None, None, ex.ExecutionJobs),
    "pause_execution": Contract(None, None, ex.Paused),
    "resume_execution": Contract(None, None, ex.Resumed),
    "cancel_execution": Contract(None, None, ex.Cancelled),
    "terminate_instances": Contract(None, None, ex.TerminationAnswer),
    "get_job_logs": Contract(None, q.JobLogQuery, ex.JobLogs),
    "get_recovery_instances": Contract(None, None, ex.RecoveryInstances),
    "delete_executions": Contract(rq.DeleteExecutionsInput, q.DeleteExecutionsQuery, ex.ExecutionsDeleted),
    "check_existing_instances": Contract(None, None, ex.ExistingInstances),
    "get_drs_source_servers": Contract(None, q.SourceServerQuery, inv.SourceServerPage),
    "get_drs_service_limits": Contract(None, q.AccountRegionQuery, inv.ServiceLimits),
    "get_drs_quotas": Contract(None, q.RegionsQuery, inv.Quotas),
    "get_drs_accounts": Contract(None, None, inv.DrsAccounts),
    "get_accounts_capacity": Contract(None, q.RegionsQuery, inv.AccountsCapacity),
    "get_target_account_capacity": Contract(None, q.RegionListQuery, inv.OneTargetCapacity),
    "get_current_account_info": Contract(None, None, inv.CurrentAccount),
    "get_ec2_subnets": Contract(None, q.VpcQuery, inv.Subnets),
    "get_ec2_security_groups": Contract(None, q.VpcQuery, inv.SecurityGroups),
    "get_ec2_instance_types": Contract(None, q.InstanceTypeQuery, inv.InstanceTypes),
    "get_ec2_instance_profiles": Contract(None, q.AccountRegionQuery, inv.InstanceProfiles),
    "get_execution_realtime": Contract(None, None, ex.Realtime),
    # failover and failback into instance pairs (issue 14)
    "match_instances": Contract(fd.MatchInput, None, fo.MatchResult),
    "validate_instance_pairs": Contract(fd.ValidatePairsInput, None, fo.PairsValidation),
    "list_instance_pairs": Contract(None, None, fo.PairList),
    "put_instance_pairs": Contract(fd.PairsInput, None, fo.PairList),
    "update_instance_pair": Contract(fd.PairUpdateInput, None, fo.Pair),
    "delete_instance_pair": Contract(None, None, fo.PairDeleted),
    "configure_allow_launching": Contract(fd.ConfigureInput, None, fo.ConfigureResult),
    "start_failover": Contract(fd.FailoverInput, None, STARTED_OR_DRY_RUN),
    "start_failback": Contract(fd.FailoverInput, None, STARTED_OR_DRY_RUN),
    "start_reverse_replication": Contract(fd.ReverseInput, None, fo.ReverseResult),
    "get_allow_launching_status": Contract(None, fo.CycleStatusQuery, fo.CycleStatus),
}

ERROR = ErrorBody
