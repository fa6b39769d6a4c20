"""drs-orch: the command line.

  drs-orch openapi                                    print the OpenAPI document
  drs-orch package [--output FILE]                    build the Lambda artifact (reproducible)
  drs-orch deploy --stack-name N [--admin-email E]    create/update the hub stack (change set)
  drs-orch destroy --stack-name N [--delete-data]     delete it (tables kept unless --delete-data)

Operator commands (over the REST API, local or deployed): profile, login, groups, plans,
executions, accounts, servers, drill, recover, follow, pause, resume, cancel, terminate, export,
import; `drs-orch <command> --help` for each.

Local-stack commands (up, env, token, users, profile local, gen-api) come from the `drs_local`
package when it is installed (entry point group ``drs_orch.cli``); this package never imports it.
Shell completion: `eval "$(register-python-argcomplete drs-orch)"` (bash/zsh; see docs/DEPLOY.md).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import sys
from pathlib import Path
from typing import Any

PLUGIN_GROUP = "drs_orch.cli"


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

    groups = operator_cli.register(sub)
    for plugin in importlib.metadata.entry_points(group=PLUGIN_GROUP):
        plugin.load()(sub, groups)
    try:
        import argcomplete  # the `cli` extra; completion is optional
    except ImportError:
        pass
    else:
        argcomplete.autocomplete(parser)
    args = parser.parse_args(argv)
    if getattr(args.fn, "__module__", "") == operator_cli.__name__:
        return operator_cli.run(args)
    return int(args.fn(args))


if __name__ == "__main__":
    raise SystemExit(main())
