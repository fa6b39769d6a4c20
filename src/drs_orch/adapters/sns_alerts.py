"""The alerts topic: what needs a person now (an execution failed, a pause waits too long, drill
instances could not be cleaned up). Email gets the readable text; machine subscribers get the alert
as JSON. Attributes ``planId``, ``eventType``, ``severity`` (and ``executionType``) let
subscriptions filter. Publishing never raises: a lost alert is logged and counted."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict

from botocore.exceptions import BotoCoreError, ClientError

from drs_orch.adapters.aws import client
from drs_orch.adapters.sns import bodies
from drs_orch.domain.messages import Alert
from drs_orch.services import telemetry

log = logging.getLogger(__name__)


class SnsAlerts:
    def __init__(self, topic_arn: str, region: str, console_url: str = "") -> None:
        self._topic = topic_arn
        self._sns = client("sns", region=region)
        self._console = console_url

    def publish(self, alert: Alert) -> bool:
        document = json.dumps({**asdict(alert), "text": alert.text(self._console)}, default=str, indent=2)
        try:
            self._sns.publish(
                TopicArn=self._topic, Subject=alert.subject[:100],
                Message=bodies(document, alert.text(self._console)), MessageStructure="json",
                MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in alert.attributes().items()},
            )
        except (ClientError, BotoCoreError) as exc:
            log.warning("alert %s not published: %s", alert.kind, exc)
            return False
        telemetry.count(telemetry.ALERTS_PUBLISHED, kind=alert.kind)
        return True
