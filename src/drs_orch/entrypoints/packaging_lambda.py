"""``drs-orch package``: the Lambda artifact, reproducibly.

The artifact holds the ``drs_orch`` package (never the local stack or the DRS emulator) and its
runtime dependencies at the versions installed here, as wheels for the template's runtime and
architecture (CPython 3.12, manylinux x86_64; no dev or local-only dependencies). The zip is
deterministic: entries sorted, fixed timestamps and permissions, so the same input gives the same
bytes and the same sha256.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

RUNTIME_PYTHON = "3.12"
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64")
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
SOURCE = Path(__file__).resolve().parents[1]  # src/drs_orch
_SKIP_PARTS = {"__pycache__"}


@dataclass(frozen=True)
class Artifact:
    path: Path
    size: int
    sha256: str
    pins: tuple[str, ...]


def runtime_pins(distribution: str = "drs-orch") -> list[str]:
    """``name==version`` of every runtime dependency (transitively), as installed here, for the
    Lambda runtime's environment (extras and other platforms' markers left out)."""
    from packaging.requirements import Requirement

    target = {"python_version": RUNTIME_PYTHON, "python_full_version": f"{RUNTIME_PYTHON}.0",
              "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64",
              "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""}
    pins: dict[str, str] = {}
    todo = [Requirement(r) for r in metadata.requires(distribution) or []]
    while todo:
        req = todo.pop()
        if req.marker is not None and not req.marker.evaluate(target):
            continue
        name = req.name.lower().replace("_", "-")
        if name in pins:
            continue
        pins[name] = metadata.version(req.name)
        todo += [Requirement(r) for r in metadata.requires(req.name) or []]
    return sorted(f"{n}=={v}" for n, v in pins.items())


def _download(pins: list[str], into: Path) -> None:
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
               "--python-version", RUNTIME_PYTHON, "--implementation", "cp", "--dest", str(into)]
    for platform in PLATFORMS:
        command += ["--platform", platform]
    subprocess.run([*command, *pins], check=True)


def _entries(staging: Path) -> list[tuple[str, Path]]:
    out = []
    for path in staging.rglob("*"):
        if path.is_file() and not (_SKIP_PARTS & set(path.parts)) and path.suffix != ".pyc":
            out.append((path.relative_to(staging).as_posix(), path))
    return sorted(out)


def build(output: Path, *, wheels: Path | None = None) -> Artifact:
    """Build the artifact at ``output``. ``wheels``: a folder to download into (and reuse)."""
    pins = runtime_pins()
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp) / "staging"
        wheel_dir = wheels or Path(tmp) / "wheels"
        wheel_dir.mkdir(parents=True, exist_ok=True)
        _download(pins, wheel_dir)
        for wheel in sorted(wheel_dir.glob("*.whl")):
            with zipfile.ZipFile(wheel) as zf:
                zf.extractall(staging)
        for path in sorted(SOURCE.rglob("*")):
            if path.is_file() and path.suffix in (".py", ".json", ".yaml") and not (_SKIP_PARTS & set(path.parts)):
                target = staging / "drs_orch" / path.relative_to(SOURCE)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(path.read_bytes())
        output.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for name, path in _entries(staging):
                info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes(), compresslevel=9)
    data = output.read_bytes()
    return Artifact(output, len(data), hashlib.sha256(data).hexdigest(), tuple(pins))
