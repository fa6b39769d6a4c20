"""Pure rules of the read side: server presentation, filters, page tokens, capacity figures."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drs_orch.domain.capacity import capacity_report, combined_replication, usage_from
from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.inventory import (
    ServerFilter,
    decode_token,
    encode_token,
    group_index,
    hardware,
    lifecycle_state,
    page,
    parse_limit,
    parse_replication_states,
    parse_server_ids,
    parse_tag_filter,
    summarize_source_server,
)
from drs_orch.domain.models import ProtectionGroup

GIB = 2**30


def group(group_id: str, name: str = "G", servers: tuple[str, ...] = ()) -> ProtectionGroup:
    return ProtectionGroup(group_id=group_id, group_name=name, region="us-east-1", account_id="123456789012",
                           source_server_ids=list(servers), created_date="2025-01-01T00:00:00.000Z",
                           last_modified_date="2025-01-01T00:00:00.000Z")


def server(sid: str, state: str = "CONTINUOUS", **tags: str) -> dict:
    return {
        "sourceServerID": sid,
        "arn": f"arn:aws:drs:us-east-1:123456789012:source-server/{sid}",
        "tags": tags,
        "dataReplicationInfo": {"dataReplicationState": state, "lagDuration": "PT5S"},
        "lastLaunchResult": "NOT_STARTED",
        "lifeCycle": {},
        "sourceProperties": {
            "identificationHints": {"hostname": "db-01", "fqdn": "db-01.example.internal", "awsInstanceID": "i-1"},
            "cpus": [{"cores": 2, "modelName": "Xeon"}, {"cores": 2}],
            "ramBytes": 16 * GIB,
            "disks": [{"deviceName": "/dev/sda", "bytes": 60 * GIB}, {"deviceName": "/dev/sdb", "bytes": 40 * GIB}],
            "recommendedInstanceType": "r5.xlarge",
            "networkInterfaces": [{"ips": ["10.0.0.9"], "isPrimary": False}, {"ips": ["10.0.0.5"], "isPrimary": True}],
            "os": {"fullString": "Ubuntu 22.04"},
        },
    }


def test_summary_has_the_seed_fields_and_more() -> None:
    out = summarize_source_server(server("s-aaaaaaaaaaaaaaaaa", Name="db one", Tier="db"),
                                  group("g1", "DB"))
    assert out["sourceServerID"] == "s-aaaaaaaaaaaaaaaaa"
    assert out["hostname"] == "db-01"
    assert out["nameTag"] == "db one"
    assert out["replicationState"] == "CONTINUOUS"
    assert out["lifecycleState"] == "READY_FOR_LAUNCH"
    assert out["hardware"]["totalCores"] == 4
    assert out["hardware"]["ramGiB"] == 16 and isinstance(out["hardware"]["ramGiB"], int)
    assert out["hardware"]["totalDiskGiB"] == 100
    assert out["sourceIp"] == "10.0.0.5"
    assert out["recommendedInstanceType"] == "r5.xlarge"
    assert out["lagDuration"] == "PT5S"
    assert out["protectionGroup"] == {"groupId": "g1", "groupName": "DB"}
    assert out["selectable"] is False
    assert out["tags"] == {"Name": "db one", "Tier": "db"}


def test_summary_selectable_for_its_own_group_and_when_free() -> None:
    raw = server("s-aaaaaaaaaaaaaaaaa")
    assert summarize_source_server(raw)["selectable"] is True
    assert summarize_source_server(raw, group("g1"), current_group_id="g1")["selectable"] is True
    assert summarize_source_server(raw, group("g1"), current_group_id="g2")["selectable"] is False


def test_hostname_falls_back_to_fqdn_and_hardware_rounds() -> None:
    raw = server("s-aaaaaaaaaaaaaaaaa")
    del raw["sourceProperties"]["identificationHints"]["hostname"]
    raw["sourceProperties"]["ramBytes"] = int(7.5 * GIB)
    out = summarize_source_server(raw)
    assert out["hostname"] == "db-01"
    assert out["hardware"]["ramGiB"] == 7.5
    assert hardware({}) == {"totalCores": 0, "cpuModel": None, "ramGiB": 0, "totalDiskGiB": 0, "disks": []}


@pytest.mark.parametrize(
    ("state", "expected"),
    [("CONTINUOUS", "READY_FOR_LAUNCH"), ("INITIAL_SYNC", "SYNCING"), ("STALLED", "STALLED"),
     ("DISCONNECTED", "DISCONNECTED"), ("PAUSED", "STOPPED"), (None, "UNKNOWN"), ("WHATEVER", "UNKNOWN")],
)
def test_lifecycle_state(state: str | None, expected: str) -> None:
    assert lifecycle_state(state) == expected


def test_tag_filter_forms() -> None:
    assert parse_tag_filter('{"Tier": " db "}') == {"Tier": "db"}
    assert parse_tag_filter("Tier=db,Application=OrderSystem") == {"Tier": "db", "Application": "OrderSystem"}
    assert parse_tag_filter(None) is None and parse_tag_filter("  ") is None
    for bad in ("Tier", "{not json", "[1]", "Tier=a,Tier=b", '{"": "x"}'):
        with pytest.raises(ValidationFailed):
            parse_tag_filter(bad)


def test_filter_accepts_by_tags_state_and_id() -> None:
    a = server("s-aaaaaaaaaaaaaaaaa", "CONTINUOUS", Tier="DB")
    b = server("s-bbbbbbbbbbbbbbbbb", "STALLED", Tier="app")
    f = ServerFilter(tags={"Tier": "db"})
    assert [f.accepts(a), f.accepts(b)] == [True, False]
    f = ServerFilter(replication_states=parse_replication_states("stalled,disconnected"))
    assert [f.accepts(a), f.accepts(b)] == [False, True]
    f = ServerFilter(server_ids=parse_server_ids("s-bbbbbbbbbbbbbbbbb"))
    assert [f.accepts(a), f.accepts(b)] == [False, True]
    with pytest.raises(ValidationFailed):
        parse_replication_states("RUNNING")
    with pytest.raises(ValidationFailed):
        parse_server_ids("i-123")


def test_limit_bounds() -> None:
    assert parse_limit(None) == 100 and parse_limit("7") == 7
    for bad in ("0", "1001", "x"):
        with pytest.raises(ValidationFailed):
            parse_limit(bad)


def test_pages_cover_everything_once_and_tokens_are_bound_to_the_query() -> None:
    items = list(range(23))
    fp = ServerFilter(tags={"Tier": "db"}).fingerprint("111111111111", "us-east-1")
    seen: list[int] = []
    token = None
    pages = 0
    while True:
        chunk, token = page(items, 5, token, fp)
        seen += chunk
        pages += 1
        if token is None:
            break
    assert seen == items and pages == 5
    other = ServerFilter(tags={"Tier": "app"}).fingerprint("111111111111", "us-east-1")
    with pytest.raises(ValidationFailed) as exc:
        decode_token(encode_token(5, fp), other)
    assert exc.value.code == "INVALID_NEXT_TOKEN"
    with pytest.raises(ValidationFailed):
        decode_token("!!!", fp)


def test_group_index_maps_servers_to_their_group() -> None:
    idx = group_index([group("g1", servers=("s-1", "s-2")), group("g2", servers=("s-3",))])
    assert idx["s-2"].group_id == "g1" and idx["s-3"].group_id == "g2" and "s-4" not in idx


def test_capacity_counts_and_ladder() -> None:
    servers = [server(f"s-{i:017d}", "CONTINUOUS") for i in range(240)] + [server("s-x", "STOPPED"), server("s-y", "STALLED")]
    jobs = [{"status": "STARTED", "participatingServers": [{}] * 3}, {"status": "PENDING", "participatingServers": [{}]},
            {"status": "COMPLETED", "participatingServers": [{}] * 50}]
    usage = usage_from(servers, jobs, [{}] * 7)
    assert usage.replicating_servers == 241 and usage.source_servers == 242
    assert usage.active_jobs == 2 and usage.servers_in_active_jobs == 4 and usage.recovery_instances == 7
    report = capacity_report(usage)
    by_metric = {m["metric"]: m for m in report["metrics"]}
    assert by_metric["replicatingServers"]["status"] == "WARNING"
    assert by_metric["activeJobs"]["status"] == "OK"
    assert report["status"] == "WARNING"
    assert report["limits"]["replicatingServers"] == 300 and report["limits"]["recoveryInstances"] == 4000
    combined = combined_replication([usage, usage], 2)
    assert combined["replicatingServers"] == 482 and combined["maxReplicatingServers"] == 600
    assert combined["status"] == "WARNING"


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.integers() | st.text(max_size=20), max_size=4))
def test_one_token_codec_round_trips_any_state_and_refuses_anything_else(state: dict[str, object]) -> None:
    from drs_orch.domain.paging import decode_token, encode_token

    assert decode_token(encode_token(state)) == state
    with pytest.raises(ValidationFailed) as exc:
        decode_token(encode_token(state), "a key no state here has, \\u2603")
    assert exc.value.code == "INVALID_NEXT_TOKEN"
    for garbage in ("%%%", encode_token({"o": 1})[:-3] + "!!", "W10"):  # not base64, cut, a JSON list
        with pytest.raises(ValidationFailed):
            decode_token(garbage)
