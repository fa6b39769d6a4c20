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
from .registry import REFUSED
from .wire import modelled_errors, service_model

# Errors answered although the model does not list them for the operation, with the reason (see
# drs_emulator.errors: the semantically right modelled shape). ValidationException (malformed input)
# and AccessDeniedException (unsigned request) can answer any operation.
ANY_OPERATION_ERRORS = frozenset({"ValidationException", "AccessDeniedException", "ThrottlingException",
                                  "InternalServerException"})  # fmt: skip
UNMODELLED_ERRORS: dict[tuple[str, str], str] = {
    ("StartRecovery", "ResourceNotFoundException"): "an unknown source server or recovery snapshot id",
    ("DescribeJobLogItems", "ResourceNotFoundException"): "an unknown job id",
    ("StartReplication", "ServiceQuotaExceededException"): "the replicating-servers quota",
    ("StopFailback", "ConflictException"): "the recovery instance is in an active job",
    ("PutLaunchAction", "ServiceQuotaExceededException"): "more launch actions than the per-resource quota",
    ("StartSourceNetworkRecovery", "ResourceNotFoundException"): "an unknown source network id",
}


def unexpected_errors(calls: list[dict[str, object]]) -> list[tuple[str, str]]:
    """(operation, error) pairs of a call log that neither the model nor UNMODELLED_ERRORS explains."""
    model = service_model()
    out = []
    for call in calls:
        operation, error = str(call.get("operation")), call.get("errorType")
        if not error or operation not in model.operation_names or error in ANY_OPERATION_ERRORS:
            continue
        if error not in modelled_errors(operation) and (operation, str(error)) not in UNMODELLED_ERRORS:
            out.append((operation, str(error)))
    return out


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
    if UNMODELLED_ERRORS:
        lines.append("errors answered beyond the model's list (the semantically right modelled shape):")
        lines += [f"  {op}: {err} ({why})" for (op, err), why in sorted(UNMODELLED_ERRORS.items())]
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
