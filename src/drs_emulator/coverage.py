"""Implementation coverage of botocore's ``drs`` model: ``python -m drs_emulator.coverage``.

For every operation of the model it prints whether the emulator serves it (a registered handler),
refuses it deliberately (``REFUSED``: the reason is the message of the ValidationException
``unknownOperation`` it answers) and whether the test suite exercises it (a test under ``tests/``
names the operation, as ``CamelCase`` or as the boto3 method ``snake_case``). Exit status 1 when an
operation is neither emulated nor refused with a reason.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from botocore import xform_name

from .emulator import emulated_operations
from .wire import service_model

# Operations answered with ValidationException reason unknownOperation on purpose, with the reason.
REFUSED: dict[str, str] = {}

TESTS_DIR = Path(__file__).resolve().parents[2] / "tests"


@dataclass(frozen=True)
class OperationCoverage:
    name: str
    emulated: bool
    refused: str | None
    tested: bool | None  # None: no test tree next to the package

    @property
    def covered(self) -> bool:
        return self.emulated or bool(self.refused)


def _test_text(tests_dir: Path) -> str | None:
    if not tests_dir.is_dir():
        return None
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(tests_dir.rglob("test_*.py")))


def coverage(tests_dir: Path = TESTS_DIR) -> list[OperationCoverage]:
    emulated = set(emulated_operations())
    text = _test_text(tests_dir)
    out = []
    for name in service_model().operation_names:
        tested = None
        if text is not None:
            tested = bool(re.search(rf"\b({re.escape(name)}|{re.escape(xform_name(name))})\b", text))
        out.append(OperationCoverage(name, name in emulated, REFUSED.get(name), tested))
    return out


def render(rows: list[OperationCoverage]) -> str:
    lines = ["## drs (botocore model)"]
    for row in rows:
        mark = "X" if row.emulated else ("-" if row.refused else " ")
        state = "emulated" if row.emulated else (f"refused: {row.refused}" if row.refused else "NOT EMULATED")
        found = {True: "tested", False: "untested", None: "tests not found"}[row.tested]
        lines.append(f"- [{mark}] {row.name:<42} {state}; {found}")
    emulated = sum(r.emulated for r in rows)
    refused = sum(bool(r.refused) and not r.emulated for r in rows)
    tested = sum(bool(r.tested) for r in rows)
    lines.append(
        f"{emulated + refused}/{len(rows)} emulated or refused with a reason "
        f"({emulated} emulated, {refused} refused); {tested}/{len(rows)} named by a test"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m drs_emulator.coverage", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--tests", type=Path, default=TESTS_DIR, help="the test tree to look in")
    args = parser.parse_args(argv)
    rows = coverage(args.tests)
    print(render(rows))
    return 0 if all(r.covered for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
