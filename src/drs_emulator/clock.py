"""The emulator clock: emulated time = anchor + real elapsed seconds * speed (+ manual advances).

All emulator state transitions (job phases, replication transitions, failback sync) are scheduled in
emulated epoch seconds and evaluated lazily against this clock, so a test can run at speed 0 and move
time with :meth:`EmulatorClock.advance`, and a demo can run at speed 60 (one emulated minute per real
second). Emulated time never goes backwards: ``advance`` rejects negative values and a speed change
re-anchors at the current emulated instant.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any


def _to_epoch(value: datetime | float | int | str) -> float:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    return float(value)


class EmulatorClock:
    """A scalable, manually advanceable clock.

    ``speed`` is emulated seconds per real second (0 freezes time). ``start`` is the emulated instant at
    construction (a datetime, an ISO-8601 string or epoch seconds; default: the current wall-clock time).
    """

    def __init__(
        self,
        speed: float = 1.0,
        start: datetime | float | int | str | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self._lock = threading.Lock()
        self._monotonic = monotonic
        self._anchor_real = monotonic()
        self._anchor_emulated = _to_epoch(start) if start is not None else time.time()
        self._speed = float(speed)

    def _now_locked(self) -> float:
        return self._anchor_emulated + (self._monotonic() - self._anchor_real) * self._speed

    def now(self) -> float:
        """Emulated time as epoch seconds (UTC)."""
        with self._lock:
            return self._now_locked()

    def now_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)

    @property
    def speed(self) -> float:
        return self._speed

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on; emulated time keeps its current value (no jump)."""
        if speed < 0:
            raise ValueError("speed must be >= 0")
        with self._lock:
            current = self._now_locked()
            self._anchor_real = self._monotonic()
            self._anchor_emulated = current
            self._speed = float(speed)

    def advance(self, seconds: float) -> float:
        """Move emulated time forward by ``seconds``; returns the new emulated time."""
        if seconds < 0:
            raise ValueError("the emulator clock cannot go backwards")
        with self._lock:
            self._anchor_emulated += float(seconds)
            return self._now_locked()

    def state(self) -> dict[str, Any]:
        now = self.now()
        return {
            "now": datetime.fromtimestamp(now, UTC).isoformat(),
            "epochSeconds": now,
            "speed": self._speed,
        }
