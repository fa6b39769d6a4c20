"""`drs-orch package`: the Lambda artifact is the same bytes twice, holds the product and its
runtime dependencies for the Lambda runtime (CPython 3.12 x86_64), and never the local stack."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from drs_orch.entrypoints.packaging_lambda import FIXED_TIME, build

pytestmark = pytest.mark.integration


def test_the_artifact_is_reproducible_and_holds_only_the_runtime(tmp_path: Path) -> None:
    first = build(tmp_path / "a.zip", wheels=tmp_path / "wheels-a")
    second = build(tmp_path / "b.zip", wheels=tmp_path / "wheels-b")
    assert first.sha256 == second.sha256 and first.size == second.size
    with zipfile.ZipFile(first.path) as zf:
        names = zf.namelist()
        assert names == sorted(names)
        assert {i.date_time for i in zf.infolist()} == {FIXED_TIME}
    assert "drs_orch/entrypoints/lambdas.py" in names
    assert any(n.startswith("pydantic_core/") and "cpython-312-x86_64-linux" in n for n in names)
    assert any(n.startswith("aws_lambda_powertools/") for n in names)
    forbidden = ("drs_local/", "drs_emulator/", "moto/", "pytest/", "hypothesis/", "schemathesis/")
    assert not [n for n in names if n.startswith(forbidden)]
    print(f"artifact {first.size / 1e6:.1f} MB sha256 {first.sha256}")
