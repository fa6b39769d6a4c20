"""The spoke role grants exactly the DRS, EC2 and IAM calls the adapters make in a spoke account:
the operations are found in the adapters' source by name (against botocore's models), and the
template's actions are compared with them both ways."""

from __future__ import annotations

import re
from pathlib import Path

import botocore.session
import yaml
from botocore import xform_name

ROOT = Path(__file__).resolve().parents[2]
SPOKE_SERVICES = ("drs", "ec2", "iam")
EXTRA = {"iam:PassRole"}  # implied by launch templates with an instance profile, not an API call of ours


def _called_actions() -> set[str]:
    session = botocore.session.get_session()
    operations: dict[str, list[str]] = {}
    for service in SPOKE_SERVICES:
        for name in session.get_service_model(service).operation_names:
            operations.setdefault(xform_name(name), []).append(f"{service}:{name}")
    used: set[str] = set()
    for path in (ROOT / "src" / "drs_orch" / "adapters").glob("*.py"):
        for match in re.finditer(r'(?:\.([a-z_]+)\(|"([a-z_]+)")', path.read_text()):
            used.update(operations.get(match.group(1) or match.group(2), []))
    return used


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _granted() -> set[str]:
    template = yaml.load((ROOT / "infra" / "spoke.yaml").read_text(), Loader=_Loader)  # noqa: S506 - own file
    statements = template["Resources"]["OrchestrationRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    granted: set[str] = set()
    for statement in statements:
        actions = statement["Action"]
        granted.update([actions] if isinstance(actions, str) else actions)
    return granted


def test_the_spoke_role_grants_what_the_adapters_call_and_nothing_more() -> None:
    called, granted = _called_actions(), _granted()
    assert called - granted == set(), "called but not granted"
    assert granted - called - EXTRA == set(), "granted but never called"
    assert not any("*" in action for action in granted)
