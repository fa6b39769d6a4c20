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


def build_openapi() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for r in ROUTES:
        op: dict[str, Any] = {
            "operationId": r.operation,
            "summary": r.summary or r.operation.replace("_", " "),
            "tags": [r.function],
            "x-lambda-function": r.function,
            "responses": {
                str(r.status): {"description": "success"},
                "400": {"$ref": "#/components/responses/Error"},
                "401": {"$ref": "#/components/responses/Error"},
                "403": {"$ref": "#/components/responses/Error"},
                "404": {"$ref": "#/components/responses/Error"},
                "409": {"$ref": "#/components/responses/Error"},
                "429": {"$ref": "#/components/responses/Error"},
            },
        }
        if r.public:
            op["security"] = []
        else:
            op["x-required-permission"] = r.permission.value if r.permission else None
        params = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in r.path_params]
        if params:
            op["parameters"] = params
        if r.method in ("POST", "PUT"):
            op["requestBody"] = {"content": {"application/json": {"schema": {"type": "object"}}}}
        paths.setdefault(r.path, {})[r.method.lower()] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "DRS orchestration API", "version": "1"},
        "paths": paths,
        "security": [{"cognito": []}],
        "components": {
            "securitySchemes": {
                "cognito": {"type": "apiKey", "name": "Authorization", "in": "header",
                            "x-amazon-apigateway-authtype": "cognito_user_pools"}
            },
            "responses": {
                "Error": {
                    "description": "error",
                    "content": {"application/json": {"schema": {
                        "type": "object",
                        "required": ["error", "message"],
                        "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                                       "details": {}},
                    }}},
                }
            },
        },
    }


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
