"""The input rules (domain/input_rules.py) and the request models that apply them, over the
in-memory data-management services: refused characters, NFC names, collection bounds, body limits;
every refusal a 4xx and nothing stored."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from data_fakes import HUB, FakeDrs, server, services
from hypothesis import given
from hypothesis import strategies as st

from drs_orch.domain import input_rules as ir
from drs_orch.domain.data_rules import MAX_GROUPS_PER_PLAN, MAX_SERVERS_PER_GROUP
from drs_orch.domain.errors import Conflict, DomainError, PayloadTooLarge
from drs_orch.domain.execution_snapshot import StartExecutionInput
from drs_orch.domain.launch_config import ServerLaunchOverride
from drs_orch.domain.models import ProtectionGroupInput, RecoveryPlanInput, TargetAccountInput, parse
from drs_orch.entrypoints.routing import parse_json_object

R = "us-east-1"
SID = "s-" + "a" * 17


def fleet(n: int = 2) -> tuple[Any, list[str]]:
    s = services(drs=FakeDrs())
    return s, s.drs.add(HUB, R, *[server({"App": "x"}) for _ in range(n)])


def refusal(call: Any) -> DomainError:
    with pytest.raises(DomainError) as info:
        call()
    assert 400 <= info.value.status < 500
    return info.value


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


# text ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "point"), [
    ("a\x00b", "U+0000"), ("a\u202eb", "U+202E RIGHT-TO-LEFT OVERRIDE"), ("a\u200db", "U+200D ZERO WIDTH JOINER"),
    ("\ufeffa", "U+FEFF"), ("a\x1b[31m", "U+001B"), ("a\u2028b", "U+2028 LINE SEPARATOR"), ("a\nb", "U+000A"),
])
def test_names_refuse_control_and_format_characters_naming_the_code_point(text: str, point: str) -> None:
    err = refusal(lambda: parse(ProtectionGroupInput, {"groupName": text, "region": R, "sourceServerIds": [SID]}))
    assert err.status == 400 and err.details[0]["field"] == "groupName"
    assert point in err.details[0]["message"]


def test_descriptions_keep_line_breaks_but_refuse_the_rest() -> None:
    ok = parse(ProtectionGroupInput, {"groupName": "g", "region": R, "sourceServerIds": [SID],
                                      "description": "line one\r\n\tline two"})
    assert ok.description == "line one\r\n\tline two"
    err = refusal(lambda: parse(RecoveryPlanInput, {"planName": "p", "description": "x\u202ey", "waves": []}))
    assert [d["field"] for d in err.details] == ["description"] and "U+202E" in err.details[0]["message"]


def test_printable_unicode_passes_untouched() -> None:
    for text in ("Zürich DB-Tier (prod)", "東京 ウェブ", "Ünïcödé ☃", "a\u00a0b"):
        assert ir.check_text(text) == text


def test_names_are_nfc_and_compare_case_insensitively() -> None:
    decomposed, composed = "Cafe\u0301", "Caf\u00e9"
    spec = parse(ProtectionGroupInput, {"groupName": decomposed, "region": R, "sourceServerIds": [SID]})
    assert spec.group_name == composed and unicodedata.is_normalized("NFC", spec.group_name)
    assert ir.name_key(decomposed) == ir.name_key(" CAF\u00c9 ") == ir.name_key(composed)


def test_wave_names_tags_initiated_by_and_account_names_follow_the_text_rule() -> None:
    err = refusal(lambda: parse(RecoveryPlanInput, {"planName": "p", "waves": [
        {"waveNumber": 1, "waveName": "w\x07", "waveDescription": "d\u200b"}]}))
    assert [d["field"] for d in err.details] == ["waves[0].waveName", "waves[0].waveDescription"]
    err = refusal(lambda: parse(ProtectionGroupInput, {"groupName": "g", "region": R,
                                                        "serverSelectionTags": {"Env": "prod\u202e"}}))
    assert "U+202E" in err.details[0]["message"] and "'Env'" in err.details[0]["message"]
    err = refusal(lambda: parse(StartExecutionInput, {"planId": "p", "executionType": "DRILL", "initiatedBy": "\x00"}))
    assert err.details[0]["field"] == "initiatedBy"
    err = refusal(lambda: parse(TargetAccountInput, {"accountId": HUB, "accountName": "hub\u202e"}))
    assert err.details[0]["field"] == "accountName"


# collections -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "body", "field"), [
    (ProtectionGroupInput, {"groupName": "g", "region": R, "serverSelectionTags": {f"k{i}": "v" for i in range(51)}},
     "serverSelectionTags"),
    (ProtectionGroupInput, {"groupName": "g", "region": R, "sourceServerIds": ["s-x"] * (MAX_SERVERS_PER_GROUP + 1)},
     "sourceServerIds"),
    (ProtectionGroupInput, {"groupName": "g", "region": R, "sourceServerIds": [SID],
                            "servers": {f"s-{i:017d}": {} for i in range(MAX_SERVERS_PER_GROUP + 1)}}, "servers"),
    (ProtectionGroupInput, {"groupName": "g", "region": R, "sourceServerIds": [SID],
                            "launchConfig": {"securityGroupIds": [f"sg-{i:08x}" for i in range(17)]}},
     "launchConfig.securityGroupIds"),
    (RecoveryPlanInput, {"planName": "p", "waves": [{"waveNumber": i, "waveName": "w"} for i in range(51)]}, "waves"),
    (RecoveryPlanInput, {"planName": "p", "waves": [{"waveNumber": 1, "waveName": "w",
                                                     "protectionGroupIds": [f"g{i}" for i in range(MAX_GROUPS_PER_PLAN + 1)]}]},
     "waves[0].protectionGroupIds"),
    (RecoveryPlanInput, {"planName": "p", "waves": [{"waveNumber": 1, "waveName": "w",
                                                     "dependsOnWaves": list(range(51))}]}, "waves[0].dependsOnWaves"),
    (TargetAccountInput, {"accountId": HUB, "stagingAccounts": [{}] * 51}, "stagingAccounts"),
])
def test_every_collection_is_bounded_with_one_problem(model: Any, body: dict[str, Any], field: str) -> None:
    err = refusal(lambda: parse(model, body))
    assert err.status == 400
    assert err.details == [{"field": field, "message": err.details[0]["message"]}]
    assert "at most" in err.details[0]["message"]


def test_bounds_allow_exactly_the_limit() -> None:
    parse(ProtectionGroupInput, {"groupName": "g", "region": R, "serverSelectionTags": {f"k{i}": "v" for i in range(50)}})
    parse(ServerLaunchOverride, {"securityGroupIds": [f"sg-{i:08x}" for i in range(16)]})
    parse(RecoveryPlanInput, {"planName": "p", "waves": [{"waveNumber": i, "waveName": "w"} for i in range(50)]})


# bodies ----------------------------------------------------------------------------------------


def test_depth_limit_on_text_and_decoded_bodies() -> None:
    assert parse_json_object('{"a":' + nested(ir.MAX_JSON_DEPTH - 1) + "}") is not None
    for depth in (ir.MAX_JSON_DEPTH + 1, 5000, 100_000):
        err = refusal(lambda d=depth: parse_json_object(nested(d)))
        assert (err.status, err.code) == (400, "JSON_TOO_DEEP")
    deep: Any = 1
    for _ in range(ir.MAX_JSON_DEPTH + 1):
        deep = [deep]
    err = refusal(lambda: parse_json_object({"a": deep}))
    assert err.code == "JSON_TOO_DEEP"


def test_size_limit_counts_utf8_bytes() -> None:
    fits = json.dumps({"d": "x" * (ir.MAX_BODY_BYTES - 20)})
    assert parse_json_object(fits)["d"]
    err = refusal(lambda: parse_json_object(json.dumps({"d": "é" * (ir.MAX_BODY_BYTES // 2)}, ensure_ascii=False)))
    assert isinstance(err, PayloadTooLarge) and (err.status, err.code) == (413, "REQUEST_TOO_LARGE")
    err = refusal(lambda: parse_json_object({"d": "x" * ir.MAX_BODY_BYTES}))
    assert err.status == 413


def test_nesting_depth_matches_the_recursive_definition() -> None:
    def depth(v: Any) -> int:
        if isinstance(v, dict):
            return 1 + max([depth(c) for c in v.values()], default=0)
        if isinstance(v, list):
            return 1 + max([depth(c) for c in v], default=0)
        return 0

    json_values = st.recursive(st.none() | st.integers() | st.text(max_size=3),
                               lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner,
                                                                                           max_size=3), max_leaves=30)

    @given(json_values)
    def check(value: Any) -> None:
        assert ir.nesting_depth(value, stop_after=10_000) == depth(value)

    check()


# nothing stored --------------------------------------------------------------------------------

_REFUSED = st.characters(categories=["Cc", "Cf"])


@st.composite
def hostile_text(draw: Any) -> str:
    """A short printable text with at least one control or format character somewhere."""
    text = draw(st.text(st.characters(categories=["L", "N", "Zs"]), min_size=0, max_size=20))
    position = draw(st.integers(0, len(text)))
    bad = draw(_REFUSED.filter(lambda c: c not in "\t\n\r"))
    return text[:position] + bad + text[position:] + "x"


def stored_strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (*stored_strings(k), *stored_strings(v))]
    if isinstance(value, list | tuple | set):
        return [t for v in value for t in stored_strings(v)]
    return [value] if isinstance(value, str) else []


@given(name=hostile_text(), where=st.sampled_from(["groupName", "description", "tagKey", "tagValue", "planName",
                                                    "waveName"]))
def test_hostile_text_is_never_stored(name: str, where: str) -> None:
    """Refused, or (a character Python counts as surrounding whitespace, e.g. U+001F) trimmed away:
    either way no stored string holds a control or format character."""
    s, ids = fleet()
    s.drs.add(HUB, R, server({"Env": "prod", name.strip(): "prod"}))
    group: dict[str, Any] = {"groupName": "g", "region": R, "sourceServerIds": ids[:1]}
    if where in ("groupName", "description"):
        group[where] = name
    elif where == "tagKey":
        group = {"groupName": "g", "region": R, "serverSelectionTags": {name: "prod"}}
    elif where == "tagValue":
        group = {"groupName": "g", "region": R, "serverSelectionTags": {"Env": name}}
    if where in ("planName", "waveName"):
        made = s.groups.create(group, "t")
        plan = {"planName": name if where == "planName" else "p",
                "waves": [{"waveNumber": 1, "waveName": name if where == "waveName" else "w",
                           "protectionGroupIds": [made["groupId"]]}]}
        try:
            s.plans.create(plan, "t")
        except DomainError as exc:
            assert exc.status == 400
    else:
        try:
            s.groups.create(group, "t")
        except DomainError as exc:
            assert exc.status == 400
    texts = stored_strings([s.db.groups, s.db.plans, list(s.db.guards)])
    assert not [t for t in texts if ir.refused_character(t, multiline=True)]
    if name.strip() == name:  # nothing to trim: it must have been refused
        assert name not in texts


def test_look_alike_names_cannot_both_exist() -> None:
    s, ids = fleet(2)
    first = s.groups.create({"groupName": "Caf\u00e9", "region": R, "sourceServerIds": ids[:1]}, "t")
    err = refusal(lambda: s.groups.create({"groupName": "CAFE\u0301", "region": R, "sourceServerIds": ids[1:]}, "t"))
    assert isinstance(err, Conflict)
    assert list(s.db.groups) == [first["groupId"]]
    s.plans.create({"planName": "Pla\u0301n", "waves": [{"waveNumber": 1, "waveName": "w",
                                                        "protectionGroupIds": [first["groupId"]]}]}, "t")
    err = refusal(lambda: s.plans.create({"planName": "PL\u00c1N", "waves": [
        {"waveNumber": 1, "waveName": "w", "protectionGroupIds": [first["groupId"]]}]}, "t"))
    assert isinstance(err, Conflict) and len(s.db.plans) == 1


def test_import_applies_the_same_rules_and_writes_nothing() -> None:
    s, ids = fleet(2)
    doc = {"schemaVersion": "2.0", "protectionGroups": [
        {"groupName": "ok", "region": R, "sourceServerIds": ids[:1]},
        {"groupName": "bad\x00", "region": R, "sourceServerIds": ids[1:]}]}
    err = refusal(lambda: s.config.import_config({"config": doc}, "t"))
    assert err.code == "IMPORT_REJECTED"
    failed = err.details["failed"]
    assert [f["name"] for f in failed] == ["bad\x00"] and "groupName: contains U+0000" in failed[0]["reason"]
    assert s.db.groups == {}
    twins = {"schemaVersion": "2.0", "protectionGroups": [
        {"groupName": "Caf\u00e9", "region": R, "sourceServerIds": ids[:1]},
        {"groupName": "cafe\u0301", "region": R, "sourceServerIds": ids[1:]}]}
    err = refusal(lambda: s.config.import_config({"config": twins}, "t"))
    assert "listed twice" in json.dumps(err.details) and s.db.groups == {}
    many = {"schemaVersion": "2.0", "protectionGroups": [{"groupName": f"g{i}"} for i in range(ir.MAX_IMPORT_ITEMS + 1)]}
    err = refusal(lambda: s.config.import_config({"config": many}, "t"))
    assert err.code == "TOO_MANY_ITEMS" and s.db.groups == {}


def test_account_validation_regions_are_bounded() -> None:
    s = services()
    err = refusal(lambda: s.accounts.validate(HUB, {"regions": [R] * (ir.MAX_REGIONS + 1)}))
    assert err.code == "TOO_MANY_ITEMS" and err.details == [{"field": "regions", "message": err.details[0]["message"]}]


def test_handlers_apply_the_body_limits_before_any_route_runs() -> None:
    """The Lambda handlers themselves (no AWS needed: the limits refuse before a handler runs)."""
    from drs_orch.entrypoints import lambdas

    rest = {"httpMethod": "POST", "path": "/protection-groups", "resource": "/protection-groups", "headers": {},
            "body": nested(5000), "requestContext": {"requestId": "r1", "httpMethod": "POST",
                                                     "path": "/protection-groups", "resourcePath": "/protection-groups"}}
    out = lambdas.data_management(rest, None)
    assert out["statusCode"] == 400 and json.loads(out["body"])["error"] == "JSON_TOO_DEEP"
    out = lambdas.data_management({**rest, "body": " " * (ir.MAX_BODY_BYTES + 1)}, None)
    assert out["statusCode"] == 413 and json.loads(out["body"])["error"] == "REQUEST_TOO_LARGE"
    direct = {"operation": "get_protection_group"}
    assert lambdas.data_management({**direct, "pathParameters": {"groupId": {"a": 1}}}, None)["error"] == \
        "INVALID_PARAMETER"
    assert lambdas.data_management({**direct, "queryParams": ["x"]}, None)["error"] == "INVALID_PARAMETER"
    assert lambdas.data_management({**direct, "body": json.loads(nested(40))}, None)["error"] == "JSON_TOO_DEEP"
