"""The orchestration Lambda's actions, called by the state machine (infra/orchestration.asl.json):

- ``begin``: the execution starts (PENDING -> RUNNING), then a first tick;
- ``tick``: one reconcile step; returns ``{"next": "CONTINUE"|"PAUSE"|"DONE", "waitSeconds": n}``;
- ``pause``: the ``waitForTaskToken`` task of a paused execution stores its task token;
- ``wait``: the ``waitForTaskToken`` wait between ticks stores its token (``waitToken``), which a DRS
  launch-result event sends back to cut the wait short (``services/engine/wake.py``); the wait's
  timeout (the poll interval) is the fallback;
- ``abort``: the state machine caught an error it could not retry away: the execution is FAILED
  and its server locks are released.

Errors other than a missing execution id propagate, so the state machine retries the step (every
step is idempotent) and, when retries run out, aborts.
"""

from __future__ import annotations

import time
from typing import Any

from drs_orch.entrypoints.wiring import container
from drs_orch.services import telemetry

_DONE = {"next": "DONE", "waitSeconds": 0}


def handle_action(event: dict[str, Any]) -> dict[str, Any]:
    action = str(event.get("action") or "")
    execution_id = str(event.get("executionId") or "")
    if not execution_id:
        raise ValueError(f"orchestration event without executionId: {sorted(event)}")
    engine = container().engine
    if action == "begin":
        return engine.begin(execution_id).to_dict()
    if action == "tick":
        started = time.monotonic()
        try:
            return engine.tick(execution_id).to_dict()
        except Exception:
            telemetry.count(telemetry.TICK_ERRORS)
            raise
        finally:
            telemetry.seconds(telemetry.TICK_DURATION, time.monotonic() - started)
    if action == "pause":
        engine.store_task_token(execution_id, str(event["taskToken"]))
        return {"next": "PAUSE", "waitSeconds": 0}
    if action == "wait":
        from drs_orch.services.engine.wake import store_wait_token

        deps = container().engine_deps
        store_wait_token(deps.store, deps.sfn, execution_id, str(event["taskToken"]))
        return {"next": "WAIT", "waitSeconds": 0}
    if action == "abort":
        error = event.get("error")
        engine.abort(execution_id, error if isinstance(error, dict) else {"Cause": str(error)})
        return dict(_DONE)
    raise ValueError(f"unknown orchestration action {action!r}")
