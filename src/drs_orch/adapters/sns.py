"""Execution notifications on the SNS topic, with ``planId`` and ``eventType`` message attributes
so that subscriptions can filter per plan and event. Email subscribers get a text a person can read
(:func:`drs_orch.domain.messages.execution_text`); machine subscribers (SQS, Lambda, HTTP) get the
JSON document (SNS ``MessageStructure=json``). A notification that cannot be published is logged
and never fails the execution."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from drs_orch.adapters.aws import client
from drs_orch.domain.messages import execution_text

log = logging.getLogger(__name__)


class SnsNotifier:
    def __init__(self, topic_arn: str, region: str, console_url: str = "") -> None:
        self._topic = topic_arn
        self._sns = client("sns", region=region)
        self._console = console_url

    def publish(self, event_type: str, plan_id: str, subject: str, message: Mapping[str, Any]) -> None:
        try:
            self._sns.publish(
                TopicArn=self._topic,
                Subject=subject[:100],
                Message=bodies(json.dumps(dict(message), default=str, indent=2), execution_text(message, self._console)),
                MessageStructure="json",
                MessageAttributes={
                    "planId": {"DataType": "String", "StringValue": plan_id},
                    "eventType": {"DataType": "String", "StringValue": event_type},
                },
            )
        except (ClientError, BotoCoreError) as exc:
            log.warning("notification %s for plan %s not published: %s", event_type, plan_id, exc)


def bodies(document: str, text: str) -> str:
    """An SNS ``MessageStructure=json`` message: readable text for email, the document otherwise."""
    return json.dumps({"default": document, "email": text})
