"""Typed records the engine's services exchange with the execution store (issue 11, issue 15).

The store's adapters turn items into these and back; key shapes (``META``, ``WAVE#...``, ``JOB#...``)
stay in the adapters. Only the records a tick needs for waves it does not read are here so far:

- :class:`WaveSummary`: a wave that ended, summarised on the execution's META item when it ends
  (status, failure policy, times, server counts), so a tick never reads that wave's WAVE and JOB
  items again: a tick costs the work in flight, not the length of the plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from drs_orch.domain.plan_graph import OnServerFailure
from drs_orch.domain.statuses import TERMINAL_WAVE, WaveStatus


@dataclass(frozen=True)
class WaveSummary:
    number: int
    status: WaveStatus
    on_failure: OnServerFailure = OnServerFailure.STOP
    started_at: str | None = None
    ended_at: str | None = None
    server_counts: Mapping[str, int] = field(default_factory=dict)
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.status not in TERMINAL_WAVE:
            raise ValueError(f"wave {self.number} is {self.status.value}: only an ended wave is summarised")

    def to_attributes(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status.value, "onServerFailure": self.on_failure.value,
                               "serverCounts": dict(self.server_counts)}
        if self.started_at:
            out["startedAt"] = self.started_at
        if self.ended_at:
            out["endedAt"] = self.ended_at
        if self.reason:
            out["reason"] = self.reason
        return out

    @classmethod
    def from_attributes(cls, number: int, attributes: Mapping[str, Any]) -> WaveSummary:
        return cls(
            number=number,
            status=WaveStatus(str(attributes["status"])),
            on_failure=OnServerFailure(str(attributes.get("onServerFailure") or OnServerFailure.STOP.value)),
            started_at=attributes.get("startedAt"),
            ended_at=attributes.get("endedAt"),
            server_counts={str(k): int(v) for k, v in (attributes.get("serverCounts") or {}).items()},
            reason=attributes.get("reason"),
        )


def summaries_of(attribute: Mapping[str, Any] | None) -> dict[int, WaveSummary]:
    """The ``finishedWaves`` attribute of a META item (wave number as a string -> summary)."""
    return {int(k): WaveSummary.from_attributes(int(k), v) for k, v in (attribute or {}).items()}


def open_wave_numbers(wave_numbers: Iterable[int], finished: Iterable[int]) -> list[int]:
    """The waves a tick reads: every wave of the execution that has not been summarised."""
    done = set(finished)
    return sorted(int(n) for n in wave_numbers if int(n) not in done)
