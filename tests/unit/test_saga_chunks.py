"""How a saga's steps are cut into transactions (``dynamodb_saga.chunks_of``): order kept, at most
99 steps each (one item is the intent's own write), never one item twice in a transaction, the
final steps together in the last one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from drs_orch.adapters.dynamodb_saga import CHUNK, Step, chunks_of


def _step(target: str) -> Step:
    return Step({"Put": {"TableName": "t", "Item": {}}}, target, ("X", target))


@given(st.lists(st.sampled_from([f"item-{n}" for n in range(150)]), max_size=400),
       st.lists(st.sampled_from(["owner", "name", "item-1"]), max_size=3, unique=True))
def test_chunks_keep_order_size_and_distinct_items(targets: list[str], final_targets: list[str]) -> None:
    steps, final = [_step(t) for t in targets], [_step(f"final-{t}") for t in final_targets]
    final += [_step("item-7")] if final_targets else []
    chunks = chunks_of(steps, final)
    assert [s for chunk in chunks for s in chunk] == steps + final
    for chunk in chunks:
        assert 0 < len(chunk) <= CHUNK - 1
        assert len({s.target for s in chunk}) == len(chunk)
    if final:
        assert chunks[-1][-len(final):] == final


def test_a_chunk_is_cut_where_an_item_comes_again() -> None:
    chunks = chunks_of([_step("a"), _step("b"), _step("a")])
    assert [[s.target for s in c] for c in chunks] == [["a", "b"], ["a"]]
