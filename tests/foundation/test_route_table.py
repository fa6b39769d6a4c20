"""The one route table drives the template's API Gateway methods, OpenAPI and RBAC."""

from __future__ import annotations

from typing import Any

from drs_local.template import TEMPLATE, load_template
from drs_orch.entrypoints.openapi import FUNCTION_RESOURCES, build_openapi
from drs_orch.entrypoints.routes import ROUTES


def _template_methods() -> dict[tuple[str, str], dict[str, Any]]:
    resources = load_template(TEMPLATE)["Resources"]

    def path_of(ref: Any) -> str:
        if isinstance(ref, dict) and "Fn::GetAtt" in ref:
            return ""
        res = resources[ref["Ref"]]["Properties"]
        return path_of(res["ParentId"]) + "/" + res["PathPart"]

    methods = {}
    for res in resources.values():
        if res["Type"] == "AWS::ApiGateway::Method":
            p = res["Properties"]
            methods[(p["HttpMethod"], path_of(p["ResourceId"]))] = p
    return methods


def test_every_route_has_its_method_in_the_template_and_vice_versa() -> None:
    methods = _template_methods()
    routes = {(r.method, r.path): r for r in ROUTES}
    assert set(methods) == set(routes), "run `drs-orch gen-api` after changing routes"
    for key, route in routes.items():
        m = methods[key]
        assert m["OperationName"] == route.operation
        assert FUNCTION_RESOURCES[route.function] in m["Integration"]["Uri"]["Fn::Sub"]
        assert m["Integration"]["Type"] == "AWS_PROXY"
        expected_auth = "NONE" if route.public else "COGNITO_USER_POOLS"
        assert m["AuthorizationType"] == expected_auth


def test_every_non_public_route_names_a_permission_or_is_self_service() -> None:
    self_service = {"get_user_permissions"}
    for r in ROUTES:
        if not r.public and r.operation not in self_service:
            assert r.permission is not None, f"{r.operation} has no permission"


def test_openapi_lists_every_route_once() -> None:
    doc = build_openapi()
    ops = [op["operationId"] for path in doc["paths"].values() for op in path.values()]
    assert sorted(ops) == sorted(r.operation for r in ROUTES)
    assert len(set(ops)) == len(ops)
