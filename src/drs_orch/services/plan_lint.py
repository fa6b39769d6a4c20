"""POST /recovery-plans/{planId}/validate: a lint of a saved plan against DRS as it is now.

Errors (the plan would not run as intended): graph problems, servers that no longer exist in DRS,
DRS not answering. Warnings: servers whose replication is unhealthy, waves over 100 servers (split
into several jobs), waves that start together with more than 500 servers or 20 jobs (they queue),
and quota headroom (jobs and servers in flight now, replicating servers, recovery instances)."""

from __future__ import annotations

from collections.abc import Mapping

from drs_orch.domain.capacity import capacity_report, metric, usage_from
from drs_orch.domain.data_rules import replication_problem
from drs_orch.domain.errors import DomainError
from drs_orch.domain.limits import (
    MAX_CONCURRENT_JOBS,
    MAX_RECOVERY_INSTANCES,
    MAX_SERVERS_IN_ACTIVE_JOBS,
    CapacityStatus,
    jobs_needed,
    lint_plan_limits,
)
from drs_orch.domain.models import ProtectionGroup, RecoveryPlan
from drs_orch.domain.plan_graph import topological_levels, validate_plan_graph
from drs_orch.services.data_ports import AccountContexts, DrsInventory, Item
from drs_orch.services.recovery_plans import GroupInfo, plan_view


def lint_plan(plan: RecoveryPlan, groups: Mapping[str, ProtectionGroup], contexts: AccountContexts,
              drs: DrsInventory) -> Item:
    waves = plan.waves
    ids = plan.group_ids
    refs = {g: GroupInfo(groups[g].region, groups[g].account_id) for g in ids if g in groups}
    servers_by_group = {g: list(groups[g].source_server_ids) for g in ids if g in groups}
    errors: list[Item] = [p.to_dict() for p in validate_plan_graph(waves, refs, servers_by_group,
                                                                   default_account_id=contexts.hub_account_id)]
    warnings: list[Item] = []
    view = plan_view(plan, groups)
    wave_servers = {int(w["waveNumber"]): list(w["serverIds"]) for w in view["waves"]}
    all_servers = [s for ids_ in wave_servers.values() for s in ids_]
    summary: Item = {"waves": len(waves), "groups": len(ids), "servers": len(all_servers),
                     "accountId": view["accountId"], "region": view["region"], "levels": None}
    report: Item = {"planId": plan.plan_id, "planName": plan.plan_name, "summary": summary,
                    "effectiveOrder": view["effectiveOrder"]}
    if errors or not view["accountId"] or not view["region"]:
        report.update(valid=not errors, errors=errors, warnings=warnings, capacity=None)
        return report
    levels = topological_levels(waves)
    summary["levels"] = levels
    sizes = {n: len(s) for n, s in wave_servers.items()}
    warnings.extend(p.to_dict() for p in lint_plan_limits(levels, sizes))

    try:
        ctx = contexts.context_for(view["accountId"], view["region"])
        fleet = {str(s.get("sourceServerID")): s for s in drs.source_servers(ctx)}
        usage = usage_from(fleet.values(), drs.jobs(ctx), drs.recovery_instances(ctx))
    except DomainError as exc:
        errors.append({"code": "DRS_UNAVAILABLE", "message": exc.message})
        report.update(valid=False, errors=errors, warnings=warnings, capacity=None)
        return report

    for number, server_ids in sorted(wave_servers.items()):
        missing = [s for s in server_ids if s not in fleet]
        if missing:
            errors.append({"code": "SERVER_NOT_IN_DRS", "wave": number, "serverIds": missing,
                           "message": f"wave {number}: {len(missing)} server(s) no longer exist in DRS: "
                                      f"{', '.join(missing[:10])}"})
        unhealthy = {s: replication_problem(fleet[s]) for s in server_ids if s in fleet}
        unhealthy = {s: why for s, why in unhealthy.items() if why}
        if unhealthy:
            warnings.append({"code": "REPLICATION_UNHEALTHY", "wave": number, "serverIds": sorted(unhealthy),
                             "message": f"wave {number}: {len(unhealthy)} server(s) would launch from an older "
                                        "recovery point: " + "; ".join(f"{s} {w}" for s, w in sorted(unhealthy.items())[:10])})

    capacity = capacity_report(usage)
    after = usage.recovery_instances + len(all_servers)
    capacity["afterPlan"] = {"recoveryInstances": metric("recoveryInstances", after, MAX_RECOVERY_INSTANCES)}
    widest = max((sum(sizes.get(w, 0) for w in level) for level in levels), default=0)
    widest_jobs = max((sum(jobs_needed(sizes.get(w, 0)) for w in level) for level in levels), default=0)
    if (usage.servers_in_active_jobs + widest > MAX_SERVERS_IN_ACTIVE_JOBS
            or usage.active_jobs + widest_jobs > MAX_CONCURRENT_JOBS):
        warnings.append({"code": "CAPACITY_QUEUED",
                         "message": f"{usage.active_jobs} DRS jobs with {usage.servers_in_active_jobs} servers are in "
                                    f"flight now; with this plan's widest level ({widest} servers in {widest_jobs} "
                                    "jobs) some jobs would wait for capacity"})
    if after > MAX_RECOVERY_INSTANCES:
        warnings.append({"code": "RECOVERY_INSTANCE_LIMIT",
                         "message": f"{usage.recovery_instances} recovery instances exist; {len(all_servers)} more "
                                    f"would exceed the {MAX_RECOVERY_INSTANCES} limit - terminate earlier drill "
                                    "instances first"})
    for entry in capacity["metrics"]:
        if entry["status"] != CapacityStatus.OK.value:
            warnings.append({"code": "QUOTA_HEADROOM",
                             "message": f"{entry['metric']}: {entry['used']} of {entry['limit']} ({entry['status']})"})
    report.update(valid=not errors, errors=errors, warnings=warnings, capacity=capacity)
    return report
