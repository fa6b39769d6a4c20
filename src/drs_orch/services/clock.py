"""The one Clock port: every use case reads the time from it (tests and the local stack's
emulated time can drive it); ``SystemClock`` is the real one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
