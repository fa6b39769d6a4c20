"""Target accounts in DynamoDB (``TargetAccountsTable``), listed through the ``ByEntity`` index.
Writes are conditional: a create on the id being free, a replace or delete on the version read."""

from __future__ import annotations

from typing import Any

from drs_orch.adapters import dynamodb_tx as dx
from drs_orch.adapters.dynamodb import serialize
from drs_orch.domain.accounts import TargetAccount
from drs_orch.services.data_ports import CommitConflict

ENTITY = "TARGET_ACCOUNT"


class DynamoAccountStore:
    def __init__(self, table: str) -> None:
        self.table = table

    def get(self, account_id: str) -> TargetAccount | None:
        item = dx.get_item(self.table, "accountId", account_id)
        return TargetAccount.from_item(item) if item else None

    def all(self) -> list[TargetAccount]:
        return [TargetAccount.from_item(i) for i in dx.query_all(self.table, index="ByEntity",
                                                                 key_condition="entityType = :e",
                                                                 values={":e": ENTITY})]

    def list_all(self) -> list[TargetAccount]:
        return self.all()

    def put_request(self, account: TargetAccount, expected_version: int | None) -> dict[str, Any]:
        """The write of ``account``: a create (``expected_version`` None) or a replace of that version."""
        body: dict[str, Any] = {"TableName": self.table, "Item": serialize({**account.to_item(), "entityType": ENTITY})}
        if expected_version is None:
            body["ConditionExpression"] = "attribute_not_exists(accountId)"
        else:
            body["ConditionExpression"] = "version = :v"
            body["ExpressionAttributeValues"] = {":v": dx.av(expected_version)}
        return body

    def create(self, account: TargetAccount) -> None:
        tx = dx.Transaction()
        tx.add("Put", self.put_request(account, None), ("EXISTS", None))
        dx.run(tx)

    def replace(self, account: TargetAccount, expected_version: int) -> None:
        tx = dx.Transaction()
        tx.add("Put", self.put_request(account, expected_version), ("VERSION", None))
        dx.run(tx)

    def delete(self, account_id: str, expected_version: int) -> None:
        tx = dx.Transaction()
        tx.add("Delete", {"TableName": self.table, "Key": {"accountId": dx.av(account_id)},
                          "ConditionExpression": "version = :v",
                          "ExpressionAttributeValues": {":v": dx.av(expected_version)}}, ("VERSION", None))
        dx.run(tx)


__all__ = ["CommitConflict", "DynamoAccountStore"]
