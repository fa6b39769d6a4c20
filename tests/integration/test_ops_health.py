"""GET /health answers from the container's cached readiness; a deep probe needs a caller."""

from __future__ import annotations

from typing import Any

import pytest
import requests

pytestmark = pytest.mark.integration


def test_health_is_cached_and_deep_needs_an_authenticated_caller(stack: Any, readonly: Any, invoke: Any) -> None:
    first = requests.get(stack.api_url + "/health", timeout=30).json()
    second = requests.get(stack.api_url + "/health", timeout=30).json()
    assert first["status"] == second["status"] == "HEALTHY" and second["mode"] == "cached"
    assert second["checkedAt"] == first["checkedAt"] and second["configuration"] == "OK"
    assert "audit" in second["tables"]

    anonymous = requests.get(stack.api_url + "/health", params={"deep": "true"}, timeout=30)
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "UNAUTHORIZED"
    assert requests.get(stack.api_url + "/health", params={"verbose": "1"}, timeout=30).status_code == 400
    assert requests.get(stack.api_url + "/health/deep", timeout=30).status_code == 401

    status, deep = readonly.get("/health/deep")
    assert status == 200 and deep["mode"] == "deep" and deep["ageSeconds"] < 5
    direct = invoke("query", "health", query={"deep": "true"})
    assert direct["mode"] == "deep" and direct["status"] == "HEALTHY"
    after = requests.get(stack.api_url + "/health", timeout=30).json()
    assert after["checkedAt"] >= deep["checkedAt"]  # a deep probe refreshes the cache too
