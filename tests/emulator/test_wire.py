"""Wire compatibility: routes, status codes, validation, output shaping, dates, tokens, errors."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from emu_support import HUB, KEYS, call, sid
from hypothesis import given, settings
from hypothesis import strategies as st

from drs_emulator import Emulator, emulated_operations
from drs_emulator.pagination import decode, encode, fingerprint
from drs_emulator.wire import iso_duration, match_route, operation_model, service_model, shape_filter

REQUIRED = {
    "DescribeSourceServers", "GetLaunchConfiguration", "UpdateLaunchConfiguration",
    "CreateLaunchConfigurationTemplate", "DescribeLaunchConfigurationTemplates",
    "UpdateLaunchConfigurationTemplate", "StartRecovery", "DescribeJobs", "DescribeJobLogItems", "DeleteJob",
    "DescribeRecoveryInstances", "TerminateRecoveryInstances", "DisconnectRecoveryInstance",
    "DeleteRecoveryInstance", "DescribeRecoverySnapshots", "StartReplication", "StopReplication",
    "RetryDataReplication", "DisconnectSourceServer", "DeleteSourceServer", "ReverseReplication",
    "StartFailbackLaunch", "StopFailback", "GetFailbackReplicationConfiguration",
    "UpdateFailbackReplicationConfiguration", "TagResource", "UntagResource", "ListTagsForResource",
    "ListStagingAccounts", "CreateExtendedSourceServer", "ListExtensibleSourceServers", "InitializeService",
}  # fmt: skip


def test_every_required_operation_is_emulated_and_routed() -> None:
    assert set(emulated_operations()) >= REQUIRED
    model = service_model()
    for name in model.operation_names:
        http = model.operation_model(name).http
        path = http["requestUri"].replace("{resourceArn}", "arn:aws:drs:us-east-1:123456789012:job/drsjob-1")
        match = match_route(http["method"], path)
        assert match is not None and match.operation == name


def test_tag_routes_match_arns_with_slashes_greedily() -> None:
    arn = f"arn:aws:drs:us-east-1:{HUB}:source-server/{sid('db-01.example.internal')}"
    for method, op in (("GET", "ListTagsForResource"), ("POST", "TagResource"), ("DELETE", "UntagResource")):
        match = match_route(method, f"/tags/{arn}")
        assert match is not None and match.operation == op and match.labels == {"resourceArn": arn}
    list_staging = match_route("GET", "/ListStagingAccounts")
    assert list_staging is not None and list_staging.operation == "ListStagingAccounts"


def test_modelled_success_status_codes(drs: Any, emu: Emulator) -> None:
    created = drs.create_launch_configuration_template(copyTags=True)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    started = drs.start_recovery(
        sourceServers=[{"sourceServerID": sid("web-01.example.internal")}], isDrill=True
    )
    assert started["ResponseMetadata"]["HTTPStatusCode"] == 202
    emu.advance(3600)
    deleted = drs.delete_job(jobID=started["job"]["jobID"])
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert deleted["ResponseMetadata"]["HTTPHeaders"].get("content-length") == "0"
    assert drs.initialize_service()["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_empty_body_for_204_in_process(emu: Emulator) -> None:
    status, headers, body = call(emu, "InitializeService")
    assert status == 204 and body is None and "x-amzn-RequestId" in headers


def test_missing_authorization_is_access_denied(emu: Emulator, server: Any) -> None:
    response = emu.handle("POST", "/DescribeJobs", "", {}, b"{}")
    assert response.status == 403
    assert ("x-amzn-ErrorType", "AccessDeniedException") in response.headers
    unsigned = boto3.client(
        "drs", region_name="us-east-1", endpoint_url=server.url, config=Config(signature_version=UNSIGNED)
    )
    with pytest.raises(unsigned.exceptions.AccessDeniedException):
        unsigned.describe_jobs()


def test_id_patterns_are_enforced(drs: Any) -> None:
    with pytest.raises(drs.exceptions.ValidationException) as exc:
        drs.get_launch_configuration(sourceServerID="s-0123456789abcdef!")
    err = exc.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["reason"] == "fieldValidationFailed"
    assert err["fieldList"][0]["name"] == "sourceServerID"
    with pytest.raises(drs.exceptions.ValidationException):
        drs.describe_jobs(filters={"jobIDs": ["drsjob-" + "z" * 16 + "_"]})
    with pytest.raises(drs.exceptions.ValidationException):
        drs.describe_recovery_instances(filters={"recoveryInstanceIDs": ["i-nothexnothex"]})
    with pytest.raises(drs.exceptions.ValidationException):
        drs.update_launch_configuration_template(launchConfigurationTemplateID="lct-" + "!" * 17)


def test_enums_types_unknown_members_and_bad_json(emu: Emulator, drs: Any) -> None:
    with pytest.raises(drs.exceptions.ValidationException) as exc:
        drs.update_launch_configuration(
            sourceServerID=sid("db-01.example.internal"), launchDisposition="SOMETIMES"
        )
    assert "launchDisposition" in exc.value.response["fieldList"][0]["name"]
    status, _, body = call(emu, "GetLaunchConfiguration", {"sourceServerID": 5})
    assert status == 400 and body["reason"] == "fieldValidationFailed"
    status, _, body = call(emu, "DescribeJobs", {"bogus": 1})
    assert status == 400 and "bogus" in body["message"]
    auth = f"AWS4-HMAC-SHA256 Credential={KEYS['aws_access_key_id']}/20260301/us-east-1/drs/aws4_request"
    response = emu.handle("POST", "/DescribeJobs", "", {"Authorization": auth}, b"{not json")
    assert response.status == 400 and response.json()["reason"] == "cannotParse"


def test_operation_in_model_but_refused(drs: Any, emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    from drs_emulator import coverage, registry

    monkeypatch.delitem(registry.HANDLERS, "DescribeReplicationConfigurationTemplates")
    monkeypatch.setitem(coverage.REFUSED, "DescribeReplicationConfigurationTemplates", "kept out for a test")
    with pytest.raises(drs.exceptions.ValidationException) as exc:
        drs.describe_replication_configuration_templates()
    assert exc.value.response["reason"] == "unknownOperation"
    assert "refused: kept out for a test" in exc.value.response["Error"]["Message"]
    response = emu.handle("POST", "/NoSuchOperation", "", {}, b"{}")
    assert response.status == 400 and response.json()["reason"] == "unknownOperation"


def test_next_tokens_are_opaque_and_checked(drs: Any) -> None:
    first = drs.describe_source_servers(maxResults=2)
    token = first["nextToken"]
    assert "DescribeSourceServers" not in token
    second = drs.describe_source_servers(maxResults=2, nextToken=token)
    assert {s["sourceServerID"] for s in second["items"]}.isdisjoint(
        {s["sourceServerID"] for s in first["items"]}
    )
    for bad in ("garbage", token[:-3]):
        with pytest.raises(drs.exceptions.ValidationException) as exc:
            drs.describe_source_servers(nextToken=bad)
        assert exc.value.response["reason"] == "cannotParse"
    with pytest.raises(drs.exceptions.ValidationException):  # another operation's token
        drs.describe_jobs(nextToken=token)
    with pytest.raises(drs.exceptions.ValidationException):  # other filters
        drs.describe_source_servers(nextToken=token, filters={"hardwareId": "x"})


def test_token_round_trip_and_fingerprint() -> None:
    fp = fingerprint("k", {"a": 1})
    assert decode(encode("k", 7, fp), "k", fp) == 7
    assert fingerprint("k", {"a": 1}) != fingerprint("k", {"a": 2})


def _keys_within_shape(shape: Any, value: Any) -> None:
    if shape.type_name == "structure":
        assert isinstance(value, dict)
        assert set(value) <= set(shape.members), set(value) - set(shape.members)
        for key, item in value.items():
            assert item is not None
            _keys_within_shape(shape.members[key], item)
    elif shape.type_name == "list":
        for item in value:
            _keys_within_shape(shape.member, item)


def test_outputs_only_carry_modelled_members_and_offset_dates(emu: Emulator, drs: Any) -> None:
    job = drs.start_recovery(sourceServers=[{"sourceServerID": sid("db-01.example.internal")}])["job"]
    emu.advance(900)
    for op, params in (
        ("DescribeSourceServers", {}),
        ("DescribeJobs", {}),
        ("DescribeRecoveryInstances", {}),
        ("DescribeJobLogItems", {"jobID": job["jobID"]}),
    ):
        status, _, body = call(emu, op, params)
        assert status == 200
        _keys_within_shape(operation_model(op).output_shape, body)
    _, _, jobs = call(emu, "DescribeJobs", {})
    created = jobs["items"][0]["creationDateTime"]
    assert created.endswith("+00:00") and datetime.fromisoformat(created).utcoffset() is not None
    shape = operation_model("DescribeJobs").output_shape
    assert shape_filter(
        shape, {"items": [{"jobID": "x", "_private": 1, "endDateTime": None}], "secret": 2}
    ) == {"items": [{"jobID": "x"}]}


def test_error_bodies_and_headers(emu: Emulator) -> None:
    status, headers, body = call(emu, "GetLaunchConfiguration", {"sourceServerID": "s-00000000000000000"})
    assert status == 404
    assert headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    assert body["resourceId"] == "s-00000000000000000" and body["resourceType"] == "SOURCE_SERVER"
    emu.add_fault("throttle", operation="DescribeJobs", retry_after=7, count=1)
    status, headers, body = call(emu, "DescribeJobs")
    assert status == 429 and headers["Retry-After"] == "7" and body["serviceCode"] == "drs"
    emu.add_fault("internal_error", operation="DescribeJobs", count=1)
    status, headers, body = call(emu, "DescribeJobs")
    assert (
        status == 500
        and headers["x-amzn-ErrorType"] == "InternalServerException"
        and "Retry-After" in headers
    )


def test_each_modelled_error_class_reaches_boto3(emu: Emulator, drs: Any, make_drs: Any) -> None:
    """400/400/402/403/404/409 here; 429 and 500 through retries in test_faults."""
    server_id = sid("db-02.example.internal")
    with pytest.raises(drs.exceptions.ResourceNotFoundException):
        drs.describe_job_log_items(jobID="drsjob-00000000000000000")
    drs.start_recovery(sourceServers=[{"sourceServerID": server_id}])
    with pytest.raises(drs.exceptions.ConflictException) as conflict:
        drs.start_recovery(sourceServers=[{"sourceServerID": server_id}])
    assert conflict.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert conflict.value.response["resourceId"] == server_id
    emu.quotas.max_servers_per_job = 1
    with pytest.raises(drs.exceptions.ServiceQuotaExceededException) as quota:
        drs.start_recovery(
            sourceServers=[
                {"sourceServerID": sid("web-01.example.internal")},
                {"sourceServerID": sid("web-02.example.internal")},
            ]
        )
    assert quota.value.response["ResponseMetadata"]["HTTPStatusCode"] == 402
    assert quota.value.response["quotaCode"] == "MaxServersPerJob"
    with pytest.raises(drs.exceptions.AccessDeniedException):
        drs.list_tags_for_resource(
            resourceArn=f"arn:aws:drs:us-east-1:111111111111:source-server/{server_id}"
        )
    uninitialized = make_drs(region="eu-west-1")
    with pytest.raises(uninitialized.exceptions.UninitializedAccountException) as uninit:
        uninitialized.describe_source_servers()
    assert uninit.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as validation:
        drs.get_launch_configuration(sourceServerID="s-0123456789abcdef!")
    assert validation.value.response["Error"]["Code"] == "ValidationException"


def test_iso_durations() -> None:
    assert iso_duration(0) == "PT0S"
    assert iso_duration(3723) == "PT1H2M3S"
    assert iso_duration(86400 + 60) == "P1DT1M"
    assert iso_duration(None) is None


def test_list_staging_accounts_uses_query_string(emu: Emulator) -> None:
    auth = f"AWS4-HMAC-SHA256 Credential={KEYS['aws_access_key_id']}/20260301/us-east-1/drs/aws4_request"
    response = emu.handle("GET", "/ListStagingAccounts", "maxResults=1", {"Authorization": auth}, b"")
    assert response.status == 200 and response.json() == {"accounts": [{"accountID": "222222222222"}]}
    response = emu.handle("GET", "/ListStagingAccounts", "maxResults=abc", {"Authorization": auth}, b"")
    assert response.status == 400 and json.loads(response.body)["reason"] == "cannotParse"


def _reference_filter(shape: Any, value: Any) -> Any:
    """What every answer is filtered to: what the shape models, None dropped (the rule, written plainly)."""
    if shape is None or value is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return None
        out = {}
        for key, member in shape.members.items():
            if member.serialization.get("location") in ("header", "headers", "statusCode"):
                continue
            kept = _reference_filter(member, value.get(key))
            if kept is not None:
                out[key] = kept
        return out
    if kind == "list":
        if not isinstance(value, list):
            return None
        return [f for f in (_reference_filter(shape.member, v) for v in value) if f is not None]
    if kind == "map":
        if not isinstance(value, dict):
            return None
        return {str(k): _reference_filter(shape.value, v) for k, v in value.items() if v is not None}
    return {"boolean": bool, "integer": int, "long": int, "float": float, "double": float}.get(
        kind, lambda v: v if isinstance(v, str) else str(v))(value)


def _values_for(shape: Any, depth: int = 0) -> Any:
    """Values shaped like ``shape``, with unknown keys, None and wrong types mixed in."""
    noise = st.none() | st.integers(0, 9) | st.text(max_size=3)
    kind = shape.type_name
    if depth > 4:
        return noise
    if kind == "structure":
        members = {k: _values_for(m, depth + 1) | st.none() for k, m in shape.members.items()}
        return st.fixed_dictionaries({}, optional={**members, "_unmodelled": noise}) | noise
    if kind == "list":
        return st.lists(_values_for(shape.member, depth + 1), max_size=3) | noise
    if kind == "map":
        return st.dictionaries(st.text(max_size=3), _values_for(shape.value, depth + 1) | st.none(), max_size=3)
    if kind in ("integer", "long"):
        return st.integers(-5, 5)
    if kind == "boolean":
        return st.booleans()
    if kind in ("float", "double"):
        return st.floats(-5, 5, allow_nan=False)
    return st.text(max_size=5) | st.integers(0, 9)


@pytest.mark.parametrize("operation", ["DescribeJobs", "StartRecovery", "DescribeRecoveryInstances",
                                       "DescribeSourceServers", "GetLaunchConfiguration", "DescribeRecoverySnapshots"])
def test_an_answer_keeps_exactly_what_its_shape_models(operation: str) -> None:
    shape = operation_model(operation).output_shape

    @settings(max_examples=150, deadline=None)
    @given(value=_values_for(shape))
    def check(value: Any) -> None:
        try:
            expected = _reference_filter(shape, value)
        except ValueError:  # a number the wire cannot carry: the filter refuses it too
            with pytest.raises(ValueError):
                shape_filter(shape, value)
            return
        assert shape_filter(shape, value) == expected

    check()
