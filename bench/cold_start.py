"""Cold start of each Lambda function: the import of its handler in a fresh Python process (prints
figures; not a test).

For each function of infra/template.yaml: ``import`` = importing the handler's module and resolving
the handler (what the Lambda runtime does before the first event), and ``+ routes`` = that plus
loading the routes the function serves (what its first API event adds before the route runs: its own
area modules and, for REST, the Powertools resolver). Each figure is the median of ``--runs`` fresh
processes. ``--baseline SRC`` runs the same measurement against another source tree (e.g. the main
checkout's ``src``) and prints its figures beside.

    python bench/cold_start.py [--runs 5] [--baseline /path/to/other/src]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 300.0

_PROBE = r"""
import importlib, json, sys, time
spec, function, with_routes = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
t0 = time.perf_counter()
module, _, name = spec.rpartition(".")
getattr(importlib.import_module(module), name)
imported = time.perf_counter() - t0
routes = None
if with_routes and function:
    lambdas = importlib.import_module("drs_orch.entrypoints.lambdas")
    from drs_orch.entrypoints import routes as table
    if hasattr(table, "routes_for"):
        table.routes_for(function)
    if hasattr(lambdas, "_rest_resolver"):
        lambdas._rest_resolver(function)
    routes = time.perf_counter() - t0
print(json.dumps({"import": imported, "routes": routes}))
"""


def handlers() -> dict[str, tuple[str, str]]:
    """Function logical id -> (Handler setting, route-table function name or "")."""

    class _Loader(yaml.SafeLoader):
        pass

    _Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load((ROOT / "infra" / "template.yaml").read_text(), Loader=_Loader)  # noqa: S506
    out: dict[str, tuple[str, str]] = {}
    for logical, res in template["Resources"].items():
        if res.get("Type") == "AWS::Lambda::Function":
            spec = str(res["Properties"]["Handler"])
            name = spec.rpartition(".")[2].replace("_", "-")
            out[logical] = (spec, name if name in ("data-management", "execution", "query") else "")
    return out


def measure(src: Path, spec: str, function: str, with_routes: bool, runs: int) -> tuple[float, float | None]:
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "0"}
    imports, routes = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", _PROBE, spec, function, "1" if with_routes else "0"],
                             env=env, capture_output=True, text=True, check=False, cwd=src)
        if out.returncode != 0:
            raise SystemExit(f"{spec} failed to import from {src}:\n{out.stderr[-2000:]}")
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        imports.append(figures["import"] * 1000)
        if figures["routes"] is not None:
            routes.append(figures["routes"] * 1000)
    return statistics.median(imports), (statistics.median(routes) if routes else None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another source tree (its src/ folder) to measure beside this one")
    args = parser.parse_args(argv)
    src = ROOT / "src"
    # warm the bytecode caches once, so both trees are measured from .pyc files as on Lambda
    for tree in (src, args.baseline):
        if tree is not None:
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree)], check=False, capture_output=True)
    print(f"handler import time, median of {args.runs} fresh processes (target < {TARGET_MS:.0f} ms)")
    header = f"{'function':<26} {'handler':<52} {'import':>8} {'+ routes':>9}"
    if args.baseline:
        header += f" {'before: import':>15} {'+ routes':>9}"
    print(header)
    worst = 0.0
    for logical, (spec, function) in handlers().items():
        imported, routed = measure(src, spec, function, True, args.runs)
        worst = max(worst, imported)
        shown = f"{routed:7.0f}ms" if routed is not None else f"{'-':>9}"
        line = f"{logical:<26} {spec:<52} {imported:7.0f}ms {shown}"
        if args.baseline:
            try:
                b_imported, b_routed = measure(args.baseline, spec, function, True, args.runs)
                b_shown = f"{b_routed:8.0f}ms" if b_routed is not None else f"{'-':>10}"
                line += f" {b_imported:13.0f}ms {b_shown}"
            except SystemExit:
                line += f" {'(not there)':>15}"
        print(line, flush=True)
    print(f"slowest handler import {worst:.0f} ms: {'under' if worst < TARGET_MS else 'OVER'} {TARGET_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
