"""Benchmark of data management at DRS scale (issue 15) on the local stack (moto + DRS emulator,
the product's Lambdas behind the local API Gateway):

* ``group``: a protection group of 3,000 servers (``--servers``) saved through the API without
  launch settings, and deleted; then with launch settings, saved through the API (its servers
  claimed by the saga, the first apply within the save's short budget: the time of the answer),
  then the time until background runs have applied its launch settings to every server (nobody
  calls apply again), then read back through the API (``GET`` the group and its status: every
  server's status); the largest item of the groups table (the group item, its status parts);
* ``import``: ``POST /config/import`` of 200 groups of 5 servers (``--import-groups``) and one plan
  using all of them (one saga), dry run and real; then a second 200-group plan saved through the
  API (a plan saga).

Run: ``.venv/bin/python bench/data_scale.py [--servers 3000] [--import-groups 200] [--only group,import]``.
Exits non-zero when a step answers an error or the group does not end ``ready`` with every server.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import uuid
import warnings
from typing import Any

HUB = "123456789012"
REGION = "us-east-1"


class Api:
    def __init__(self, stack: Any) -> None:
        import requests

        self.base = stack.api_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {stack.token('DRSOrchestrationAdmin')}"

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> tuple[int, Any, int]:
        r = self.session.request(method, self.base + path, json=body, params=params or None, timeout=900)
        return r.status_code, (r.json() if r.content else None), len(r.content)


def _seed(stack: Any, count: int) -> list[str]:
    run = uuid.uuid4().hex[:8]
    servers: list[str] = []
    for start in range(0, count, 500):
        batch = [{"hostname": f"scale-{run}-{n:05d}.example.internal", "cpus": 2, "ramGiB": 4,
                  "disks": [{"deviceName": "/dev/sda", "sizeGiB": 20}], "recommendedInstanceType": "c5.large",
                  "launch": {"durationSeconds": 60}} for n in range(start, min(count, start + 500))]
        seeded = stack.emulator.seed({"accounts": [{"accountId": HUB, "regions": [{"region": REGION,
                                                                                   "servers": batch}]}]})
        servers += list(seeded[HUB][REGION])
    return servers


def _check(what: str, status: int, body: Any, expected: int = 200) -> Any:
    if status != expected:
        raise SystemExit(f"{what}: HTTP {status}: {json.dumps(body)[:800]}")
    return body


def _item_sizes(table_name: str) -> dict[str, int]:
    """Approximate DynamoDB size in bytes of every item of ``table_name``, by key."""
    import boto3

    table = boto3.resource("dynamodb", region_name=REGION).Table(table_name)
    sizes: dict[str, int] = {}
    kwargs: dict[str, Any] = {}
    while True:
        page = table.scan(**kwargs)
        for item in page["Items"]:
            sizes[str(item.get("groupId"))] = sum(len(k) + len(json.dumps(v, default=str)) for k, v in item.items())
        if "LastEvaluatedKey" not in page:
            return sizes
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _head_status(table_name: str, group_id: str) -> dict[str, Any]:
    """The group-level launch status (the group item only, not its per-server parts): cheap to poll."""
    import boto3

    table = boto3.resource("dynamodb", region_name=REGION).Table(table_name)
    item = table.get_item(Key={"groupId": group_id}, ProjectionExpression="launchConfigStatus",
                          ConsistentRead=True).get("Item") or {}
    return dict(item.get("launchConfigStatus") or {})


def scenario_group(stack: Any, api: Api, count: int) -> bool:
    """Everything through the local API: the save with launch settings answers after applying what
    fits its budget; background runs (asynchronous invocations of the function) apply the rest."""
    from drs_orch.entrypoints.wiring import container

    print(f"\n== a protection group of {count} servers")
    started = time.monotonic()
    servers = _seed(stack, count)
    print(f"   seeded {len(servers)} DRS source servers in {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    status, plain, _ = api.call("POST", "/protection-groups", {"groupName": f"plain-{uuid.uuid4().hex[:6]}",
                                                               "region": REGION, "sourceServerIds": servers})
    _check("create group (API)", status, plain, 201)
    print(f"   through the API, without launch settings: saved in {time.monotonic() - started:.1f} s "
          f"({plain['serverCount']} servers)")
    started = time.monotonic()
    status, gone, _ = api.call("DELETE", f"/protection-groups/{plain['groupId']}")
    _check("delete group (API)", status, gone)
    print(f"   deleted in {time.monotonic() - started:.1f} s (its {count} server guards released)")
    options = container().launch_settings.options
    body = {"groupName": f"scale-{uuid.uuid4().hex[:6]}", "region": REGION, "sourceServerIds": servers,
            "launchConfig": {"copyTags": True, "launchDisposition": "STOPPED", "instanceType": "m5.large"}}
    started = time.monotonic()
    status, item, size = api.call("POST", "/protection-groups", body)
    _check("create group with launch settings (API)", status, item, 201)
    answered = time.monotonic() - started
    gid = str(item["groupId"])
    first = item.get("launchConfigStatus") or {}
    background = first.get("background") or {}
    ready_now = sum(1 for c in (first.get("serverConfigs") or {}).values() if c.get("status") == "ready")
    print(f"   through the API, with launch settings: answered in {answered:.1f} s ({size / 1024:.0f} KB; budget of "
          f"its apply {options.after_save_budget_seconds:g} s, chunks of {options.chunk_servers}): status "
          f"{first.get('status')}, {ready_now} servers ready, {background.get('pendingServers', 0)} pending, "
          f"{background.get('failedServers', 0)} failed; waiting for: {background.get('waitingFor', '-')}")
    table = os.environ["PROTECTION_GROUPS_TABLE"]
    head, runs, ends = _head_status(table, gid), 0, time.monotonic() + 1800
    while head.get("status") == "applying" and time.monotonic() < ends:
        runs = max(runs, int((head.get("background") or {}).get("runs") or 0))
        time.sleep(1.0)
        head = _head_status(table, gid)
    state = head.get("status")
    print(f"   every server's launch settings applied in the background: status {state} "
          f"{time.monotonic() - started:.1f} s after the save was sent (background runs of "
          f"{options.background_budget_seconds:g} s budget: {runs}; no further call)")
    started = time.monotonic()
    status, got, got_bytes = api.call("GET", f"/protection-groups/{gid}")
    _check("get group", status, got)
    read = time.monotonic() - started
    status, view, view_bytes = api.call("GET", f"/protection-groups/{gid}/launch-config-status")
    _check("get status", status, view)
    configs = got["launchConfigStatus"]["serverConfigs"]
    ready = sum(1 for c in configs.values() if c.get("status") == "ready")
    print(f"   GET group (API): {got_bytes / 1024:.0f} KB in {read:.2f} s, {len(configs)} server statuses "
          f"({ready} ready); GET launch-config-status: {view_bytes / 1024:.0f} KB, {len(view['serverConfigs'])} servers")
    started = time.monotonic()
    container().protection_groups.get(gid)
    print(f"   the same GET in process (no API Gateway, no Lambda payload): {time.monotonic() - started:.2f} s")
    sizes = _item_sizes(os.environ["PROTECTION_GROUPS_TABLE"])
    mine = {k: v for k, v in sizes.items() if k == gid or k.startswith(f"{gid}#")}
    print(f"   stored: the group item {mine.pop(gid) / 1024:.0f} KB, {len(mine)} status parts of "
          + ", ".join(f"{v / 1024:.0f}" for _, v in sorted(mine.items())) + " KB; largest item of the groups table "
          f"{max(sizes.values()) / 1024:.0f} KB (limit 400 KB)")
    return state == "ready" and len(configs) == count and ready == count


def scenario_import(stack: Any, api: Api, groups: int) -> bool:
    per_group = 5
    print(f"\n== POST /config/import of {groups} groups x {per_group} servers and a plan of all of them")
    servers = _seed(stack, groups * per_group)
    prefix = f"imp-{uuid.uuid4().hex[:6]}"
    names = [f"{prefix}-{n:03d}" for n in range(groups)]
    doc = {"schemaVersion": "2.1", "targetAccounts": [], "protectionGroups": [
        {"groupName": name, "region": REGION, "accountId": HUB, "description": "",
         "sourceServerIds": servers[n * per_group:(n + 1) * per_group]} for n, name in enumerate(names)],
        "recoveryPlans": [{"planName": f"{prefix}-plan", "description": "", "waves": [
            {"waveNumber": w + 1, "waveName": f"w{w + 1}", "protectionGroupNames": names[start:start + 50]}
            for w, start in enumerate(range(0, groups, 50))]}]}
    started = time.monotonic()
    status, dry, _ = api.call("POST", "/config/import", {"config": doc, "dryRun": True})
    _check("dry run", status, dry)
    print(f"   dry run in {time.monotonic() - started:.1f} s: {dry['summary']}")
    started = time.monotonic()
    status, real, _ = api.call("POST", "/config/import", {"config": doc})
    _check("import", status, real)
    steps = 2 * groups + groups * per_group + 1 + 1 + 2 * groups + 1  # markers, items, claims, plan refs
    print(f"   imported in {time.monotonic() - started:.1f} s: {real['summary']['protectionGroups']['created']} groups, "
          f"{real['summary']['recoveryPlans']['created']} plan (one saga of about {-(-steps // 99)} chunks)")
    ids = list(real["written"]["protectionGroups"].values())
    started = time.monotonic()
    status, plan, _ = api.call("POST", "/recovery-plans", {"planName": f"{prefix}-api", "waves": [
        {"waveNumber": w + 1, "waveName": f"w{w + 1}", "protectionGroupIds": ids[start:start + 50]}
        for w, start in enumerate(range(0, len(ids), 50))]})
    _check("plan", status, plan, 201)
    print(f"   a plan of {len(ids)} groups saved through the API in {time.monotonic() - started:.1f} s "
          "(a plan saga; includes the readiness evaluation of the save)")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", type=int, default=3000)
    parser.add_argument("--import-groups", type=int, default=200)
    parser.add_argument("--only", default="group,import")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore")
    for name in ("moto", "drs_local", "werkzeug", "drs_orch", "aws_lambda_powertools"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    from drs_local.stack import LocalStack

    stack = LocalStack(speed=600.0).start()
    ok = True
    try:
        api = Api(stack)
        only = set(args.only.split(","))
        if "group" in only:
            ok = scenario_group(stack, api, args.servers) and ok
        if "import" in only:
            ok = scenario_import(stack, api, args.import_groups) and ok
    finally:
        stack.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    raise SystemExit(main())
