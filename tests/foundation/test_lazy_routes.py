"""Cold start: a function's handler loads only its own route modules; the whole table is the union
of the area modules AREAS names, each serving exactly the functions named for it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from drs_orch.entrypoints import routes
from drs_orch.entrypoints.routing import FUNCTIONS

_PROBE = r"""
import json, sys
import drs_orch.entrypoints.lambdas as lambdas
before = sorted(m for m in sys.modules if m.startswith("drs_orch.entrypoints.routes.") or m in ("boto3", "pydantic"))
from drs_orch.entrypoints.routes import routes_for
routes_for(sys.argv[1])
after = sorted(m for m in sys.modules if m.startswith("drs_orch.entrypoints.routes."))
print(json.dumps({"before": before, "after": after}))
"""


def test_areas_name_exactly_the_functions_each_module_serves() -> None:
    for area, functions in routes.AREAS.items():
        served = {r.function for r in getattr(routes, area).ROUTES}
        assert served == set(functions), area
    assert len(routes.ROUTES) == sum(len(getattr(routes, a).ROUTES) for a in routes.AREAS)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_function_loads_only_its_own_route_modules(function: str) -> None:
    out = subprocess.run([sys.executable, "-c", _PROBE, function], capture_output=True, text=True, check=True)
    seen = json.loads(out.stdout)
    assert seen["before"] == [], "importing the handler module loads no route module, boto3 or pydantic"
    expected = sorted(f"drs_orch.entrypoints.routes.{a}" for a, fs in routes.AREAS.items() if function in fs)
    assert seen["after"] == expected
    assert [r.operation for r in routes.routes_for(function)] == [
        r.operation for r in routes.ROUTES if r.function == function]
