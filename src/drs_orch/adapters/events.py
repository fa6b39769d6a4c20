"""The EventBridge rule that runs tag sync on a schedule (deployed by the template, disabled by
default). Changing the schedule rewrites the rule's expression and state; its target stays."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from drs_orch.adapters.aws import client
from drs_orch.domain.errors import UpstreamError

DESCRIPTION = "Copies EC2 instance tags onto DRS source servers."


class EventBridgeSchedule:
    def __init__(self, rule_name: str, region: str) -> None:
        self._rule = rule_name
        self._region = region
        self._events: Any = None

    def _client(self) -> Any:
        if self._events is None:
            self._events = client("events", region=self._region)
        return self._events

    def describe(self) -> dict[str, Any]:
        if not self._rule:
            raise UpstreamError("no tag-sync rule is configured (TAG_SYNC_RULE_NAME)", code="SCHEDULE_NOT_CONFIGURED")
        try:
            rule = self._client().describe_rule(Name=self._rule)
        except (ClientError, BotoCoreError) as exc:
            raise UpstreamError(f"cannot read the tag-sync rule {self._rule}: {exc}", code="SCHEDULE_ERROR") from exc
        return {"name": rule.get("Name"), "scheduleExpression": rule.get("ScheduleExpression"),
                "state": rule.get("State")}

    def update(self, expression: str, enabled: bool) -> None:
        try:
            self._client().put_rule(Name=self._rule, ScheduleExpression=expression,
                                    State="ENABLED" if enabled else "DISABLED", Description=DESCRIPTION)
        except (ClientError, BotoCoreError) as exc:
            raise UpstreamError(f"cannot update the tag-sync rule {self._rule}: {exc}", code="SCHEDULE_ERROR") from exc
