"""Target accounts and their staging accounts (data-management function). External ids are
accepted but never returned."""

from __future__ import annotations

from typing import Any

from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.models import parse
from drs_orch.domain.rbac import Permission as P
from drs_orch.domain.requests import RegionsInput, StagingAccountBody
from drs_orch.entrypoints.routing import Request, Route
from drs_orch.entrypoints.wiring import container

F = "data-management"


def list_accounts(_: Request) -> dict[str, Any]:
    return container().target_accounts.list_all()


def create_account(req: Request) -> dict[str, Any]:
    return container().target_accounts.create(req.body, req.principal.username)


def get_account(req: Request) -> dict[str, Any]:
    return container().target_accounts.get(req.path_param("accountId"))


def update_account(req: Request) -> dict[str, Any]:
    return container().target_accounts.update(req.path_param("accountId"), req.body, req.principal.username)


def delete_account(req: Request) -> dict[str, Any]:
    return container().target_accounts.delete(req.path_param("accountId"), req.principal.username)


def validate_account(req: Request) -> dict[str, Any]:
    parse(RegionsInput, req.body)
    body = dict(req.body)
    if req.query.get("region") and "region" not in body:
        body["region"] = req.query["region"]
    return container().target_accounts.validate(req.path_param("accountId"), body)


def add_staging(req: Request) -> dict[str, Any]:
    spec = parse(StagingAccountBody, req.body)
    if spec.target_account_id and spec.target_account_id != req.path_param("accountId"):
        raise ValidationFailed("targetAccountId differs from the account in the path",
                               details=[{"field": "targetAccountId", "message": "must be the path's accountId"}])
    return container().target_accounts.add_staging(req.path_param("accountId"), req.body, req.principal.username)


def remove_staging(req: Request) -> dict[str, Any]:
    return container().target_accounts.remove_staging(req.path_param("accountId"),
                                                      req.path_param("stagingAccountId"), req.principal.username)


def validate_staging(req: Request) -> dict[str, Any]:
    return container().staging_accounts.validate(req.body)


def sync_staging(req: Request) -> dict[str, Any]:
    account_id = req.path_param("accountId")
    # direct invocation may name the target in the body too
    body = {k: v for k, v in req.body.items() if not (k == "accountId" and v == account_id)}
    return container().staging_accounts.sync(account_id, body)


ROUTES: list[Route] = [
    Route("GET", "/accounts/targets", "list_target_accounts", F, P.VIEW_ACCOUNTS, list_accounts,
          summary="Registered target accounts (without secrets)"),
    Route("POST", "/accounts/targets", "add_target_account", F, P.REGISTER_ACCOUNTS, create_account, status=201,
          summary="Register a target account (roleArn required unless it is the hub)"),
    Route("GET", "/accounts/targets/{accountId}", "get_target_account", F, P.VIEW_ACCOUNTS, get_account,
          summary="One target account (without secrets)"),
    Route("PUT", "/accounts/targets/{accountId}", "update_target_account", F, P.MODIFY_ACCOUNTS, update_account,
          summary="Change a target account"),
    Route("DELETE", "/accounts/targets/{accountId}", "delete_target_account", F, P.DELETE_ACCOUNTS,
          delete_account, summary="Remove a target account no protection group uses"),
    Route("POST", "/accounts/targets/{accountId}/validate", "validate_target_account", F, P.MODIFY_ACCOUNTS,
          validate_account, summary="Assume the role and call DRS; report every check"),
    Route("POST", "/accounts/targets/{accountId}/staging-accounts", "add_staging_account", F, P.MODIFY_ACCOUNTS,
          add_staging, status=201, summary="Add a staging account under a target account"),
    Route("DELETE", "/accounts/targets/{accountId}/staging-accounts/{stagingAccountId}", "remove_staging_account",
          F, P.MODIFY_ACCOUNTS, remove_staging, summary="Remove a staging account from a target account"),
    Route("POST", "/accounts/targets/{accountId}/staging-accounts/sync", "sync_staging_accounts", F,
          P.MODIFY_ACCOUNTS, sync_staging,
          summary="Re-validate each staging account, report the servers it holds and extend those not yet "
                  "extended into the target (body regions?, dryRun?)"),
    Route("POST", "/staging-accounts/validate", "validate_staging_account", "query", P.MODIFY_ACCOUNTS,
          validate_staging,
          summary="Check a staging account before adding it: body accountId, roleArn, externalId?, region, "
                  "targetAccountId?; role assumable, DRS initialized, servers, total after adding"),
]
