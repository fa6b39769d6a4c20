"""ReadinessService over in-memory ports: DRS read once per account-region and each role checked
once per run, history only on change, alerts only when a plan gets worse, the drill baseline
looked up only when a new run ended."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.models import ProtectionGroup, RecoveryPlan
from drs_orch.services.plan_fingerprint import plan_fingerprint
from drs_orch.services.readiness import ReadinessService

HUB, SPOKE, REGION = "123456789012", "210987654321", "eu-west-1"
CREATED = "2025-01-01T00:00:00.000Z"


def _server(sid: str, lag: str = "PT0S") -> dict[str, Any]:
    return {"sourceServerID": sid, "dataReplicationInfo": {"dataReplicationState": "CONTINUOUS", "lagDuration": lag}}


class World:
    def __init__(self) -> None:
        self.plans: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.servers: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self.reads: list[tuple[str, str, str]] = []
        self.assumed: list[str] = []
        self.denied: set[str] = set()
        self.alerts: list[Any] = []
        self.items: dict[str, dict[str, Any]] = {}
        self.history_items: dict[str, list[dict[str, Any]]] = {}
        self.runs: dict[str, dict[str, Any]] = {}
        self.drills: dict[str, dict[str, Any]] = {}
        self.drill_lookups = 0

    # plans / groups / executions
    def get(self, plan_id: str) -> RecoveryPlan | None:
        return RecoveryPlan.from_item(self.plans[plan_id]) if plan_id in self.plans else None

    def all(self) -> Iterator[RecoveryPlan]:
        return iter([RecoveryPlan.from_item(p) for p in self.plans.values()])

    def get_many(self, ids: Iterable[str]) -> dict[str, ProtectionGroup]:
        return {g: ProtectionGroup.from_item(self.groups[g]) for g in ids if g in self.groups}

    def last_runs(self, plan_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {p: self.runs[p] for p in plan_ids if p in self.runs}

    # contexts / probe / readers
    hub_account_id = HUB

    def context_for(self, account_id: str | None, region: str) -> AccountContext:
        account = account_id or HUB
        return AccountContext(account, region, None if account == HUB else f"arn:aws:iam::{account}:role/r", None)

    def assume(self, ctx: AccountContext) -> dict[str, str]:
        self.assumed.append(ctx.account_id)
        if ctx.account_id in self.denied:
            raise PermissionError("AccessDenied")
        return {}

    def drs(self, ctx: AccountContext) -> Any:
        world, key = self, (ctx.account_id, ctx.region)

        class Reader:
            calls: dict[str, int] = {}

            def source_servers(self, ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
                world.reads.append((*key, "DescribeSourceServers"))
                found = world.servers.get(key, {})
                return [s for sid, s in found.items() if ids is None or sid in ids]

            def jobs(self, ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
                world.reads.append((*key, "DescribeJobs"))
                return []

            def recovery_instances(self, ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
                world.reads.append((*key, "DescribeRecoveryInstances"))
                return []

        return Reader()

    # readiness store
    def current(self, plan_id: str) -> dict[str, Any] | None:
        return self.items.get(plan_id)

    def current_many(self, plan_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {p: self.items[p] for p in plan_ids if p in self.items}

    def save(self, plan_id: str, current: dict[str, Any], history: dict[str, Any] | None, expires_at: int) -> None:
        self.items[plan_id] = current
        if history is not None:
            self.history_items.setdefault(plan_id, []).append(history)

    def history(self, plan_id: str, limit: int = 50) -> list[dict[str, Any]]:
        return list(reversed(self.history_items.get(plan_id, [])))

    def ended_runs(self, plan_id: str, limit: int = 10) -> list[dict[str, Any]]:
        return []

    def latest_completed_drill(self, plan_id: str, after: str | None) -> dict[str, Any] | None:
        self.drill_lookups += 1
        return self.drills.get(plan_id)

    def publish(self, alert: Any) -> bool:
        self.alerts.append(alert)
        return True


def _service(world: World) -> ReadinessService:
    return ReadinessService(world, world, world, world, world, world, world, world,  # type: ignore[arg-type]
                            now=lambda: datetime(2026, 11, 29, tzinfo=UTC))


def _fleet(world: World, plans: int) -> None:
    for account in (HUB, SPOKE):
        world.servers[(account, REGION)] = {f"s-{account[:3]}-{n}": _server(f"s-{account[:3]}-{n}")
                                             for n in range(plans)}
    for n in range(plans):
        account = HUB if n % 2 else SPOKE
        gid = f"g{n}"
        world.groups[gid] = {"groupId": gid, "groupName": gid, "accountId": account, "region": REGION,
                             "sourceServerIds": [f"s-{account[:3]}-{n}"], "createdDate": CREATED,
                             "lastModifiedDate": CREATED}
        world.plans[f"p{n}"] = {"planId": f"p{n}", "planName": f"p{n}", "rpoMinutes": 15,
                                "createdDate": CREATED, "lastModifiedDate": CREATED,
                                "waves": [{"waveNumber": 1, "waveName": "w", "protectionGroupIds": [gid],
                                           "dependsOnWaves": []}]}


def test_a_scheduled_run_reads_each_account_region_once_and_checks_each_role_once() -> None:
    world = World()
    _fleet(world, 10)
    report = _service(world).evaluate_all({"source": "schedule"})
    assert report["planCount"] == 10 and report["statusCounts"] == {"READY": 10}
    assert sorted(world.reads) == sorted((a, REGION, op) for a in (HUB, SPOKE)
                                         for op in ("DescribeSourceServers", "DescribeJobs",
                                                    "DescribeRecoveryInstances"))
    assert world.assumed == [SPOKE]


def test_a_refused_role_makes_its_plans_not_ready_without_reading_its_drs() -> None:
    world = World()
    _fleet(world, 4)
    world.denied.add(SPOKE)
    report = _service(world).evaluate_all({})
    assert report["statusCounts"] == {"READY": 2, "NOT_READY": 2}
    assert {r[0] for r in world.reads} == {HUB}


def test_history_on_change_only_and_alerts_only_when_worse() -> None:
    world = World()
    _fleet(world, 2)
    service = _service(world)
    service.evaluate_plan("p1")
    service.evaluate_plan("p1")
    assert len(world.history_items["p1"]) == 1 and world.alerts == []
    world.servers[(HUB, REGION)]["s-123-1"] = _server("s-123-1", lag="PT1H")
    assert service.evaluate_plan("p1")["status"] == "AT_RISK"
    assert [a.kind for a in world.alerts] == ["PLAN_READINESS_CHANGED"] and world.alerts[0].severity == "MEDIUM"
    world.servers[(HUB, REGION)]["s-123-1"] = _server("s-123-1")
    assert service.evaluate_plan("p1")["status"] == "READY"
    assert len(world.alerts) == 1
    assert [h["status"] for h in service.readiness("p1")["history"]] == ["READY", "AT_RISK", "READY"]


def test_the_drill_baseline_is_looked_up_once_per_new_run() -> None:
    world = World()
    _fleet(world, 2)
    service = _service(world)
    assert service.evaluate_plan("p1")["retest"]["reason"] == "NEVER_DRILLED" and world.drill_lookups == 0
    from drs_orch.domain.execution_snapshot import GroupRef, build_snapshot
    from drs_orch.services.engine.start import plan_waves

    plan = RecoveryPlan.from_item(world.plans["p1"])
    snapshot = build_snapshot(plan_waves(plan), {"g1": GroupRef("g1", HUB, REGION, ("s-123-1",))})
    world.runs["p1"] = {"lastExecutionId": "ex-1"}
    world.drills["p1"] = {"executionId": "ex-1", "startTime": "t", "endTime": "t2",
                          "fingerprint": plan_fingerprint(plan, snapshot, {})}
    tested = service.evaluate_plan("p1")
    assert tested["retest"]["required"] is False and tested["retest"]["baselineExecutionId"] == "ex-1"
    service.evaluate_plan("p1")
    assert world.drill_lookups == 1
    world.groups["g1"]["sourceServerIds"] = ["s-123-1", "s-123-0"]
    drifted = service.evaluate_plan("p1")["retest"]
    assert drifted["required"] is True and [d["kind"] for d in drifted["differences"]] == ["SERVERS_ADDED"]
