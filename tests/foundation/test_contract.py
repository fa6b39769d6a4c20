"""The typed contract: every route has request and response models in OpenAPI, nothing is a bare
object, and an answer outside its response model is caught."""

from __future__ import annotations

from typing import Any

import pytest

from contract_check import check_answer
from drs_orch.entrypoints.contract import CONTRACTS
from drs_orch.entrypoints.openapi import build_openapi
from drs_orch.entrypoints.routes import ROUTES

BODY_METHODS = {"POST", "PUT"}


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _described(doc: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A schema that says something: properties, or a union of schemas that do."""
    schema = _resolve(doc, schema)
    if "anyOf" in schema or "oneOf" in schema:
        return all(_described(doc, s) for s in schema.get("anyOf", schema.get("oneOf", [])))
    return bool(schema.get("properties"))


def test_the_contract_and_the_route_table_name_the_same_operations() -> None:
    assert set(CONTRACTS) == {r.operation for r in ROUTES}


def test_every_route_has_typed_request_and_response_schemas() -> None:
    doc = build_openapi()
    assert doc["openapi"].startswith("3.1")
    counted = {"responses": 0, "bodies": 0}
    for route in ROUTES:
        op = doc["paths"][route.path][route.method.lower()]
        success = op["responses"][str(route.status)]["content"]["application/json"]["schema"]
        assert _described(doc, success), f"{route.operation}: bare success schema"
        counted["responses"] += 1
        for status in ("400", "404", "409"):
            error = _resolve(doc, op["responses"][status]["content"]["application/json"]["schema"])
            assert set(error["required"]) == {"error", "message"}, route.operation
        if route.method in BODY_METHODS and CONTRACTS[route.operation].body is not None:
            body = op["requestBody"]["content"]["application/json"]["schema"]
            assert _described(doc, body), f"{route.operation}: bare request schema"
            counted["bodies"] += 1
        if not route.public:
            assert op["x-required-permission"], route.operation
    assert counted["responses"] == len(ROUTES)
    bodiless = [r.operation for r in ROUTES if r.method in BODY_METHODS and CONTRACTS[r.operation].body is None]
    assert bodiless == [f"{op}" for op in bodiless if op in _NO_BODY], bodiless


# POST routes that act on their path alone (no body is read)
_NO_BODY = {"refresh_protection_group", "validate_recovery_plan", "evaluate_recovery_plan", "pause_execution",
            "resume_execution", "cancel_execution", "terminate_instances"}


def test_query_parameters_are_typed() -> None:
    doc = build_openapi()
    params = {p["name"]: p for p in doc["paths"]["/drs/source-servers"]["get"]["parameters"]}
    assert params["limit"]["schema"]["anyOf"][0] == {"type": "integer", "minimum": 1, "maximum": 1000}
    assert "pattern" in params["region"]["schema"]["anyOf"][0]


def test_an_answer_outside_its_model_fails() -> None:
    good = {"deleted": True, "deletedBy": "me", "planId": "p", "planName": "n"}
    check_answer("delete_recovery_plan", 200, good)
    with pytest.raises(AssertionError, match="extraField"):
        check_answer("delete_recovery_plan", 200, {**good, "extraField": 1})
    with pytest.raises(AssertionError, match="deletedBy"):
        check_answer("delete_recovery_plan", 200, {k: v for k, v in good.items() if k != "deletedBy"})
