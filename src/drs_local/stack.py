"""The local stack: moto (server mode, in this process) with the real ASL interpreter and
in-process Lambda, moto's DynamoDB in a process of its own (:mod:`drs_local.dynamodb_process`), the
DRS emulator on its own port, the CloudFormation template deployed through the CloudFormation API,
Cognito users per role, and the local API Gateway."""

from __future__ import annotations

import concurrent.futures
import gc
import io
import json
import logging
import os
import socket
import tempfile
import time
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from drs_local import iam_policy, loopback, moto_patches, ops_resources
from drs_local.apigw import Authorizer, LocalApiGateway
from drs_local.console import DIST, ConsoleFiles
from drs_local.dynamodb_process import DynamoDbProcess, move_tables
from drs_local.template import ASL, ROOT, TEMPLATE, load_template, package

log = logging.getLogger("drs_local")

HUB_ACCOUNT = "123456789012"
REGION = "us-east-1"
ACCESS_KEY = "testing"
SECRET_KEY = "testing"
INTEGRATION_TIMEOUT_SECONDS = 60  # API Gateway's is 29 s; the local stack runs slower than AWS
STACK_NAME = "drs-orch-local"
ARTIFACT_BUCKET = "drs-orch-artifacts-local"
PASSWORD = "Local-Passw0rd!"
DEFAULT_STATE_DIR = ROOT / ".drs-orch"
ROLES = ["DRSOrchestrationAdmin", "DRSRecoveryManager", "DRSPlanManager", "DRSOperator", "DRSReadOnly",
         "DRSAuditor"]
# Resource types moto's CloudFormation skips (it logs a warning and still reports CREATE_COMPLETE);
# the stack creates them through their own APIs instead.
DIRECT_TYPES = {"AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolGroup"}


def state_dir() -> Path:
    """Where ``drs-orch up`` records the running stack (read by ``drs-orch env``/``token``). Read from
    ``DRS_ORCH_STATE_DIR`` at each use, so a test session that sets it never touches the checkout's."""
    return Path(os.environ.get("DRS_ORCH_STATE_DIR") or DEFAULT_STATE_DIR)


GC_THRESHOLDS = (20_000, 20, 100)  # allocations before a young collection; young, then middle, ones before the next


def _long_lived_process() -> None:
    """The local stack keeps every service's state (moto's tables, instances, executions) in this one
    process, which Python's cyclic collector walked again and again: with the default thresholds a
    20-wave run of 2,000 servers (``bench/engine.py``) spent 4.7 s in full collections of up to 0.7 s
    each, pauses that stop every thread and landed at random in the figures (now 1.4 s, at most
    0.2 s). What exists once the stack is deployed stays
    for the process's life and is left out of collections (``gc.freeze``), and collections run
    less often. Reference counting frees everything else as before; only cycles wait longer."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def user_for(role: str) -> str:
    return f"{role.lower()}@example.com"


@dataclass
class LocalStack:
    api_port: int = 0
    speed: float = 60.0
    fleet: Path | None = None
    moto_url: str = ""
    drs_url: str = ""
    dynamodb_url: str = ""
    api_url: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    created_directly: list[str] = field(default_factory=list)
    not_modelled: list[str] = field(default_factory=list)  # template resources with no local API (logged)
    user_pool_id: str = ""
    client_id: str = ""
    emulator: Any = None
    _moto: Any = None
    _drs: Any = None
    _dynamodb: DynamoDbProcess | None = None
    _api: LocalApiGateway | None = None
    _lambda: Any = None
    _integrations: concurrent.futures.ThreadPoolExecutor = field(
        default_factory=lambda: concurrent.futures.ThreadPoolExecutor(32, thread_name_prefix="local-apigw-integration"))

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> LocalStack:
        t0 = time.monotonic()
        self._dynamodb = DynamoDbProcess.launch()  # it starts while this process sets moto up
        moto_patches.apply()
        moto_patches.set_speed(self.speed)
        from moto.core.config import default_user_config
        from moto.server import ThreadedMotoServer

        # moto warns once per skipped resource type; _create_directly logs what it does instead.
        warnings.filterwarnings("ignore", category=UserWarning, module="moto.cloudformation.parsing")
        default_user_config["stepfunctions"] = {"execute_state_machine": True}
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        moto_port = free_port()
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
        self._moto.start()
        self.moto_url = f"http://127.0.0.1:{moto_port}"
        moto_app = self._moto._server.app
        for host in ("127.0.0.1", "localhost"):  # localhost: moto's Step Functions interpreter calls it so
            loopback.route(f"http://{host}:{moto_port}", moto_app)
        iam_policy.apply()
        iam_policy.provision_local_spokes()
        self._start_drs()
        self.dynamodb_url = self._dynamodb.ready()
        os.environ.update(self.env())
        self._deploy()
        self._apply_function_environment()
        self.cold_start()
        self.forward_drs_events([HUB_ACCOUNT, *iam_policy.LOCAL_SPOKES])
        from drs_emulator.events import moto_deliverer

        self.emulator.events.start(moto_deliverer())
        self._seed_users()
        self._start_api()
        self.write_state()
        _long_lived_process()
        log.info("local stack ready in %.1fs", time.monotonic() - t0)
        return self

    def stop(self) -> None:
        if self.emulator is not None:
            self.emulator.events.stop()
        if self._api is not None:
            self._api.stop()
        self._integrations.shutdown(wait=False)
        if self._drs is not None:
            loopback.unroute(self.drs_url)
            self._drs.stop()
        if self._moto is not None:
            for host in ("127.0.0.1", "localhost"):
                loopback.unroute(self.moto_url.replace("127.0.0.1", host))
            self._moto.stop()
        if self._dynamodb is not None:
            self._dynamodb.stop()

    @property
    def dynamodb_pid(self) -> int:
        """The DynamoDB process (its CPU is not this process's)."""
        assert self._dynamodb is not None, "the stack has not started"
        return self._dynamodb.process.pid

    def env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.moto_url,
            "AWS_ENDPOINT_URL_DRS": self.drs_url,
            "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb_url,
            "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": self.dynamodb_url,  # streams are kept by the tables
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            # moto's Step Functions interpreter calls Lambda & co. at http://localhost:$MOTO_PORT
            "MOTO_PORT": self.moto_url.rsplit(":", 1)[-1],
        }

    # ------------------------------------------------------------------ DRS
    def _start_drs(self) -> None:
        from drs_emulator import DEFAULT_FLEET, Emulator, serve

        self.emulator = Emulator(speed=self.speed)
        self.emulator.load_fleet(self.fleet or DEFAULT_FLEET)
        self._drs = serve(self.emulator, host="127.0.0.1", port=0)
        self.drs_url = self._drs.url
        loopback.route(self.drs_url, self._drs.app)

    # ------------------------------------------------------------------ CloudFormation
    def client(self, service: str, **kwargs: Any) -> Any:
        endpoint = {"drs": self.drs_url, "dynamodb": self.dynamodb_url,
                    "dynamodbstreams": self.dynamodb_url}.get(service, self.moto_url)
        kwargs.setdefault("endpoint_url", endpoint)
        return boto3.client(service, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY, **kwargs)

    def _deploy(self) -> None:
        """Deploy infra/template.yaml through the product's own deploy code (a change set, as in
        AWS); then create what moto's CloudFormation skips."""
        from drs_orch.entrypoints.deploy import DeployRequest, deploy

        parameters = {"ArtifactBucket": ARTIFACT_BUCKET, "Environment": "local", "DrsRegions": "us-east-1,us-west-2"}
        with tempfile.TemporaryDirectory() as tmp:
            artifact = Path(tmp) / "lambda.zip"
            artifact.write_bytes(_code_zip())
            deploy(self.client, DeployRequest(
                STACK_NAME, artifact, bucket=ARTIFACT_BUCKET, yes=True, poll_seconds=0.05,
                console_dist=None,  # the local stack serves console/dist itself, at `/` of the API
                parameters={k: v for k, v in parameters.items() if k != "ArtifactBucket"}), say=log.info)
        template = package(load_template(TEMPLATE), ASL.read_text())
        cfn = self.client("cloudformation")
        stack = cfn.describe_stacks(StackName=STACK_NAME)["Stacks"][0]
        if stack["StackStatus"] != "CREATE_COMPLETE":
            raise RuntimeError(f"stack {STACK_NAME} is {stack['StackStatus']}: {stack.get('StackStatusReason')}")
        physical = {r["LogicalResourceId"]: r["PhysicalResourceId"]
                    for r in cfn.list_stack_resources(StackName=STACK_NAME)["StackResourceSummaries"]}
        missing = {k: v for k, v in template["Resources"].items()
                   if k not in physical and "Condition" not in v}
        self._create_directly(missing, physical)
        defaults = {k: str(v.get("Default", "")) for k, v in template.get("Parameters", {}).items()}
        created, self.not_modelled = ops_resources.create(
            missing, ops_resources.Resolver({**defaults, **parameters}, physical, HUB_ACCOUNT, REGION, attributes={
                f"{k}.Arn": f"arn:aws:s3:::{physical[k]}" for k, v in template["Resources"].items()
                if v["Type"] == "AWS::S3::Bucket" and k in physical}), self.client)
        self.created_directly += created
        for logical in self.not_modelled:
            log.warning("%s (%s) has no local API; not created locally", logical, missing[logical]["Type"])
        still = sorted(k for k in missing if k not in self.created_directly and k not in self.not_modelled)
        if still:
            raise RuntimeError(f"the local CloudFormation did not create {still} and no direct creation is known")
        self.outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        # moto's CloudFormation leaves out TimeToLiveSpecification; the move applies the template's
        ttl = {physical[k]: v["Properties"]["TimeToLiveSpecification"]["AttributeName"]
               for k, v in template["Resources"].items() if k in physical and v["Type"] == "AWS::DynamoDB::Table"
               and (v["Properties"].get("TimeToLiveSpecification") or {}).get("Enabled")}
        moved = move_tables(self.client("dynamodb", endpoint_url=self.moto_url), self.client("dynamodb"), ttl)
        log.info("the template's %s tables are served by the DynamoDB process", len(moved))

    def _create_directly(self, missing: dict[str, Any], physical: dict[str, str]) -> None:
        """Create what moto's CloudFormation skipped, from the same template properties."""
        idp = self.client("cognito-idp")
        for logical, res in missing.items():
            if res["Type"] == "AWS::Cognito::UserPool":
                props = res["Properties"]
                pool = idp.create_user_pool(PoolName="drs-orch-users-local", Policies=props.get("Policies", {}),
                                            UsernameAttributes=props.get("UsernameAttributes", []),
                                            AutoVerifiedAttributes=props.get("AutoVerifiedAttributes", []))
                self.user_pool_id = pool["UserPool"]["Id"]
                self.created_directly.append(logical)
        for logical, res in missing.items():
            props = res["Properties"]
            if res["Type"] == "AWS::Cognito::UserPoolClient":
                c = idp.create_user_pool_client(UserPoolId=self.user_pool_id, ClientName=props["ClientName"]
                                                if isinstance(props.get("ClientName"), str) else "drs-orch-web-local",
                                                ExplicitAuthFlows=props.get("ExplicitAuthFlows", []),
                                                GenerateSecret=False)
                self.client_id = c["UserPoolClient"]["ClientId"]
                self.created_directly.append(logical)
            elif res["Type"] == "AWS::Cognito::UserPoolGroup":
                idp.create_group(UserPoolId=self.user_pool_id, GroupName=props["GroupName"],
                                 Precedence=props.get("Precedence", 0))
                self.created_directly.append(logical)
        apigw = self.client("apigateway")
        for logical, res in missing.items():
            if res["Type"] == "AWS::ApiGateway::Authorizer":
                pool_arn = f"arn:aws:cognito-idp:{REGION}:{HUB_ACCOUNT}:userpool/{self.user_pool_id}"
                apigw.create_authorizer(restApiId=physical["RestApi"], name=res["Properties"]["Name"],
                                        type="COGNITO_USER_POOLS", providerARNs=[pool_arn],
                                        identitySource=res["Properties"]["IdentitySource"])
                self.created_directly.append(logical)
            elif res["Type"] == "AWS::ApiGateway::Stage":
                apigw.create_stage(restApiId=physical["RestApi"], stageName="local",
                                   deploymentId=physical["ApiDeployment"], tracingEnabled=True)
                self.created_directly.append(logical)
            elif res["Type"] == "AWS::ApiGateway::GatewayResponse":  # served by drs_local.apigw
                props = res["Properties"]
                apigw.put_gateway_response(restApiId=physical["RestApi"], responseType=props["ResponseType"],
                                           statusCode=props["StatusCode"],
                                           responseParameters=props.get("ResponseParameters", {}),
                                           responseTemplates=props.get("ResponseTemplates", {}))
                self.created_directly.append(logical)
        for logical in self.created_directly:
            log.warning("moto's CloudFormation skipped %s (%s); created it directly", logical,
                        missing[logical]["Type"])

    def _apply_function_environment(self) -> None:
        """In-process Lambdas share this process: the functions' environments (identical by design)
        are applied to it once. A variable with different values per function is an error."""
        lam = self.client("lambda")
        merged: dict[str, str] = {}
        for key in ("DataManagementFunctionName", "ExecutionFunctionName", "QueryFunctionName",
                    "OrchestrationFunctionName"):
            cfg = lam.get_function_configuration(FunctionName=self.outputs[key])
            for k, raw in (cfg.get("Environment") or {}).get("Variables", {}).items():
                v = str(raw)
                if merged.get(k, v) != v:
                    raise RuntimeError(f"function environments disagree on {k}")
                merged[k] = v  # Lambda environment values are strings (moto keeps template numbers)
        os.environ.update(merged)

    @staticmethod
    def cold_start() -> None:
        """The in-process Lambdas start cold in this stack's environment: what the process cached
        from the environment before (no stack yet, or another one: the container and its settings,
        the shared DynamoDB clients and their endpoints) is dropped, as a new execution environment
        would not have it."""
        from drs_orch.adapters import dynamodb, dynamodb_tx
        from drs_orch.entrypoints import wiring

        for cached in (wiring.container, dynamodb.low_level, dynamodb_tx.client):
            cached.cache_clear()

    # ------------------------------------------------------------------ DRS events (issue 19)
    def forward_drs_events(self, accounts: list[str]) -> None:
        """DRS sends its events to the default bus of the source server's account-region. As the
        spoke template does in each account-region the hub drives, a rule there (the spoke
        template's ``DrsEventsForwardRule``) forwards the launch results to the hub's default bus,
        where the hub stack's rule wakes the engine. Call it for a spoke account a test adds."""
        import yaml
        from moto.events.models import events_backends

        from drs_orch.domain.data_rules import DRS_REGIONS

        class _Loader(yaml.SafeLoader):
            pass

        _Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
        spoke = yaml.load((ROOT / "infra" / "spoke.yaml").read_text(), Loader=_Loader)  # noqa: S506
        pattern = json.dumps(spoke["Resources"]["DrsEventsForwardRule"]["Properties"]["EventPattern"])
        hub_bus = f"arn:aws:events:{REGION}:{HUB_ACCOUNT}:event-bus/default"
        for account in accounts:
            for region in DRS_REGIONS:
                if (account, region) == (HUB_ACCOUNT, REGION):
                    continue
                backend = events_backends[account][region]
                backend.put_rule("drs-orch-forward-drs-events", event_pattern=pattern, state="ENABLED",
                                 description="spoke.yaml DrsEventsForwardRule (local)")
                backend.put_targets("drs-orch-forward-drs-events", None, [{"Id": "drs-orchestration-hub",
                                                                            "Arn": hub_bus}])

    # ------------------------------------------------------------------ Cognito users
    def _seed_users(self) -> None:
        idp = self.client("cognito-idp")
        for role in ROLES:
            name = user_for(role)
            idp.admin_create_user(UserPoolId=self.user_pool_id, Username=name,
                                  UserAttributes=[{"Name": "email", "Value": name}], MessageAction="SUPPRESS")
            idp.admin_set_user_password(UserPoolId=self.user_pool_id, Username=name, Password=PASSWORD,
                                        Permanent=True)
            idp.admin_add_user_to_group(UserPoolId=self.user_pool_id, Username=name, GroupName=role)

    def token(self, role: str) -> str:
        return issue_token(self.moto_url, self.client_id, role)

    # ------------------------------------------------------------------ API Gateway
    def _start_api(self) -> None:
        import urllib.request

        req = urllib.request.Request(f"{self.moto_url}/{self.user_pool_id}/.well-known/jwks.json",
                                     headers={"Host": f"cognito-idp.{REGION}.amazonaws.com"})
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback only
            jwks = json.load(resp)
        authorizer = Authorizer(jwks=jwks, issuer=f"https://cognito-idp.{REGION}.amazonaws.com/{self.user_pool_id}",
                                audience=self.client_id)
        functions = {
            "data-management": self.outputs["DataManagementFunctionName"],
            "execution": self.outputs["ExecutionFunctionName"],
            "query": self.outputs["QueryFunctionName"],
        }
        console = ConsoleFiles(DIST, {})
        self._api = LocalApiGateway(invoke=self._invoke_proxy, function_names=functions, authorizer=authorizer,
                                    port=self.api_port, console=console)
        self._api.start()
        self.api_url = self._api.url
        # the console is served by the API origin: it calls the API there and signs in at moto's Cognito
        console.config.update({"apiUrl": self.api_url, "region": REGION, "userPoolId": self.user_pool_id,
                               "clientId": self.client_id, "cognitoEndpoint": f"{self.moto_url}/"})

    def _invoke_proxy(self, function_name: str, event: dict[str, Any]) -> tuple[int, dict[str, str], str]:
        """API Gateway's Lambda proxy integration: one invocation, never retried (a request that
        timed out is not sent again: it would run twice); past the integration timeout the caller
        gets 504 and the function runs on. API Gateway's timeout is 29 s; the local one is 60 s, as
        the local stack is slower."""
        if self._lambda is None:
            self._lambda = self.client("lambda", config=Config(retries={"total_max_attempts": 1},
                                                               max_pool_connections=32))
        invocation = self._integrations.submit(
            self._lambda.invoke, FunctionName=function_name, Payload=json.dumps(event).encode())
        try:
            out = invocation.result(timeout=INTEGRATION_TIMEOUT_SECONDS)
        except concurrent.futures.TimeoutError:
            log.error("function %s did not answer within %s s", function_name, INTEGRATION_TIMEOUT_SECONDS)
            return 504, {"Content-Type": "application/json"}, json.dumps({"message": "Endpoint request timed out"})
        payload = json.loads(out["Payload"].read() or b"null")
        if out.get("FunctionError") or not isinstance(payload, dict) or "statusCode" not in payload:
            log.error("function %s failed: %s", function_name, payload)
            return 502, {"Content-Type": "application/json"}, json.dumps({"message": "Internal server error"})
        headers = {k: str(v) for k, v in (payload.get("headers") or {}).items()}
        for k, values in (payload.get("multiValueHeaders") or {}).items():
            headers[k] = ",".join(str(v) for v in values)
        return int(payload["statusCode"]), headers, payload.get("body") or ""

    # ------------------------------------------------------------------ state file
    def state(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "apiUrl": self.api_url,
            "motoUrl": self.moto_url,
            "drsUrl": self.drs_url,
            "dynamodbUrl": self.dynamodb_url,
            "region": REGION,
            "userPoolId": self.user_pool_id,
            "clientId": self.client_id,
            "outputs": self.outputs,
            "consoleUrl": f"{self.api_url}/",
            "users": {role: user_for(role) for role in ROLES},
        }

    def write_state(self) -> None:
        directory = state_dir()
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "local-stack.json").write_text(json.dumps(self.state(), indent=2))


def read_state() -> dict[str, Any]:
    path = state_dir() / "local-stack.json"
    if not path.exists():
        raise SystemExit("no local stack is running (start one with: drs-orch up)")
    state: dict[str, Any] = json.loads(path.read_text())
    return state


def issue_token(moto_url: str, client_id: str, role: str) -> str:
    if role not in ROLES:
        raise SystemExit(f"unknown role {role}; one of {', '.join(ROLES)}")
    idp = boto3.client("cognito-idp", region_name=REGION, endpoint_url=moto_url, aws_access_key_id=ACCESS_KEY,
                       aws_secret_access_key=SECRET_KEY)
    out = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                            AuthParameters={"USERNAME": user_for(role), "PASSWORD": PASSWORD})
    return str(out["AuthenticationResult"]["IdToken"])


def _code_zip() -> bytes:
    """The Lambda deployment package: the drs_orch package from this source tree."""
    buf = io.BytesIO()
    src = ROOT / "src"
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted((src / "drs_orch").rglob("*.py")):
            zf.write(path, path.relative_to(src).as_posix())
    return buf.getvalue()
