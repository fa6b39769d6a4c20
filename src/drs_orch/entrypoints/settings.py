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
        }
