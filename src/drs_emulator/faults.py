"""Rehearsal controls that sit beside the state: fault injection, the call log and latency.

Fault kinds:

* ``throttle``: the request is answered with ThrottlingException (429, ``Retry-After``), nothing runs;
* ``internal_error``: InternalServerException (500, ``Retry-After``), nothing runs;
* ``lose_response``: the operation runs and commits (a StartRecovery job exists), then the client gets
  an InternalServerException (500), as when a response is lost in transit; botocore retries it;
* ``launch_failure``: a server launched by a new job fails at the end of its launch with ``reason``
  (job log ``LAUNCH_FAILED``);
* ``conversion_failure``: a server of a new launch job fails at the end of its conversion with
  ``reason`` (job log ``CONVERSION_FAIL``; no EC2 instance is run);
* ``cleanup_failure``: a recovery instance of a new TerminateRecoveryInstances job (or the previous
  recovery instance a new launch cleans up) cannot be terminated (job log ``CLEANUP_FAIL``);
* ``slow_conversion``: a server's conversion phase takes ``seconds`` longer;
* ``drop_event``: a server's launch-result event to EventBridge is never sent (DRS delivers its
  events best effort; :mod:`drs_emulator.events`);
* ``delay_event``: a server's launch-result event is sent ``seconds`` (emulated) late.

A fault matches by ``operation`` (request faults; ``lose_response`` usually names StartRecovery),
``server_id`` (for request faults: the id appears anywhere in the request), ``account``, ``region``,
then fires with ``probability`` drawn from an RNG seeded at construction, at most ``count`` times
(``None`` = unlimited).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

FAULT_KINDS = (
    "throttle",
    "internal_error",
    "lose_response",
    "launch_failure",
    "conversion_failure",
    "cleanup_failure",
    "slow_conversion",
    "drop_event",
    "delay_event",
)
REQUEST_FAULTS = ("throttle", "internal_error")


@dataclass
class Fault:
    fault_id: str
    kind: str
    operation: str | None = None
    server_id: str | None = None
    account: str | None = None
    region: str | None = None
    probability: float = 1.0
    count: int | None = None
    reason: str | None = None
    seconds: float = 0.0
    retry_after: int = 1
    hits: int = 0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["id"] = out.pop("fault_id")
        return out


def mentioned_values(params: Any) -> set[str]:
    """Every string value in a request (used to match ``server_id`` faults)."""
    found: set[str] = set()
    stack = [params]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.add(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return found


class FaultInjector:
    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._faults: list[Fault] = []
        self._counter = 0

    def reseed(self, seed: int) -> None:
        with self._lock:
            self._rng = random.Random(seed)

    def add(
        self,
        kind: str,
        *,
        operation: str | None = None,
        server_id: str | None = None,
        account: str | None = None,
        region: str | None = None,
        probability: float = 1.0,
        count: int | None = None,
        reason: str | None = None,
        seconds: float = 0.0,
        retry_after: int = 1,
    ) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        if count is not None and count < 0:
            raise ValueError("count must be >= 0")
        with self._lock:
            self._counter += 1
            fault = Fault(
                fault_id=f"fault-{self._counter}",
                kind=kind,
                operation=operation,
                server_id=server_id,
                account=account,
                region=region,
                probability=float(probability),
                count=count,
                reason=reason,
                seconds=float(seconds),
                retry_after=int(retry_after),
            )
            self._faults.append(fault)
            return fault

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.fault_id != fault_id]
            return len(self._faults) != before

    def clear(self) -> None:
        with self._lock:
            self._faults = []

    def list_faults(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_dict() for f in self._faults]

    def _take(
        self,
        kinds: Iterable[str],
        operation: str | None,
        account: str,
        region: str,
        server_ids: set[str] | None,
    ) -> list[Fault]:
        kinds = tuple(kinds)
        fired: list[Fault] = []
        with self._lock:
            for fault in self._faults:
                if fault.kind not in kinds:
                    continue
                if fault.count is not None and fault.hits >= fault.count:
                    continue
                if fault.operation and fault.operation != operation:
                    continue
                if fault.account and fault.account != account:
                    continue
                if fault.region and fault.region != region:
                    continue
                if fault.server_id and (server_ids is None or fault.server_id not in server_ids):
                    continue
                if fault.probability < 1.0 and self._rng.random() >= fault.probability:
                    continue
                fault.hits += 1
                fired.append(fault)
        return fired

    def request_fault(self, operation: str, account: str, region: str, values: set[str]) -> Fault | None:
        fired = self._take(REQUEST_FAULTS, operation, account, region, values)
        return fired[0] if fired else None

    def lose_response(self, operation: str, account: str, region: str, values: set[str]) -> Fault | None:
        fired = self._take(("lose_response",), operation, account, region, values)
        return fired[0] if fired else None

    def launch_faults(
        self, operation: str, account: str, region: str, server_id: str
    ) -> tuple[str | None, float, str]:
        """(failure reason or None, extra conversion seconds, failing phase ``LAUNCH`` or
        ``CONVERSION``) for one server of a new job."""
        failure = None
        phase = "LAUNCH"
        extra = 0.0
        for fault in self._take(
            ("launch_failure", "conversion_failure", "slow_conversion"), operation, account, region, {server_id}
        ):
            if fault.kind in ("launch_failure", "conversion_failure") and failure is None:
                failure = fault.reason or f"Injected {fault.kind.replace('_', ' ')}"
                phase = "CONVERSION" if fault.kind == "conversion_failure" else "LAUNCH"
            elif fault.kind == "slow_conversion":
                extra += fault.seconds
        return failure, extra, phase

    def event_fault(self, account: str, region: str, server_id: str) -> tuple[bool, float]:
        """(dropped, emulated seconds of delay) for the launch-result event of ``server_id``."""
        fired = self._take(("drop_event", "delay_event"), None, account, region, {server_id})
        dropped = any(f.kind == "drop_event" for f in fired)
        return dropped, sum(f.seconds for f in fired if f.kind == "delay_event")

    def cleanup_fault(self, operation: str, account: str, region: str, server_id: str) -> str | None:
        """The reason a clean-up (termination) of ``server_id``'s recovery instance fails, or None."""
        fired = self._take(("cleanup_failure",), operation, account, region, {server_id})
        return (fired[0].reason or "Injected clean-up failure") if fired else None


@dataclass
class CallRecord:
    seq: int
    timestamp: float
    operation: str
    account: str | None
    region: str | None
    status: int
    error_type: str | None
    latency_ms: float
    params: str
    emulated_time: float | None = None
    fault: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "timestamp": self.timestamp,
            "emulatedTime": self.emulated_time,
            "operation": self.operation,
            "account": self.account,
            "region": self.region,
            "status": self.status,
            "errorType": self.error_type,
            "latencyMs": round(self.latency_ms, 3),
            "params": self.params,
            "fault": self.fault,
        }


class CallLog:
    """Bounded log of DRS API calls (admin calls are not logged)."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._entries: deque[CallRecord] = deque(maxlen=max_entries)
        self._seq = 0

    @staticmethod
    def shorten(params: Any, limit: int = 300) -> str:
        text = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
        return text if len(text) <= limit else text[: limit - 3] + "..."

    def record(self, **values: Any) -> CallRecord:
        with self._lock:
            self._seq += 1
            entry = CallRecord(seq=self._seq, timestamp=time.time(), **values)
            self._entries.append(entry)
            return entry

    def entries(
        self, operation: str | None = None, account: str | None = None, region: str | None = None
    ) -> list[dict[str, Any]]:
        with self._lock:
            items = list(self._entries)
        return [
            e.to_dict()
            for e in items
            if (operation is None or e.operation == operation)
            and (account is None or e.account == account)
            and (region is None or e.region == region)
        ]

    def count(self, operation: str | None = None) -> int:
        with self._lock:
            return sum(1 for e in self._entries if operation is None or e.operation == operation)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class Latency:
    """Real seconds slept before answering a DRS call: a default plus per-operation overrides."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.default = 0.0
        self.per_operation: dict[str, float] = {}

    def set(self, seconds: float, operation: str | None = None) -> None:
        if seconds < 0:
            raise ValueError("latency must be >= 0")
        with self._lock:
            if operation:
                self.per_operation[operation] = float(seconds)
            else:
                self.default = float(seconds)

    def clear(self) -> None:
        with self._lock:
            self.default = 0.0
            self.per_operation = {}

    def for_operation(self, operation: str) -> float:
        with self._lock:
            return self.per_operation.get(operation, self.default)

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {"seconds": self.default, "perOperation": dict(self.per_operation)}
