"""Roles and permissions. The matrix follows the earlier system's documented intent; unlike it,
every route enforces it server-side."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Permission(StrEnum):
    VIEW_ACCOUNTS = "view_accounts"
    REGISTER_ACCOUNTS = "register_accounts"
    MODIFY_ACCOUNTS = "modify_accounts"
    DELETE_ACCOUNTS = "delete_accounts"
    VIEW_PROTECTION_GROUPS = "view_protection_groups"
    CREATE_PROTECTION_GROUPS = "create_protection_groups"
    MODIFY_PROTECTION_GROUPS = "modify_protection_groups"
    DELETE_PROTECTION_GROUPS = "delete_protection_groups"
    VIEW_RECOVERY_PLANS = "view_recovery_plans"
    CREATE_RECOVERY_PLANS = "create_recovery_plans"
    MODIFY_RECOVERY_PLANS = "modify_recovery_plans"
    DELETE_RECOVERY_PLANS = "delete_recovery_plans"
    START_RECOVERY = "start_recovery"
    STOP_RECOVERY = "stop_recovery"
    TERMINATE_INSTANCES = "terminate_instances"
    VIEW_EXECUTIONS = "view_executions"
    EXPORT_CONFIGURATION = "export_configuration"
    IMPORT_CONFIGURATION = "import_configuration"
    AUDIT_READ = "audit_read"


class Role(StrEnum):
    ADMIN = "DRSOrchestrationAdmin"
    RECOVERY_MANAGER = "DRSRecoveryManager"
    PLAN_MANAGER = "DRSPlanManager"
    OPERATOR = "DRSOperator"
    READ_ONLY = "DRSReadOnly"
    AUDITOR = "DRSAuditor"


P = Permission
_VIEW = frozenset({P.VIEW_ACCOUNTS, P.VIEW_PROTECTION_GROUPS, P.VIEW_RECOVERY_PLANS, P.VIEW_EXECUTIONS})
_PG_RP_CRUD = frozenset(
    {
        P.VIEW_PROTECTION_GROUPS, P.CREATE_PROTECTION_GROUPS, P.MODIFY_PROTECTION_GROUPS,
        P.DELETE_PROTECTION_GROUPS, P.VIEW_RECOVERY_PLANS, P.CREATE_RECOVERY_PLANS,
        P.MODIFY_RECOVERY_PLANS, P.DELETE_RECOVERY_PLANS,
    }
)
_ALL = frozenset(Permission)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: _ALL - {P.AUDIT_READ},
    Role.RECOVERY_MANAGER: _ALL - {P.DELETE_ACCOUNTS, P.AUDIT_READ},
    Role.PLAN_MANAGER: _PG_RP_CRUD | {P.VIEW_ACCOUNTS, P.START_RECOVERY, P.STOP_RECOVERY, P.VIEW_EXECUTIONS},
    Role.OPERATOR: frozenset(
        {
            P.VIEW_ACCOUNTS, P.START_RECOVERY, P.STOP_RECOVERY, P.VIEW_EXECUTIONS,
            P.MODIFY_PROTECTION_GROUPS, P.VIEW_PROTECTION_GROUPS, P.MODIFY_RECOVERY_PLANS,
            P.VIEW_RECOVERY_PLANS,
        }
    ),
    Role.READ_ONLY: _VIEW,
    Role.AUDITOR: _VIEW | {P.AUDIT_READ},
}


def roles_from_groups(groups: Iterable[str]) -> list[Role]:
    known = {r.value: r for r in Role}
    return [known[g] for g in groups if g in known]


def permissions_for(groups: Iterable[str]) -> frozenset[Permission]:
    granted: frozenset[Permission] = frozenset()
    for role in roles_from_groups(groups):
        granted |= ROLE_PERMISSIONS[role]
    return granted
