"""The figures make demo and bench/engine.py print about one execution (drs_local/engine_metrics.py):
wave gaps and the transitions they are measured between, on the emulator's clock."""

from __future__ import annotations

from typing import Any

from drs_local.engine_metrics import execution_figures


class _Emulator:
    def __init__(self, jobs: list[dict[str, Any]]) -> None:
        self._jobs = jobs

    def jobs(self) -> list[dict[str, Any]]:
        return self._jobs


def _job(execution: str, wave: int, start: float, end: float) -> dict[str, Any]:
    return {"tags": {"drs-orch:execution-id": execution, "drs-orch:wave": str(wave)},
            "creationDateTime": start, "endDateTime": end}


def test_a_gap_runs_from_a_wave_s_last_job_end_to_the_next_wave_s_first_start() -> None:
    jobs = [_job("e-1", 1, 0, 600), _job("e-1", 1, 5, 640), _job("e-1", 2, 700, 1300), _job("e-1", 2, 690, 1290),
            _job("e-1", 3, 1350, 1900), _job("e-2", 2, 0, 10)]  # another execution's job is not counted
    figures = execution_figures({"executionId": "e-1", "timings": {"elapsedSeconds": 4.0}}, _Emulator(jobs), 600)
    assert figures["waveTransitions"] == [(640, 690), (1300, 1350)]
    assert figures["waveGaps"] == [50, 50]
    assert figures["jobs"] == 5
    assert figures["launchSeconds"] == 640 + 610 + 550
