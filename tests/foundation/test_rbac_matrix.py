"""Every role x every route through the local HTTP server with real Cognito tokens."""

from __future__ import annotations

import re
from typing import Any

import pytest

from drs_orch.domain.rbac import ROLE_PERMISSIONS, Role
from drs_orch.entrypoints.routes import ROUTES

pytestmark = pytest.mark.integration

DUMMY = {"serverId": "s-00000000000000000"}


def _concrete(path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: DUMMY.get(m.group(1), "does-not-exist"), path)


@pytest.fixture(scope="module")
def clients(api_for: Any) -> dict[str, Any]:
    return {role.value: api_for(role.value) for role in Role}


def test_without_a_token_every_protected_route_is_401(api_for: Any) -> None:
    anon = api_for(None)
    for r in ROUTES:
        status, body = anon.call(r.method, _concrete(r.path), {} if r.method in ("POST", "PUT") else None)
        if r.public:
            assert status not in (401, 403), r.operation
        else:
            assert status == 401, (r.operation, status, body)


def test_a_forged_token_is_401(api_for: Any) -> None:
    forged = api_for(None)
    forged._s.headers["Authorization"] = "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
    assert forged.get("/user/permissions")[0] == 401


def test_every_role_on_every_route(clients: dict[str, Any]) -> None:
    failures = []
    for role in Role:
        api = clients[role.value]
        for r in ROUTES:
            if r.public:
                continue
            # Write routes get an empty body: an allowed caller gets a validation error or a 404,
            # never 401/403; a refused caller gets 403 before any work is done.
            status, body = api.call(r.method, _concrete(r.path), {} if r.method in ("POST", "PUT") else None)
            allowed = r.permission is None or r.permission in ROLE_PERMISSIONS[role]
            if allowed and status in (401, 403):
                failures.append((role.value, r.operation, status, body))
            if not allowed and status != 403:
                failures.append((role.value, r.operation, status, body))
            if status >= 500 and status != 503:
                failures.append((role.value, r.operation, status, body))
    assert not failures, failures


def test_readonly_write_is_403(readonly: Any) -> None:
    writes = [r for r in ROUTES if r.method in ("POST", "PUT", "DELETE") and not r.public]
    assert writes
    status, body = readonly.call(writes[0].method, _concrete(writes[0].path), {})
    assert status == 403 and body["error"] == "FORBIDDEN"
