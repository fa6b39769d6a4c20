"""The local stack's role trust evaluation (drs_local.iam_policy), pure part."""

from __future__ import annotations

import pytest

from drs_local.iam_policy import evaluate_trust, trust_policy

HUB = "123456789012"


def test_external_id_required_when_the_policy_says_so() -> None:
    policy = trust_policy(HUB, "right-id")
    assert evaluate_trust(policy, HUB, "right-id")[0] is True
    allowed, reason = evaluate_trust(policy, HUB, "wrong-id")
    assert allowed is False and "sts:ExternalId" in reason
    assert evaluate_trust(policy, HUB, None)[0] is False


def test_principal_must_be_the_callers_account() -> None:
    policy = trust_policy(HUB)
    assert evaluate_trust(policy, HUB, None)[0] is True
    assert evaluate_trust(policy, HUB, "anything")[0] is True  # no condition: an extra id is ignored
    assert evaluate_trust(policy, "999999999999", None)[0] is False


@pytest.mark.parametrize(
    ("principal", "allowed"),
    [("*", True), ({"AWS": HUB}, True), ({"AWS": ["arn:aws:iam::999999999999:root", f"arn:aws:iam::{HUB}:root"]}, True),
     ({"AWS": "arn:aws:iam::999999999999:root"}, False), ({"Service": "lambda.amazonaws.com"}, False)],
)
def test_principal_forms(principal: object, allowed: bool) -> None:
    policy = {"Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]}
    assert evaluate_trust(policy, HUB, None)[0] is allowed


def test_deny_wins_and_actions_must_match() -> None:
    allow = {"Effect": "Allow", "Principal": "*", "Action": "sts:*"}
    deny = {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
            "Condition": {"StringNotEquals": {"sts:ExternalId": "ok-id"}}}
    policy = {"Statement": [allow, deny]}
    assert evaluate_trust(policy, HUB, "ok-id")[0] is True
    assert evaluate_trust(policy, HUB, "bad-id")[0] is False
    assert evaluate_trust(policy, HUB, None)[0] is False  # negated operator on a missing key holds -> Deny
    only_tag = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:TagSession"}]}
    assert evaluate_trust(only_tag, HUB, None)[0] is False


@pytest.mark.parametrize(
    ("condition", "external_id", "allowed"),
    [({"StringLike": {"sts:ExternalId": "drs-*"}}, "drs-123", True),
     ({"StringLike": {"sts:ExternalId": "drs-*"}}, "x-123", False),
     ({"StringEqualsIfExists": {"sts:ExternalId": "a1"}}, None, True),
     ({"StringEqualsIgnoreCase": {"sts:ExternalId": "AbC"}}, "abc", True),
     ({"Null": {"sts:ExternalId": "false"}}, None, False),
     ({"Null": {"sts:ExternalId": "false"}}, "set", True),
     ({"StringEquals": {"aws:PrincipalAccount": HUB}}, None, True),
     ({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, "x", False)],
)
def test_condition_operators(condition: dict, external_id: str | None, allowed: bool) -> None:
    policy = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": HUB}, "Action": "sts:AssumeRole",
                             "Condition": condition}]}
    assert evaluate_trust(policy, HUB, external_id)[0] is allowed
