"""Operations rules (issue 16): audit entries, retention, drill hygiene, messages, cached health."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drs_orch.domain.audit import Actor, Origin, entry, is_audited, parse_query, scrub, targets_of
from drs_orch.domain.drill_hygiene import (
    DRILL,
    TAG_EXPIRES,
    TAG_TYPE,
    TaggedInstance,
    expiry_tags,
    verdict,
)
from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.messages import execution_failed, execution_text, paused_too_long
from drs_orch.domain.retention import ENDED, expires_at, is_old_enough, parse_request
from drs_orch.services.health import HealthService

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


# ------------------------------------------------------------------ audit
def test_mutations_and_refused_access_are_audited_reads_are_not() -> None:
    assert is_audited("POST", 201) and is_audited("DELETE", 409) and is_audited("PUT", 500)
    assert is_audited("GET", 403) and is_audited("GET", 401)
    assert not is_audited("GET", 200) and not is_audited("GET", 404)
    assert is_audited("GET", 200, direct=True)


def test_targets_come_from_path_body_ids_and_answer_never_from_other_fields() -> None:
    targets = targets_of({"executionId": "e1"}, {"planId": "p1", "externalId": "s3cret", "ids": "a,b"},
                         {"executionId": "e1", "groupId": "g9", "taskToken": "tok"})
    assert targets == ["executionId:e1", "planId:p1", "executionId:a", "executionId:b", "groupId:g9"]
    assert "s3cret" not in json.dumps(targets) and "tok" not in json.dumps(targets)


@given(st.recursive(st.text(max_size=5) | st.integers(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                        st.sampled_from(["externalId", "task_token", "Authorization", "name", "nextToken", "x"]),
                        inner, max_size=4), max_leaves=20))
def test_scrub_never_leaves_a_secret_named_value(value: Any) -> None:
    def secrets(v: Any) -> list[Any]:
        if isinstance(v, dict):
            out = []
            for k, x in v.items():
                if k in ("externalId", "task_token", "Authorization", "nextToken"):
                    out.append(x)
                out += secrets(x)
            return out
        if isinstance(v, list):
            return [s for x in v for s in secrets(x)]
        return []

    assert all(s == "[REDACTED]" for s in secrets(scrub(value)))


def test_entry_shape_ttl_and_index_key() -> None:
    item = entry(entry_id="id1", at=NOW, actor=Actor("alice", "COGNITO_USER", ("DRSOperator",)),
                 operation="pause_execution", method="POST", route="/executions/{executionId}/pause",
                 targets=["executionId:e1"], status=403, error_code="FORBIDDEN",
                 origin=Origin("api", "req-1", source_ip="10.0.0.1"), retention_days=400)
    assert item["outcome"] == "REFUSED" and item["targetKey"] == "e1" and item["sourceIp"] == "10.0.0.1"
    assert item["expiresAt"] == int((NOW + timedelta(days=400)).timestamp())
    assert item["timestamp"] == "2026-03-01T12:00:00.000Z" and "invocationSource" not in item


def test_audit_query_filters_pick_the_most_selective_index() -> None:
    q = parse_query({"actor": "alice", "operation": "x", "target": "e1", "from": "2026-01-01T00:00:00Z"})
    assert q.index == ("ByTarget", "targetKey", "e1") and q.filters == {"actor": "alice", "operation": "x"}
    assert parse_query({"actor": "alice"}).index[0] == "ByActor"
    assert parse_query({}).index == ("ByTime", "entityType", "AUDIT")
    for bad in ({"limit": "0"}, {"limit": "500"}, {"from": "yesterday"}, {"from": "2026-01-01T00:00:00"},
                {"outcome": "MAYBE"}, {"nope": "1"}, {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}):
        with pytest.raises(ValidationFailed):
            parse_query(bad)


# ------------------------------------------------------------------ retention
def test_retention_request_refuses_active_statuses_and_bad_ages() -> None:
    assert parse_request({"olderThanDays": "30"}).statuses == ENDED
    assert parse_request({"olderThanDays": "30", "status": "completed, failed"}).statuses == ("COMPLETED", "FAILED")
    for bad in ({"olderThanDays": "0"}, {"olderThanDays": "-3"}, {"olderThanDays": "x"},
                {"olderThanDays": "3", "status": "RUNNING"}, {"olderThanDays": "3", "status": "PAUSED"},
                {"olderThanDays": "3", "ids": "a"}):
        with pytest.raises(ValidationFailed):
            parse_request(bad)


@given(st.sampled_from(["PENDING", "RUNNING", "PAUSED", "CANCELLING", *ENDED]), st.integers(0, 2000))
def test_an_active_execution_is_never_old_enough(status: str, age_days: int) -> None:
    when = (NOW - timedelta(days=age_days)).isoformat().replace("+00:00", "Z")
    old = is_old_enough({"status": status, "startTime": when, "endTime": when},
                        parse_request({"olderThanDays": "30"}).cutoff(NOW))
    assert old == (status in ENDED and age_days > 30)


def test_ttl_counts_from_the_end() -> None:
    assert expires_at({"endTime": "2026-01-01T00:00:00.000Z"}, 365, NOW) == int(
        datetime(2027, 1, 1, tzinfo=UTC).timestamp())
    assert expires_at({}, 1, NOW) == int((NOW + timedelta(days=1)).timestamp())


# ------------------------------------------------------------------ drill hygiene
def test_expiry_tags_use_the_plan_ttl_else_the_default() -> None:
    tags = expiry_tags({"executionId": "e1", "planId": "p1", "drillTtlHours": 2}, NOW, 24)
    assert tags[TAG_EXPIRES] == "2026-03-01T14:00:00Z" and tags[TAG_TYPE] == DRILL
    assert expiry_tags({"executionId": "e1"}, NOW, 24)[TAG_EXPIRES] == "2026-03-02T12:00:00Z"


@given(tag_type=st.sampled_from(["DRILL", "RECOVERY", ""]), drs=st.sampled_from([True, False, None]),
       hours=st.integers(-100, 100), active=st.booleans())
def test_only_expired_unowned_drill_instances_known_to_drs_as_drills_are_swept(
        tag_type: str, drs: bool | None, hours: int, active: bool) -> None:
    expires = (NOW + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")
    instance = TaggedInstance("i-1", {TAG_TYPE: tag_type, TAG_EXPIRES: expires}, "running")
    swept = verdict(instance, NOW, drs, active) is None
    assert swept == (tag_type == DRILL and drs is True and hours <= 0 and not active)
    if drs is not True:  # whatever the tags say, DRS must call it a drill
        assert not swept


def test_an_unreadable_expiry_is_never_expired() -> None:
    assert not TaggedInstance("i-1", {TAG_EXPIRES: "tomorrow"}, "running").expired(NOW)


# ------------------------------------------------------------------ messages
def test_messages_are_readable_and_carry_the_plan_id() -> None:
    meta = {"executionId": "e1", "planId": "p1", "planName": "Payments", "executionType": "DRILL",
            "status": "FAILED", "endTime": "2026-03-01T12:00:00Z", "errorMessage": "wave 2 failed",
            "serverCounts": {"launched": 2, "failed": 1}, "taskToken": "tok", "pausedBeforeWaves": [3]}
    alert = execution_failed(meta)
    text = alert.text("https://console.example.com")
    assert "Payments" in text and "wave 2 failed" in text and "https://console.example.com/executions/e1" in text
    assert alert.attributes() == {"eventType": "EXECUTION_FAILED", "severity": "HIGH", "planId": "p1",
                                  "executionType": "DRILL"}
    assert "tok" not in text and "tok" not in paused_too_long(meta, 60).text()
    body = execution_text({**meta, "eventType": "pause", "resume": "POST /executions/e1/resume",
                           "statusUrl": "/executions/e1"})
    assert "paused" in body and "POST /executions/e1/resume" in body and "tok" not in body


# ------------------------------------------------------------------ health
class SlowProbe:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.calls = 0
        self.lock = threading.Lock()

    def _hit(self) -> None:
        with self.lock:
            self.calls += 1
        time.sleep(self.delay)

    def table_status(self, name: str) -> str:
        self._hit()
        return "ACTIVE"

    def state_machine_status(self, arn: str) -> str:
        self._hit()
        return "ACTIVE"

    def drs_reachable(self) -> tuple[bool, str]:
        self._hit()
        return True, "OK"


def test_health_is_cached_for_a_minute_and_deep_probes_in_parallel() -> None:
    clock = [1000.0]
    probe = SlowProbe(0.05)
    tables = {f"t{i}": f"table-{i}" for i in range(6)}
    health = HealthService(probe, tables, "arn:sm", monotonic=lambda: clock[0])
    first = health.report()
    assert first["status"] == "HEALTHY" and probe.calls == 8 and first["mode"] == "cached"
    clock[0] += 59
    again = health.report()
    assert probe.calls == 8 and again["ageSeconds"] == 59 and again["tables"] == first["tables"]
    clock[0] += 1
    health.report()
    assert probe.calls == 16
    started = time.monotonic()
    deep = health.report(deep=True)
    assert deep["mode"] == "deep" and probe.calls == 24 and deep["ageSeconds"] == 0
    assert time.monotonic() - started < 8 * 0.05  # parallel: about one probe's time, not eight


# ------------------------------------------------------------------ throttling metric
def test_throttled_attempts_are_counted_by_service(capsys: pytest.CaptureFixture[str]) -> None:
    from types import SimpleNamespace

    from drs_orch.adapters.aws import _count_throttle

    drs = SimpleNamespace(service_model=SimpleNamespace(service_name="drs"))
    _count_throttle(response=(None, {"Error": {"Code": "ThrottlingException"}}), operation=drs)
    _count_throttle(response=(None, {"Error": {"Code": "ValidationException"}}), operation=drs)
    _count_throttle(response=None, operation=drs)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    names = [(m["Name"], line.get("awsService")) for line in lines
             for d in line["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]]
    assert names == [("Throttled", "drs"), ("DrsThrottled", None)]
