"""DRS for the execution engine, per scope (``"<accountId>#<region>"``): source servers, jobs and
their logs, StartRecovery, recovery instances and their termination.

Reads use the shared clients (botocore adaptive retries) and the paginators of
:mod:`drs_orch.adapters.paging` (resumed after throttling). StartRecovery and
TerminateRecoveryInstances are *not* retried by botocore: a retry after a lost answer would start a
second job. Only a ThrottlingException, which guarantees nothing ran, is retried here; any other
failure is reported as :class:`StartRefused` (``code`` None when no answer came back, so the caller
searches for the job by its tags before starting again).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from drs_orch.adapters.aws import client
from drs_orch.adapters.clients import ClientFactory
from drs_orch.adapters.drs_launch import aws_error
from drs_orch.adapters.paging import THROTTLING_CODES, Throttled, backoff_delay, items
from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.capacity import listing_start
from drs_orch.domain.errors import UpstreamError
from drs_orch.domain.execution_snapshot import split_scope
from drs_orch.services.engine.ports import Item, StartRefused

NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=5, read_timeout=60)
THROTTLE_ATTEMPTS = 6
CONTEXT_TTL_SECONDS = 300.0


def _chunks(values: list[str], size: int) -> list[list[str]]:
    return [values[i:i + size] for i in range(0, len(values), size)]


class ScopeContexts:
    """Scope -> AccountContext, through the account directory, cached for a few minutes."""

    def __init__(self, context_for: Callable[[str | None, str], AccountContext]) -> None:
        self._context_for = context_for
        self._cache: dict[str, tuple[float, AccountContext]] = {}
        self._lock = threading.Lock()

    def get(self, scope: str) -> AccountContext:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(scope)
            if hit and now - hit[0] < CONTEXT_TTL_SECONDS:
                return hit[1]
        account, region = split_scope(scope)
        ctx = self._context_for(account, region)
        with self._lock:
            self._cache[scope] = (now, ctx)
        return ctx


class DrsJobs:
    def __init__(self, clients: ClientFactory, contexts: ScopeContexts,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._clients = clients
        self._contexts = contexts
        self._sleep = sleep
        self._writers: dict[tuple[str, str, str], Any] = {}
        self._listing_starts: dict[str, str] = {}  # scope -> the fromDate its jobs that may be active begin at
        self._lock = threading.Lock()

    def _drs(self, scope: str) -> Any:
        return self._clients.get("drs", self._contexts.get(scope))

    def _writer(self, scope: str) -> Any:
        """A DRS client without botocore retries, for calls that must not run twice."""
        ctx = self._contexts.get(scope)
        creds = self._clients.credentials(ctx)
        key = (ctx.account_id, ctx.region, (creds or {}).get("AccessKeyId", "hub"))
        with self._lock:
            existing = self._writers.get(key)
        if existing is not None:
            return existing
        made = client("drs", region=ctx.region, credentials=creds, config=NO_RETRY)
        with self._lock:
            return self._writers.setdefault(key, made)

    def _list(self, scope: str, operation: str, what: str, **params: Any) -> list[Item]:
        try:
            return items(self._drs(scope), operation, "items", token_key="nextToken", sleep=self._sleep, **params)
        except Throttled as exc:
            raise UpstreamError(f"DRS {what} in {scope}: {exc}", code="THROTTLED") from exc
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(exc, f"DRS {what} in {scope}") from exc

    # ------------------------------------------------------------------ reads
    def source_servers(self, scope: str, server_ids: list[str]) -> dict[str, Item]:
        found: dict[str, Item] = {}
        for chunk in _chunks(sorted(set(server_ids)), 200):
            for server in self._list(scope, "describe_source_servers", "DescribeSourceServers",
                                     filters={"sourceServerIDs": chunk}):
                found[server["sourceServerID"]] = server
        return found

    def list_jobs(self, scope: str) -> list[Item]:
        return self._list(scope, "describe_jobs", "DescribeJobs")

    def jobs_that_may_be_active(self, scope: str) -> list[Item]:
        """Every job of ``scope`` that is or may become active (PENDING, STARTED), and some COMPLETED
        ones. The first listing of a scope reads all its jobs; later ones (in this process) start at
        the date before which every job had COMPLETED (:func:`~drs_orch.domain.capacity.listing_start`),
        so a wave's capacity check reads the jobs of the last few waves, not the whole history of the
        account-region (at 40 waves of 100 servers, the last listing was 4,000 participating servers)."""
        with self._lock:
            since = self._listing_starts.get(scope)
        listed = self._list(scope, "describe_jobs", "DescribeJobs",
                            **({"filters": {"fromDate": since}} if since else {}))
        start = listing_start(listed, since)
        if start is not None:
            with self._lock:
                self._listing_starts[scope] = start
        return listed

    def describe_jobs(self, scope: str, job_ids: list[str]) -> dict[str, Item]:
        found: dict[str, Item] = {}
        for chunk in _chunks(sorted(set(job_ids)), 1000):
            for job in self._list(scope, "describe_jobs", "DescribeJobs", filters={"jobIDs": chunk}):
                found[job["jobID"]] = job
        return found

    def recovery_snapshots(self, scope: str, server_id: str) -> list[Item]:
        return self._list(scope, "describe_recovery_snapshots", "DescribeRecoverySnapshots", sourceServerID=server_id)

    def job_log(self, scope: str, job_id: str) -> list[Item]:
        return self._list(scope, "describe_job_log_items", "DescribeJobLogItems", jobID=job_id)

    def recovery_instances(self, scope: str, *, instance_ids: list[str] | None = None,
                           server_ids: list[str] | None = None) -> list[Item]:
        out: list[Item] = []
        if instance_ids is not None:
            for chunk in _chunks(sorted(set(instance_ids)), 200):
                out += self._list(scope, "describe_recovery_instances", "DescribeRecoveryInstances",
                                  filters={"recoveryInstanceIDs": chunk})
        if server_ids is not None:
            for chunk in _chunks(sorted(set(server_ids)), 200):
                out += self._list(scope, "describe_recovery_instances", "DescribeRecoveryInstances",
                                  filters={"sourceServerIDs": chunk})
        return out

    # ------------------------------------------------------------------ writes (never retried blindly)
    def _call_once(self, scope: str, operation: str, **params: Any) -> Item:
        attempt = 0
        while True:
            try:
                out = getattr(self._writer(scope), operation)(**params)
                return dict(out.get("job") or {})
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code") or "")
                status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0) or None
                if code in THROTTLING_CODES and attempt + 1 < THROTTLE_ATTEMPTS:
                    attempt += 1
                    self._sleep(backoff_delay(attempt))
                    continue
                message = str(exc.response.get("Error", {}).get("Message") or code)
                raise StartRefused(code or None, status, message) from exc
            except BotoCoreError as exc:
                raise StartRefused(None, None, f"no answer from DRS: {exc}") from exc

    def start_recovery(self, scope: str, server_ids: list[str], is_drill: bool, tags: Mapping[str, str],
                       snapshots: Mapping[str, str] | None = None) -> Item:
        chosen = snapshots or {}
        entries = [{"sourceServerID": s, **({"recoverySnapshotID": chosen[s]} if s in chosen else {})}
                   for s in server_ids]
        return self._call_once(scope, "start_recovery", sourceServers=entries, isDrill=is_drill, tags=dict(tags))

    def terminate_recovery_instances(self, scope: str, instance_ids: list[str]) -> Item:
        return self._call_once(scope, "terminate_recovery_instances", recoveryInstanceIDs=list(instance_ids))


class Ec2Instances:
    """EC2 instances of recovery (drill) launches, per scope."""

    def __init__(self, clients: ClientFactory, contexts: ScopeContexts) -> None:
        self._clients = clients
        self._contexts = contexts

    def instances(self, scope: str, instance_ids: list[str]) -> dict[str, Item]:
        """Instance id -> description, for the ids EC2 still knows (terminated ones included while
        EC2 lists them). Unknown ids are absent."""
        ec2 = self._clients.get("ec2", self._contexts.get(scope))
        found: dict[str, Item] = {}
        for chunk in _chunks(sorted(set(instance_ids)), 200):
            try:
                try:  # by id; an id EC2 no longer knows fails the whole call, then ask with a filter
                    pages = list(ec2.get_paginator("describe_instances").paginate(InstanceIds=chunk))
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") != "InvalidInstanceID.NotFound":
                        raise
                    pages = list(ec2.get_paginator("describe_instances").paginate(
                        Filters=[{"Name": "instance-id", "Values": chunk}]))
            except (ClientError, BotoCoreError) as exc:
                raise aws_error(exc, f"EC2 DescribeInstances in {scope}") from exc
            for page in pages:
                for reservation in page.get("Reservations", []):
                    for instance in reservation.get("Instances", []):
                        found[instance["InstanceId"]] = instance
        return found
