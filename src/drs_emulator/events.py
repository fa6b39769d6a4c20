"""DRS service events to EventBridge (EventBridge events reference, "AWS Elastic Disaster Recovery
events"; DRS User Guide, "Alarm events and EventBridge").

DRS sends a ``DRS Source Server Launch Result`` event, best effort, when a drill or recovery launch
of a source server ends::

    {"source": "aws.drs", "detail-type": "DRS Source Server Launch Result",
     "account": <account>, "region": <region>, "time": <when>,
     "resources": ["arn:aws:drs:<region>:<account>:source-server/s-..."],
     "detail": {"state": "RECOVERY_LAUNCH_SUCCEEDED" | "RECOVERY_LAUNCH_FAILED",
                "job-id": "drsjob-...", "is-drill": "TRUE" | "FALSE"}}

The documented samples name only the RECOVERY_LAUNCH_* states, with ``is-drill`` telling a drill from
a recovery; the emulator does the same. DRS documents no job state-change event, so none is emitted
(a job's last launch result is the end of its launches).

The lifecycle is evaluated lazily (on each request); once :meth:`EventPublisher.start` runs, a
background thread also evaluates it every ``interval`` real seconds, so launches end (and their
events leave) on time without a caller. Event faults (``drop_event``, ``delay_event``,
:mod:`drs_emulator.faults`) make delivery best effort, as DRS's is. ``deliver`` receives the account,
the region and the event (PutEvents entry fields plus ``id``); :func:`moto_deliverer` puts it on that
account-region's default bus in moto.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .wire import iso

if TYPE_CHECKING:
    from .emulator import Emulator

log = logging.getLogger(__name__)

SOURCE = "aws.drs"
LAUNCH_RESULT = "DRS Source Server Launch Result"

Deliver = Callable[[str, str, dict[str, Any]], None]


@dataclass
class LaunchResult:
    """A launch of one source server ended (recorded by the lifecycle at emulated time ``at``)."""

    at: float
    account: str
    region: str
    server_arn: str
    server_id: str
    job_id: str
    is_drill: bool
    launched: bool

    def event(self) -> dict[str, Any]:
        return {
            "Source": SOURCE,
            "DetailType": LAUNCH_RESULT,
            "Time": iso(self.at),
            "Resources": [self.server_arn],
            "Detail": json.dumps({
                "state": "RECOVERY_LAUNCH_SUCCEEDED" if self.launched else "RECOVERY_LAUNCH_FAILED",
                "job-id": self.job_id,
                "is-drill": "TRUE" if self.is_drill else "FALSE",
            }),
        }


@dataclass
class _Due:
    due: float
    result: LaunchResult


@dataclass
class EventStats:
    emitted: int = 0
    dropped: int = 0
    delayed: int = 0
    failed: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)  # the last 1,000 delivered events


class EventPublisher:
    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator
        self._pending: list[_Due] = []
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._deliver: Deliver | None = None
        self.interval = 0.05
        self.stats = EventStats()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, deliver: Deliver, interval: float = 0.05) -> None:
        """Evaluate the lifecycle every ``interval`` real seconds and deliver its launch results."""
        if self.running:
            return
        self._deliver, self.interval = deliver, interval
        self._emulator.lifecycle.emit_events = True
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="drs-emulator-events", daemon=True)
        self._thread.start()

    def replace_deliver(self, deliver: Deliver) -> Deliver | None:
        """Deliver through ``deliver`` from now on (e.g. a test that sends every event twice);
        returns the one it replaces."""
        previous, self._deliver = self._deliver, deliver
        return previous

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None
        self._emulator.lifecycle.emit_events = False

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.pump()
            except Exception:  # the publisher must outlive one bad delivery
                log.exception("DRS event publisher failed")

    def pump(self) -> int:
        """Evaluate what is due, take the new launch results through the event faults and deliver
        those due now; returns how many were delivered."""
        emulator = self._emulator
        with emulator.lock:
            now = emulator.clock.now()
            emulator.lifecycle.tick(emulator.store, now)
            fresh = emulator.lifecycle.take_outbox()
        for result in fresh:
            drop, delay = emulator.faults.event_fault(result.account, result.region, result.server_id)
            if drop:
                self.stats.dropped += 1
                continue
            if delay > 0:
                self.stats.delayed += 1
            self._pending.append(_Due(result.at + delay, result))
        due = [p for p in self._pending if p.due <= now]
        self._pending = [p for p in self._pending if p.due > now]
        for item in sorted(due, key=lambda p: p.due):
            event = {"id": str(uuid.uuid4()), **item.result.event()}
            try:
                if self._deliver is not None:
                    self._deliver(item.result.account, item.result.region, event)
                self.stats.emitted += 1
                self.stats.sent = [*self.stats.sent[-999:], {"account": item.result.account,
                                                             "region": item.result.region, **event}]
            except Exception:
                self.stats.failed += 1
                log.exception("delivering a DRS event to %s/%s failed", item.result.account, item.result.region)
        return len(due)


def moto_deliverer() -> Deliver:
    """Put each event on its account-region's default bus in moto (this process's backends), as DRS
    does in the account and region of the source server."""

    def deliver(account: str, region: str, event: dict[str, Any]) -> None:
        from moto.events.models import events_backends

        entry = {k: v for k, v in event.items() if k != "id"}
        started = time.perf_counter()
        events_backends[account][region].put_events([entry])
        log.debug("DRS event to %s/%s in %.1f ms", account, region, (time.perf_counter() - started) * 1000)

    return deliver
