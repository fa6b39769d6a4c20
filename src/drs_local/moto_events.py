"""The local stack's EventBridge: how moto 5.2.5's event buses hand events to their rules' targets.

1. A rule delivers to a Lambda target through Lambda's queue of asynchronous invocations (the
   ``submit`` given to :func:`apply`), and an event forwarded to another account's or region's bus
   keeps its ``account``, ``region``, ``time`` and ``resources`` (moto re-put it as a new event of
   the receiving account). A disabled rule, or a schedule (no pattern), matches no event (moto
   matched both).
2. PutEvents builds each entry's event once and gives a copy to each rule that matches it. moto
   built the event again for every rule of the bus, schedules included (a deep copy of its template,
   the detail parsed again, two clock reads), before asking the rule whether it matched. A wave of
   100 servers ending sends 100 DRS launch results to the hub's bus, which holds five rules; the
   delivery of those 100 took 44-48 ms of CPU with moto's way and 22-26 ms with this one (three
   rounds each, ``drs_emulator.events.moto_deliverer``, Lambda's queue left out), CPU taken from the
   engine's tick that runs at that moment. Entries moto refuses (no source, detail type or detail; a
   detail that is not JSON) and requests of more than ten entries get moto's own answer.

These touch moto internals; the exact moto pin in pyproject.toml is what keeps them valid.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import warnings
from collections.abc import Callable
from typing import Any

log = logging.getLogger("drs_local")

Submit = Callable[[Any, Any], None]  # (moto's Lambda function, the invocation's payload)


def apply(submit: Submit) -> None:
    from moto.events import models as events_models

    deliver = _deliverer(submit, events_models.Rule.send_to_targets)

    def send_to_targets(self: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
        if _matches(self, original_event):
            deliver(self, original_event, transform_input)

    events_models.Rule.send_to_targets = send_to_targets  # type: ignore[method-assign,assignment]
    original = events_models.EventsBackend.put_events
    events_models.EventsBackend.put_events = _put_events(original, deliver)  # type: ignore[method-assign]
    events_models.EventsBackend.unpatched_put_events = original  # type: ignore[attr-defined]  # kept for the tests


def _matches(rule: Any, event: dict[str, Any]) -> bool:
    return bool(rule.state == "ENABLED" and rule.event_pattern.get_pattern()
                and rule.event_pattern.matches_event(event))


def _deliverer(submit: Submit, original: Any) -> Callable[[Any, dict[str, Any], bool], None]:
    """Hands an event a rule matched to each of the rule's targets."""
    from moto.events import models as events_models
    from moto.utilities.arns import parse_arn

    rule_lock = threading.Lock()

    def invoke(target: dict[str, Any], event: dict[str, Any]) -> None:
        from moto.awslambda.models import lambda_backends

        arn = parse_arn(target["Arn"])
        payload = target["Input"] if target.get("Input") else json.dumps(event, default=str)
        try:
            fn = lambda_backends[arn.account][arn.region].get_function(target["Arn"])
        except Exception:  # EventBridge retries and then drops; the local stack logs and drops
            log.exception("EventBridge could not invoke %s", target["Arn"])
            return
        submit(fn, payload)

    def deliver(self: Any, original_event: dict[str, Any], transform_input: bool) -> None:
        others = []
        for target in self.targets:
            arn = parse_arn(target["Arn"])
            if arn.service == "lambda":
                invoke(target, original_event)  # turned into JSON: the function gets its own copy
            elif arn.service == "events" and arn.resource_type == "event-bus":
                backend = events_models.events_backends[arn.account][arn.region]
                bus = backend.describe_event_bus(arn.resource_id)
                for rule in list(bus.rules.values()):
                    rule.send_to_targets(copy.deepcopy(original_event))  # type: ignore[arg-type]
            else:
                others.append(target)
        if others:
            with rule_lock:
                saved, self.targets = self.targets, others
                try:
                    original(self, original_event, transform_input)
                finally:
                    self.targets = saved

    return deliver


def _put_events(original: Any, deliver: Callable[[Any, dict[str, Any], bool], None]) -> Any:
    from moto.core.utils import unix_time
    from moto.events.utils import _BASE_EVENT_MESSAGE
    from moto.moto_api._internal import mock_random

    def built(entry: dict[str, Any]) -> dict[str, Any] | None:
        """The event moto delivers for ``entry``, or None when moto refuses the entry. (The
        template's only mutable values, ``resources`` and ``detail``, are replaced.)"""
        if not (entry.get("Source") and entry.get("DetailType") and entry.get("Detail")):
            return None
        try:
            detail = json.loads(entry["Detail"])
        except ValueError:
            return None
        return {**_BASE_EVENT_MESSAGE, "detail-type": entry["DetailType"], "source": entry["Source"],
                "time": entry.get("Time", unix_time()), "resources": entry.get("Resources", []),
                "detail": detail, "ingestion-time": unix_time()}

    def put_events(self: Any, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(events) > 10:
            return original(self, events)  # type: ignore[no-any-return]
        entries: list[dict[str, Any]] = []
        for entry in events:
            event = built(entry)
            if event is None:
                entries.extend(original(self, [entry]))  # moto's error entry
                continue
            if not isinstance(event["detail"], dict):  # delivered all the same, as moto does
                warnings.warn(f"EventDetail should be of type dict - types such as {type(event['detail'])} "
                              "are ignored by AWS", stacklevel=2)
            event.update(id=str(mock_random.uuid4()), account=self.account_id, region=self.region_name)
            entries.append({"EventId": event["id"]})
            bus = self.describe_event_bus(self._normalize_event_bus_arn(entry.get("EventBusName")))
            for rule in list(bus.rules.values()):
                if _matches(rule, event):
                    deliver(rule, copy.deepcopy(event), True)
        return entries

    return put_events
