"""The items of an execution in the executions table, and the typed records the services see.

Partition key ``executionId``; sort key ``sk``:

- ``META``: the execution (:class:`ExecutionMeta`), ``entityType=EXECUTION`` (the ByStartTime index);
- ``WAVE#<nnnn>``: a wave (:class:`WaveRecord`), ``entityType=WAVE``;
- ``JOB#<wave>#<n>``: a DRS job (:class:`JobRecord`), ``entityType=JOB``;
- ``SERVER#<id>``: a source server (:class:`ServerRecord`), ``entityType=SERVER``;
- ``~FINGERPRINT``: what the plan launched (:class:`FingerprintRecord`; sorts after every other child).

Sort order of the sort keys: ``JOB#`` < ``META`` < ``SERVER#`` < ``WAVE#`` < ``~FINGERPRINT``. Only
this module (and the stores that use it) knows these shapes: ``sk`` and ``entityType`` are added on
the way in and dropped on the way out, so ``record_of(to_item(r)) == r`` and
``to_item(record_of(i)) == i`` for every item an engine wrote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from drs_orch.domain.execution_records import (
    ChildRecord,
    ExecutionMeta,
    ExecutionRecords,
    FingerprintRecord,
    JobRecord,
    ServerRecord,
    WaveRecord,
    summaries_of,
)

Item = dict[str, Any]
Record = ExecutionMeta | WaveRecord | JobRecord | ServerRecord

META = "META"
WAVE_PREFIX = "WAVE#"
JOB_PREFIX = "JOB#"
SERVER_PREFIX = "SERVER#"
FINGERPRINT_SK = "~FINGERPRINT"
_ENTITY = {ExecutionMeta: "EXECUTION", WaveRecord: "WAVE", JobRecord: "JOB", ServerRecord: "SERVER"}
_KEY_ATTRIBUTES = ("sk", "entityType")


def wave_sk(number: int) -> str:
    return f"{WAVE_PREFIX}{number:04d}"


def job_sk(key: str) -> str:
    return f"{JOB_PREFIX}{key}"


def server_sk(server_id: str) -> str:
    return f"{SERVER_PREFIX}{server_id}"


def sort_key(record: Record | FingerprintRecord) -> str:
    if isinstance(record, ExecutionMeta):
        return META
    if isinstance(record, WaveRecord):
        return wave_sk(record.number)
    if isinstance(record, JobRecord):
        return job_sk(record.key)
    if isinstance(record, ServerRecord):
        return server_sk(record.server_id)
    return FINGERPRINT_SK


def to_item(record: Record | FingerprintRecord) -> Item:
    """The stored item of ``record`` (with its key and, for the four kinds, ``entityType``)."""
    if isinstance(record, FingerprintRecord):
        return {"executionId": record.execution_id, "sk": FINGERPRINT_SK, "digest": record.digest,
                "packed": record.packed}
    return {**record.to_attributes(), "sk": sort_key(record), "entityType": _ENTITY[type(record)]}


def record_of(item: Mapping[str, Any]) -> Record | None:
    """The record of a stored item; None for items that are not META, WAVE, JOB or SERVER."""
    sk = str(item.get("sk", ""))
    attributes = {k: v for k, v in item.items() if k not in _KEY_ATTRIBUTES}
    if sk == META:
        return ExecutionMeta.from_attributes(attributes)
    if sk.startswith(WAVE_PREFIX):
        attributes.setdefault("waveNumber", int(sk.removeprefix(WAVE_PREFIX)))
        return WaveRecord.from_attributes(attributes)
    if sk.startswith(JOB_PREFIX):
        attributes.setdefault("jobKey", sk.removeprefix(JOB_PREFIX))
        return JobRecord.from_attributes(attributes)
    if sk.startswith(SERVER_PREFIX):
        attributes.setdefault("sourceServerId", sk.removeprefix(SERVER_PREFIX))
        return ServerRecord.from_attributes(attributes)
    return None


def meta_of(item: Mapping[str, Any] | None) -> ExecutionMeta | None:
    record = record_of(item) if item else None
    return record if isinstance(record, ExecutionMeta) else None


def wave_of(item: Mapping[str, Any] | None) -> WaveRecord | None:
    record = record_of(item) if item else None
    return record if isinstance(record, WaveRecord) else None


def job_of(item: Mapping[str, Any] | None) -> JobRecord | None:
    record = record_of(item) if item else None
    return record if isinstance(record, JobRecord) else None


def server_of(item: Mapping[str, Any] | None) -> ServerRecord | None:
    record = record_of(item) if item else None
    return record if isinstance(record, ServerRecord) else None


def waves_of(items: Iterable[Mapping[str, Any]]) -> list[WaveRecord]:
    """WAVE records by number."""
    return sorted((w for w in (wave_of(i) for i in items) if w is not None), key=lambda w: w.number)


def jobs_of(items: Iterable[Mapping[str, Any]]) -> list[JobRecord]:
    """JOB records by key (the order of their sort keys)."""
    return sorted((j for j in (job_of(i) for i in items) if j is not None), key=lambda j: j.key)


def servers_of(items: Iterable[Mapping[str, Any]]) -> list[ServerRecord]:
    return sorted((s for s in (server_of(i) for i in items) if s is not None), key=lambda s: s.server_id)


def child_keys(records: Iterable[ChildRecord]) -> list[str]:
    return [sort_key(r) for r in records]


def group(items: Iterable[Mapping[str, Any]], *, summarised: bool = False) -> ExecutionRecords | None:
    """An execution's items as its records; None without a META item. ``summarised``: the waves
    summarised on META are given as ``finished`` (a tick's working set)."""
    meta: ExecutionMeta | None = None
    waves: list[WaveRecord] = []
    jobs: list[JobRecord] = []
    servers: list[ServerRecord] = []
    for item in items:
        record = record_of(item)
        if isinstance(record, ExecutionMeta):
            meta = record
        elif isinstance(record, WaveRecord):
            waves.append(record)
        elif isinstance(record, JobRecord):
            jobs.append(record)
        elif isinstance(record, ServerRecord):
            servers.append(record)
    if meta is None:
        return None
    finished = summaries_of(meta.get("finishedWaves")) if summarised else {}
    return ExecutionRecords(meta=meta, waves=sorted(waves, key=lambda w: w.number),
                            jobs=sorted(jobs, key=lambda j: j.key),
                            servers=sorted(servers, key=lambda s: s.server_id), finished=finished)
