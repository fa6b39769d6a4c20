"""Target accounts over the local stack: registration rules, secrets never returned, validation
through a real (locally enforced) role trust policy, staging accounts, deletion rules."""

from __future__ import annotations

import json
from typing import Any

import pytest
from data_support import HUB, REGION, ROLE_NAME, new_account_id, seed, spoke, unique

pytestmark = pytest.mark.integration


def test_register_read_update_without_ever_returning_the_external_id(admin: Any, readonly: Any, stack: Any) -> None:
    secret = unique("ext-secret")
    account, role = spoke(secret)
    status, out = admin.post("/accounts/targets", {"accountId": account, "accountName": "Spoke A",
                                                   "roleArn": role, "externalId": secret})
    assert status == 201 and out["hasExternalId"] and out["version"] == 1
    status, again = admin.post("/accounts/targets", {"accountId": account, "roleArn": role})
    assert status == 409 and again["error"] == "ACCOUNT_EXISTS"
    _, listing = admin.get("/accounts/targets")
    _, one = readonly.get(f"/accounts/targets/{account}")
    status, renamed = admin.put(f"/accounts/targets/{account}", {"accountName": "Spoke A2"})
    assert status == 200 and renamed["accountName"] == "Spoke A2" and renamed["hasExternalId"]
    for body in (out, listing, one, renamed):
        assert secret not in json.dumps(body)
    assert account in {a["accountId"] for a in listing["accounts"]}
    # the secret is kept through updates: validation still passes the role's external id condition
    status, report = admin.post(f"/accounts/targets/{account}/validate", {"region": "us-east-1"})
    assert status == 200 and not report["valid"]
    assert report["regions"]["us-east-1"][-1] == {"check": "drs", "status": "FAILED",
                                                  "message": "DRS is not initialized in us-east-1"}
    stack.emulator.set_initialized(account, "us-east-1")
    status, report = admin.post(f"/accounts/targets/{account}/validate", {"region": "us-east-1"})
    assert status == 200 and report["valid"], json.dumps(report)
    checks = {c["check"]: c["status"] for c in report["regions"]["us-east-1"]}
    assert checks == {"assumeRole": "OK", "identity": "OK", "externalId": "OK", "drs": "OK"}
    assert secret not in json.dumps(report)
    _, after = admin.get(f"/accounts/targets/{account}")
    assert after["lastValidated"] == report["checkedAt"] and after["lastValidationStatus"] == "OK"


def test_registration_rules(admin: Any) -> None:
    status, out = admin.post("/accounts/targets", {"accountId": "12345", "roleArn": "nope"})
    assert status == 400 and {d["field"] for d in out["details"]} == {"accountId", "roleArn"}
    account = new_account_id()
    status, out = admin.post("/accounts/targets", {"accountId": account})
    assert status == 400 and out["details"] == [{"field": "roleArn", "message": "required"}]
    status, out = admin.post("/accounts/targets", {"accountId": account,
                                                   "roleArn": f"arn:aws:iam::{HUB}:role/{ROLE_NAME}"})
    assert status == 400  # a role of another account
    status, out = admin.post("/accounts/targets", {"accountId": HUB, "roleArn": f"arn:aws:iam::{HUB}:role/x"})
    assert status == 400 and "hub" in out["message"]
    assert admin.get(f"/accounts/targets/{new_account_id()}")[0] == 404


def test_validate_reports_what_works_and_what_does_not(admin: Any, stack: Any) -> None:
    wrong, role = spoke("the-right-one")
    admin.post("/accounts/targets", {"accountId": wrong, "roleArn": role, "externalId": "a-wrong-one"})
    status, report = admin.post(f"/accounts/targets/{wrong}/validate")
    assert status == 200 and not report["valid"] and report["status"] == "FAILED"
    checks = report["regions"]["us-east-1"]
    assert [c["check"] for c in checks] == ["assumeRole"] and checks[0]["status"] == "FAILED"
    assert "a-wrong-one" not in json.dumps(report)

    open_role, role = spoke(None)  # a role that does not demand an external id
    admin.post("/accounts/targets", {"accountId": open_role, "roleArn": role})
    stack.emulator.set_initialized(open_role, "us-east-1")
    _, report = admin.post(f"/accounts/targets/{open_role}/validate", {"regions": ["us-east-1", "ap-south-1"]})
    by_region = {r: {c["check"]: c for c in checks} for r, checks in report["regions"].items()}
    assert by_region["us-east-1"]["externalId"]["status"] == "WARNING"
    assert by_region["us-east-1"]["drs"]["status"] == "OK"
    assert by_region["ap-south-1"]["drs"]["status"] == "FAILED"
    assert report["status"] == "FAILED" and not report["valid"]

    status, report = admin.post(f"/accounts/targets/{HUB}/validate", {"region": "us-east-1"})
    assert status == 200 and report["regions"]["us-east-1"][0] == {
        "check": "assumeRole", "status": "OK",
        "message": "the hub account is reached with the platform's own credentials"}


def test_staging_accounts(admin: Any) -> None:
    target, role = spoke()
    staging, staging_role = spoke("staging-secret")
    admin.post("/accounts/targets", {"accountId": target, "roleArn": role})
    status, out = admin.post(f"/accounts/targets/{target}/staging-accounts",
                             {"stagingAccount": {"accountId": staging, "accountName": "stage",
                                                 "roleArn": staging_role, "externalId": "staging-secret"}})
    assert status == 201, out
    assert out["stagingAccounts"] == [{"accountId": staging, "accountName": "stage", "roleArn": staging_role,
                                       "hasExternalId": True}]
    status, out = admin.post(f"/accounts/targets/{target}/staging-accounts",
                             {"accountId": staging, "roleArn": staging_role})
    assert status == 409
    status, out = admin.post(f"/accounts/targets/{target}/staging-accounts",
                             {"accountId": target, "roleArn": role})
    assert status == 400
    status, out = admin.delete(f"/accounts/targets/{target}/staging-accounts/{staging}")
    assert status == 200 and out["stagingAccounts"] == []
    assert admin.delete(f"/accounts/targets/{target}/staging-accounts/{staging}")[0] == 404


def test_an_account_used_by_a_group_cannot_be_removed(admin: Any, stack: Any) -> None:
    account, role = spoke()
    admin.post("/accounts/targets", {"accountId": account, "roleArn": role})
    ids = seed(stack, 2, account=account)
    status, group = admin.post("/protection-groups", {"groupName": unique("remote"), "region": REGION,
                                                      "accountId": account, "sourceServerIds": ids})
    assert status == 201, group
    assert group["accountId"] == account
    status, out = admin.delete(f"/accounts/targets/{account}")
    assert status == 409 and out["error"] == "ACCOUNT_IN_USE" and group["groupName"] in out["message"]
    assert admin.delete(f"/protection-groups/{group['groupId']}")[0] == 200
    assert admin.delete(f"/accounts/targets/{account}")[0] == 200
    assert admin.get(f"/accounts/targets/{account}")[0] == 404
