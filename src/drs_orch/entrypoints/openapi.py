"""OpenAPI document and API Gateway template block, both generated from the route table."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from drs_orch.entrypoints.routes import ROUTES
from drs_orch.entrypoints.routing import Route

FUNCTION_RESOURCES = {
    "data-management": "DataManagementFunction",
    "execution": "ExecutionFunction",
    "query": "QueryFunction",
}
BEGIN = "  # BEGIN GENERATED API (drs-orch gen-api; do not edit by hand)\n"
END = "  # END GENERATED API\n"


_COMMON_ERRORS = {
    "400": ("the request is invalid: the body, a parameter or a rule (details name the fields)",
            ["VALIDATION_ERROR", "INVALID_PARAMETER", "INVALID_JSON", "JSON_TOO_DEEP", "TOO_MANY_ITEMS",
             "MISSING_PARAMETER"]),
    "401": ("no valid bearer token", ["UNAUTHORIZED"]),
    "403": ("the caller's role lacks the route's permission", ["FORBIDDEN"]),
    "404": ("no such route or resource", ["NOT_FOUND"]),
    "409": ("a conflict with the current state (version, name, servers in use, status)", []),
    "413": ("the body is larger than 10 MB (API Gateway) or the event than 6 MB (Lambda)", ["REQUEST_TOO_LARGE"]),
    "429": ("a DRS limit or throttling", ["LIMIT_EXCEEDED"]),
    "502": ("AWS refused or failed for a reason that is not the caller's input", ["UPSTREAM_ERROR"]),
}


def _schema_of(tp: Any, defs: dict[str, Any], mode: str) -> dict[str, Any]:
    """The JSON schema of a model (or union), its definitions hoisted into ``defs``."""
    from pydantic import TypeAdapter

    schema = TypeAdapter(tp).json_schema(by_alias=True, mode=mode,  # type: ignore[arg-type]
                                         ref_template="#/components/schemas/{model}")
    defs.update(schema.pop("$defs", {}))
    title = schema.get("title")
    if schema.get("type") == "object" and isinstance(title, str) and title.isidentifier():
        defs[title] = schema
        return {"$ref": f"#/components/schemas/{title}"}
    return schema


def _query_parameters(model: Any, defs: dict[str, Any]) -> list[dict[str, Any]]:
    schema = _schema_of(model, defs, "validation")
    if "$ref" in schema:
        schema = defs.pop(schema["$ref"].rsplit("/", 1)[-1])
    required = set(schema.get("required", []))
    return [{"name": name, "in": "query", "required": name in required,
             "description": prop.get("description", ""), "schema": {k: v for k, v in prop.items()
                                                                   if k not in ("title", "description")}}
            for name, prop in schema.get("properties", {}).items()]


def build_openapi() -> dict[str, Any]:
    """OpenAPI 3.1 from the route table and the contract: every operation with its permission,
    request body, query parameters, success body and typed errors."""
    from drs_orch.entrypoints.contract import CONTRACTS, ERROR

    defs: dict[str, Any] = {}
    error_ref = _schema_of(ERROR, defs, "serialization")
    paths: dict[str, dict[str, Any]] = {}
    for r in ROUTES:
        contract = CONTRACTS[r.operation]
        responses: dict[str, Any] = {
            str(r.status): {"description": "success",
                            "content": {"application/json": {"schema": _schema_of(contract.response, defs,
                                                                                  "serialization")}}},
        }
        if r.operation in ("execute_recovery_plan", "execute_plan"):
            responses["200"] = {"description": "dry run: the prediction (nothing was started)",
                                "content": responses[str(r.status)]["content"]}
        for status, (meaning, codes) in _COMMON_ERRORS.items():
            if r.public and status in ("401", "403"):
                continue
            responses[status] = {"description": meaning + (f"; codes include {', '.join(codes)}" if codes else ""),
                                 "content": {"application/json": {"schema": error_ref}}}
        op: dict[str, Any] = {
            "operationId": r.operation,
            "summary": r.summary or r.operation.replace("_", " "),
            "tags": [r.function],
            "x-lambda-function": r.function,
            "responses": responses,
        }
        if r.public:
            op["security"] = []
        else:
            op["x-required-permission"] = r.permission.value if r.permission else "AUTHENTICATED"
        params = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in r.path_params]
        if contract.query is not None:
            params += _query_parameters(contract.query, defs)
        if params:
            op["parameters"] = params
        if contract.body is not None:
            op["requestBody"] = {"required": r.method == "POST" and r.operation not in _OPTIONAL_BODY,
                                 "content": {"application/json": {"schema": _schema_of(contract.body, defs,
                                                                                       "validation")}}}
        paths.setdefault(r.path, {})[r.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "DRS orchestration API", "version": "1"},
        "paths": paths,
        "security": [{"cognito": []}],
        "components": {
            "securitySchemes": {
                "cognito": {"type": "apiKey", "name": "Authorization", "in": "header",
                            "x-amazon-apigateway-authtype": "cognito_user_pools"}
            },
            "schemas": dict(sorted(defs.items())),
        },
    }


_OPTIONAL_BODY = frozenset({"apply_launch_configs", "validate_target_account", "run_tag_sync", "execute_plan",
                            "delete_server_launch_config", "delete_executions"})


def _logical(parts: list[str]) -> str:
    name = "".join(re.sub(r"[^A-Za-z0-9]", " ", p).title().replace(" ", "") for p in parts)
    return "Res" + (name or "Root")


def _resource_id(parts: list[str]) -> str:
    return _logical([p.strip("{}") + ("Param" if p.startswith("{") else "") for p in parts])


def api_block(routes: list[Route] | None = None) -> str:
    """CloudFormation YAML for the API Gateway resources and methods of every route."""
    routes = ROUTES if routes is None else routes
    lines: list[str] = [BEGIN]
    resources: dict[tuple[str, ...], str] = {}
    for r in sorted(routes, key=lambda x: x.path):
        parts = [p for p in r.path.split("/") if p]
        for i in range(1, len(parts) + 1):
            key = tuple(parts[:i])
            if key in resources:
                continue
            rid = _resource_id(list(key))
            parent = "!GetAtt RestApi.RootResourceId" if i == 1 else f"!Ref {resources[key[:-1]]}"
            resources[key] = rid
            lines += [f"  {rid}:\n", "    Type: AWS::ApiGateway::Resource\n", "    Properties:\n",
                      "      RestApiId: !Ref RestApi\n", f"      ParentId: {parent}\n",
                      f"      PathPart: \"{key[-1]}\"\n"]
    method_ids: list[str] = []
    for r in sorted(routes, key=lambda x: (x.path, x.method)):
        parts = [p for p in r.path.split("/") if p]
        mid = "M" + r.method.title() + _resource_id(parts)[3:]
        method_ids.append(mid)
        fn = FUNCTION_RESOURCES[r.function]
        lines += [f"  {mid}:\n", "    Type: AWS::ApiGateway::Method\n", "    Properties:\n",
                  "      RestApiId: !Ref RestApi\n", f"      ResourceId: !Ref {resources[tuple(parts)]}\n",
                  f"      HttpMethod: {r.method}\n", f"      OperationName: {r.operation}\n"]
        if r.public:
            lines.append("      AuthorizationType: NONE\n")
        else:
            lines += ["      AuthorizationType: COGNITO_USER_POOLS\n", "      AuthorizerId: !Ref CognitoAuthorizer\n"]
        lines += ["      Integration:\n", "        Type: AWS_PROXY\n", "        IntegrationHttpMethod: POST\n",
                  f"        Uri: !Sub \"arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{fn}.Arn}}/invocations\"\n"]
    lines += ["  ApiDeployment:\n", "    Type: AWS::ApiGateway::Deployment\n", "    DependsOn:\n"]
    lines += [f"      - {m}\n" for m in method_ids]
    lines += ["    Properties:\n", "      RestApiId: !Ref RestApi\n",
              "  ApiStage:\n", "    Type: AWS::ApiGateway::Stage\n", "    Properties:\n",
              "      RestApiId: !Ref RestApi\n", "      DeploymentId: !Ref ApiDeployment\n",
              "      StageName: !Ref Environment\n", "      TracingEnabled: true\n"]
    lines.append(END)
    return "".join(lines)


def write_template(path: Path) -> bool:
    """Rewrite the generated block of the template; return True if it changed."""
    text = path.read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    new = text[:start] + api_block() + text[end:]
    if new != text:
        path.write_text(new)
        return True
    return False
