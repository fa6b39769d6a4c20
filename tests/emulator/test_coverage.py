"""The emulator covers botocore's whole ``drs`` model: every operation is emulated or refused with a
reason, and every emulated operation is exercised by a test (``python -m drs_emulator.coverage``)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from drs_emulator import coverage, registry
from drs_emulator.wire import service_model


def test_every_operation_is_emulated_or_refused_with_a_reason() -> None:
    rows = coverage.coverage()
    assert [r.name for r in rows] == list(service_model().operation_names)
    missing = [r.name for r in rows if not r.emulated and not (r.refused or "").strip()]
    assert missing == [], f"neither emulated nor refused with a reason: {missing}"
    assert not set(coverage.REFUSED) - set(service_model().operation_names)


def test_every_emulated_operation_is_named_by_a_test() -> None:
    untested = [r.name for r in coverage.coverage() if r.emulated and not r.tested]
    assert untested == []


def test_the_script_prints_the_list_and_fails_on_a_gap(monkeypatch: pytest.MonkeyPatch) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "drs_emulator.coverage"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    total = len(service_model().operation_names)
    lines = done.stdout.splitlines()
    assert len([line for line in lines if line.startswith("- [")]) == total
    assert "- [X] CreateRecoveryPlan" in done.stdout
    assert lines[-1].startswith(f"{total}/{total} emulated or refused")
    monkeypatch.delitem(registry.HANDLERS, "CreateRecoveryPlan")
    assert coverage.main([]) == 1
    monkeypatch.setitem(coverage.REFUSED, "CreateRecoveryPlan", "a reason")
    assert coverage.main([]) == 0


def test_unexpected_errors_names_answers_the_model_does_not_list() -> None:
    calls: list[dict[str, object]] = [
        {"operation": "GetRecoveryPlan", "errorType": "ConflictException"},
        {"operation": "GetRecoveryPlan", "errorType": "ResourceNotFoundException"},
        {"operation": "StartRecovery", "errorType": "ResourceNotFoundException"},
        {"operation": "DescribeJobs", "errorType": "ValidationException"},
        {"operation": "POST /nowhere", "errorType": "ValidationException"},
        {"operation": "DescribeJobs", "errorType": None},
    ]
    assert coverage.unexpected_errors(calls) == [("GetRecoveryPlan", "ConflictException")]
