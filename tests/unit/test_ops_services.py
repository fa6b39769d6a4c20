"""The drill sweeper and the audit trail over fakes: what is swept, verified, skipped, alerted; an
audit write that fails never fails the request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from drs_orch.domain.audit import Actor, AuditQuery, Origin
from drs_orch.domain.drill_hygiene import DRILL, TAG_EXECUTION, TAG_EXPIRES, TAG_TYPE, TaggedInstance
from drs_orch.domain.messages import Alert
from drs_orch.services.audit import AuditTrail
from drs_orch.services.data_ports import Page
from drs_orch.services.drill_sweeper import DrillSweeper
from drs_orch.services.engine.ports import StartRefused

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SCOPE = "123456789012#eu-west-1"
PAST = (NOW - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
FUTURE = (NOW + timedelta(hours=1)).isoformat().replace("+00:00", "Z")


def _drill(instance_id: str, execution_id: str, expires: str = PAST) -> TaggedInstance:
    return TaggedInstance(instance_id, {TAG_TYPE: DRILL, TAG_EXPIRES: expires, TAG_EXECUTION: execution_id}, "running")


class FakeInstances:
    def __init__(self, tagged: list[TaggedInstance], drs: dict[str, bool], *, terminates: bool = True,
                 refuse: bool = False) -> None:
        self.tagged = tagged
        self.drs = drs
        self.terminates = terminates
        self.refuse = refuse
        self.terminated: list[list[str]] = []
        self.gone: set[str] = set()

    def tagged_drill_instances(self, scope: str) -> list[TaggedInstance]:
        return self.tagged if scope == SCOPE else []

    def recovery_instances(self, scope: str) -> dict[str, dict[str, Any]]:
        return {i: {"recoveryInstanceId": i, "isDrill": d} for i, d in self.drs.items()}

    def terminate(self, scope: str, recovery_instance_ids: list[str]) -> str | None:
        if self.refuse:
            raise StartRefused("AccessDeniedException", 403, "no")
        self.terminated.append(recovery_instance_ids)
        if self.terminates:
            self.gone |= set(recovery_instance_ids)
        return "job-1"

    def job_status(self, scope: str, job_id: str) -> str:
        return "COMPLETED"

    def ec2_states(self, scope: str, instance_ids: list[str]) -> dict[str, str]:
        return {i: "terminated" if i in self.gone else "running" for i in instance_ids}


class FakeAlerts:
    def __init__(self) -> None:
        self.sent: list[Alert] = []

    def publish(self, alert: Alert) -> bool:
        self.sent.append(alert)
        return True


def _sweeper(instances: FakeInstances, alerts: FakeAlerts, active: frozenset[str] = frozenset()) -> DrillSweeper:
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    return DrillSweeper(instances, get_meta=lambda e: {"status": "RUNNING" if e in active else "COMPLETED"},
                        scopes=lambda since: [SCOPE, "111111111111#us-east-1"], alerts=alerts, now=lambda: NOW,
                        sleep=sleep, monotonic=lambda: clock[0], verify_budget_seconds=10)


def test_sweeps_only_expired_unowned_drills_that_drs_calls_drills() -> None:
    instances = FakeInstances(
        [_drill("i-old", "e1"), _drill("i-new", "e1", FUTURE), _drill("i-busy", "e2"), _drill("i-recovery", "e3"),
         _drill("i-unknown", "e1")],
        {"i-old": True, "i-new": True, "i-busy": True, "i-recovery": False})
    alerts = FakeAlerts()
    report = _sweeper(instances, alerts, active=frozenset({"e2"})).sweep({})
    assert instances.terminated == [["i-old"]]
    assert report["terminatedInstanceIds"] == ["i-old"] and report["status"] == "OK"
    assert {(s["instanceId"], s["reason"]) for s in report["skipped"]} == {
        ("i-busy", "OWNED_BY_ACTIVE_EXECUTION"), ("i-recovery", "NOT_A_DRILL"),
        ("i-unknown", "NOT_A_DRS_RECOVERY_INSTANCE")}
    assert [a.kind for a in alerts.sent] == ["DRILL_INSTANCES_TERMINATED"]


def test_termination_not_verified_in_time_is_alerted() -> None:
    instances = FakeInstances([_drill("i-old", "e1")], {"i-old": True}, terminates=False)
    alerts = FakeAlerts()
    report = _sweeper(instances, alerts).sweep({"source": "schedule"})
    assert report["unverifiedInstanceIds"] == ["i-old"] and report["status"] == "FAILED"
    assert [a.kind for a in alerts.sent] == ["DRILL_CLEANUP_UNVERIFIED"]


def test_a_refused_termination_is_an_error_and_an_alert() -> None:
    alerts = FakeAlerts()
    report = _sweeper(FakeInstances([_drill("i-old", "e1")], {"i-old": True}, refuse=True), alerts).sweep({})
    assert report["errors"][0]["error"] == "AccessDeniedException" and report["terminatedInstanceIds"] == []
    assert [a.kind for a in alerts.sent] == ["DRILL_CLEANUP_FAILED"]


def test_the_sweep_refuses_unknown_fields() -> None:
    from drs_orch.domain.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        _sweeper(FakeInstances([], {}), FakeAlerts()).sweep({"force": True})


class BrokenStore:
    def append(self, item: dict[str, Any]) -> None:
        raise RuntimeError("table gone")

    def page(self, query: AuditQuery) -> Page:
        return Page(items=[], next_token=None)


def test_an_audit_write_that_fails_is_counted_never_raised(capsys: pytest.CaptureFixture[str]) -> None:
    trail = AuditTrail(BrokenStore(), now=lambda: NOW)
    out = trail.record(actor=Actor("alice", "COGNITO_USER"), operation="x", method="POST", route="/x", targets=[],
                       status=200, error_code=None, origin=Origin("api", "r1"))
    assert out is None and '"AuditWriteFailed"' in capsys.readouterr().out
