"""Execution notifications on the SNS topic, with ``planId`` and ``eventType`` message attributes
so that subscriptions can filter per plan and event. A notification that cannot be published is
logged and never fails the execution."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from drs_orch.adapters.aws import client

log = logging.getLogger(__name__)


class SnsNotifier:
    def __init__(self, topic_arn: str, region: str) -> None:
        self._topic = topic_arn
        self._sns = client("sns", region=region)

    def publish(self, event_type: str, plan_id: str, subject: str, message: Mapping[str, Any],
                topic_arn: str | None = None) -> None:
        """Publish on the platform's topic, or on ``topic_arn`` (an execution's own topic)."""
        try:
            self._sns.publish(
                TopicArn=topic_arn or self._topic,
                Subject=subject[:100],
                Message=json.dumps(dict(message), default=str, indent=2),
                MessageAttributes={
                    "planId": {"DataType": "String", "StringValue": plan_id},
                    "eventType": {"DataType": "String", "StringValue": event_type},
                },
            )
        except (ClientError, BotoCoreError) as exc:
            log.warning("notification %s for plan %s not published: %s", event_type, plan_id, exc)

    def topic_exists(self, topic_arn: str) -> bool:
        try:
            self._sns.get_topic_attributes(TopicArn=topic_arn)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NotFound", "NotFoundException", "InvalidParameter",
                                                              "AuthorizationError"):
                return False
            raise
        return True

    def subscribe_plan(self, plan_id: str, email: str) -> str:
        """Subscribe ``email`` to the notifications of one plan (a filter policy on ``planId``)."""
        answer = self._sns.subscribe(
            TopicArn=self._topic, Protocol="email", Endpoint=email, ReturnSubscriptionArn=True,
            Attributes={"FilterPolicy": json.dumps({"planId": [plan_id]}), "FilterPolicyScope": "MessageAttributes"},
        )
        return str(answer["SubscriptionArn"])

    def unsubscribe(self, subscription_arn: str) -> None:
        try:
            self._sns.unsubscribe(SubscriptionArn=subscription_arn)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("NotFound", "NotFoundException", "InvalidParameter"):
                raise
