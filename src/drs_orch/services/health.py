"""GET /health: is this deployment ready (tables, state machine, DRS endpoint)?

Load balancers and monitors call it often, so the plain answer costs nothing: the configuration
the function already holds plus a readiness result cached per container and refreshed at most once
per :data:`READINESS_TTL_SECONDS`. ``deep`` (authenticated callers only) probes everything now.
Either way the probes run in parallel: the answer takes as long as the slowest probe, not the sum."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Protocol

READINESS_TTL_SECONDS = 60.0


class HealthProbe(Protocol):
    def table_status(self, name: str) -> str: ...
    def state_machine_status(self, arn: str) -> str: ...
    def drs_reachable(self) -> tuple[bool, str]: ...


def check_health(probe: HealthProbe, tables: dict[str, str], state_machine_arn: str) -> dict[str, Any]:
    """Every probe at once, in parallel."""
    with ThreadPoolExecutor(max_workers=len(tables) + 2, thread_name_prefix="health") as pool:
        table_futures = {key: pool.submit(probe.table_status, name) for key, name in tables.items()}
        sm_future = pool.submit(probe.state_machine_status, state_machine_arn)
        drs_future = pool.submit(probe.drs_reachable)
        table_report = {key: {"name": tables[key], "status": f.result()} for key, f in table_futures.items()}
        sm_status = sm_future.result()
        drs_ok, drs_detail = drs_future.result()
    healthy = (
        all(t["status"] == "ACTIVE" for t in table_report.values()) and sm_status == "ACTIVE" and drs_ok
    )
    return {
        "status": "HEALTHY" if healthy else "UNHEALTHY",
        "tables": table_report,
        "stateMachine": {"arn": state_machine_arn, "status": sm_status},
        "drs": {"reachable": drs_ok, "detail": drs_detail},
    }


class HealthService:
    """Readiness cached per container; ``monotonic`` and ``wall`` are injectable for tests."""

    def __init__(self, probe: HealthProbe, tables: dict[str, str], state_machine_arn: str, *,
                 ttl_seconds: float = READINESS_TTL_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic,
                 wall: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._probe = probe
        self._tables = tables
        self._arn = state_machine_arn
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._wall = wall
        self._lock = threading.Lock()
        self._cached: tuple[float, str, dict[str, Any]] | None = None

    def _probe_now(self) -> tuple[float, str, dict[str, Any]]:
        report = check_health(self._probe, self._tables, self._arn)
        checked = (self._monotonic(), self._wall().isoformat(timespec="seconds").replace("+00:00", "Z"), report)
        with self._lock:
            self._cached = checked
        return checked

    def report(self, *, deep: bool = False) -> dict[str, Any]:
        with self._lock:
            cached = self._cached
        fresh = deep or cached is None or self._monotonic() - cached[0] >= self._ttl
        at, checked_at, report = self._probe_now() if fresh else cached  # type: ignore[misc]
        return {
            **report,
            "configuration": "OK",
            "mode": "deep" if deep else "cached",
            "checkedAt": checked_at,
            "ageSeconds": round(self._monotonic() - at, 3),
        }
