"""The hub's rule and the spoke template's forwarding rule match the same DRS events, the ones the
emulator sends, and lead to the DRS events function and the hub's default bus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from drs_emulator.events import LAUNCH_RESULT, SOURCE
from drs_orch.entrypoints.template_io import TEMPLATE, load_template

SPOKE = Path(TEMPLATE).with_name("spoke.yaml")


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda loader, suffix, node: {suffix: loader.construct_sequence(node)
                                                                 if isinstance(node, yaml.SequenceNode)
                                                                 else loader.construct_scalar(node)})


def _spoke() -> dict[str, Any]:
    return dict(yaml.load(SPOKE.read_text(), Loader=_Loader))  # noqa: S506 - own file


def test_hub_and_spoke_rules_match_the_launch_results_the_emulator_sends() -> None:
    hub = load_template(TEMPLATE)["Resources"]
    pattern = {"source": [SOURCE], "detail-type": [LAUNCH_RESULT]}
    rule = hub["DrsLaunchResultRule"]["Properties"]
    assert rule["EventPattern"] == pattern and rule["State"] == "ENABLED"
    assert rule["Targets"] == [{"Id": "drs-events", "Arn": {"Fn::GetAtt": ["DrsEventsFunction", "Arn"]}}]
    assert hub["DrsEventsFunction"]["Properties"]["Handler"] == "drs_orch.entrypoints.drs_events.handler"
    assert hub["DrsLaunchResultPermission"]["Properties"]["Principal"] == "events.amazonaws.com"
    forward = _spoke()["Resources"]["DrsEventsForwardRule"]["Properties"]
    assert forward["EventPattern"] == pattern and forward["State"] == "ENABLED"
    target = forward["Targets"][0]
    assert "event-bus/default" in str(target["Arn"]) and "${HubAccountId}" in str(target["Arn"])
    assert target["RoleArn"] == {"GetAtt": "DrsEventsForwardRole.Arn"}


def test_the_wait_between_ticks_is_a_task_token_with_the_poll_as_timeout() -> None:
    import json

    from drs_orch.entrypoints.template_io import ASL

    states = json.loads(Path(ASL).read_text())["States"]
    wait = states["WaitBeforeTick"]
    assert wait["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
    assert wait["TimeoutSecondsPath"] == "$.tick.waitSeconds"
    assert wait["Parameters"]["Payload"]["action"] == "wait"
    assert wait["Parameters"]["Payload"]["taskToken.$"] == "$$.Task.Token"
    assert wait["Next"] == "Tick" and wait["Catch"][0]["Next"] == "Tick"  # a timeout is the poll
