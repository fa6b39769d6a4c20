"""``GET /executions/{executionId}/realtime``: the stored execution (the engine's META, wave, job
and server records) reconciled with live DRS and EC2 in one batched pass per account and region -
DescribeJobs by the list of job ids, then DescribeRecoveryInstances by the list of recovery instance
ids, then DescribeInstances by instance id filter, one request per page - never one call per
server. Read-only: nothing is written back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from drs_orch.domain.accounts import AccountContext
from drs_orch.domain.errors import DomainError, NotFound
from drs_orch.domain.inventory import RegionState, RegionUnavailable, region_status
from drs_orch.domain.models import to_iso
from drs_orch.domain.realtime import (
    LiveData,
    in_wave_order,
    instance_ids,
    reconcile,
    recovery_instance_ids,
    scopes,
    servers_in,
)
from drs_orch.services.query_ports import ExecutionRecordsReader, Readers


def _merge(total: dict[str, int], calls: dict[str, int]) -> None:
    for name, count in calls.items():
        total[name] = total.get(name, 0) + count


def _fetch_scope(
    readers: Readers, ctx: AccountContext, job_ids: list[str], servers: list[dict[str, Any]], live: LiveData
) -> dict[str, int]:
    drs = readers.drs(ctx)
    jobs = drs.jobs(job_ids) if job_ids else []
    live.jobs.update({str(j.get("jobID")): j for j in jobs})
    rids = recovery_instance_ids(jobs, servers)
    recovery = drs.recovery_instances(rids) if rids else []
    live.recovery_instances.update({str(r.get("recoveryInstanceID")): r for r in recovery})
    calls = dict(drs.calls)
    iids = instance_ids(recovery, servers)
    if iids:
        ec2 = readers.ec2(ctx)
        live.instances.update({str(i.get("InstanceId")): i for i in ec2.instances(iids)})
        _merge(calls, ec2.calls)
    return calls


def execution_realtime(
    store: ExecutionRecordsReader,
    context_for: Callable[[str | None, str], AccountContext],
    readers: Readers,
    execution_id: str,
    *,
    default_region: str,
    now: datetime,
) -> dict[str, Any]:
    loaded = store.load(execution_id)
    if loaded is None:
        raise NotFound(f"execution {execution_id} does not exist", code="EXECUTION_NOT_FOUND")
    stored = in_wave_order(loaded)
    live = LiveData()
    api_calls: dict[str, int] = {}
    sources: list[dict[str, Any]] = []
    for scope, job_ids in scopes(stored).items():
        account_id, region = scope
        region = region or default_region
        entry: dict[str, Any] = {"accountId": account_id or None, "region": region, "jobIds": job_ids}
        try:
            ctx = context_for(account_id or None, region)
            entry["accountId"] = ctx.account_id
            calls = _fetch_scope(readers, ctx, job_ids, [dict(s) for s in servers_in(stored, scope)], live)
            entry.update(status=region_status(RegionState.OK), apiCalls=calls)
            _merge(api_calls, calls)
        except RegionUnavailable as exc:
            entry["status"] = region_status(exc.state, exc.reason)
        except DomainError as exc:
            entry["status"] = {**region_status(RegionState.ERROR, exc.message), "code": exc.code}
        sources.append(entry)
    report = reconcile(stored, live)
    report["reconciledAt"] = to_iso(now)
    report["dataSource"] = "live" if all(s["status"]["status"] == "OK" for s in sources) else "partial"
    report["liveSources"] = sources
    report["apiCalls"] = api_calls
    return report
