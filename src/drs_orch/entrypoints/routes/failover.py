"""Failover and failback keeping instance identity and private IPs (issue 14): instance pairs of a
group (data-management), matching and validating them (query), the FAILOVER execution, reverse
replication and the cycle status (execution)."""

from __future__ import annotations

from typing import Any

from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.failover import FAILBACK, FAILOVER
from drs_orch.domain.rbac import Permission as P
from drs_orch.entrypoints.routing import Request, Result, Route
from drs_orch.entrypoints.wiring import container

DM, Q, EX = "data-management", "query", "execution"


def match(req: Request) -> dict[str, Any]:
    return container().instance_pairs.match(req.body)


def validate_pairs(req: Request) -> dict[str, Any]:
    return container().instance_pairs.validate(req.body)


def list_pairs(req: Request) -> dict[str, Any]:
    return container().instance_pairs.list_pairs(req.path_param("groupId"))


def put_pairs(req: Request) -> dict[str, Any]:
    return container().instance_pairs.put_pairs(req.path_param("groupId"), req.body, req.principal.username)


def update_pair(req: Request) -> dict[str, Any]:
    return container().instance_pairs.update_pair(req.path_param("groupId"), req.path_param("pairId"), req.body,
                                                  req.principal.username)


def delete_pair(req: Request) -> dict[str, Any]:
    return container().instance_pairs.delete_pair(req.path_param("groupId"), req.path_param("pairId"),
                                                  req.principal.username)


def configure(req: Request) -> dict[str, Any]:
    from drs_orch.entrypoints.routes.launch_settings import background_runs  # data-management only

    return container().instance_pairs.configure(req.path_param("groupId"), req.body, req.principal.username,
                                                background_runs(req))


def failover(req: Request) -> Result:
    out = container().failover.start(FAILOVER, req.body, req.principal.username)
    return Result(200 if out.get("dryRun") else 202, out)


def failback(req: Request) -> Result:
    out = container().failover.start(FAILBACK, req.body, req.principal.username)
    return Result(200 if out.get("dryRun") else 202, out)


def reverse(req: Request) -> dict[str, Any]:
    return container().failover.reverse_replication(req.path_param("executionId"), req.body, req.principal.username)


def status(req: Request) -> dict[str, Any]:
    raw = req.query.get("lagThresholdSeconds")
    try:
        threshold = int(raw) if raw not in (None, "") else None
    except ValueError:
        raise ValidationFailed("lagThresholdSeconds must be an integer", code="INVALID_PARAMETER") from None
    return container().failover.status(req.path_param("executionId"), threshold)


ROUTES: list[Route] = [
    Route("POST", "/drs/instances/match", "match_instances", Q, P.VIEW_PROTECTION_GROUPS, match,
          summary="Propose instance pairs by Name tag / hostname: body groupId, or accountId?/region/"
                  "sourceServerIds?; reports matches, unmatched and ambiguous servers"),
    Route("POST", "/drs/instances/validate-pairs", "validate_instance_pairs", Q, P.VIEW_PROTECTION_GROUPS,
          validate_pairs, summary="Check a group's instance pairs (body groupId, pairIds?): every problem per "
                                  "pair with its remediation"),
    Route("GET", "/protection-groups/{groupId}/instance-pairs", "list_instance_pairs", DM, P.VIEW_PROTECTION_GROUPS,
          list_pairs, summary="The group's instance pairs and their failover cycle state"),
    Route("POST", "/protection-groups/{groupId}/instance-pairs", "put_instance_pairs", DM,
          P.MODIFY_PROTECTION_GROUPS, put_pairs,
          summary="Store instance pairs {pairs[{sourceServerId, targetInstanceId, preservePrivateIp?, copyTags?}], "
                  "replace?}"),
    Route("PUT", "/protection-groups/{groupId}/instance-pairs/{pairId}", "update_instance_pair", DM,
          P.MODIFY_PROTECTION_GROUPS, update_pair, summary="Change one pair's target or IP preservation"),
    Route("DELETE", "/protection-groups/{groupId}/instance-pairs/{pairId}", "delete_instance_pair", DM,
          P.MODIFY_PROTECTION_GROUPS, delete_pair, summary="Remove one pair (not while it is failed over)"),
    Route("POST", "/protection-groups/{groupId}/configure-allow-launching", "configure_allow_launching", DM,
          P.MODIFY_PROTECTION_GROUPS, configure,
          summary="Write launchIntoInstanceProperties of every paired server through the launch settings "
                  "(status, hashes and drift detection cover it); dryRun? shows the overrides"),
    Route("POST", "/executions/allow-launching/failover", "start_failover", EX, P.START_RECOVERY, failover,
          status=202, summary="Start a FAILOVER of a plan into its instance pairs {planId, isDrill?, initiatedBy?, "
                              "pollIntervalSeconds?, dryRun?}; identity and private IPs verified per server"),
    Route("POST", "/executions/allow-launching/failback", "start_failback", EX, P.START_RECOVERY, failback,
          status=202, summary="Start a FAILBACK of a plan whose servers replicate back (CONTINUOUS within 60 s): "
                              "the reversed servers launch wave by wave into the original instances, identity and "
                              "IPs verified {planId, initiatedBy?, pollIntervalSeconds?, dryRun?}"),
    Route("POST", "/executions/{executionId}/allow-launching/reverse-replication", "start_reverse_replication", EX,
          P.START_RECOVERY, reverse,
          summary="After a FAILOVER: reverse replication of every server launched into its pair; after a "
                  "FAILBACK: protect the failed-back instances again and close the cycle {sourceServerIds?}"),
    Route("GET", "/executions/{executionId}/allow-launching/status", "get_allow_launching_status", EX,
          P.VIEW_EXECUTIONS, status,
          summary="Per server: cycle state, instance ids, source/target/recovery IPs, reverse replication lag "
                  "(?lagThresholdSeconds=60)"),
]
