"""ClientFactory: one AssumeRole per account per session lifetime, clear errors naming the account;
paginated reads with backoff; DRS error mapping."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber

from drs_orch.adapters import clients as clients_module
from drs_orch.adapters.clients import ClientFactory
from drs_orch.adapters.drs import DrsReader, region_error
from drs_orch.adapters.paging import Throttled, backoff_delay, pages
from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.errors import UpstreamError
from drs_orch.domain.inventory import RegionState, RegionUnavailable

SPOKE = AccountContext("222222222222", "us-east-1", "arn:aws:iam::222222222222:role/DRSOrchestrationRole", "ext-1")


class FakeSts:
    def __init__(self, now: list[float], fail: str | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.now = now
        self.fail = fail
        self.lock = threading.Lock()

    def assume_role(self, **kwargs: Any) -> dict[str, Any]:
        with self.lock:
            self.calls.append(kwargs)
        if self.fail:
            raise ClientError({"Error": {"Code": self.fail, "Message": "not authorized"}}, "AssumeRole")
        expires = datetime.fromtimestamp(self.now[0], UTC) + timedelta(seconds=kwargs["DurationSeconds"])
        return {"Credentials": {"AccessKeyId": f"ASIA{len(self.calls)}", "SecretAccessKey": "s", "SessionToken": "t",
                                "Expiration": expires}}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> tuple[FakeSts, list[float], list[tuple[str, Any]]]:
    now = [1_000_000.0]
    sts = FakeSts(now)
    made: list[tuple[str, Any]] = []

    def fake_client(service: str, *, region: str | None = None, credentials: Any = None, config: Any = None) -> Any:
        if service == "sts":
            return sts
        made.append((service, credentials))
        return object()

    monkeypatch.setattr(clients_module, "client", fake_client)
    return sts, now, made


def test_one_assume_role_per_account_until_near_expiry(fake: Any) -> None:
    sts, now, made = fake
    factory = ClientFactory("us-east-1", clock=lambda: now[0])
    for region in ("us-east-1", "us-west-2"):
        for service in ("drs", "ec2", "drs"):
            factory.get(service, AccountContext(SPOKE.account_id, region, SPOKE.role_arn, SPOKE.external_id))
    assert len(sts.calls) == 1 and factory.assume_role_calls_by_account == {"222222222222": 1}
    assert sts.calls[0]["ExternalId"] == "ext-1" and sts.calls[0]["RoleSessionName"] == "drs-orchestration"
    assert len(made) == 4  # one client per (region, service)
    now[0] += 3600 - 299  # inside the refresh margin: refreshed once
    factory.get("drs", SPOKE)
    factory.get("drs", SPOKE)
    assert len(sts.calls) == 2


def test_hub_never_assumes(fake: Any) -> None:
    sts, now, _ = fake
    factory = ClientFactory("us-east-1", clock=lambda: now[0])
    factory.get("drs", AccountContext("123456789012", "us-east-1"))
    assert sts.calls == [] and factory.assume_role_calls == 0


def test_concurrent_callers_share_one_assume_role(fake: Any) -> None:
    sts, now, _ = fake
    factory = ClientFactory("us-east-1", clock=lambda: now[0])
    threads = [threading.Thread(target=factory.credentials, args=(SPOKE,)) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sts.calls) == 1


def test_external_id_is_part_of_the_cache_key(fake: Any) -> None:
    sts, now, _ = fake
    factory = ClientFactory("us-east-1", clock=lambda: now[0])
    factory.credentials(SPOKE)
    factory.credentials(AccountContext(SPOKE.account_id, "us-east-1", SPOKE.role_arn, "ext-2"))
    assert [c["ExternalId"] for c in sts.calls] == ["ext-1", "ext-2"]


@pytest.mark.parametrize(
    ("aws_code", "code"),
    [("AccessDenied", "ASSUME_ROLE_DENIED"), ("InvalidClientTokenId", "HUB_CREDENTIALS_INVALID"),
     ("ValidationError", "ASSUME_ROLE_INVALID"), ("RegionDisabledException", "STS_REGION_DISABLED"),
     ("InternalFailure", "ASSUME_ROLE_FAILED")],
)
def test_refusals_name_the_account(fake: Any, aws_code: str, code: str) -> None:
    sts, now, _ = fake
    sts.fail = aws_code
    factory = ClientFactory("us-east-1", clock=lambda: now[0])
    with pytest.raises(UpstreamError) as exc:
        factory.get("drs", SPOKE)
    assert exc.value.code == code and exc.value.status == 502
    assert "222222222222" in exc.value.message
    assert exc.value.details["accountId"] == "222222222222" and exc.value.details["awsError"] == aws_code
    assert "ext-1" not in str(exc.value.to_body())  # the secret is never echoed


def _drs() -> Any:
    return boto3.session.Session().client("drs", region_name="us-east-1", aws_access_key_id="a",
                                          aws_secret_access_key="b", endpoint_url="https://drs.invalid")


def test_pages_resume_after_throttling() -> None:
    drs = _drs()
    slept: list[float] = []
    with Stubber(drs) as stub:
        stub.add_response("describe_jobs", {"items": [{"jobID": "drsjob-10000000000000000"}], "nextToken": "t1"}, {})
        stub.add_client_error("describe_jobs", "ThrottlingException", http_status_code=429,
                              expected_params={"nextToken": "t1"})
        stub.add_response("describe_jobs", {"items": [{"jobID": "drsjob-20000000000000000"}]}, {"nextToken": "t1"})
        got = [i["jobID"] for p in pages(drs, "describe_jobs", token_key="nextToken", sleep=slept.append)
               for i in p["items"]]
        stub.assert_no_pending_responses()
    assert got == ["drsjob-10000000000000000", "drsjob-20000000000000000"] and len(slept) == 1


def test_pages_give_up_after_attempts() -> None:
    drs = _drs()
    with Stubber(drs) as stub:
        for _ in range(3):
            stub.add_client_error("describe_jobs", "ThrottlingException", http_status_code=429)
        with pytest.raises(Throttled):
            list(pages(drs, "describe_jobs", token_key="nextToken", attempts=3, sleep=lambda _: None))


def test_backoff_is_capped_full_jitter() -> None:
    assert backoff_delay(1, rng=lambda: 1.0) == 1.0
    assert backoff_delay(10, rng=lambda: 1.0) == 8.0
    assert backoff_delay(3, rng=lambda: 0.0) == 0.0


def test_drs_reader_chunks_id_filters_and_counts_calls() -> None:
    drs = _drs()
    ids = [f"s-{i:017d}" for i in range(250)]
    ctx = AccountContext("123456789012", "us-east-1")
    with Stubber(drs) as stub:
        stub.add_response("describe_source_servers", {"items": []}, {"filters": {"sourceServerIDs": ids[:200]}})
        stub.add_response("describe_source_servers", {"items": []}, {"filters": {"sourceServerIDs": ids[200:]}})
        reader = DrsReader(drs, ctx)
        assert reader.source_servers(ids) == []
        assert reader.jobs([]) == []  # nothing asked, nothing sent
        stub.assert_no_pending_responses()
    assert reader.calls == {"DescribeSourceServers": 2}


def test_region_errors_are_classified() -> None:
    ctx = AccountContext("111111111111", "us-west-2")

    def err(code: str) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": "m"}}, "DescribeSourceServers")

    cases = {"UninitializedAccountException": RegionState.DRS_NOT_INITIALIZED,
             "AccessDeniedException": RegionState.ACCESS_DENIED, "UnrecognizedClientException": RegionState.ACCESS_DENIED}
    for code, state in cases.items():
        mapped = region_error("drs", ctx, err(code))
        assert isinstance(mapped, RegionUnavailable) and mapped.state is state
        assert mapped.details == {"accountId": "111111111111", "region": "us-west-2", "status": state.value}
    unreachable = region_error("drs", ctx, EndpointConnectionError(endpoint_url="https://x"))
    assert isinstance(unreachable, RegionUnavailable) and unreachable.state is RegionState.UNREACHABLE
    other = region_error("drs", ctx, err("ValidationException"))
    assert not isinstance(other, RegionUnavailable) and other.code == "DRS_ERROR"
