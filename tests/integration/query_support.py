"""Accounts of the query-side integration tests, unique per session so that no other test's target
accounts, roles or emulator servers are touched:

- A: a target reached through a role without external id; us-east-1 has servers, us-west-2 is not
  initialised for DRS;
- B: a target reached through a role that requires an external id; 23 servers; staging account S;
- S: B's staging account (role without external id), 2 servers;
- C: a target registered with the wrong external id for its role;
- D: a target whose role does not exist (its IAM is modelled, so AssumeRole is refused).

C and D are registered only inside :func:`broken_targets`.

Roles live in moto IAM of each account and are enforced by :mod:`drs_local.iam_policy`."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3

from drs_local import iam_policy

HUB = "123456789012"
REGION = "us-east-1"
SESSION_NAME = "drs-orchestration"


def _account(rng: random.Random, first: str) -> str:
    return first + "".join(rng.choice("0123456789") for _ in range(11))


@dataclass(frozen=True)
class Spokes:
    a: str
    b: str
    s: str
    c: str
    d: str
    b_external_id: str
    role_arns: dict[str, str]
    servers: dict[str, list[str]]  # account -> us-east-1 server ids seeded

    def role(self, account: str) -> str:
        return self.role_arns.get(account, f"arn:aws:iam::{account}:role/{iam_policy.ROLE_NAME}")


def _server(host: str, tier: str, state: str = "CONTINUOUS") -> dict[str, Any]:
    return {
        "hostname": f"{host}.query.example.internal", "replicationState": state, "cpus": 2, "ramGiB": 8,
        "disks": [{"deviceName": "/dev/sda", "sizeGiB": 40}], "recommendedInstanceType": "c5.large",
        "launch": {"durationSeconds": 120},
        "tags": {"Application": "QueryTest", "Tier": tier, "Name": host},
    }


def _target_item(account_id: str, role_arn: str, external_id: str | None,
                 staging: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "accountId": account_id, "entityType": "TARGET_ACCOUNT", "accountName": f"query-test-{account_id}",
        "roleArn": role_arn, "stagingAccounts": staging or [], "version": 1,
        "createdDate": "2025-01-01T00:00:00.000Z", "lastModifiedDate": "2025-01-01T00:00:00.000Z",
        "createdBy": "query-tests",
    }
    if external_id:
        item["externalId"] = external_id
    return item


def make_spokes(stack: Any) -> Spokes:
    rng = random.Random(uuid.uuid4().int)
    a, b, s, c, d = (_account(rng, str(n)) for n in (4, 5, 6, 7, 8))
    ext_b = f"query-ext-{uuid.uuid4().hex[:12]}"
    iam_policy.apply()
    arns = {
        a: iam_policy.provision_spoke(a, HUB),
        b: iam_policy.provision_spoke(b, HUB, ext_b),
        s: iam_policy.provision_spoke(s, HUB),
        c: iam_policy.provision_spoke(c, HUB, "the-right-external-id"),
    }
    iam_policy.enforce(d)  # D's IAM is modelled, but it has no DRSOrchestrationRole
    fleet = {"accounts": [
        {"accountId": a, "regions": [
            {"region": REGION, "servers": [_server("a-db-01", "db"), _server("a-app-01", "app"),
                                           _server("a-web-01", "web", "STOPPED")]},
            {"region": "us-west-2", "initialized": False, "servers": []},
        ]},
        {"accountId": b, "stagingAccounts": [s], "regions": [
            {"region": REGION, "servers": [_server(f"b-{tier}-{n:02d}", tier)
                                           for n in range(1, 24) for tier in [("db", "app", "web")[n % 3]]]},
        ]},
        {"accountId": s, "regions": [
            {"region": REGION, "servers": [_server("s-db-01", "db"), _server("s-app-01", "app", "STALLED")]},
        ]},
    ]}
    seeded = stack.emulator.seed(fleet)
    table = boto3.resource("dynamodb", region_name=REGION).Table(stack_env("TARGET_ACCOUNTS_TABLE"))
    table.put_item(Item=_target_item(a, arns[a], None))
    table.put_item(Item=_target_item(b, arns[b], ext_b, [{"accountId": s, "accountName": "staging",
                                                           "roleArn": arns[s]}]))
    servers = {acct: list(regions.get(REGION, [])) for acct, regions in seeded.items()}
    return Spokes(a, b, s, c, d, ext_b, arns, servers)


@contextmanager
def broken_targets(spokes: Spokes) -> Iterator[None]:
    """C (wrong external id) and D (no role) registered for the duration of one test only, so that
    no other component's test ever meets a target account it cannot reach."""
    table = boto3.resource("dynamodb", region_name=REGION).Table(stack_env("TARGET_ACCOUNTS_TABLE"))
    table.put_item(Item=_target_item(spokes.c, spokes.role(spokes.c), "a-wrong-external-id"))
    table.put_item(Item=_target_item(spokes.d, spokes.role(spokes.d), "whatever-id"))
    try:
        yield
    finally:
        for account in (spokes.c, spokes.d):
            table.delete_item(Key={"accountId": account})


def stack_env(name: str) -> str:
    import os

    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set; is the local stack running?")
    return value


def assumed_role_count(account: str, role_arn: str) -> int:
    """AssumeRole calls moto's STS recorded for ``role_arn`` with our session name (independent of
    the ClientFactory's own counter)."""
    from moto.sts.models import sts_backends

    backend = sts_backends[account]["aws"]
    return sum(1 for r in backend.assumed_roles if r.role_arn == role_arn and r.session_name == SESSION_NAME)


def spoke_drs_client(spokes: Spokes, account: str, external_id: str | None = None) -> Any:
    """A DRS client of ``account`` for the test itself (its own AssumeRole, another session name)."""
    sts = boto3.client("sts", region_name=REGION)
    kwargs: dict[str, Any] = {"RoleArn": spokes.role(account), "RoleSessionName": "query-test"}
    if external_id:
        kwargs["ExternalId"] = external_id
    creds = sts.assume_role(**kwargs)["Credentials"]
    return boto3.client("drs", region_name=REGION, aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])


_made: dict[int, Spokes] = {}


def spokes_for(stack: Any) -> Spokes:
    """The session's spoke accounts, made once per stack (shared by the query test modules)."""
    if id(stack) not in _made:
        _made[id(stack)] = make_spokes(stack)
    return _made[id(stack)]


@contextmanager
def frozen_clock(stack: Any) -> Iterator[Any]:
    """The emulator clock stopped, so that what the API reports and what the emulator holds can be
    compared exactly; time moves only by ``emulator.advance``. The speed is restored afterwards."""
    clock = stack.emulator.clock
    speed = clock.speed
    clock.set_speed(0)
    try:
        yield stack.emulator
    finally:
        clock.set_speed(speed)


def dump(value: Any) -> str:
    return json.dumps(value, indent=1, default=str)[:3000]
