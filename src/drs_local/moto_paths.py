"""The JSONPaths of moto's Step Functions interpreter parsed once each (patch 15 of
:mod:`drs_local.moto_speed`).

moto's ASL interpreter evaluates a path (``InputPath``, a ``Parameters`` binding such as
``"executionId.$": "$.executionId"``, a Choice rule's ``Variable``, ``TimeoutSecondsPath``,
``ResultPath``) by calling ``jsonpath_ng``'s ``parse`` on its text each time, and each call builds a
new parser: its lexer and its yacc tables, every time. Between two ticks of an execution the
state machine evaluates several (``Decide``, ``WaitBeforeTick``, the task results); in
``bench/engine.py`` at 40x100 that was 4% of the stack process's samples (py-spy, one run), on the
path from one tick to the next. A parsed path is an expression tree that evaluating reads and never
changes, so one tree per text serves every evaluation, in any thread.
"""

from __future__ import annotations

import functools


def apply() -> None:
    import jsonpath_ng
    import jsonpath_ng.ext
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    # the module attributes the interpreter calls (each module imported ``parse`` by name)
    json_path.parse = functools.lru_cache(maxsize=4096)(jsonpath_ng.ext.parse)  # type: ignore[attr-defined]
    result_path.parse = functools.lru_cache(maxsize=4096)(jsonpath_ng.parse)  # type: ignore[attr-defined]
