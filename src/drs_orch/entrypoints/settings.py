"""Runtime settings, read from the Lambda environment that the CloudFormation template sets."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    protection_groups_table: str
    recovery_plans_table: str
    executions_table: str
    target_accounts_table: str
    tag_sync_table: str
    guards_table: str
    execution_topic_arn: str
    state_machine_arn: str
    cross_account_role_name: str
    tag_sync_rule_name: str
    region: str
    # Operations (issue 16)
    audit_table: str = ""
    alerts_topic_arn: str = ""
    audit_retention_days: int = 400
    execution_retention_days: int = 365
    drill_ttl_hours: int = 24
    paused_alert_minutes: int = 60
    console_url: str = ""
    # a state machine run hands its execution to a new run after this many ticks (issue 15: a
    # Standard workflow's history holds at most 25,000 events; one poll of the loop adds about 13)
    renew_after_ticks: int = 1000

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ

        def need(name: str) -> str:
            value = env.get(name)
            if not value:
                raise RuntimeError(f"environment variable {name} is not set (deployed by infra/template.yaml)")
            return value

        return cls(
            protection_groups_table=need("PROTECTION_GROUPS_TABLE"),
            recovery_plans_table=need("RECOVERY_PLANS_TABLE"),
            executions_table=need("EXECUTIONS_TABLE"),
            target_accounts_table=need("TARGET_ACCOUNTS_TABLE"),
            tag_sync_table=need("TAG_SYNC_TABLE"),
            guards_table=need("GUARDS_TABLE"),
            execution_topic_arn=need("EXECUTION_TOPIC_ARN"),
            state_machine_arn=need("STATE_MACHINE_ARN"),
            cross_account_role_name=env.get("CROSS_ACCOUNT_ROLE_NAME", "DRSOrchestrationRole"),
            tag_sync_rule_name=env.get("TAG_SYNC_RULE_NAME", ""),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            audit_table=need("AUDIT_TABLE"),
            alerts_topic_arn=need("ALERTS_TOPIC_ARN"),
            audit_retention_days=_positive(env, "AUDIT_RETENTION_DAYS", 400),
            execution_retention_days=_positive(env, "EXECUTION_RETENTION_DAYS", 365),
            drill_ttl_hours=_positive(env, "DRILL_TTL_HOURS", 24),
            paused_alert_minutes=_positive(env, "PAUSED_ALERT_MINUTES", 60),
            console_url=env.get("CONSOLE_URL", "").rstrip("/"),
            renew_after_ticks=_positive(env, "ORCHESTRATION_RENEW_AFTER_TICKS", 1000),
        )

    @property
    def table_names(self) -> dict[str, str]:
        return {
            "protectionGroups": self.protection_groups_table,
            "recoveryPlans": self.recovery_plans_table,
            "executions": self.executions_table,
            "targetAccounts": self.target_accounts_table,
            "tagSync": self.tag_sync_table,
            "guards": self.guards_table,
            "audit": self.audit_table,
        }


def _positive(env: os._Environ[str], name: str, default: int) -> int:
    raw = env.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise RuntimeError(f"environment variable {name} must be a positive integer, not {raw!r}")
    return int(raw)
