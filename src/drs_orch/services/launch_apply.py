"""Applying launch settings to source servers and reading back what DRS and EC2 hold.

Per server, in this order (DRS may rewrite the launch template when its own settings change, so the
template is read after the DRS write):

1. DRS: ``UpdateLaunchConfiguration`` with the DRS-side fields when the server has any (its answer is
   the configuration DRS now holds, including ``ec2LaunchTemplateID``), skipped when a read made just
   before shows DRS already holds them; ``GetLaunchConfiguration`` only when there is nothing to write
   and the launch template id is not known yet;
2. EC2: read the template's default version, write the EC2-side fields over it
   (:func:`~drs_orch.domain.launch_rules.merge_template_data` carries everything else forward),
   ``CreateLaunchTemplateVersion`` with ``SourceVersion`` = that default version, then
   ``ModifyLaunchTemplate`` to make it the default. Skipped when the template already matches;
3. verify: what DRS answered and the template data written, read back through the same merge,
   must hash like the intended settings, otherwise the server failed with the fields that differ.

``force`` writes both parts even when they already match. Calls run on a bounded thread pool
(:func:`shared_pool`, ``parallelism`` workers shared by concurrent applies in the process);
throttled calls back off exponentially (with jitter) and retry. Servers are applied in chunks of
``chunk_servers`` (in server id order), each chunk through the three steps above; a chunk starts
only before the time budget's end, so the budget is overrun by at most one chunk, and servers not
started when it runs out stay ``pending``.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from drs_orch.domain.errors import DomainError
from drs_orch.domain.launch_config import (
    EffectiveLaunchConfig,
    config_hash,
    drifted_fields,
    from_observed,
    split_for_drs_and_ec2,
)
from drs_orch.domain.launch_rules import (
    AddressUse,
    ServerOutcome,
    SubnetInfo,
    TemplateVersion,
    drs_part_matches,
    manages_private_ip,
    merge_template_data,
    observed_hash,
    project_observed,
)
from drs_orch.domain.statuses import LaunchConfigState

T = TypeVar("T")
L = LaunchConfigState
# a chunk started whatever the deadline (``min_chunks``): its servers' DRS steps start within this
FORCED_CHUNK_SECONDS = 5.0
# retries of a server's started steps stop this long after the deadline
RETRY_GRACE_SECONDS = 30.0


class DrsLaunchPort(Protocol):
    def get_launch_configuration(self, server_id: str) -> dict[str, Any]: ...

    def update_launch_configuration(self, server_id: str, fields: dict[str, Any]) -> dict[str, Any]: ...


class Ec2LaunchPort(Protocol):
    def subnets(self, subnet_ids: list[str]) -> dict[str, SubnetInfo]: ...

    def security_groups(self, group_ids: list[str]) -> dict[str, str]: ...

    def instance_types(self, names: list[str]) -> set[str]: ...

    def instance_profiles(self, names: list[str]) -> set[str]: ...

    def addresses_in_use(self, subnet_ids: list[str], ips: list[str]) -> dict[tuple[str, str], AddressUse]: ...

    def default_version(self, template_id: str) -> TemplateVersion: ...

    def default_versions(self) -> dict[str, TemplateVersion]: ...

    def create_version(
        self, template_id: str, data: dict[str, Any], source_version: int | None, description: str
    ) -> int: ...

    def set_default_version(self, template_id: str, version: int) -> None: ...


class LaunchGateway(Protocol):
    """DRS and EC2 of one account and region, counting the calls made through it."""

    @property
    def drs(self) -> DrsLaunchPort: ...

    @property
    def ec2(self) -> Ec2LaunchPort: ...

    def call_counts(self) -> dict[str, int]: ...


_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def shared_pool(size: int) -> ThreadPoolExecutor:
    """The process-wide pool of ``size`` workers AWS calls run on (kept warm across invocations of
    a Lambda container). Its tasks never wait on each other, so sharing it cannot deadlock."""
    with _POOLS_LOCK:
        pool = _POOLS.get(size)
        if pool is None:
            pool = _POOLS[size] = ThreadPoolExecutor(max_workers=size, thread_name_prefix="launch-settings")
        return pool


@dataclass(frozen=True)
class ApplyOptions:
    parallelism: int = 10
    max_attempts: int = 6
    backoff_base_seconds: float = 0.25
    backoff_cap_seconds: float = 8.0
    # from this many templates to read, one account-wide listing of default versions replaces the
    # per-template reads (a page holds up to 200 templates)
    account_listing_min: int = 10
    # servers per chunk: a chunk's EC2 steps follow its DRS steps, so the time budget is overrun by
    # at most one chunk (a server whose DRS step started also gets its EC2 step)
    chunk_servers: int = 50


@dataclass(frozen=True)
class Observation:
    """What DRS and EC2 hold for one server (either part absent when not read), or why not known."""

    drs: dict[str, Any] | None = None
    template: TemplateVersion | None = None
    error: str | None = None

    def effective(self) -> EffectiveLaunchConfig:
        return from_observed(self.drs or {}, self.template.data if self.template else {})


def needs_drs(intended: EffectiveLaunchConfig) -> bool:
    return bool(split_for_drs_and_ec2(intended)[0])


def needs_template(intended: EffectiveLaunchConfig) -> bool:
    return bool(split_for_drs_and_ec2(intended)[1]) or manages_private_ip(intended)


class LaunchApplier:
    def __init__(
        self,
        gateway: LaunchGateway,
        options: ApplyOptions,
        *,
        pool: Executor,
        monotonic: Callable[[], float],
        sleep: Callable[[float], None],
        rng: random.Random | None = None,
    ) -> None:
        self._gw = gateway
        self._opt = options
        self._pool = pool
        self._monotonic = monotonic
        self._sleep = sleep
        self._rng = rng or random.Random()

    # ------------------------------------------------------------------ retry

    def _retry(self, deadline: float, fn: Callable[..., T], *args: Any) -> T:
        attempt = 1
        while True:
            try:
                return fn(*args)
            except DomainError as exc:
                if exc.code != "THROTTLED" or attempt >= self._opt.max_attempts:
                    raise
                delay = min(self._opt.backoff_cap_seconds, self._opt.backoff_base_seconds * 2 ** (attempt - 1))
                delay *= 0.5 + self._rng.random() / 2
                # a throttled call is not retried past the end of the hard deadline
                if self._monotonic() + delay > deadline:
                    raise
                self._sleep(delay)
                attempt += 1

    def _map(self, fn: Callable[..., T], jobs: Mapping[str, tuple[Any, ...]]) -> dict[str, T]:
        """``fn(*args)`` for every job on the shared pool; results by job key."""
        futures = {key: self._pool.submit(fn, *args) for key, args in sorted(jobs.items())}
        return {key: f.result() for key, f in futures.items()}

    # ------------------------------------------------------------------ apply

    def apply(
        self,
        intended: Mapping[str, EffectiveLaunchConfig],
        *,
        deadline: float,
        force: bool = False,
        known: Mapping[str, Observation] | None = None,
        template_ids: Mapping[str, str] | None = None,
        min_chunks: int = 0,
    ) -> dict[str, ServerOutcome]:
        """Apply every server of ``intended``, chunk after chunk (``chunk_servers``, in server id
        order) while ``deadline`` has not passed; the first ``min_chunks`` chunks start whatever the
        deadline (a background run always makes progress). ``known`` holds fresh reads that spare
        re-reading. Servers of chunks not started are ``pending``."""
        known = known or {}
        template_ids = template_ids or {}
        servers = sorted(intended)
        size = max(1, self._opt.chunk_servers)
        outcomes: dict[str, ServerOutcome] = {}
        for n, start in enumerate(range(0, len(servers), size)):
            chunk = servers[start:start + size]
            forced = n < min_chunks
            if not forced and self._monotonic() >= deadline:
                outcomes.update({s: ServerOutcome(L.PENDING, errors=["time budget for applying ran out before this "
                                                                      "server"]) for s in chunk})
                continue
            chunk_deadline = max(deadline, self._monotonic() + FORCED_CHUNK_SECONDS) if forced else deadline
            outcomes.update(self._apply_chunk({s: intended[s] for s in chunk}, chunk_deadline, force, known,
                                              template_ids))
        return outcomes

    def _apply_chunk(
        self,
        intended: Mapping[str, EffectiveLaunchConfig],
        deadline: float,
        force: bool,
        known: Mapping[str, Observation],
        template_ids: Mapping[str, str],
    ) -> dict[str, ServerOutcome]:
        """Three phases: the DRS step of every server (in parallel), the launch templates' default
        versions (one account-wide listing from ``account_listing_min`` servers on), then the EC2
        step and verification of every server (in parallel). A server whose DRS step started also
        gets its EC2 step, even past ``deadline``; retries stop 30 s after it."""
        hard_deadline = deadline + RETRY_GRACE_SECONDS
        drs_steps = self._map(self._drs_step, {
            sid: (sid, cfg, deadline, hard_deadline, force, known.get(sid), template_ids.get(sid))
            for sid, cfg in intended.items()})
        outcomes: dict[str, ServerOutcome] = {}
        ready: dict[str, _DrsStep] = {}
        for sid, step in drs_steps.items():
            if isinstance(step, ServerOutcome):
                outcomes[sid] = step
            else:
                ready[sid] = step
        current: dict[str, TemplateVersion] = {}
        for sid, step in ready.items():
            seen = known.get(sid)
            if not step.wrote and seen is not None and seen.template is not None and step.template_id and \
                    seen.template.template_id == step.template_id:
                current[sid] = seen.template
        unread = [s for s in ready if needs_template(intended[s]) and s not in current]
        if len(unread) >= self._opt.account_listing_min:
            listing = self._listing(hard_deadline)
            for sid in unread:
                tid = ready[sid].template_id
                if tid is not None and tid in listing:
                    current[sid] = listing[tid]
        outcomes.update(self._map(self._ec2_step, {
            sid: (sid, intended[sid], hard_deadline, force, step, current.get(sid)) for sid, step in ready.items()}))
        return outcomes

    def _listing(self, deadline: float) -> dict[str, TemplateVersion]:
        try:
            return self._retry(deadline, self._gw.ec2.default_versions)
        except DomainError:
            return {}  # each server then reads its own template

    def _drs_step(
        self,
        server_id: str,
        intended: EffectiveLaunchConfig,
        deadline: float,
        hard_deadline: float,
        force: bool,
        known: Observation | None,
        template_id: str | None,
    ) -> _DrsStep | ServerOutcome:
        if self._monotonic() >= deadline:
            return ServerOutcome(L.PENDING, errors=["time budget for applying ran out before this server"])
        drs_fields, _ = split_for_drs_and_ec2(intended)
        drs_now: dict[str, Any] | None = known.drs if known and known.error is None else None
        wrote = False
        try:
            if drs_fields and (force or drs_now is None or not drs_part_matches(intended, drs_now)):
                drs_now = self._retry(hard_deadline, self._gw.drs.update_launch_configuration, server_id, drs_fields)
                wrote = True
            elif drs_now is None and template_id is None:
                drs_now = self._retry(hard_deadline, self._gw.drs.get_launch_configuration, server_id)
        except DomainError as exc:
            return ServerOutcome(L.FAILED, errors=[exc.message], launch_template_id=template_id)
        if drs_now is not None and drs_now.get("ec2LaunchTemplateID"):
            template_id = str(drs_now["ec2LaunchTemplateID"])
        return _DrsStep(drs_now, template_id, wrote)

    def _ec2_step(
        self,
        server_id: str,
        intended: EffectiveLaunchConfig,
        deadline: float,
        force: bool,
        step: _DrsStep,
        current: TemplateVersion | None,
    ) -> ServerOutcome:
        want = config_hash(intended)
        template_id = step.template_id
        template_data: dict[str, Any] = {}
        try:
            if needs_template(intended):
                if not template_id:
                    return ServerOutcome(L.FAILED, errors=["DRS reports no EC2 launch template for this server"])
                if current is None:
                    current = self._retry(deadline, self._gw.ec2.default_version, template_id)
                change = merge_template_data(current.data, intended)
                template_data = change.data
                if change.changed or force:
                    version = self._retry(
                        deadline,
                        self._gw.ec2.create_version,
                        template_id,
                        change.data,
                        current.version if change.inheritable else None,
                        f"drs-orch launch settings {want[:19]}",
                    )
                    self._retry(deadline, self._gw.ec2.set_default_version, template_id, version)
        except DomainError as exc:
            return ServerOutcome(L.FAILED, errors=[exc.message], launch_template_id=template_id)
        observed = from_observed(step.drs or {}, template_data)
        if observed_hash(intended, observed) != want:
            fields = drifted_fields(intended, project_observed(intended, observed))
            return ServerOutcome(
                L.FAILED,
                errors=[f"DRS/EC2 did not keep {', '.join(fields) or 'the settings'} after applying"],
                launch_template_id=template_id,
            )
        return ServerOutcome(L.READY, config_hash=want, launch_template_id=template_id)

    # ------------------------------------------------------------------ read back

    def observe(
        self,
        intended: Mapping[str, EffectiveLaunchConfig],
        *,
        deadline: float,
        template_ids: Mapping[str, str] | None = None,
        read_drs: bool = True,
    ) -> dict[str, Observation]:
        """Read what DRS and EC2 hold for each server, as far as its settings need. Never raises:
        a failed read is an :class:`Observation` with ``error``.

        Two phases: DRS reads (and, from ``account_listing_min`` templates on, the account-wide
        listing of default versions) in parallel, then a per-template read for each template the
        listing did not cover.
        """
        template_ids = template_ids or {}
        ec2_count = sum(1 for cfg in intended.values() if needs_template(cfg))
        listing_future: Future[dict[str, TemplateVersion]] | None = None
        if ec2_count >= self._opt.account_listing_min:
            listing_future = self._pool.submit(self._listing, deadline)
        drs_reads = self._map(self._observe_drs, {
            sid: (sid, cfg, deadline, template_ids.get(sid), read_drs) for sid, cfg in intended.items()})
        listing = listing_future.result() if listing_future is not None else {}
        jobs: dict[str, tuple[Any, ...]] = {}
        result: dict[str, Observation] = {}
        for sid, obs in drs_reads.items():
            tid = obs.template.template_id if obs.template else None
            if obs.error is not None or not needs_template(intended[sid]):
                result[sid] = Observation(drs=obs.drs, error=obs.error)
            elif tid in listing:
                result[sid] = Observation(drs=obs.drs, template=listing[tid])
            else:
                jobs[sid] = (obs.drs, tid, deadline)
        result.update(self._map(self._observe_template, jobs))
        return result

    def _observe_drs(
        self, server_id: str, intended: EffectiveLaunchConfig, deadline: float, template_id: str | None,
        read_drs: bool,
    ) -> Observation:
        """The DRS read; the template id travels in a data-less ``template`` placeholder."""
        try:
            drs_now: dict[str, Any] | None = None
            if (read_drs and needs_drs(intended)) or (template_id is None and needs_template(intended)):
                drs_now = self._retry(deadline, self._gw.drs.get_launch_configuration, server_id)
                template_id = str(drs_now.get("ec2LaunchTemplateID") or "") or None
            if needs_template(intended) and template_id is None:
                return Observation(drs=drs_now, error="DRS reports no EC2 launch template for this server")
            placeholder = TemplateVersion(template_id, 0, {}) if template_id else None
            return Observation(drs=drs_now, template=placeholder)
        except DomainError as exc:
            return Observation(error=exc.message)

    def _observe_template(self, drs_now: dict[str, Any] | None, template_id: str, deadline: float) -> Observation:
        try:
            return Observation(drs=drs_now, template=self._retry(deadline, self._gw.ec2.default_version, template_id))
        except DomainError as exc:
            return Observation(drs=drs_now, error=exc.message)


@dataclass(frozen=True)
class _DrsStep:
    drs: dict[str, Any] | None
    template_id: str | None
    wrote: bool
