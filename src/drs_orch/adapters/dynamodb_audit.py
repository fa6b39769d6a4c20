"""The audit table: append-only (a put that may only create), and pages served by its indexes,
newest first. The API functions' IAM roles grant PutItem and Query on it, never UpdateItem or
DeleteItem; entries go away only through the table's TTL (``expiresAt``)."""

from __future__ import annotations

from typing import Any

from drs_orch.adapters.dynamodb import serialize
from drs_orch.adapters.dynamodb_tx import client, page
from drs_orch.domain.audit import AuditQuery
from drs_orch.domain.paging import Page


class DynamoAuditStore:
    def __init__(self, table_name: str) -> None:
        self._table = table_name

    def append(self, item: dict[str, Any]) -> None:
        client().put_item(TableName=self._table, Item=serialize(item),
                          ConditionExpression="attribute_not_exists(auditId)")

    def page(self, query: AuditQuery) -> Page:
        index, key_attr, key_value = query.index
        names = {"#k": key_attr}
        values: dict[str, Any] = {":k": key_value}
        condition = "#k = :k"
        if query.start or query.end:
            names["#t"] = "timestamp"
            if query.start and query.end:
                condition += " AND #t BETWEEN :from AND :to"
                values.update({":from": query.start, ":to": query.end})
            elif query.start:
                condition += " AND #t >= :from"
                values[":from"] = query.start
            else:
                condition += " AND #t <= :to"
                values[":to"] = query.end
        filters = []
        for n, (attr, value) in enumerate(sorted(query.filters.items())):
            names[f"#f{n}"] = attr
            values[f":f{n}"] = value
            filters.append(f"#f{n} = :f{n}")
        return page(self._table, index=index, key_condition=condition, values=values, names=names,
                    filter_expression=" AND ".join(filters) or None, limit=query.limit,
                    token=query.next_token, forward=False)
