"""Instance pairs, launch verification and the failover cycle (domain/failover.py), pure."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.execution_snapshot import StartExecutionInput
from drs_orch.domain.failover import (
    INSTANCE_IDENTITY_MISMATCH,
    PRIVATE_IP_MISMATCH,
    CycleState,
    Expectation,
    InstanceView,
    PairsInput,
    SourceView,
    can_move,
    cycle_of_server,
    iso_lag_seconds,
    match_instances,
    pair_problems,
    verify_launch,
)
from drs_orch.domain.launch_config import (
    LaunchConfig,
    ServerLaunchOverride,
    canonical_config,
    effective_config,
)
from drs_orch.domain.models import parse

TAGGED = {"AWSDRS": "AllowLaunchingIntoThisInstance"}


def _src(n: int, host: str | None = None, name: str | None = None, ip: str | None = "10.0.0.1") -> SourceView:
    return SourceView(f"s-{n:017d}", host, name, ip, "c5.large")


def _inst(n: int, name: str | None, state: str = "stopped", ip: str | None = "10.0.0.1", tags: dict[str, str] | None = None,
          itype: str = "c5.large") -> InstanceView:
    return InstanceView(f"i-{n:017x}", name, ip, state, itype, "subnet-1", "eu-west-1a", ("sg-1",),
                        {**({"Name": name} if name else {}), **(TAGGED if tags is None else tags)})


def test_match_by_name_tag_hostname_and_short_hostname() -> None:
    servers = [_src(1, "db-01.example.internal", "database-one"), _src(2, "app-01.example.internal"),
               _src(3, "web-01.example.internal"), _src(4, "none.example.internal")]
    instances = [_inst(1, "DATABASE-ONE"), _inst(2, "app-01.example.internal"), _inst(3, "web-01"),
                 _inst(9, "none.example.internal", state="terminated")]
    result = match_instances(servers, instances)
    assert [(m["sourceServerId"][-1], m["matchedBy"]) for m in result.matches] == [
        ("1", "NAME_TAG"), ("2", "HOSTNAME"), ("3", "SHORT_HOSTNAME")]
    assert [u["sourceServerId"][-1] for u in result.unmatched] == ["4"]  # a terminated instance never matches


def test_two_candidates_or_one_instance_for_two_servers_is_ambiguous() -> None:
    servers = [_src(1, "a.x"), _src(2, "b.x"), _src(3, "b.y")]
    instances = [_inst(1, "a.x"), _inst(2, "A.X"), _inst(3, "b")]
    result = match_instances(servers, instances)
    assert not result.matches
    by_server = {a["sourceServerId"][-1]: a for a in result.ambiguous}
    assert len(by_server["1"]["candidates"]) == 2
    assert by_server["2"]["candidates"] == by_server["3"]["candidates"] == [f"i-{3:017x}"]


@given(st.lists(st.sampled_from(["a", "b", "c", "d", "a.x", "b.y"]), max_size=12),
       st.lists(st.sampled_from(["a", "b", "c", "e", "A.X", "b.y"]), max_size=12))
def test_every_server_is_reported_once_and_no_instance_is_matched_twice(hosts: list[str], names: list[str]) -> None:
    servers = [_src(n, h) for n, h in enumerate(hosts)]
    result = match_instances(servers, [_inst(n, name) for n, name in enumerate(names)])
    reported = [r["sourceServerId"] for r in result.matches + result.unmatched + result.ambiguous]
    assert sorted(reported) == sorted(s.server_id for s in servers)
    targets = [m["targetInstanceId"] for m in result.matches]
    assert len(targets) == len(set(targets))


def test_pair_problems_lists_every_problem_with_a_remediation() -> None:
    pair = {"sourceServerId": "s-1", "targetInstanceId": "i-1", "accountId": "1", "region": "r",
            "preservePrivateIp": True}
    inst = _inst(1, "x", state="running", ip="10.0.0.9", tags={}, itype="c5.large")
    problems = pair_problems(pair, _src(1, ip="10.0.0.1"), inst,
                             {"subnetId": "subnet-2", "securityGroupIds": ["sg-2"], "instanceType": "m5.large"})
    assert [p["code"] for p in problems] == ["TARGET_NOT_STOPPED", "MISSING_LAUNCH_INTO_TAG", "INSTANCE_TYPE_MISMATCH",
                                             "SUBNET_MISMATCH", "SECURITY_GROUPS_MISMATCH", PRIVATE_IP_MISMATCH]
    assert all(p["remediation"] for p in problems)
    assert pair_problems(pair, _src(1), _inst(1, "x"), {}) == []
    assert [p["code"] for p in pair_problems(pair, None, None, {})] == ["SOURCE_SERVER_NOT_FOUND", "TARGET_NOT_FOUND"]
    small = pair_problems(pair, _src(1), _inst(1, "x", itype="c5.medium"), {})
    assert [p["code"] for p in small] == ["INSTANCE_TYPE_TOO_SMALL"]


def test_verify_launch_identity_then_ip() -> None:
    expect = Expectation("i-1", "10.0.0.1", "10.0.0.1", True, "pair-1")
    assert verify_launch(expect, "i-1", "10.0.0.1").ok
    wrong = verify_launch(expect, "i-2", "10.0.0.1")
    assert wrong.code == INSTANCE_IDENTITY_MISMATCH and "i-2" in str(wrong.reason) and wrong.remediation
    ip = verify_launch(expect, "i-1", "10.0.0.7")
    assert ip.code == PRIVATE_IP_MISMATCH and "10.0.0.7" in str(ip.reason)
    assert verify_launch(Expectation("i-1", "10.0.0.1", None, False, "p"), "i-1", "10.0.0.7").ok
    assert Expectation.from_item(expect.to_item()) == expect


def test_cycle_moves_and_status() -> None:
    assert can_move("PAIRED", CycleState.CONFIGURED) and not can_move("PAIRED", CycleState.FAILED_BACK)
    launched = {"status": "LAUNCHED", "identityVerified": True}
    assert cycle_of_server("CONFIGURED", launched, None, 60) is CycleState.FAILED_OVER
    assert cycle_of_server("CONFIGURED", {"status": "FAILED"}, None, 60) is CycleState.FAILOVER_FAILED
    rep = {"state": "CONTINUOUS", "lagSeconds": 30.0}
    assert cycle_of_server("REVERSE_REPLICATING", launched, rep, 60) is CycleState.READY_FOR_FAILBACK
    assert cycle_of_server("REVERSE_REPLICATING", launched, rep, 10) is CycleState.REVERSE_REPLICATING
    assert cycle_of_server("REVERSE_REPLICATING", launched, {"state": "INITIAL_SYNC"}, 60) is \
        CycleState.REVERSE_REPLICATING


@pytest.mark.parametrize(("text", "seconds"), [("PT5S", 5), ("PT1M30S", 90), ("P1DT1H", 90000), ("P0D", 0),
                                               ("PT0.5S", 0.5), (None, None), ("bogus", None)])
def test_iso_lag(text: str | None, seconds: float | None) -> None:
    assert iso_lag_seconds(text) == seconds


def test_pairs_body_refuses_duplicates_and_unknown_fields() -> None:
    body = {"pairs": [{"sourceServerId": "s-" + "1" * 17, "targetInstanceId": "i-0123456789abcdef0"},
                      {"sourceServerId": "s-" + "1" * 17, "targetInstanceId": "i-0123456789abcdef0"}]}
    with pytest.raises(ValidationFailed) as exc:
        parse(PairsInput, body)
    assert {d["field"] for d in exc.value.details} == {"pairs.sourceServerId", "pairs.targetInstanceId"}
    with pytest.raises(ValidationFailed):
        parse(PairsInput, {"pairs": [{**body["pairs"][0], "targetIp": "x"}]})


def test_execution_types_of_pairs() -> None:
    drill = parse(StartExecutionInput, {"planId": "p", "executionType": "FAILOVER", "isDrill": True})
    assert drill.kind == "FAILOVER" and drill.launches_drill
    assert not parse(StartExecutionInput, {"planId": "p", "executionType": "FAILOVER"}).launches_drill
    with pytest.raises(ValidationFailed) as exc:
        parse(StartExecutionInput, {"planId": "p", "executionType": "FAILBACK", "isDrill": True})
    assert "isDrill" in exc.value.message


def test_launch_into_is_a_per_server_launch_setting() -> None:
    override = ServerLaunchOverride.model_validate(
        {"launchIntoInstanceProperties": {"launchIntoEC2InstanceID": "i-0123456789abcdef0"}, "copyPrivateIp": False})
    assert canonical_config(effective_config(None, override))["launchIntoInstanceProperties"] == {
        "launchIntoEC2InstanceID": "i-0123456789abcdef0"}
    with pytest.raises(ValueError, match="per server"):
        LaunchConfig.model_validate({"launchIntoInstanceProperties": {"launchIntoEC2InstanceID": "i-0123456789abcdef0"}})
