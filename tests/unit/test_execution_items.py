"""The executions table's item mapping (adapters/execution_items.py): every record survives the
trip to its item and back, every item the engine writes survives the trip to its record and back,
and the key shapes are the data contract's."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from drs_orch.adapters import execution_items as ei
from drs_orch.domain.execution_records import (
    ExecutionMeta,
    FingerprintRecord,
    JobRecord,
    ServerRecord,
    WaveRecord,
)

_names = st.from_regex(r"[a-z][a-zA-Z]{0,12}", fullmatch=True).filter(
    lambda n: n not in {"sk", "entityType", "executionId", "waveNumber", "jobKey", "sourceServerId"})
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=20))
_values = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                       max_leaves=8)
_attributes = st.dictionaries(_names, _values, max_size=8)
_ids = st.text(alphabet="abcdef0123456789-", min_size=1, max_size=36)

_records = st.one_of(
    st.builds(ExecutionMeta, _ids, _attributes),
    st.builds(WaveRecord, _ids, st.integers(1, 9999), _attributes),
    st.builds(JobRecord, _ids, st.from_regex(r"[0-9]{4}#[0-9]{3}", fullmatch=True), _attributes),
    st.builds(ServerRecord, _ids, st.from_regex(r"s-[0-9a-f]{17}", fullmatch=True), _attributes),
)


@given(_records)
def test_a_record_survives_its_item(record: Any) -> None:
    item = ei.to_item(record)
    assert item["executionId"] == record.execution_id and item["sk"] == ei.sort_key(record)
    assert ei.record_of(item) == record


@given(_records)
def test_an_item_survives_its_record(record: Any) -> None:
    item = ei.to_item(record)
    again = ei.record_of(item)
    assert again is not None and ei.to_item(again) == item


def test_key_shapes_are_the_data_contract() -> None:
    assert ei.to_item(ExecutionMeta("e", {"status": "RUNNING"})) == {
        "executionId": "e", "sk": "META", "entityType": "EXECUTION", "status": "RUNNING"}
    assert ei.to_item(WaveRecord("e", 3, {"status": "PENDING"})) == {
        "executionId": "e", "sk": "WAVE#0003", "entityType": "WAVE", "waveNumber": 3, "status": "PENDING"}
    assert ei.to_item(JobRecord("e", "0003#001", {"waveNumber": 3})) == {
        "executionId": "e", "sk": "JOB#0003#001", "entityType": "JOB", "jobKey": "0003#001", "waveNumber": 3}
    assert ei.to_item(ServerRecord("e", "s-1", {"status": "LAUNCHED"})) == {
        "executionId": "e", "sk": "SERVER#s-1", "entityType": "SERVER", "sourceServerId": "s-1", "status": "LAUNCHED"}
    assert ei.to_item(FingerprintRecord("e", "d", "p")) == {"executionId": "e", "sk": "~FINGERPRINT", "digest": "d",
                                                             "packed": "p"}
    assert ei.record_of({"executionId": "e", "sk": "~FINGERPRINT", "packed": "p"}) is None


def test_identity_missing_from_an_old_item_comes_from_its_key() -> None:
    server = ei.record_of({"executionId": "e", "sk": "SERVER#s-9", "status": "LAUNCHED"})
    assert isinstance(server, ServerRecord) and server.server_id == "s-9" and server["sourceServerId"] == "s-9"
    wave = ei.record_of({"executionId": "e", "sk": "WAVE#0012", "status": "PENDING"})
    assert isinstance(wave, WaveRecord) and wave.number == 12


def test_group_orders_each_kind_by_its_identity() -> None:
    items = [ei.to_item(r) for r in (
        ServerRecord("e", "s-2", {"waveNumber": 1}), WaveRecord("e", 2), JobRecord("e", "0001#001", {"waveNumber": 1}),
        ExecutionMeta("e", {"status": "RUNNING"}), WaveRecord("e", 1), JobRecord("e", "0001#000", {"waveNumber": 1}),
        ServerRecord("e", "s-1", {"waveNumber": 1}))]
    grouped = ei.group(items)
    assert grouped is not None
    assert [w.number for w in grouped.waves] == [1, 2]
    assert [j.key for j in grouped.jobs] == ["0001#000", "0001#001"]
    assert [s.server_id for s in grouped.servers] == ["s-1", "s-2"]
    assert ei.group([i for i in items if i["sk"] != "META"]) is None


def test_a_record_reads_like_its_item_and_changes_into_a_new_one() -> None:
    job = JobRecord("e", "0001#000", {"waveNumber": 1, "status": "QUEUED"})
    assert dict(job) == {"executionId": "e", "jobKey": "0001#000", "waveNumber": 1, "status": "QUEUED"}
    moved = job.merged({"status": "ACTIVE", "jobKey": "other"})
    assert moved.key == "0001#000" and moved["status"] == "ACTIVE" and job["status"] == "QUEUED"


def _key_literals(path: Path) -> list[str]:
    """String constants of ``path`` shaped like an execution item's key (docstrings aside)."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)
                  and isinstance(node.value, ast.Constant)}
    return [f"{path}:{node.lineno}: {node.value!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
            and (node.value in ("META", "sk", "~FINGERPRINT") or node.value.startswith(("WAVE#", "JOB#", "SERVER#")))]


def test_no_code_outside_the_adapters_knows_an_item_key() -> None:
    src = Path(__file__).resolve().parents[2] / "src" / "drs_orch"
    found = [hit for path in sorted(src.rglob("*.py")) if "adapters" not in path.relative_to(src).parts
             for hit in _key_literals(path)]
    assert found == [], "sort keys belong to the adapters (adapters/execution_items.py):\n" + "\n".join(found)


@given(_records, _attributes)
def test_a_record_reads_as_the_mapping_of_its_attributes(record: Any, changes: dict[str, Any]) -> None:
    stored = record.to_attributes()
    assert dict(record) == stored and len(record) == len(stored) and set(record) == set(stored)
    for name in [*stored, "absentName"]:
        assert (name in record) is (name in stored)
        assert record.get(name, "default") == stored.get(name, "default")
    moved = record.merged({**changes, "executionId": "other"})
    assert moved.execution_id == record.execution_id and moved.identity() == record.identity()
    assert moved.to_attributes() == {**stored, **changes}
