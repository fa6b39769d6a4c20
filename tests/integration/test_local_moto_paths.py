"""Step Functions' JSONPaths parsed once per text (drs_local/moto_paths.py, patch 15): the
interpreter gets the same tree for the same text, and a shared tree evaluates every input as a
freshly parsed one does (reading with ``extract_json``, writing with ``ResultPath``), so nothing of
one evaluation shows in the next."""

from __future__ import annotations

import copy
from typing import Any

import jsonpath_ng
import jsonpath_ng.ext
import pytest
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.component.common.path.result_path import ResultPath
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.asl.utils.json_path import NoSuchJsonPathError, extract_json

pytestmark = pytest.mark.integration

INPUTS = [{"executionId": "e-1", "tick": {"next": "CONTINUE", "waitSeconds": 30}, "items": [1, 2, 3]},
          {"executionId": "e-2", "tick": {"next": "DONE", "waitSeconds": 0}, "items": [4]}]
PATHS = ["$.executionId", "$.tick.waitSeconds", "$.tick", "$.items[0]", "$.items[*]", "$"]


def test_the_interpreter_parses_each_path_once(stack: Any) -> None:
    parse, parse_result = getattr(json_path, "parse"), getattr(result_path, "parse")  # noqa: B009 - moto's
    assert parse("$.tick.waitSeconds") is parse("$.tick.waitSeconds")
    assert parse_result("$.tick") is parse_result("$.tick")
    for _ in range(2):  # a path it cannot read is refused each time, as before
        with pytest.raises(Exception):  # noqa: B017 - jsonpath_ng's own error
            parse("$.[")


def _read(path: str, data: Any) -> Any:
    try:
        return extract_json(path, copy.deepcopy(data))
    except NoSuchJsonPathError as exc:
        return ("missing", exc.json_path)


@pytest.mark.parametrize("path", [*PATHS, "$.missing"])
def test_a_shared_path_reads_each_input_as_a_fresh_one(stack: Any, path: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    shared = [_read(path, data) for data in INPUTS * 2]
    monkeypatch.setattr(json_path, "parse", jsonpath_ng.ext.parse)  # a new parser for each path, as moto had it
    assert shared == [_read(path, data) for data in INPUTS * 2]


def test_a_shared_result_path_writes_each_output_apart(stack: Any) -> None:
    outputs = []
    for data, result in zip(INPUTS, ({"next": "PAUSE"}, {"next": "DONE"}), strict=True):
        env = Environment.__new__(Environment)  # only what ResultPath reads: the state's input, the stack
        env.states = type("States", (), {"get_input": staticmethod(lambda d=data: copy.deepcopy(d))})()
        env.stack = [result]
        ResultPath("$.tick")._eval_body(env)
        outputs.append(env.stack.pop())
        expected = copy.deepcopy(data)
        jsonpath_ng.parse("$.tick").update_or_create(expected, copy.deepcopy(result))
        assert outputs[-1] == expected
    assert outputs[0]["tick"] == {"next": "PAUSE"} and outputs[1]["tick"] == {"next": "DONE"}
