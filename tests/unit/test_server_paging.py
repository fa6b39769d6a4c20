"""GET /executions/{id}/servers over the in-memory store (the adapter's paging semantics): whatever
the filters and the page size, the pages hold every matching server once, in id order, and every
page but the last is full - also for PENDING, whose store pages are refilled after the servers the
job items say are launching are dropped."""

from __future__ import annotations

import functools

from engine_world import World, launching_execution, server_pages
from hypothesis import given
from hypothesis import strategies as st

from drs_orch.services.engine.queries import execution_servers


@functools.cache
def _half_launched() -> tuple[World, str]:
    """Wave 1 (6 servers) launching, 4 of them LAUNCHING on the job item; wave 2 (4 servers) pending."""
    world, execution_id, _, _ = launching_execution(6, 4, slice(1, 5))
    return world, execution_id


@given(status=st.sampled_from([None, "PENDING", "LAUNCHING", "LAUNCHED", "FAILED"]), wave=st.sampled_from([None, 1, 2]),
       limit=st.integers(min_value=1, max_value=4))
def test_pages_hold_every_matching_server_once_and_all_but_the_last_are_full(
        status: str | None, wave: int | None, limit: int) -> None:
    world, execution_id = _half_launched()
    everything = [s for page in server_pages(world, execution_id, {"limit": "1000"}) for s in page]
    assert len(everything) == 10 and sum(s["status"] == "LAUNCHING" for s in everything) == 4
    expected = [s["sourceServerId"] for s in everything
                if (status is None or s["status"] == status) and (wave is None or s["waveNumber"] == wave)]
    query = {"limit": str(limit), **({"status": status} if status else {}), **({"wave": str(wave)} if wave else {})}
    pages = server_pages(world, execution_id, query)
    assert [s["sourceServerId"] for page in pages for s in page] == expected
    assert all(len(page) == limit for page in pages[:-1]) and len(pages[-1]) <= limit
    assert execution_servers(world.deps, execution_id, query)["total"] == len(expected)


def test_a_wave_is_read_by_key_not_by_filtering_every_server() -> None:
    world, execution_id = _half_launched()
    store = world.deps.store
    before = store.servers_read, store.server_pages
    servers = [s for page in server_pages(world, execution_id, {"wave": "2", "limit": "2"}) for s in page]
    assert len(servers) == 4 and {s["waveNumber"] for s in servers} == {2}
    assert store.server_pages == before[1]  # no filtered scan of the execution's servers
    assert store.servers_read - before[0] == 4  # wave 2's own servers, each read once


def test_a_status_no_server_has_is_answered_from_the_counts_without_reading_servers() -> None:
    world, execution_id = _half_launched()
    store = world.deps.store
    before = store.servers_read, store.server_pages
    for query in ({"status": "FAILED"}, {"status": "TERMINATED", "limit": "1"}, {"status": "FAILED", "wave": "2"}):
        page = execution_servers(world.deps, execution_id, query)
        assert page["servers"] == [] and page["total"] == 0 and page["nextToken"] is None, query
    assert (store.servers_read, store.server_pages) == before  # "any failed?" reads no server item
