"""The local stack's faster DynamoDB Query (drs_local/moto_speed.py) answers as DynamoDB does: the
items of one partition that the sort-key condition selects, in key order either way, a page at a time
through Limit and ExclusiveStartKey, with the filter applied after the limit."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

TABLE = "local-moto-queries"
KEYS = sorted({f"{prefix}{n:03d}" for prefix in ("JOB#", "META", "SERVER#", "WAVE#") for n in range(40)} | {"META"})


@pytest.fixture(scope="module")
def table(stack: Any) -> Any:
    """A table of the session's local stack (its moto runs the patched Query), named for this module."""
    ddb = stack.client("dynamodb")
    ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "S"}])
    for pk in ("a", "b"):
        for i, sk in enumerate(KEYS):
            ddb.put_item(TableName=TABLE, Item={"pk": {"S": pk}, "sk": {"S": sk}, "n": {"N": str(i % 3)}})
    yield ddb
    ddb.delete_table(TableName=TABLE)


def _all_pages(ddb: Any, limit: int | None, forward: bool, condition: str, values: dict[str, Any],
               filtered: bool) -> tuple[list[str], int]:
    kwargs: dict[str, Any] = {"TableName": TABLE, "KeyConditionExpression": condition, "ScanIndexForward": forward,
                              "ExpressionAttributeValues": {":pk": {"S": "a"}, **values}}
    if filtered:
        kwargs["FilterExpression"] = "n = :zero"
        kwargs["ExpressionAttributeValues"][":zero"] = {"N": "0"}
    if limit is not None:
        kwargs["Limit"] = limit
    seen: list[str] = []
    pages = 0
    while True:
        out = ddb.query(**kwargs)
        pages += 1
        seen += [i["sk"]["S"] for i in out["Items"]]
        assert limit is None or out["Count"] <= limit
        if "LastEvaluatedKey" not in out:
            return seen, pages
        kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]


CONDITIONS = [
    ("pk = :pk", {}, lambda k: True),
    ("pk = :pk AND begins_with(sk, :p)", {":p": {"S": "SERVER#"}}, lambda k: k.startswith("SERVER#")),
    ("pk = :pk AND sk < :p", {":p": {"S": "SERVER#"}}, lambda k: k < "SERVER#"),
    ("pk = :pk AND sk >= :p", {":p": {"S": "META"}}, lambda k: k >= "META"),
    ("pk = :pk AND sk BETWEEN :lo AND :hi", {":lo": {"S": "JOB#010"}, ":hi": {"S": "META005"}},
     lambda k: "JOB#010" <= k <= "META005"),
    ("pk = :pk AND sk = :p", {":p": {"S": "META"}}, lambda k: k == "META"),
]


@settings(max_examples=60, deadline=None)
@given(which=st.integers(0, len(CONDITIONS) - 1), limit=st.one_of(st.none(), st.integers(1, 70)),
       forward=st.booleans(), filtered=st.booleans())
def test_pages_of_a_query_are_the_selected_items_in_key_order(table: Any, which: int, limit: int | None,
                                                            forward: bool, filtered: bool) -> None:
    condition, values, selects = CONDITIONS[which]
    expected = [k for k in KEYS if selects(k) and (not filtered or KEYS.index(k) % 3 == 0)]
    got, pages = _all_pages(table, limit, forward, condition, values, filtered)
    assert got == (expected if forward else expected[::-1])
    if limit is not None:  # Limit counts the items read, before the filter
        assert pages >= -(-len([k for k in KEYS if selects(k)]) // limit)
