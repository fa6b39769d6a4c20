"""The local EventBridge (drs_local/moto_events.py): PutEvents builds each entry's event once and
hands it only to the rules that match it. What the targets receive, and what PutEvents answers, are
moto's own: the same entries (errors included) and the same events, compared here with moto's
unpatched PutEvents on two identical buses whose rules deliver to SQS queues (moto's own target
code)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.events.models import EventsBackend, events_backends
from moto.sqs.models import sqs_backends

pytestmark = pytest.mark.integration

REGION = "eu-west-2"
RULES = {  # name -> (pattern, state); a schedule has no pattern
    "launch-results": ({"source": ["aws.drs"], "detail-type": ["DRS Source Server Launch Result"]}, "ENABLED"),
    "failed-only": ({"source": ["aws.drs"], "detail": {"state": ["RECOVERY_LAUNCH_FAILED"]}}, "ENABLED"),
    "disabled": ({"source": ["aws.drs"]}, "DISABLED"),
    "ec2": ({"source": ["aws.ec2"]}, "ENABLED"),
    "schedule": (None, "ENABLED"),
}


def _entry(state: str = "RECOVERY_LAUNCH_SUCCEEDED", **changes: Any) -> dict[str, Any]:
    entry = {"Source": "aws.drs", "DetailType": "DRS Source Server Launch Result",
             "Resources": [f"arn:aws:drs:{REGION}:111111111111:source-server/s-1"],
             "Detail": json.dumps({"state": state, "job-id": "drsjob-1", "is-drill": "TRUE"})}
    return {k: v for k, v in {**entry, **changes}.items() if v is not None}


def _bus(account: str) -> EventsBackend:
    backend = events_backends[account][REGION]
    sqs = sqs_backends[account][REGION]
    for name, (pattern, state) in RULES.items():
        queue = sqs.create_queue(f"q-{name}")
        backend.put_rule(name, event_pattern=json.dumps(pattern) if pattern else None, state=state,
                         scheduled_expression=None if pattern else "rate(5 minutes)")
        backend.put_targets(name, None, [{"Id": "q", "Arn": queue.queue_arn}])
    return backend


def _received(account: str) -> dict[str, list[dict[str, Any]]]:
    sqs = sqs_backends[account][REGION]
    out = {}
    for name in RULES:
        messages = sqs.receive_message(f"q-{name}", 10, 0, 0) or []
        events = [json.loads(m.body) for m in messages]
        for event in events:  # drawn afresh for each event, or read from the clock when put
            assert event.pop("id") and event.pop("time")
        out[name] = events
    return out


def test_put_events_delivers_and_answers_as_moto_does(stack: Any) -> None:
    patched, unpatched = _bus("210000000001"), _bus("210000000002")
    # (no entry has a time of its own: moto's SQS target cannot write one, patched or not)
    entries = [_entry(), _entry("RECOVERY_LAUNCH_FAILED"), _entry(Source=None), _entry(DetailType=None),
               _entry(Detail=None), _entry(Detail="{not json"), _entry(Source="aws.ec2")]
    answer = patched.put_events(entries)
    expected = EventsBackend.unpatched_put_events(unpatched, entries)  # type: ignore[attr-defined]
    assert [sorted(a) for a in answer] == [sorted(e) for e in expected]
    assert [{k: v for k, v in a.items() if k != "EventId"} for a in answer] == [
        {k: v for k, v in e.items() if k != "EventId"} for e in expected]
    got, want = _received("210000000001"), _received("210000000002")
    assert got == want
    assert [len(got[name]) for name in RULES] == [2, 1, 0, 1, 0]  # what matched, and nothing else


def test_more_than_ten_entries_are_refused_as_moto_refuses_them(stack: Any) -> None:
    backend = _bus("210000000003")
    with pytest.raises(Exception) as patched:  # noqa: B017 - moto's ValidationException
        backend.put_events([_entry()] * 11)
    with pytest.raises(Exception) as unpatched:  # noqa: B017
        EventsBackend.unpatched_put_events(backend, [_entry()] * 11)  # type: ignore[attr-defined]
    assert type(patched.value) is type(unpatched.value) and str(patched.value) == str(unpatched.value)
    assert _received("210000000003") == {name: [] for name in RULES}
