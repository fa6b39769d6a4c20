"""Typed records the engine's services exchange with the execution store (issue 11, issue 15).

The store's adapters turn items into these and back (``adapters/execution_items.py``); key shapes
(``META``, ``WAVE#...``, ``JOB#...``, ``SERVER#...``) and the index attribute ``entityType`` stay in
the adapters. One record per stored item of an execution:

- :class:`ExecutionMeta`: the execution (its META item);
- :class:`WaveRecord`: one wave, by number; :class:`JobRecord`: one DRS job, by key
  (``<wave>#<n>``); :class:`ServerRecord`: one source server, by id;
- :class:`FingerprintRecord`: what the plan launched (issue 21), written with the start;
- :class:`ExecutionRecords`: an execution as a store loads it (META, waves, jobs, servers and the
  summaries of the waves that ended).

Each of the first four is frozen: its identity (execution id, and the wave number, job key or
server id) is typed, its other stored attributes are read by their data-contract names (a record is
a read-only ``Mapping`` of every stored attribute but the key and ``entityType``), and a change is a
new record (:meth:`merged`) or a store update that answers the record as written.

- :class:`WaveSummary`: a wave that ended, summarised on the execution's META item when it ends
  (status, failure policy, times, server counts), so a tick never reads that wave's WAVE and JOB
  items again: a tick costs the work in flight, not the length of the plan.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Self, cast

from drs_orch.domain.plan_graph import OnServerFailure
from drs_orch.domain.statuses import TERMINAL_WAVE, ExecutionStatus, ServerStatus, WaveStatus

# META attributes the API never returns: the engine's tokens and its per-tick bookkeeping
SECRET_META = frozenset({"taskToken", "waitToken", "wakePending", "inFlight", "version",
                         "waveNumbers", "finishedWaves", "detailsPending", "wavePlan", "openedWaves"})


class _Record(Mapping[str, Any]):
    """A stored item of an execution without its key: typed identity, other attributes by name."""

    IDENTITY: ClassVar[tuple[str, ...]] = ()
    attributes: Mapping[str, Any]

    @abstractmethod
    def identity(self) -> dict[str, Any]:
        """The record's key attributes by their contract names (each record kind names its own)."""

    def __getitem__(self, name: str) -> Any:
        # identity attributes are never among ``attributes`` (``from_attributes``, ``merged``)
        if name in self.IDENTITY:
            return self.identity()[name]
        return self.attributes[name]

    def __contains__(self, name: object) -> bool:
        return name in self.attributes or name in self.IDENTITY

    def get(self, name: str, default: Any = None) -> Any:
        if name in self.IDENTITY:
            return self.identity()[name]
        return self.attributes.get(name, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_attributes())

    def __len__(self) -> int:
        return len(self.to_attributes())

    def to_attributes(self) -> dict[str, Any]:
        """Every stored attribute (identity included), as the data contract names them."""
        return {**self.attributes, **self.identity()}

    def merged(self, changes: Mapping[str, Any]) -> Self:
        """This record with ``changes`` set (identity attributes cannot change)."""
        changed: Self = replace(cast(Any, self), attributes={
            **self.attributes, **{k: v for k, v in changes.items() if k not in self.IDENTITY}})
        return changed

    def without(self, *names: str) -> Self:
        """This record without the attributes ``names``."""
        kept: Self = replace(cast(Any, self), attributes={
            k: v for k, v in self.attributes.items() if k not in names})
        return kept

    @staticmethod
    def _rest(attributes: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
        skip = set(names)
        return {k: v for k, v in attributes.items() if k not in skip}


@dataclass(frozen=True, eq=True)
class ExecutionMeta(_Record):
    """The execution (its META item): status, version, flags, counts, the plan's identity."""

    IDENTITY: ClassVar[tuple[str, ...]] = ("executionId",)
    execution_id: str
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def identity(self) -> dict[str, Any]:
        return {"executionId": self.execution_id}

    @classmethod
    def from_attributes(cls, attributes: Mapping[str, Any]) -> ExecutionMeta:
        return cls(str(attributes["executionId"]), cls._rest(attributes, cls.IDENTITY))

    @property
    def status(self) -> ExecutionStatus:
        return ExecutionStatus(str(self.attributes["status"]))

    @property
    def version(self) -> int:
        return int(self.attributes.get("version") or 0)


@dataclass(frozen=True, eq=True)
class WaveRecord(_Record):
    """One wave of an execution (its WAVE item)."""

    IDENTITY: ClassVar[tuple[str, ...]] = ("executionId", "waveNumber")
    execution_id: str
    number: int
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def identity(self) -> dict[str, Any]:
        return {"executionId": self.execution_id, "waveNumber": self.number}

    @classmethod
    def from_attributes(cls, attributes: Mapping[str, Any]) -> WaveRecord:
        return cls(str(attributes["executionId"]), int(attributes["waveNumber"]),
                   cls._rest(attributes, cls.IDENTITY))

    @property
    def status(self) -> WaveStatus:
        return WaveStatus(str(self.attributes["status"]))

    @property
    def job_keys(self) -> list[str]:
        return [str(k) for k in self.attributes.get("jobKeys") or []]


@dataclass(frozen=True, eq=True)
class JobRecord(_Record):
    """One DRS job of a wave, at most 100 servers of one account-region (its JOB item)."""

    IDENTITY: ClassVar[tuple[str, ...]] = ("executionId", "jobKey")
    execution_id: str
    key: str
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def identity(self) -> dict[str, Any]:
        return {"executionId": self.execution_id, "jobKey": self.key}

    @classmethod
    def from_attributes(cls, attributes: Mapping[str, Any]) -> JobRecord:
        return cls(str(attributes["executionId"]), str(attributes["jobKey"]), cls._rest(attributes, cls.IDENTITY))

    @property
    def wave_number(self) -> int:
        return int(self.attributes["waveNumber"])

    @property
    def server_ids(self) -> list[str]:
        return [str(s) for s in self.attributes.get("serverIds") or []]


@dataclass(frozen=True, eq=True)
class ServerRecord(_Record):
    """One source server of an execution, written complete at its final status (its SERVER item)."""

    IDENTITY: ClassVar[tuple[str, ...]] = ("executionId", "sourceServerId")
    execution_id: str
    server_id: str
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def identity(self) -> dict[str, Any]:
        return {"executionId": self.execution_id, "sourceServerId": self.server_id}

    @classmethod
    def from_attributes(cls, attributes: Mapping[str, Any]) -> ServerRecord:
        return cls(str(attributes["executionId"]), str(attributes["sourceServerId"]),
                   cls._rest(attributes, cls.IDENTITY))

    @property
    def status(self) -> ServerStatus:
        return ServerStatus(str(self.attributes["status"]))

    @property
    def wave_number(self) -> int:
        return int(self.attributes["waveNumber"])


@dataclass(frozen=True)
class FingerprintRecord:
    """What a plan launched when the execution started (issue 21), kept beside the execution."""

    execution_id: str
    digest: str | None
    packed: str


ChildRecord = WaveRecord | JobRecord | ServerRecord | FingerprintRecord


@dataclass(frozen=True)
class WaveSummary:
    number: int
    status: WaveStatus
    on_failure: OnServerFailure = OnServerFailure.STOP
    started_at: str | None = None
    ended_at: str | None = None
    server_counts: Mapping[str, int] = field(default_factory=dict)
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.status not in TERMINAL_WAVE:
            raise ValueError(f"wave {self.number} is {self.status.value}: only an ended wave is summarised")

    def to_attributes(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status.value, "onServerFailure": self.on_failure.value,
                               "serverCounts": dict(self.server_counts)}
        if self.started_at:
            out["startedAt"] = self.started_at
        if self.ended_at:
            out["endedAt"] = self.ended_at
        if self.reason:
            out["reason"] = self.reason
        return out

    @classmethod
    def from_attributes(cls, number: int, attributes: Mapping[str, Any]) -> WaveSummary:
        return cls(
            number=number,
            status=WaveStatus(str(attributes["status"])),
            on_failure=OnServerFailure(str(attributes.get("onServerFailure") or OnServerFailure.STOP.value)),
            started_at=attributes.get("startedAt"),
            ended_at=attributes.get("endedAt"),
            server_counts={str(k): int(v) for k, v in (attributes.get("serverCounts") or {}).items()},
            reason=attributes.get("reason"),
        )


def summaries_of(attribute: Mapping[str, Any] | None) -> dict[int, WaveSummary]:
    """The ``finishedWaves`` attribute of a META item (wave number as a string -> summary)."""
    return {int(k): WaveSummary.from_attributes(int(k), v) for k, v in (attribute or {}).items()}


def open_wave_numbers(wave_numbers: Iterable[int], finished: Iterable[int]) -> list[int]:
    """Every wave of the execution that has not been summarised."""
    done = set(finished)
    return sorted(int(n) for n in wave_numbers if int(n) not in done)


@dataclass(frozen=True)
class PlannedWave:
    """What META keeps of each wave from the start (``wavePlan``): its dependencies and server count,
    enough to stand for a PENDING wave that a tick does not read."""

    number: int
    depends_on: tuple[int, ...]
    servers: int

    def to_attributes(self) -> dict[str, Any]:
        return {"dependsOn": list(self.depends_on), "servers": self.servers}


def wave_plan_of(attribute: Mapping[str, Any] | None) -> dict[int, PlannedWave] | None:
    """META's ``wavePlan`` (wave number as a string -> dependencies and server count); None for an
    execution started before META carried it."""
    if attribute is None:
        return None
    return {int(k): PlannedWave(int(k), tuple(int(d) for d in v.get("dependsOn") or ()), int(v.get("servers") or 0))
            for k, v in attribute.items()}


def waves_to_read(open_numbers: Iterable[int], plan: Mapping[int, PlannedWave] | None,
                  opened: Iterable[int], finished: Iterable[int]) -> list[int]:
    """The open waves a tick reads: those that have left PENDING (``opened``, on META) and the
    PENDING ones whose every dependency has ended or left PENDING (they may start, or be skipped,
    in this tick). Another PENDING wave cannot change in this tick unless the execution stops or a
    rule skips it: the tick stands its plan in for it, and reads it when it moves it. Without a plan
    (an execution started before META carried one), every open wave."""
    numbers = sorted(int(n) for n in open_numbers)
    if plan is None:
        return numbers
    went = {int(n) for n in opened}
    done = went | {int(n) for n in finished}
    return [n for n in numbers if n in went or n not in plan or all(d in done for d in plan[n].depends_on)]


def tick_wave_numbers(meta: Mapping[str, Any], finished: Iterable[int]) -> list[int] | None:
    """The waves a tick reads (:func:`waves_to_read` among those not summarised), numbered by META's
    ``wavePlan``, or by its ``waveNumbers`` for an execution started before the plan; None for one
    started before META listed its waves at all (a tick then reads every WAVE item)."""
    plan = wave_plan_of(meta.get("wavePlan"))
    numbers = plan if plan is not None else meta.get("waveNumbers")
    if numbers is None:
        return None
    return waves_to_read(open_wave_numbers((int(n) for n in numbers), finished), plan,
                         meta.get("openedWaves") or (), finished)


@dataclass(frozen=True)
class ExecutionRecords:
    """An execution as a store loads it. ``waves`` by number, ``jobs`` by key, ``servers`` by id
    (each only as far as the load read them); ``finished``: the waves summarised on META (ended;
    a tick's load reads none of their items)."""

    meta: ExecutionMeta
    waves: list[WaveRecord] = field(default_factory=list)
    jobs: list[JobRecord] = field(default_factory=list)
    servers: list[ServerRecord] = field(default_factory=list)
    finished: dict[int, WaveSummary] = field(default_factory=dict)

    def wave(self, number: Any) -> WaveRecord | None:
        for wave in self.waves:
            if str(wave.number) == str(number):
                return wave
        return None


@dataclass(frozen=True)
class PendingLaunch:
    """A launch a tick recorded whose details (EC2, point in time) are still to be read."""

    server_id: str
    launched_at: str
    requested_at: str | None
    recovery_instance_id: str | None


def pending_batch(launched_at: str, requested_at: str | None, launched: Mapping[str, str | None]) -> dict[str, Any]:
    """One entry of a JOB item's ``detailsPending``: the servers one tick saw launch (server id ->
    recovery instance id; ``""`` when DRS named none, as a stored map drops None), with the times
    they share. A job's 100 launches are one entry of 5.5 KB on the wire, not 100 maps repeating
    the same two times (19.9 KB)."""
    entry: dict[str, Any] = {"launchedAt": launched_at, "servers": {s: i or "" for s, i in launched.items()}}
    if requested_at:
        entry["requestedAt"] = requested_at
    return entry


def pending_batches(attribute: Any) -> list[dict[str, Any]]:
    """A JOB item's ``detailsPending`` as its list of entries (:func:`pending_batch`). An item
    written before the entries were batched (server id -> its launch) reads as one entry per
    server, so an execution that ran across the change keeps its launch details."""
    if not attribute:
        return []
    if isinstance(attribute, Mapping):
        return [pending_batch(str(v.get("launchedAt")), v.get("requestedAt"), {str(k): v.get("recoveryInstanceId")})
                for k, v in attribute.items()]
    return list(attribute)


def pending_launches(attribute: Any) -> dict[str, PendingLaunch]:
    """Server id -> its pending launch, from a JOB item's ``detailsPending``."""
    return {str(server): PendingLaunch(str(server), str(entry["launchedAt"]), entry.get("requestedAt"),
                                       str(instance) if instance else None)
            for entry in pending_batches(attribute) for server, instance in (entry.get("servers") or {}).items()}


def pending_launched_at(attribute: Any, server_id: str) -> str | None:
    """When ``server_id`` launched, if a JOB item's ``detailsPending`` names it."""
    for entry in pending_batches(attribute):
        if server_id in (entry.get("servers") or {}):
            return str(entry["launchedAt"])
    return None
