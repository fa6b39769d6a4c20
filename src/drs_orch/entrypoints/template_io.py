"""Load infra/template.yaml (CloudFormation short-form tags included) and package it for a
deployment: the state machine's DefinitionS3Location + DefinitionSubstitutions become a
DefinitionString joined (Fn::Join) from the same ASL file and the substituted values, which is what
CloudFormation does server-side and what moto (DefinitionString only) needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "infra" / "template.yaml"
ASL = ROOT / "infra" / "orchestration.asl.json"

_TAGS = ["Ref", "Condition", "Base64", "GetAZs", "ImportValue"]
_FN_TAGS = ["Sub", "Join", "Select", "Split", "If", "Not", "Equals", "And", "Or", "FindInMap",
            "Cidr", "Transform", "ToJsonString"]


class _Loader(yaml.SafeLoader):
    pass


def _construct(node: yaml.Node, loader: yaml.SafeLoader) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]


def _register() -> None:
    def short_form(key: str) -> Any:
        def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
            return {key: _construct(node, loader)}

        return construct

    for tag in _TAGS:
        _Loader.add_constructor(f"!{tag}", short_form(tag if tag in ("Ref", "Condition") else f"Fn::{tag}"))
    for tag in _FN_TAGS:
        _Loader.add_constructor(f"!{tag}", short_form(f"Fn::{tag}"))

    def get_att(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        value = _construct(node, loader)
        return {"Fn::GetAtt": value.split(".", 1) if isinstance(value, str) else value}

    _Loader.add_constructor("!GetAtt", get_att)


_register()


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(path.read_text(), Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    return loaded


def package(template: dict[str, Any], asl_text: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(template))
    for res in out["Resources"].values():
        if res["Type"] != "AWS::StepFunctions::StateMachine":
            continue
        props = res["Properties"]
        props.pop("DefinitionS3Location", None)
        subs = props.pop("DefinitionSubstitutions", {})
        props["DefinitionString"] = _substitute(asl_text, subs)
    return out


def _substitute(text: str, subs: dict[str, Any]) -> Any:
    """DefinitionSubstitutions as an Fn::Join of literal text and the values: only ``${Key}`` of
    ``subs`` is replaced. (Not Fn::Sub: moto implements it with ``string.Template``, which turns the
    ASL's ``$$.Task.Token`` into ``$.Task.Token``.)"""
    import re

    parts: list[Any] = []
    last = 0
    for match in re.finditer(r"\$\{(\w+)\}", text):
        if match.group(1) not in subs:
            continue
        parts += [text[last:match.start()], subs[match.group(1)]]
        last = match.end()
    parts.append(text[last:])
    return {"Fn::Join": ["", [p for p in parts if p != ""]]}
