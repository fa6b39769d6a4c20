"""The local stack's projections (drs_local/moto_speed.py, patch 10) are moto's: for any item and any
projection paths (top-level names, paths into maps, list elements, names the item lacks), the
projected item is the one moto built, and a path moto refuses is refused."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto.dynamodb.models.dynamo_type import DynamoType, Item

pytestmark = pytest.mark.integration

_names = st.sampled_from(["a", "b", "servers", "tags", "x"])
_scalars = (st.builds(lambda v: {"S": v}, st.text(max_size=6)) | st.builds(lambda v: {"N": str(v)}, st.integers(-99, 99))
            | st.builds(lambda v: {"BOOL": v}, st.booleans())
            | st.builds(lambda v: {"SS": v}, st.lists(st.text(max_size=4), min_size=1, max_size=3, unique=True)))
_values = st.recursive(_scalars, lambda inner: st.builds(lambda v: {"L": v}, st.lists(inner, max_size=3))
                       | st.builds(lambda v: {"M": v}, st.dictionaries(_names, inner, max_size=3)), max_leaves=12)
_head = st.one_of(_names, st.builds(lambda n, i: f"{n}[{i}]", _names, st.integers(0, 3)))
_paths = st.lists(st.builds(lambda h, rest: [h, *rest], _head, st.lists(_names, max_size=2)), min_size=1, max_size=4)


@settings(max_examples=300, deadline=None)
@given(attributes=st.dictionaries(_names, _values, max_size=5), paths=_paths)
def test_a_projection_is_the_one_moto_built(stack: Any, attributes: dict[str, Any], paths: list[list[str]]) -> None:
    item = Item(DynamoType({"S": "pk"}), None, {"pk": {"S": "pk"}, **attributes})
    try:
        expected = Item.unpatched_project(item, paths).to_json()  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001 - moto refuses some paths into scalars: so must the patch
        with pytest.raises(type(exc)):
            item.project(paths)
        return
    assert item.project(paths).to_json() == expected
