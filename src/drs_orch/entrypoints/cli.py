"""drs-orch: the command line.

  drs-orch up [--port N] [--speed X] [--fleet FILE]   start the local stack (Ctrl-C stops it)
  drs-orch env                                       export lines for the AWS CLI / boto3
  drs-orch token --role ROLE                          a bearer token of a seeded local user
  drs-orch gen-api                                    regenerate the API block of infra/template.yaml
  drs-orch openapi                                    print the OpenAPI document
  drs-orch package [--output FILE]                    build the Lambda artifact (reproducible)
  drs-orch deploy --stack-name N [--admin-email E]    create/update the hub stack (change set)
  drs-orch destroy --stack-name N [--delete-data]     delete it (tables kept unless --delete-data)

Operator commands (over the REST API, local or deployed): profile, login, groups, plans,
executions, accounts, servers, drill, recover, follow, pause, resume, cancel, terminate, export,
import; `drs-orch <command> --help` for each.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any


def _up(args: argparse.Namespace) -> int:
    from drs_local.console import DIST
    from drs_local.stack import PASSWORD, ROLES, LocalStack, user_for

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stack = LocalStack(api_port=args.port, speed=args.speed, fleet=Path(args.fleet) if args.fleet else None)
    try:
        stack.start()
        print(f"API URL: {stack.api_url}", flush=True)
        print(f"AWS endpoint: {stack.moto_url}  DRS endpoint: {stack.drs_url}", flush=True)
        built = "" if (DIST / "index.html").is_file() else "  (not built yet: make console)"
        print(f"Console URL: {stack.api_url}/{built}", flush=True)
        print(f"Console users (password {PASSWORD}):", flush=True)
        for role in ROLES:
            print(f"  {role:<22} {user_for(role)}", flush=True)
        print("ready", flush=True)
        stop.wait()
    finally:
        stack.stop()
        print("stopped", flush=True)
    return 0


def _env(_: argparse.Namespace) -> int:
    from drs_local.stack import ACCESS_KEY, SECRET_KEY, read_state

    s = read_state()
    print(f"export AWS_ENDPOINT_URL={s['motoUrl']}")
    print(f"export AWS_ENDPOINT_URL_DRS={s['drsUrl']}")
    print(f"export AWS_ACCESS_KEY_ID={ACCESS_KEY}")
    print(f"export AWS_SECRET_ACCESS_KEY={SECRET_KEY}")
    print(f"export AWS_DEFAULT_REGION={s['region']}")
    print(f"export DRS_ORCH_API_URL={s['apiUrl']}")
    return 0


def _token(args: argparse.Namespace) -> int:
    from drs_local.stack import issue_token, read_state

    s = read_state()
    print(issue_token(s["motoUrl"], s["clientId"], args.role))
    return 0


def _gen_api(_: argparse.Namespace) -> int:
    from drs_local.template import TEMPLATE
    from drs_orch.entrypoints.openapi import write_template

    changed = write_template(TEMPLATE)
    print(f"{TEMPLATE}: {'updated' if changed else 'up to date'}")
    return 0


def _package(args: argparse.Namespace) -> int:
    from drs_orch.entrypoints.packaging_lambda import build

    artifact = build(Path(args.output), wheels=Path(args.wheels) if args.wheels else None)
    print(f"{artifact.path}  {artifact.size / 1e6:.1f} MB  sha256 {artifact.sha256}")
    print("runtime dependencies: " + ", ".join(artifact.pins))
    return 0


def _clients(region: str | None) -> Any:
    import boto3

    session = boto3.session.Session(region_name=region)
    return lambda service: session.client(service)


def _deploy(args: argparse.Namespace) -> int:
    from drs_orch.entrypoints.console_upload import CONSOLE_DIST
    from drs_orch.entrypoints.deploy import DeployError, DeployRequest, deploy
    from drs_orch.entrypoints.packaging_lambda import build

    artifact = Path(args.artifact) if args.artifact else build(Path("dist/drs-orch-lambda.zip")).path
    parameters = dict(p.split("=", 1) for p in args.parameters or [])
    try:
        deploy(_clients(args.region), DeployRequest(args.stack_name, artifact, parameters=parameters, bucket=args.bucket,
                                                    admin_email=args.admin_email, yes=args.yes,
                                                    allow_replacement=args.allow_replacement,
                                                    console_dist=None if args.no_console else
                                                    Path(args.console_dist) if args.console_dist else CONSOLE_DIST))
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _destroy(args: argparse.Namespace) -> int:
    from drs_orch.entrypoints.deploy import DeployError, destroy

    try:
        destroy(_clients(args.region), args.stack_name, delete_data=args.delete_data, yes=args.yes)
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _openapi(_: argparse.Namespace) -> int:
    from drs_orch.entrypoints.openapi import build_openapi

    json.dump(build_openapi(), sys.stdout, indent=2)
    print()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="drs-orch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the local stack")
    up.add_argument("--port", type=int, default=8787)
    up.add_argument("--speed", type=float, default=60.0, help="emulated seconds per real second")
    up.add_argument("--fleet", help="DRS fleet file (YAML or JSON); default: the shipped fleet")
    up.set_defaults(fn=_up)
    sub.add_parser("env", help="print export lines for the running local stack").set_defaults(fn=_env)
    tok = sub.add_parser("token", help="print a bearer token of a seeded local user")
    tok.add_argument("--role", required=True)
    tok.set_defaults(fn=_token)
    sub.add_parser("gen-api", help="regenerate the API Gateway block of the template").set_defaults(fn=_gen_api)
    sub.add_parser("openapi", help="print the OpenAPI document").set_defaults(fn=_openapi)
    pkg = sub.add_parser("package", help="build the Lambda artifact (reproducible zip)")
    pkg.add_argument("--output", default="dist/drs-orch-lambda.zip")
    pkg.add_argument("--wheels", help="folder to keep the downloaded wheels in (reused)")
    pkg.set_defaults(fn=_package)
    dep = sub.add_parser("deploy", help="create or update the hub stack through a change set")
    dep.add_argument("--stack-name", required=True)
    dep.add_argument("--region")
    dep.add_argument("--admin-email", help="first deploy: create this admin user (Cognito mails the password)")
    dep.add_argument("--parameters", nargs="*", metavar="KEY=VALUE", help="template parameters")
    dep.add_argument("--artifact", help="a built artifact (default: build one with `package`)")
    dep.add_argument("--bucket", help="artifact bucket (default: drs-orch-artifacts-ACCOUNT-REGION)")
    dep.add_argument("--allow-replacement", action="store_true", help="allow replacing a DynamoDB table")
    dep.add_argument("--yes", action="store_true", help="execute the change set without asking")
    dep.add_argument("--console-dist", help="the built web console (default: console/dist)")
    dep.add_argument("--no-console", action="store_true", help="do not upload the web console")
    dep.set_defaults(fn=_deploy)
    des = sub.add_parser("destroy", help="delete the hub stack (tables are kept unless --delete-data)")
    des.add_argument("--stack-name", required=True)
    des.add_argument("--region")
    des.add_argument("--delete-data", action="store_true")
    des.add_argument("--yes", action="store_true")
    des.set_defaults(fn=_destroy)
    from drs_orch.entrypoints import operator_cli

    operator_cli.register(sub)
    args = parser.parse_args(argv)
    if getattr(args.fn, "__module__", "") == operator_cli.__name__:
        return operator_cli.run(args)
    return int(args.fn(args))


if __name__ == "__main__":
    raise SystemExit(main())
