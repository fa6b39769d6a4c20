"""The orchestration Lambda's actions, called by the state machine (infra/orchestration.asl.json):

- ``begin``: the execution starts (PENDING -> RUNNING), then a first tick; a run started to take
  over from another (``RENEW``) begins the same way, and names itself on META as the execution's run;
- ``tick``: one reconcile step; returns ``{"next": "CONTINUE"|"PAUSE"|"DONE"|"RENEW", "waitSeconds": n,
  "ticks": total, "runTicks": this run's}``. ``RENEW``: the state machine starts a new run named
  ``renewName`` with the execution id and the tick count, and this run ends (``Renewed``), so that no
  run's history nears Step Functions' 25,000 events however long the execution lasts;
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
from typing import TYPE_CHECKING, Any

from drs_orch.domain.engine_rules import Next, after_tick, renewal_name
from drs_orch.entrypoints.wiring import container
from drs_orch.services import telemetry

if TYPE_CHECKING:
    from drs_orch.services.engine.reconcile import TickResult

_DONE = {"next": "DONE", "waitSeconds": 0}


def _counted(execution_id: str, result: TickResult, ticks: int, run_ticks: int, run: str | None) -> dict[str, Any]:
    """The tick's answer with the run's tick counts, and the renewal when the run has ticked enough."""
    ticks, run_ticks = ticks + 1, run_ticks + 1
    decided = after_tick(result.next, run_ticks, container().settings.renew_after_ticks)
    return {"next": decided.value, "waitSeconds": result.wait_seconds, "ticks": ticks, "runTicks": run_ticks,
            "renewName": renewal_name(run, execution_id, ticks) if decided is Next.RENEW else None}


def _count(value: Any) -> int:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else 0


def handle_action(event: dict[str, Any]) -> dict[str, Any]:
    action = str(event.get("action") or "")
    execution_id = str(event.get("executionId") or "")
    if not execution_id:
        raise ValueError(f"orchestration event without executionId: {sorted(event)}")
    engine = container().engine
    if action == "begin":
        given = event.get("input")
        state: dict[str, Any] = given if isinstance(given, dict) else {}
        run = str(event.get("run") or "") or None
        return _counted(execution_id, engine.begin(execution_id, run=run), _count(state.get("ticks")), 0, run)
    if action == "tick":
        started = time.monotonic()
        try:
            result = engine.tick(execution_id)
        except Exception:
            telemetry.count(telemetry.TICK_ERRORS)
            raise
        finally:
            telemetry.seconds(telemetry.TICK_DURATION, time.monotonic() - started)
        return _counted(execution_id, result, _count(event.get("ticks")), _count(event.get("runTicks")),
                        str(event.get("run") or "") or None)
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
