"""The local stack's commands, added to ``drs-orch`` as a plug-in (entry point group
``drs_orch.cli``), so the ``drs_orch`` package — and the Lambda artifact built from it — never
imports the local stack:

  drs-orch up [--port N] [--speed X] [--fleet FILE]   start the local stack (Ctrl-C stops it)
  drs-orch env                                       export lines for the AWS CLI / boto3
  drs-orch token --role ROLE                          a bearer token of a seeded local user
  drs-orch users                                      the seeded users, their roles and password
  drs-orch profile local                              an operator profile for the running stack
  drs-orch gen-api                                    regenerate the API block of infra/template.yaml
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# the stack module (moto, the gateway) is imported by the commands that need it, not by `drs-orch --help`


def _up(args: argparse.Namespace) -> int:
    from drs_local.console import DIST
    from drs_local.stack import LocalStack

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stack = LocalStack(api_port=args.port, speed=args.speed, fleet=Path(args.fleet) if args.fleet else None)
    try:
        stack.start()
        print(f"API URL: {stack.api_url}", flush=True)
        print(f"AWS endpoint: {stack.moto_url}  DynamoDB endpoint: {stack.dynamodb_url}  DRS endpoint: {stack.drs_url}",
              flush=True)
        built = "" if (DIST / "index.html").is_file() else "  (not built yet: make console)"
        print(f"Console URL: {stack.api_url}/{built}", flush=True)
        _print_users()
        print("ready", flush=True)
        stop.wait()
    finally:
        stack.stop()
        print("stopped", flush=True)
    return 0


def _print_users() -> None:
    from drs_local.stack import PASSWORD, ROLES, user_for

    print(f"Console users (password {PASSWORD}):", flush=True)
    for role in ROLES:
        print(f"  {role:<22} {user_for(role)}", flush=True)


def _users(_: argparse.Namespace) -> int:
    from drs_local.stack import read_state

    read_state()  # a running stack, or a clear message
    _print_users()
    return 0


def _env(_: argparse.Namespace) -> int:
    from drs_local.stack import ACCESS_KEY, SECRET_KEY, read_state

    s = read_state()
    print(f"export AWS_ENDPOINT_URL={s['motoUrl']}")
    print(f"export AWS_ENDPOINT_URL_DRS={s['drsUrl']}")
    print(f"export AWS_ENDPOINT_URL_DYNAMODB={s['dynamodbUrl']}")
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


def _profile_local(args: argparse.Namespace) -> int:
    from drs_local.stack import read_state
    from drs_orch.entrypoints.operator_client import Profile, profile_name, save_profile

    state = read_state()
    name = profile_name(args.profile)
    save_profile(Profile(name, state["apiUrl"], state["clientId"], state["region"]))
    print(f"profile {name} -> {state['apiUrl']}")
    return 0


def _gen_api(_: argparse.Namespace) -> int:
    from drs_local.template import TEMPLATE
    from drs_orch.entrypoints.openapi import write_template

    changed = write_template(TEMPLATE)
    print(f"{TEMPLATE}: {'updated' if changed else 'up to date'}")
    return 0


def register(sub: Any, groups: Mapping[str, Any]) -> None:
    """Add the local commands to ``drs-orch``'s sub-parsers (``groups``: its command groups)."""
    up = sub.add_parser("up", help="start the local stack")
    up.add_argument("--port", type=int, default=8787)
    up.add_argument("--speed", type=float, default=60.0, help="emulated seconds per real second")
    up.add_argument("--fleet", help="DRS fleet file (YAML or JSON); default: the shipped fleet")
    up.set_defaults(fn=_up)
    sub.add_parser("env", help="print export lines for the running local stack").set_defaults(fn=_env)
    tok = sub.add_parser("token", help="print a bearer token of a seeded local user")
    tok.add_argument("--role", required=True, help="e.g. DRSOrchestrationAdmin, DRSOperator, DRSReadOnly")
    tok.set_defaults(fn=_token)
    sub.add_parser("users", help="the local stack's seeded users and their password").set_defaults(fn=_users)
    sub.add_parser("gen-api", help="regenerate the API Gateway block of the template").set_defaults(fn=_gen_api)
    local = groups["profile"].add_parser("local", parents=[groups["common"]],
                                         help="a profile for the running local stack")
    local.set_defaults(fn=_profile_local)
