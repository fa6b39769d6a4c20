"""Who acted, as the API records it: the user pool signs in with email (UsernameAttributes), so its
``cognito:username`` is an opaque id; audits, ``startedBy`` and ``createdBy`` name the user by email."""

from __future__ import annotations

from drs_orch.entrypoints.lambdas import _principal_from_event


def _event(claims: dict[str, str]) -> dict[str, object]:
    return {"requestContext": {"authorizer": {"claims": claims}}}


def test_the_email_names_the_user_not_the_pools_opaque_username() -> None:
    p = _principal_from_event(_event({"sub": "dcec95c3-acf7-422b-848e-547ff87f15db",
                                      "cognito:username": "dcec95c3-acf7-422b-848e-547ff87f15db",
                                      "email": "operator@example.com", "cognito:groups": "DRSOperator"}))
    assert p is not None and p.username == "operator@example.com" and p.groups == ("DRSOperator",)


def test_without_an_email_the_username_then_the_subject_name_the_user() -> None:
    assert _principal_from_event(_event({"sub": "s-1", "cognito:username": "ops-bot"})).username == "ops-bot"
    assert _principal_from_event(_event({"sub": "s-1"})).username == "s-1"
    assert _principal_from_event({"requestContext": {}}) is None
