"""drs-orch: the command line.

  drs-orch up [--port N] [--speed X] [--fleet FILE]   start the local stack (Ctrl-C stops it)
  drs-orch env                                       export lines for the AWS CLI / boto3
  drs-orch token --role ROLE                          a bearer token of a seeded local user
  drs-orch gen-api                                    regenerate the API block of infra/template.yaml
  drs-orch openapi                                    print the OpenAPI document
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path


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
    args = parser.parse_args(argv)
    return int(args.fn(args))


if __name__ == "__main__":
    raise SystemExit(main())
