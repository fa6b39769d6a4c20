"""The operator commands of ``drs-orch``, over the REST API (local stack or a deployed stack):

  drs-orch profile add NAME --api-url URL --client-id ID --region R    (or, with the local stack: profile local)
  drs-orch login [--profile P] --username U [--password-stdin]
  drs-orch groups|plans|executions|accounts list | show ID | create -f FILE | update ID -f FILE | delete ID
  drs-orch plans validate PLAN | plans dry-run PLAN [--type DRILL|RECOVERY]
  drs-orch servers list --region R [--account-id A]
  drs-orch drill PLAN [--follow]          drs-orch recover PLAN --confirm PLAN-NAME [--follow]
  drs-orch pause|resume|cancel|terminate EXECUTION        drs-orch follow EXECUTION
  drs-orch export [-f FILE]               drs-orch import -f FILE [--dry-run] [--mode skip|overwrite]
  drs-orch spoke-template                 drs-orch onboard-spoke --account-id A --role-arn R --external-id X

PLAN is a plan id or its name. ``--output table|json|yaml``. Exit codes: 0 success (and COMPLETED
when following), 2 PARTIAL, 3 FAILED, 4 CANCELLED, 1 a usage or API error (its code and message
are printed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from drs_orch.domain.statuses import TERMINAL_WAVE
from drs_orch.entrypoints.operator_client import (
    Api,
    ApiError,
    Profile,
    Session,
    load_profile,
    profile_name,
    save_profile,
)

OUTCOME_CODES = {"COMPLETED": 0, "PARTIAL": 2, "FAILED": 3, "CANCELLED": 4}
TERMINAL = set(OUTCOME_CODES)
RESOURCES: dict[str, tuple[str, str, str, list[str]]] = {
    # name: (collection path, id field, list key, table columns)
    "groups": ("/protection-groups", "groupId", "groups",
               ["groupId", "groupName", "region", "accountId", "selectionMode", "serverCount"]),
    "plans": ("/recovery-plans", "planId", "recoveryPlans",
              ["planId", "planName", "waveCount", "totalServers", "lastExecutionStatus"]),
    "executions": ("/executions", "executionId", "items",
                   ["executionId", "planName", "executionType", "status", "startTime", "endTime"]),
    "accounts": ("/accounts/targets", "accountId", "accounts", ["accountId", "accountName", "isHub", "roleArn"]),
}


# ------------------------------------------------------------------ output


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))[:60]
    return str(value)


def emit(data: Any, output: str, columns: list[str] | None = None) -> None:
    if output == "json":
        json.dump(data, sys.stdout, indent=2, default=str)
        print()
        return
    if output == "yaml":
        yaml.safe_dump(data, sys.stdout, sort_keys=False, default_flow_style=False)
        return
    rows = data if isinstance(data, list) else None
    if rows is None or not columns:
        yaml.safe_dump(data, sys.stdout, sort_keys=False, default_flow_style=False)
        return
    table = [columns] + [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(columns))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _load_file(path: str) -> Any:
    text = sys.stdin.read() if path == "-" else Path(path).read_text()
    return yaml.safe_load(text)  # JSON is YAML


# ------------------------------------------------------------------ commands


def _api(args: argparse.Namespace) -> Api:
    return Api(Session(load_profile(profile_name(args.profile))))


def cmd_profile_add(args: argparse.Namespace) -> int:
    save_profile(Profile(args.name, args.api_url.rstrip("/"), args.client_id, args.region))
    print(f"profile {args.name} saved")
    return 0


def cmd_login(args: argparse.Namespace) -> int:
    import getpass

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    session = Session(load_profile(profile_name(args.profile)))
    session.login(args.username, password)
    print(f"signed in as {args.username} ({session.profile.name})")
    return 0


def _plan_id(api: Api, plan: str) -> str:
    """A plan id from an id or a name (exact, case-insensitive)."""
    found = api.call("GET", "/recovery-plans", name=plan, limit=100)["recoveryPlans"]
    exact = [p for p in found if str(p["planName"]).lower() == plan.lower()]
    if len(exact) == 1:
        return str(exact[0]["planId"])
    return plan


def cmd_list(args: argparse.Namespace) -> int:
    path, _, key, columns = RESOURCES[args.resource]
    api = _api(args)
    # the accounts list is one answer; the others are paged
    items = (api.call("GET", path).get(key) or []) if args.resource == "accounts" else every_page(api, path, key)
    emit(items, args.output, columns)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    path = RESOURCES[args.resource][0]
    api = _api(args)
    ident = _plan_id(api, args.id) if args.resource == "plans" else args.id
    emit(api.call("GET", f"{path}/{ident}"), args.output)
    return 0


def cmd_create(args: argparse.Namespace) -> int:
    path = RESOURCES[args.resource][0]
    emit(_api(args).call("POST", path, _load_file(args.file)), args.output)
    return 0


def cmd_update(args: argparse.Namespace) -> int:
    path = RESOURCES[args.resource][0]
    api = _api(args)
    ident = _plan_id(api, args.id) if args.resource == "plans" else args.id
    body = dict(_load_file(args.file) or {})
    if "version" not in body and args.resource in ("groups", "plans"):
        body["version"] = api.call("GET", f"{path}/{ident}")["version"]  # the version this update is made on
    emit(api.call("PUT", f"{path}/{ident}", body), args.output)
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    path = RESOURCES[args.resource][0]
    api = _api(args)
    ident = _plan_id(api, args.id) if args.resource == "plans" else args.id
    if args.resource == "executions":
        emit(api.call("DELETE", path, ids=ident), args.output)
    else:
        emit(api.call("DELETE", f"{path}/{ident}"), args.output)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    api = _api(args)
    report = api.call("POST", f"/recovery-plans/{_plan_id(api, args.id)}/validate")
    emit(report, args.output)
    return 0 if report.get("valid") else 3


def cmd_dry_run(args: argparse.Namespace) -> int:
    api = _api(args)
    report = api.call("POST", f"/recovery-plans/{_plan_id(api, args.id)}/execute",
                      {"executionType": args.type, "dryRun": True})
    if args.output == "table":
        print(f"{report['planName']}: {report['executionType']} of {report['serverCount']} servers in "
              f"{report['waveCount']} waves; would start: {report['wouldStart']}; predicted "
              f"{report['predictedDurationSeconds'] // 60} min (pauses not timed: {report['pausesNotTimed'] or 'none'})")
        emit([{"wave": w["waveNumber"], "name": w["waveName"], "servers": w["serverCount"], "jobs": w["jobCount"],
               "startsAt(min)": (w["predictedStartSeconds"] or 0) // 60,
               "endsAt(min)": (w["predictedEndSeconds"] or 0) // 60, "queued": w["queued"]}
              for w in report["waves"]], "table",
             ["wave", "name", "servers", "jobs", "startsAt(min)", "endsAt(min)", "queued"])
        for problem in report["errors"] + report["warnings"]:
            print(f"{problem['code']}: {problem.get('message', '')}")
    else:
        emit(report, args.output)
    return 0 if report["wouldStart"] else 3


def _start(args: argparse.Namespace, kind: str) -> int:
    api = _api(args)
    plan_id = _plan_id(api, args.plan)
    if kind == "RECOVERY":
        plan = api.call("GET", f"/recovery-plans/{plan_id}")
        if args.confirm != plan["planName"]:
            raise ApiError(0, "CONFIRMATION_REQUIRED", f"a recovery launches for real: pass --confirm "
                                                      f"{plan['planName']!r} (the plan's name) to start it")
    started = api.call("POST", f"/recovery-plans/{plan_id}/execute",
                       {"executionType": kind, "initiatedBy": f"cli:{profile_name(args.profile)}"})
    print(f"{kind} {started['executionId']} started ({started['serverCount']} servers, {started['waveCount']} waves)")
    if args.follow:
        return follow(api, str(started["executionId"]), args.interval)
    return 0


def cmd_drill(args: argparse.Namespace) -> int:
    return _start(args, "DRILL")


def cmd_recover(args: argparse.Namespace) -> int:
    return _start(args, "RECOVERY")


def _progress_line(details: dict[str, Any], started: float) -> str:
    waves = details.get("waves") or []
    counts = details.get("serverCounts") or {}
    current = [f"{w['waveNumber']}:{w['status']}" for w in waves if w["status"] not in ("PENDING", "COMPLETED")]
    done = sum(1 for w in waves if w["status"] in {s.value for s in TERMINAL_WAVE})
    jobs = sum(len(w.get("jobIds") or []) for w in waves)
    elapsed = int(time.monotonic() - started)
    # the first job that waits for DRS capacity says why (the jobs behind it queue behind it)
    waiting = next((f"  wave {w['waveNumber']}: {j['waitingFor']}" for w in waves for j in w.get("jobs") or []
                    if j.get("waitingFor")), "")
    return (f"[{elapsed // 60:02d}:{elapsed % 60:02d}] {details['status']:<10} waves {done}/{len(waves)} "
            f"{' '.join(current) or '-'}  servers {counts.get('launched', 0)}/{counts.get('total', 0)} launched, "
            f"{counts.get('failed', 0)} failed  jobs {jobs}{waiting}")


def every_page(api: Api, path: str, key: str, **query: Any) -> list[Any]:
    """The ``key`` items of every page of a listing, following its ``nextToken``."""
    items: list[Any] = []
    token: str | None = None
    while True:
        page = api.call("GET", path, **query, nextToken=token)
        items.extend(page.get(key) or [])
        token = page.get("nextToken")
        if not token:
            return items


def follow(api: Api, execution_id: str, interval: float = 5.0) -> int:
    """Show the execution's progress until it ends; the exit code says how it ended."""
    started = time.monotonic()
    last = ""
    while True:
        details = api.call("GET", f"/executions/{execution_id}")
        line = _progress_line(details, started)
        if line[8:] != last[8:]:
            print(line, flush=True)
            last = line
        if details["status"] in TERMINAL:
            if (details.get("serverCounts") or {}).get("failed"):
                # the details of a large execution hold only some of its servers: the listing has them all
                for server in every_page(api, f"/executions/{execution_id}/servers", "servers", status="FAILED",
                                         limit=1000):
                    print(f"  wave {server.get('waveNumber')} {server['sourceServerId']} FAILED: "
                          f"{server.get('failureReason', '')}")
            print(f"{execution_id} {details['status']}")
            return OUTCOME_CODES[str(details["status"])]
        if details["status"] == "PAUSED":
            print(f"paused before wave(s) {details.get('pausedBeforeWaves')}: "
                  f"`drs-orch resume {execution_id}` to go on", flush=True)
        time.sleep(interval)


def cmd_follow(args: argparse.Namespace) -> int:
    return follow(_api(args), args.execution, args.interval)


def _control(action: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        route = "terminate-instances" if action == "terminate" else action
        emit(_api(args).call("POST", f"/executions/{args.execution}/{route}"), args.output)
        return 0

    return run


def cmd_servers(args: argparse.Namespace) -> int:
    items = every_page(_api(args), "/drs/source-servers", "servers", region=args.region, accountId=args.account_id)
    emit(items, args.output, ["sourceServerID", "hostname", "replicationState", "lagDuration", "protectionGroup"])
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    document = _api(args).call("GET", "/config/export")
    if args.file:
        Path(args.file).write_text(json.dumps(document, indent=2))
        print(f"exported to {args.file}")
    else:
        emit(document, "json" if args.output == "table" else args.output)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    report = _api(args).call("POST", "/config/import", {"config": _load_file(args.file), "dryRun": args.dry_run,
                                                         "mode": args.mode})
    emit(report, args.output)
    return 0 if report.get("success") else 3


SPOKE_TEMPLATE = Path(__file__).resolve().parents[3] / "infra" / "spoke.yaml"


def cmd_spoke_template(_: argparse.Namespace) -> int:
    print(SPOKE_TEMPLATE.read_text(), end="")
    return 0


def cmd_onboard_spoke(args: argparse.Namespace) -> int:
    """Register a spoke whose role was created from the spoke template, then validate it."""
    api = _api(args)
    body = {"accountId": args.account_id, "accountName": args.name or args.account_id, "roleArn": args.role_arn,
            "externalId": args.external_id}
    try:
        api.call("POST", "/accounts/targets", body)
    except ApiError as exc:
        if exc.code != "ACCOUNT_EXISTS":
            raise
        current = api.call("GET", f"/accounts/targets/{args.account_id}")
        api.call("PUT", f"/accounts/targets/{args.account_id}", {**body, "version": current["version"]})
    report = api.call("POST", f"/accounts/targets/{args.account_id}/validate",
                      {"regions": args.region} if args.region else {})
    emit(report, args.output)
    return 0 if report.get("valid") else 3


# ------------------------------------------------------------------ parser


def register(sub: Any) -> dict[str, Any]:
    """Add the operator commands to ``drs-orch``'s sub-parsers. Returns the command groups a
    plug-in may add to (``profile``) and the options every operator command shares (``common``)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--profile", help="profile name (default: $DRS_ORCH_PROFILE or 'default')")
    common.add_argument("--output", "-o", choices=("table", "json", "yaml"), default="table")

    profile = sub.add_parser("profile", help="API profiles").add_subparsers(dest="action", required=True)
    add = profile.add_parser("add", help="save a profile")
    add.add_argument("name")
    add.add_argument("--api-url", required=True)
    add.add_argument("--client-id", required=True, help="the user pool's app client id")
    add.add_argument("--region", required=True)
    add.set_defaults(fn=cmd_profile_add)

    login = sub.add_parser("login", parents=[common], help="sign in (Cognito user and password)")
    login.add_argument("--username", required=True)
    login.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    login.set_defaults(fn=cmd_login)

    for name in RESOURCES:
        group = sub.add_parser(name, help=f"{name}: list, show, create, update, delete").add_subparsers(
            dest="action", required=True)
        group.add_parser("list", parents=[common]).set_defaults(fn=cmd_list, resource=name)
        show = group.add_parser("show", parents=[common])
        show.add_argument("id")
        show.set_defaults(fn=cmd_show, resource=name)
        if name != "executions":
            create = group.add_parser("create", parents=[common])
            create.add_argument("-f", "--file", required=True, help="YAML or JSON body ('-': stdin)")
            create.set_defaults(fn=cmd_create, resource=name)
            update = group.add_parser("update", parents=[common])
            update.add_argument("id")
            update.add_argument("-f", "--file", required=True)
            update.set_defaults(fn=cmd_update, resource=name)
        delete = group.add_parser("delete", parents=[common])
        delete.add_argument("id")
        delete.set_defaults(fn=cmd_delete, resource=name)
        if name == "plans":
            validate = group.add_parser("validate", parents=[common])
            validate.add_argument("id")
            validate.set_defaults(fn=cmd_validate)
            dry = group.add_parser("dry-run", parents=[common])
            dry.add_argument("id")
            dry.add_argument("--type", choices=("DRILL", "RECOVERY"), default="DRILL")
            dry.set_defaults(fn=cmd_dry_run)

    servers = sub.add_parser("servers", help="DRS source servers").add_subparsers(dest="action", required=True)
    listing = servers.add_parser("list", parents=[common])
    listing.add_argument("--region", required=True)
    listing.add_argument("--account-id")
    listing.set_defaults(fn=cmd_servers)

    for kind, fn in (("drill", cmd_drill), ("recover", cmd_recover)):
        start = sub.add_parser(kind, parents=[common], help=f"start a {kind} of a plan (id or name)")
        start.add_argument("plan")
        start.add_argument("--follow", action="store_true", help="show progress; exit code by outcome")
        start.add_argument("--interval", type=float, default=5.0, help="seconds between progress reads")
        if kind == "recover":
            start.add_argument("--confirm", required=True, help="the plan's name, typed out")
        start.set_defaults(fn=fn)
    watch = sub.add_parser("follow", parents=[common], help="follow an execution until it ends")
    watch.add_argument("execution")
    watch.add_argument("--interval", type=float, default=5.0)
    watch.set_defaults(fn=cmd_follow)
    for action in ("pause", "resume", "cancel", "terminate"):
        control = sub.add_parser(action, parents=[common], help=f"{action} an execution")
        control.add_argument("execution")
        control.set_defaults(fn=_control(action))

    sub.add_parser("spoke-template", help="print the spoke account's role template").set_defaults(
        fn=cmd_spoke_template)
    onboard = sub.add_parser("onboard-spoke", parents=[common], help="register and validate a spoke account")
    onboard.add_argument("--account-id", required=True)
    onboard.add_argument("--role-arn", required=True)
    onboard.add_argument("--external-id", required=True)
    onboard.add_argument("--name")
    onboard.add_argument("--region", action="append", help="region to validate in (repeatable)")
    onboard.set_defaults(fn=cmd_onboard_spoke)

    export = sub.add_parser("export", parents=[common], help="export groups, plans and accounts")
    export.add_argument("-f", "--file")
    export.set_defaults(fn=cmd_export)
    imp = sub.add_parser("import", parents=[common], help="import an export document")
    imp.add_argument("-f", "--file", required=True)
    imp.add_argument("--dry-run", action="store_true", help="report what would change, change nothing")
    imp.add_argument("--mode", choices=("skip", "overwrite"), default="skip")
    imp.set_defaults(fn=cmd_import)
    return {"profile": profile, "common": common}


def run(args: argparse.Namespace) -> int:
    """Run an operator command; API and usage errors print their code and message, exit 1."""
    try:
        return int(args.fn(args))
    except ApiError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        if exc.details:
            print(json.dumps(exc.details, indent=2, default=str)[:4000], file=sys.stderr)
        return 1
    except (OSError, yaml.YAMLError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
