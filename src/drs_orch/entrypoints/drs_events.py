"""The DRS events function: EventBridge delivers ``aws.drs`` launch-result events (from the hub's
own account-region and, forwarded by the spoke template's rule, from the spokes) here, and each one
may cut the wait of the execution whose DRS job it names short (``services/engine/wake.py``).

A small handler on purpose: it imports the execution store and the state machine adapter only, and
calls no DRS API (each event is one conditional DynamoDB update on the job's note). An event it cannot use is logged and acknowledged (EventBridge would only retry it);
polling remains the fallback for anything missed."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("drs_orch.drs_events")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from drs_orch.entrypoints.wiring import container

    if event.get("source") != "aws.drs" or event.get("detail-type") != "DRS Source Server Launch Result":
        return {"result": "IGNORED"}
    try:
        return container().waker.handle_launch_result(event).to_dict()
    except Exception:  # best effort, like the event: the poll picks up what a failed wake-up missed
        log.exception("DRS event not handled: %s", event.get("id"))
        return {"result": "FAILED"}
