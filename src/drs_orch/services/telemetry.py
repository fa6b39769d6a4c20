"""Operational metrics in CloudWatch embedded metric format (EMF), through Powertools Metrics: each
metric is one JSON line on stdout that CloudWatch Logs turns into a metric, so emitting costs no API
call. Dimensions are low-cardinality only (``service`` always; then execution type, outcome, path,
AWS service, operation, account-region) — never execution, plan or server ids.

The names and dimensions here are what ``infra/template.yaml``'s alarms and dashboard read.
"""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit, single_metric

log = logging.getLogger(__name__)

NAMESPACE = "DRSOrchestration"
SERVICE = "drs-orch"

# Names (the template refers to them by these strings).
EXECUTIONS_STARTED = "ExecutionsStarted"
EXECUTIONS_ENDED = "ExecutionsEnded"
EXECUTIONS_FAILED = "ExecutionsFailed"
EXECUTION_DURATION = "ExecutionDuration"
WAVE_DURATION = "WaveDuration"
SERVERS_LAUNCHED = "ServersLaunched"
SERVERS_FAILED = "ServersFailed"
LAUNCH_SETTINGS_PATH = "LaunchSettingsPath"
LAUNCH_SETTINGS_FAILED = "LaunchSettingsFailed"
THROTTLED = "Throttled"
DRS_THROTTLED = "DrsThrottled"
CONFLICTS_REFUSED = "ConflictsRefused"
REQUESTS_REFUSED = "RequestsRefused"
TICK_DURATION = "TickDuration"
TICK_ERRORS = "TickErrors"
TAG_SYNC_FAILED = "TagSyncFailed"
AUDIT_WRITE_FAILED = "AuditWriteFailed"
DRILL_INSTANCES_TERMINATED = "DrillInstancesTerminated"
DRILL_SWEEP_FAILED = "DrillSweepFailed"
DRILL_TAG_FAILED = "DrillTagFailed"
EXECUTIONS_EXPIRED = "ExecutionsExpired"
ALERTS_PUBLISHED = "AlertsPublished"
PLAN_READINESS_CHANGED = "PlanReadinessChanged"
PLANS_BY_READINESS = "PlansByReadiness"


def _emit(name: str, unit: MetricUnit, value: float, dimensions: dict[str, str]) -> None:
    try:
        with single_metric(name=name, unit=unit, value=value, namespace=NAMESPACE) as metric:
            metric.add_dimension(name="service", value=SERVICE)
            for key, dim in sorted(dimensions.items()):
                metric.add_dimension(name=key, value=str(dim) or "NONE")
    except Exception as exc:  # noqa: BLE001 - a metric must never fail the work it measures
        log.warning("metric %s not emitted: %s", name, exc)


def count(name: str, value: float = 1, **dimensions: str) -> None:
    _emit(name, MetricUnit.Count, value, dimensions)


def seconds(name: str, value: float, **dimensions: str) -> None:
    _emit(name, MetricUnit.Seconds, round(max(value, 0.0), 3), dimensions)


_events = Logger(service=SERVICE)


def event(name: str, **fields: object) -> None:
    """A structured log line (JSON) for the saved Logs Insights queries: ``event`` names what
    happened; ``executionId`` and friends are fields here, never metric dimensions."""
    try:
        _events.info(name, extra={"event": name, **{k: v for k, v in fields.items() if v is not None}})
    except Exception as exc:  # noqa: BLE001 - logging must never fail the work it describes
        log.warning("event %s not logged: %s", name, exc)
