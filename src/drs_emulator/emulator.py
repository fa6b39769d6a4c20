"""The :class:`Emulator`: state, clock, faults, call log and latency behind one lock, plus the request
pipeline shared by the WSGI app and in-process callers.

Request pipeline (:meth:`Emulator.handle`):

1. route by method + path from botocore's model; no route -> ValidationException ``unknownOperation``;
2. identify the caller from the SigV4 ``Authorization`` header (or presigned ``X-Amz-Credential``):
   region = the credential scope's region, account = ``moto.iam.models.get_account_id_from(access
   key)``, i.e. moto's default account (123456789012, or ``MOTO_ACCOUNT_ID``) for plain keys and the
   assumed account for credentials from moto STS AssumeRole; no credentials -> AccessDeniedException;
3. sleep the configured latency (outside the lock);
4. parse and validate against the model -> ValidationException ``fieldValidationFailed``/``cannotParse``;
   an operation of the model without a handler (``registry.REFUSED`` names the reason; today none)
   -> ValidationException (400) reason ``unknownOperation`` with that reason;
5. request faults (throttle 429 / internal_error 500);
6. under the lock: evaluate pending transitions up to the clock's now, check InitializeService for
   operations that model UninitializedAccountException, run the handler, render the modelled status;
7. ``lose_response`` faults turn the committed answer into a 500;
8. every call is recorded in the call log (operation, account, region, short params, status, latency).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from . import (
    errors,
    ids,
    ops_launch_actions,
    ops_native_plans,
    ops_networks,
    ops_recovery,
    ops_servers,
    ops_templates,
    wire,
)
from .clock import EmulatorClock
from .ec2bridge import Ec2Bridge
from .errors import DrsError
from .events import EventPublisher
from .faults import CallLog, FaultInjector, Latency, mentioned_values
from .fleet import DEFAULT_FLEET, build_server, load_fleet_file, parse_fleet
from .lifecycle import Lifecycle
from .native_plans import PlanRunner
from .registry import HANDLERS, REFUSED, Ctx
from .replication import set_replication_state
from .state import Conventions, Quotas, SourceServer, Store, Timings
from .views import job_view, recovery_instance_view, server_view

log = logging.getLogger(__name__)

DEFAULT_ACCOUNT = "123456789012"
_CREDENTIAL = re.compile(r"Credential=([^/\s,]+)/\d{8}/([^/\s,]+)/[^/\s,]+/aws4_request")
# importing the handler modules registers their operations
_OPERATION_MODULES = (
    ops_servers,
    ops_recovery,
    ops_templates,
    ops_launch_actions,
    ops_networks,
    ops_native_plans,
)


def account_for_access_key(access_key: str) -> str:
    """The account moto would attribute ``access_key`` to (STS-assumed keys -> their account)."""
    try:
        from moto.iam.models import get_account_id_from
    except ImportError:  # moto missing: everything is the default account
        return DEFAULT_ACCOUNT
    return str(get_account_id_from(access_key))


def emulated_operations() -> list[str]:
    return sorted(HANDLERS)


class Emulator:
    """A stateful DRS emulator. Thread-safe: one re-entrant lock guards all state."""

    def __init__(
        self,
        *,
        clock: EmulatorClock | None = None,
        speed: float = 1.0,
        quotas: Quotas | None = None,
        timings: Timings | None = None,
        seed: int = 0,
        fleet: Mapping[str, Any] | str | Path | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock or EmulatorClock(speed=speed)
        self.quotas = quotas or Quotas()
        self.conventions = Conventions()
        self.timings = timings or Timings()
        self.store = Store()
        self.ec2 = Ec2Bridge()
        self.faults = FaultInjector(seed)
        self.call_log = CallLog()
        self.latency = Latency()
        self.lifecycle = Lifecycle(self.ec2, self.faults, self.timings, seed)
        self.lifecycle.hooks.append(PlanRunner(self))
        self.events = EventPublisher(self)
        if isinstance(fleet, (str, Path)):
            self.load_fleet(fleet)
        elif fleet is not None:
            self.seed(fleet)

    # ------------------------------------------------------------------ fleet

    def seed(self, fleet: Mapping[str, Any]) -> dict[str, Any]:
        """Add (or replace, by id) the fleet's servers; returns {account: {region: [server ids]}}.

        Creates each server's EC2 launch template in moto (and, for ``sourceCloud.runInstance``, the
        origin EC2 instance), so it must run while moto's backends are the ones the callers use (e.g.
        inside ``mock_aws``).
        """
        spec = parse_fleet(dict(fleet))
        out: dict[str, dict[str, list[str]]] = {}
        with self.lock:
            for key, value in spec.quotas.items():
                setattr(self.quotas, key, int(value))
            if spec.busy_error:
                self.conventions.busy_error = spec.busy_error
            self.conventions.quota_codes.update(spec.quota_codes)
            for key, seconds in spec.timings.items():
                if not hasattr(self.timings, key):
                    raise ValueError(f"unknown timing {key}")
                setattr(self.timings, key, float(seconds))
            now = self.clock.now()
            for region_spec in spec.regions:
                state = self.store.get(region_spec.account, region_spec.region)
                state.initialized = region_spec.initialized
                state.quota_overrides.update(region_spec.quotas)
                for staging in region_spec.staging_accounts:
                    if staging not in state.staging_accounts:
                        state.staging_accounts.append(staging)
                ids_out = out.setdefault(region_spec.account, {}).setdefault(region_spec.region, [])
                for entry in region_spec.servers:
                    server = build_server(entry, region_spec.account, region_spec.region, now)
                    state.servers[server.server_id] = server
                    self.ec2.ensure_launch_template(server, fresh=True)
                    cloud = entry.get("sourceCloud") or {}
                    if cloud.get("runInstance") and server.source_cloud:
                        server.aws_instance_id = self.ec2.run_source_instance(
                            server.source_cloud["originAccountID"],
                            server.source_cloud["originRegion"],
                            server.hostname,
                            server.private_ip,
                            server.tags,
                            server.recommended_instance_type,
                        )
                    ids_out.append(server.server_id)
        return out

    def load_fleet(self, fleet: str | Path | Mapping[str, Any]) -> dict[str, Any]:
        """Seed from a YAML/JSON fleet file (or an already loaded fleet mapping)."""
        if isinstance(fleet, Mapping):
            return self.seed(fleet)
        return self.seed(load_fleet_file(fleet))

    def load_default_fleet(self) -> dict[str, Any]:
        return self.load_fleet(DEFAULT_FLEET)

    def reset(self, *, terminate_instances: bool = False) -> None:
        """Forget all DRS state, faults, calls and latency (the clock, quotas and timings stay).

        EC2 resources already created in moto stay unless ``terminate_instances`` is true, in which
        case the recovery instances' EC2 instances are terminated first (freeing their private IPs).
        """
        with self.lock:
            if terminate_instances:
                for state in self.store.regions.values():
                    for ri in state.recovery_instances.values():
                        self.ec2.terminate(ri.account, ri.region, ri.instance_id)
            self.store = Store()
            self.lifecycle.reset()
            self.faults.clear()
            self.call_log.clear()
            self.latency.clear()

    @staticmethod
    def server_id(account: str, region: str, hostname: str) -> str:
        return ids.server_id_for(account, region, hostname)

    # ------------------------------------------------------------------ clock

    def tick(self) -> None:
        """Apply every transition due at the clock's current time."""
        with self.lock:
            self.lifecycle.tick(self.store, self.clock.now())

    def advance(self, seconds: float) -> float:
        """Move the clock forward and apply what became due; returns the new emulated time."""
        with self.lock:
            now = self.clock.advance(seconds)
            self.lifecycle.tick(self.store, now)
            return now

    def set_speed(self, speed: float) -> None:
        self.clock.set_speed(speed)

    # ------------------------------------------------------------------ faults, calls, latency

    def add_fault(self, kind: str, **options: Any) -> dict[str, Any]:
        """Inject a fault; see :mod:`drs_emulator.faults` for kinds and options. Returns its record."""
        return self.faults.add(kind, **options).to_dict()

    def remove_fault(self, fault_id: str) -> bool:
        return self.faults.remove(fault_id)

    def clear_faults(self) -> None:
        self.faults.clear()

    def list_faults(self) -> list[dict[str, Any]]:
        return self.faults.list_faults()

    def calls(
        self, operation: str | None = None, account: str | None = None, region: str | None = None
    ) -> list[dict[str, Any]]:
        return self.call_log.entries(operation, account, region)

    def call_count(self, operation: str | None = None) -> int:
        return self.call_log.count(operation)

    def clear_calls(self) -> None:
        self.call_log.clear()

    def set_latency(self, seconds: float, operation: str | None = None) -> None:
        self.latency.set(seconds, operation)

    # ------------------------------------------------------------------ out-of-band changes

    def set_initialized(self, account: str, region: str, initialized: bool = True) -> None:
        with self.lock:
            self.store.get(account, region).initialized = initialized

    def _server(self, server_id: str) -> SourceServer:
        server = self.store.find_server(server_id)
        if server is None:
            raise KeyError(f"source server {server_id} not found")
        return server

    def update_server(
        self,
        server_id: str,
        *,
        replication_state: str | None = None,
        lag_seconds: float | None = None,
        replication_error: dict[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
        remove_tag_keys: list[str] | None = None,
        launch: Mapping[str, Any] | None = None,
        private_ip: str | None = None,
    ) -> dict[str, Any]:
        """Change a server out of band (replication state, lag, tags, launch behaviour, IP)."""
        with self.lock:
            now = self.clock.now()
            self.lifecycle.tick(self.store, now)
            server = self._server(server_id)
            if replication_state is not None:
                valid = wire.service_model().shape_for("DataReplicationState").enum
                if replication_state not in valid:
                    raise ValueError(f"replication_state must be one of {valid}")
                set_replication_state(server, replication_state, now, error=replication_error)
            if lag_seconds is not None:
                server.lag_seconds = float(lag_seconds)
            if tags:
                server.tags.update({str(k): str(v) for k, v in tags.items()})
            for key in remove_tag_keys or []:
                server.tags.pop(key, None)
            if launch is not None:
                if "durationSeconds" in launch:
                    server.launch.duration_seconds = float(launch["durationSeconds"])
                if "outcome" in launch:
                    if launch["outcome"] not in ("LAUNCHED", "FAILED"):
                        raise ValueError("launch.outcome must be LAUNCHED or FAILED")
                    server.launch.outcome = str(launch["outcome"])
                if "reason" in launch:
                    server.launch.reason = launch["reason"]
                if "phase" in launch:
                    if launch["phase"] not in ("LAUNCH", "CONVERSION"):
                        raise ValueError("launch.phase must be LAUNCH or CONVERSION")
                    server.launch.phase = str(launch["phase"])
            if private_ip is not None:
                server.private_ip = private_ip or None
            return server_view(server, now)

    def cancel_job(self, job_id: str, reason: str | None = None) -> dict[str, Any]:
        """DRS cancels an active job (``JOB_CANCEL``): its unfinished servers fail, the job ends."""
        with self.lock:
            now = self.clock.now()
            self.lifecycle.tick(self.store, now)
            for state in self.store.regions.values():
                job = state.jobs.get(job_id)
                if job is not None:
                    self.lifecycle.cancel_job(state, job, now, reason)
                    return job_view(job)
            raise KeyError(f"job {job_id} not found")

    def connect_failback_client(self, instance_id: str) -> dict[str, Any]:
        """The Failback Client of an on-premises origin connects: failback replication starts
        (FAILBACK_IN_PROGRESS, then FAILBACK_READY_FOR_LAUNCH after the sync)."""
        with self.lock:
            now = self.clock.now()
            ri = self.store.find_recovery_instance(instance_id)
            if ri is None:
                raise KeyError(f"recovery instance {instance_id} not found")
            self.lifecycle.start_failback_sync(ri, now)
            return self._ri_view(instance_id, now)

    def set_failback_state(self, instance_id: str, state: str) -> dict[str, Any]:
        with self.lock:
            valid = wire.service_model().shape_for("FailbackState").enum
            if state not in valid:
                raise ValueError(f"failback state must be one of {valid}")
            ri = self.store.find_recovery_instance(instance_id)
            if ri is None:
                raise KeyError(f"recovery instance {instance_id} not found")
            ri.failback_state = state
            ri.failback_transitions = []
            return self._ri_view(instance_id, self.clock.now())

    # ------------------------------------------------------------------ inspection

    def _ri_view(self, instance_id: str, now: float) -> dict[str, Any]:
        ri = self.store.find_recovery_instance(instance_id)
        if ri is None:
            raise KeyError(instance_id)
        return recovery_instance_view(ri, self.ec2.describe(ri.account, ri.region, ri.instance_id), now)

    def servers(
        self, account: str | None = None, region: str | None = None, tags: Mapping[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """Summaries of the seeded servers, optionally filtered by account, region and tags."""
        with self.lock:
            self.lifecycle.tick(self.store, self.clock.now())
            out = []
            for (acct, reg), state in sorted(self.store.regions.items()):
                if (account and acct != account) or (region and reg != region):
                    continue
                for s in state.servers.values():
                    if tags and any(s.tags.get(k) != v for k, v in tags.items()):
                        continue
                    out.append(
                        {
                            "account": acct,
                            "region": reg,
                            "sourceServerID": s.server_id,
                            "arn": s.arn,
                            "hostname": s.hostname,
                            "tags": dict(s.tags),
                            "replicationState": s.replication_state,
                            "recoveryInstanceId": s.recovery_instance_id,
                        }
                    )
            return out

    def jobs(self, account: str | None = None, region: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            self.lifecycle.tick(self.store, self.clock.now())
            return [
                {"account": acct, "region": reg, **job_view(j)}
                for (acct, reg), state in sorted(self.store.regions.items())
                if (not account or acct == account) and (not region or reg == region)
                for j in state.jobs.values()
            ]

    def summary(self) -> dict[str, Any]:
        with self.lock:
            self.lifecycle.tick(self.store, self.clock.now())
            regions = []
            for (acct, reg), state in sorted(self.store.regions.items()):
                regions.append(
                    {
                        "account": acct,
                        "region": reg,
                        "initialized": state.initialized,
                        "servers": len(state.servers),
                        "jobs": len(state.jobs),
                        "activeJobs": len(state.active_jobs()),
                        "recoveryInstances": len(state.recovery_instances),
                        "stagingAccounts": list(state.staging_accounts),
                        "quotas": state.quotas(self.quotas).to_dict(),
                    }
                )
            return {
                "clock": self.clock.state(),
                "quotas": self.quotas.to_dict(),
                "conventions": {"busyError": self.conventions.busy_error,
                                "quotaCodes": dict(self.conventions.quota_codes)},
                "timings": self.timings.to_dict(),
                "regions": regions,
                "emulatedOperations": emulated_operations(),
            }

    # ------------------------------------------------------------------ requests

    @staticmethod
    def _identify(headers: Mapping[str, str], query: Mapping[str, list[str]]) -> tuple[str, str]:
        auth = headers.get("authorization", "")
        m = _CREDENTIAL.search(auth)
        if m is None and "X-Amz-Credential" in query:
            m = _CREDENTIAL.search("Credential=" + query["X-Amz-Credential"][-1])
        if m is None:
            raise errors.access_denied("Missing Authentication Token: requests must be signed with SigV4")
        access_key, region = m.group(1), m.group(2)
        return account_for_access_key(access_key), region

    def handle(
        self,
        method: str,
        path: str,
        query_string: str = "",
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> wire.WireResponse:
        """Answer one DRS wire request (path already percent-decoded, as WSGI's PATH_INFO)."""
        started = time.perf_counter()
        lowered = {k.lower(): v for k, v in (headers or {}).items()}
        query = parse_qs(query_string, keep_blank_values=True)
        match = wire.match_route(method, path)
        operation = match.operation if match else f"{method.upper()} {path}"
        account: str | None = None
        region: str | None = None
        params: dict[str, Any] = {}
        fault_id: str | None = None
        emulated: float | None = None
        try:
            if match is None:
                raise errors.validation(
                    f"No DRS operation matches {method} {path}", reason="unknownOperation"
                )
            account, region = self._identify(lowered, query)
            delay = self.latency.for_operation(operation)
            if delay > 0:
                time.sleep(delay)
            params = wire.parse_request(operation, match.labels, query, body)
            wire.validate(operation, params)
            handler = HANDLERS.get(operation)
            if handler is None:
                why = REFUSED.get(operation, "it is not emulated")
                raise errors.validation(
                    f"Operation {operation} is part of the DRS model but is refused: {why}",
                    reason="unknownOperation",
                )
            values = mentioned_values(params)
            fault = self.faults.request_fault(operation, account, region, values)
            if fault is not None:
                fault_id = fault.fault_id
                if fault.kind == "throttle":
                    raise errors.throttling(retry_after=fault.retry_after)
                raise errors.internal("Injected internal error", retry_after=fault.retry_after)
            with self.lock:
                now = emulated = self.clock.now()
                self.lifecycle.tick(self.store, now)
                state = self.store.get(account, region)
                if (
                    "UninitializedAccountException" in wire.modelled_errors(operation)
                    and not state.initialized
                ):
                    raise errors.uninitialized(account, region)
                result = handler(Ctx(self, account, region, state, now), params)
                response = wire.render_success(operation, result)
            lost = self.faults.lose_response(operation, account, region, values)
            if lost is not None:
                fault_id = lost.fault_id
                raise errors.internal("Injected fault: the response was lost after the request was committed")
        except DrsError as exc:
            response = wire.render_error(exc)
        except Exception as exc:
            log.exception("DRS emulator failed on %s", operation)
            response = wire.render_error(errors.internal(f"Emulator error: {type(exc).__name__}: {exc}"))
        error_type = next((v for k, v in response.headers if k == "x-amzn-ErrorType"), None)
        self.call_log.record(
            operation=operation,
            account=account,
            region=region,
            status=response.status,
            error_type=error_type,
            latency_ms=(time.perf_counter() - started) * 1000.0,
            params=CallLog.shorten(params),
            emulated_time=emulated,
            fault=fault_id,
        )
        return response
