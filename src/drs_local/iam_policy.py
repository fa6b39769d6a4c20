"""Role trust policies, enforced on sts:AssumeRole in the local stack.

moto 5.2.5 lets anyone assume any role: ``STSBackend.assume_role`` neither looks the role up nor
reads its trust policy, and the optional IAM access control (off by default) looks the role up in
the *caller's* account and lets a request without ExternalId pass a ``StringEquals
sts:ExternalId`` condition. So "a wrong external id must fail" would not be honest locally.

This module makes it honest for the accounts it *models* (:func:`enforce`, :func:`provision_spoke`):
there, AssumeRole of a role that does not exist, whose trust policy does not name the caller's
account, or whose conditions (``sts:ExternalId``, ``aws:PrincipalAccount``) are not met is refused
with ``AccessDenied``, as AWS does. Accounts not modelled keep moto's behaviour.

Trust evaluation (:func:`evaluate_trust`): an explicit Deny wins; otherwise some Allow statement
must match. A statement matches when its Action (or NotAction) covers ``sts:AssumeRole``, its
Principal is ``*`` or names the caller's account (``<id>``, ``arn:aws:iam::<id>:root`` or
``{"AWS": ...}`` of those), and every condition holds. Conditions: String(Not)Equals,
String(Not)Like, StringEquals(IgnoreCase), Null, each optionally ``...IfExists``; a missing key fails
a positive operator and passes a negated one, as in AWS. Unsupported operators fail closed.

Wiring (done by the local stack): :func:`apply` once per process, then
:func:`provision_local_spokes` to create ``DRSOrchestrationRole`` in the spoke accounts of
:data:`LOCAL_SPOKES`.
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
from collections.abc import Mapping
from typing import Any

HUB_ACCOUNT = "123456789012"
ROLE_NAME = "DRSOrchestrationRole"
# Spoke accounts of the local stack and the external id each role requires (None: no condition).
LOCAL_SPOKES: dict[str, str | None] = {
    "111111111111": None,
    "222222222222": "drs-orch-local-222222222222",
}

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::([0-9]{12}):role/(?:.*/)?([^/]+)$")
_lock = threading.Lock()
_applied = False
_enforced: set[str] = set()


# ------------------------------------------------------------------ evaluation (pure)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _action_matches(statement: Mapping[str, Any], action: str) -> bool:
    def hit(patterns: list[Any]) -> bool:
        return any(fnmatch.fnmatchcase(action.lower(), str(p).lower()) for p in patterns)

    if "NotAction" in statement:
        return not hit(_as_list(statement["NotAction"]))
    return hit(_as_list(statement.get("Action")))


def _principal_matches(statement: Mapping[str, Any], caller_account: str) -> bool:
    if "NotPrincipal" in statement:
        return False  # not used for trust policies here; fail closed
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    for value in _as_list(principal.get("AWS")):
        text = str(value)
        if text in ("*", caller_account) or re.fullmatch(rf"arn:aws[a-z-]*:iam::{caller_account}:root", text):
            return True
    return False


def _condition_holds(operator: str, expected: Mapping[str, Any], context: Mapping[str, str | None]) -> bool:
    if_exists = operator.endswith("IfExists")
    op = operator.removesuffix("IfExists")
    for key, wanted in expected.items():
        actual = context.get(key)
        values = [str(v) for v in _as_list(wanted)]
        if op == "Null":
            if (actual is None) != (values[0].lower() == "true" if values else True):
                return False
            continue
        if actual is None:
            if if_exists or op.startswith("StringNot"):
                continue
            return False
        if op == "StringEquals":
            ok = actual in values
        elif op == "StringEqualsIgnoreCase":
            ok = actual.lower() in {v.lower() for v in values}
        elif op == "StringNotEquals":
            ok = actual not in values
        elif op == "StringLike":
            ok = any(fnmatch.fnmatchcase(actual, v) for v in values)
        elif op == "StringNotLike":
            ok = not any(fnmatch.fnmatchcase(actual, v) for v in values)
        else:
            return False  # unsupported operator: fail closed
        if not ok:
            return False
    return True


def _conditions_hold(statement: Mapping[str, Any], context: Mapping[str, str | None]) -> bool:
    conditions = statement.get("Condition") or {}
    if not isinstance(conditions, Mapping):
        return False
    return all(
        isinstance(expected, Mapping) and _condition_holds(str(op), expected, context)
        for op, expected in conditions.items()
    )


def evaluate_trust(
    policy: str | Mapping[str, Any], caller_account: str, external_id: str | None, action: str = "sts:AssumeRole"
) -> tuple[bool, str]:
    """``(allowed, reason)`` of a role trust policy for an AssumeRole by ``caller_account``."""
    document = json.loads(policy) if isinstance(policy, str) else policy
    statements = [s for s in _as_list(document.get("Statement")) if isinstance(s, Mapping)]
    context = {"sts:ExternalId": external_id, "aws:PrincipalAccount": caller_account}
    allowed = False
    reason = f"no statement of the trust policy allows account {caller_account} to {action}"
    for statement in statements:
        if not _action_matches(statement, action) or not _principal_matches(statement, caller_account):
            continue
        if not _conditions_hold(statement, context):
            if statement.get("Effect") == "Allow":
                reason = "the trust policy's conditions are not met (e.g. sts:ExternalId)"
            continue
        if statement.get("Effect") == "Deny":
            return False, "an explicit Deny in the trust policy matches"
        if statement.get("Effect") == "Allow":
            allowed = True
    return (True, "allowed") if allowed else (False, reason)


def trust_policy(hub_account_id: str = HUB_ACCOUNT, external_id: str | None = None) -> dict[str, Any]:
    """The spoke role's trust policy: the hub account may assume it, with the external id if any."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{hub_account_id}:root"},
        "Action": "sts:AssumeRole",
    }
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}


# ------------------------------------------------------------------ moto wiring


def _iam(account_id: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account_id]["aws"]


def check_assume_role(caller_account: str, role_arn: str, external_id: str | None) -> None:
    """Raise moto's AccessDenied when an enforced account's role may not be assumed."""
    from moto.iam.exceptions import NotFoundException
    from moto.sts.exceptions import STSClientError

    match = _ROLE_ARN.match(role_arn or "")
    if not match or match.group(1) not in _enforced:
        return
    denied = (f"User: arn:aws:iam::{caller_account}:root is not authorized to perform: sts:AssumeRole "
              f"on resource: {role_arn}")
    try:
        role = _iam(match.group(1)).get_role_by_arn(role_arn)
    except NotFoundException:
        raise STSClientError("AccessDenied", denied) from None
    allowed, _ = evaluate_trust(role.assume_role_policy_document, caller_account, external_id)
    if not allowed:
        raise STSClientError("AccessDenied", denied)


def apply() -> None:
    """Patch moto's STS backend once per process (idempotent)."""
    global _applied
    with _lock:
        if _applied:
            return
        from moto.sts.models import STSBackend

        original = STSBackend.assume_role

        def assume_role(self: Any, *args: Any, **kwargs: Any) -> Any:
            check_assume_role(self.account_id, str(kwargs.get("role_arn") or ""), kwargs.get("external_id"))
            return original(self, *args, **kwargs)

        STSBackend.assume_role = assume_role  # type: ignore[method-assign]
        _applied = True


def enforce(account_id: str) -> None:
    """Model ``account_id``'s IAM: from now on its roles must exist and trust the caller."""
    with _lock:
        _enforced.add(account_id)


def enforced_accounts() -> frozenset[str]:
    with _lock:
        return frozenset(_enforced)


def provision_spoke(
    account_id: str, hub_account_id: str = HUB_ACCOUNT, external_id: str | None = None, role_name: str = ROLE_NAME
) -> str:
    """Create (or update the trust policy of) ``role_name`` in ``account_id`` and enforce the
    account. Returns the role ARN."""
    from moto.iam.exceptions import NotFoundException

    document = json.dumps(trust_policy(hub_account_id, external_id))
    iam = _iam(account_id)
    try:
        role = iam.get_role(role_name)
        iam.update_assume_role_policy(role_name, document)
    except NotFoundException:
        role = iam.create_role(role_name=role_name, assume_role_policy_document=document, path="/",
                               permissions_boundary=None, description="DRS orchestration hub access (local)",
                               tags=[], max_session_duration=None)
    enforce(account_id)
    return str(role.arn)


def provision_local_spokes(hub_account_id: str = HUB_ACCOUNT) -> dict[str, str]:
    """:data:`LOCAL_SPOKES` provisioned; account id -> role ARN."""
    apply()
    return {acct: provision_spoke(acct, hub_account_id, ext) for acct, ext in LOCAL_SPOKES.items()}
