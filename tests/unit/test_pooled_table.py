"""Threads that share one table adapter never share a boto3 Table resource during a call: a
resource's condition-expression builder is reset at each call, so two threads building ``Key``
conditions on one resource at once could swap their placeholders."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from drs_orch.adapters import dynamodb


class _Resource:
    def __init__(self, barrier: threading.Barrier) -> None:
        self.name = "t"
        self.barrier = barrier
        self.writing = 0

    def query(self, **kwargs: Any) -> Any:
        self.barrier.wait(timeout=5)  # both calls are in flight together
        return self

    def batch_writer(self) -> Any:
        resource = self

        class _Writer:
            def __enter__(self) -> Any:
                resource.writing += 1
                return resource

            def __exit__(self, *exc: object) -> None:
                resource.writing -= 1

        return _Writer()


@pytest.fixture
def pooled(monkeypatch: pytest.MonkeyPatch) -> Any:
    barrier = threading.Barrier(2)
    made: list[_Resource] = []

    def make(self: Any) -> _Resource:
        made.append(_Resource(barrier))
        return made[-1]

    monkeypatch.setattr(dynamodb._PooledTable, "_make", make)
    return dynamodb.table("t"), made


def test_two_calls_in_flight_at_once_use_two_resources_and_both_go_back_to_the_pool(pooled: Any) -> None:
    shared, made = pooled
    used: list[Any] = []
    threads = [threading.Thread(target=lambda: used.append(shared.query(KeyConditionExpression="k")))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(used) == 2 and used[0] is not used[1]
    assert shared.name == "t" and len(made) == 2  # a plain attribute is read, not a call
    shared._idle.get_nowait(), shared._idle.get_nowait()  # both resources are idle again


def test_a_batch_writer_keeps_its_resource_until_its_block_ends(pooled: Any) -> None:
    shared, made = pooled
    with shared.batch_writer() as batch:
        assert batch.writing == 1 and shared._idle.empty()  # not lent to another call meanwhile
    assert batch.writing == 0 and shared._idle.get_nowait() is batch
