"""DynamoDB update expressions parsed once per text (patch 16 of :mod:`drs_local.moto_speed`).

moto parses an UpdateItem's ``UpdateExpression`` twice per request (the handler, to check which
names and values it uses; the backend, to apply it), and a transaction's updates likewise, with a
tokenizer and a recursive-descent parser written in Python: 0.1 ms for ``ADD n :one``, 0.4 ms for a
six-action ``SET``/``ADD``, each time; under a stream of one-attribute updates, 13% of the DynamoDB
process's request samples (py-spy). The engine's expressions repeat (their names and values are
placeholders: ``SET #n0 = :v0, ...``), and a parsed expression is a tree that moto only reads: the
validator that resolves names and values works on its own deep copy of it. One tree per text
serves every request, in any thread; a text that does not parse raises moto's error each time, as
before.
"""

from __future__ import annotations

import functools


def apply() -> None:
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]  # untyped

    parse = functools.lru_cache(maxsize=4096)(UpdateExpressionParser.make)
    UpdateExpressionParser.make = classmethod(lambda cls, expression: parse(expression))
    UpdateExpressionParser.unpatched_make = parse.__wrapped__  # kept for the tests
