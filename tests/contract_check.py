"""Every answer a test sees is checked against the route's response model (the API contract):
a handler that answers with something its model does not describe fails the test that called it."""

from __future__ import annotations

import json
import os
import re
from functools import cache
from typing import Any

from pydantic import ValidationError


@cache
def _patterns() -> list[tuple[Any, re.Pattern[str]]]:
    from drs_orch.entrypoints.routes import ROUTES

    ordered = sorted(ROUTES, key=lambda r: len(r.path_params))  # literal segments win over parameters
    return [(r, re.compile("^" + re.sub(r"{\w+}", r"[^/]+", r.path) + "$")) for r in ordered]


def route_for(method: str, path: str) -> Any:
    for route, pattern in _patterns():
        if route.method == method and pattern.match(path.split("?")[0]):
            return route
    return None


def check_answer(operation: str, status: int, body: Any) -> None:
    """Raise AssertionError when a success ``body`` is not what the contract says."""
    if status >= 300 or body is None:
        return
    from drs_orch.entrypoints.contract import CONTRACTS

    contract = CONTRACTS.get(operation)
    if contract is None:  # an alias name of direct invocation: checked under its own name elsewhere
        return
    try:
        contract.response_adapter.validate_python(body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:10])
        raise AssertionError(f"{operation} answered outside its response model: {problems}") from None


def check_rest(method: str, path: str, status: int, body: Any) -> None:
    record = os.environ.get("DRS_ORCH_RECORD")  # a file to keep every answer in (to write models from)
    if record:
        with open(record, "a") as f:
            f.write(json.dumps({"method": method, "path": path, "status": status, "body": body}) + "\n")
    route = route_for(method, path)
    if route is not None:
        check_answer(route.operation, status, body)
