"""The local stack's DynamoDB keeps the guarantees the engine relies on (drs_local.moto_patches):
a cancelled transaction leaves nothing behind, concurrent conditional writes have one winner, and
a cancelled transaction never undoes writes other threads committed meanwhile."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration


@pytest.fixture
def table(stack: Any) -> Any:
    client = boto3.client("dynamodb")
    name = f"engine-tx-{uuid.uuid4().hex[:8]}"
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}])
    yield name
    client.delete_table(TableName=name)


def _item(client: Any, table: str, pk: str, sk: str) -> Any:
    return client.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}}).get("Item")


def test_a_cancelled_transaction_leaves_nothing_behind(table: str) -> None:
    client = boto3.client("dynamodb")
    client.put_item(TableName=table, Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "1"}})
    client.put_item(TableName=table, Item={"pk": {"S": "taken"}, "sk": {"S": "1"}})
    with pytest.raises(ClientError) as err:
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "new"}, "sk": {"S": "1"}}}},
            {"Update": {"TableName": table, "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                        "UpdateExpression": "SET n = :two", "ExpressionAttributeValues": {":two": {"N": "2"}}}},
            {"Delete": {"TableName": table, "Key": {"pk": {"S": "taken"}, "sk": {"S": "1"}},
                        "ConditionExpression": "attribute_not_exists(pk)"}},
        ])
    assert err.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [r["Code"] for r in err.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "ConditionalCheckFailed"]
    assert _item(client, table, "new", "1") is None
    assert _item(client, table, "a", "1")["n"] == {"N": "1"}
    assert _item(client, table, "taken", "1") is not None


def test_concurrent_transactions_have_one_winner_and_keep_other_writes(table: str) -> None:
    client = boto3.client("dynamodb")
    outcomes: list[str] = []
    barrier = threading.Barrier(16)

    def claim(n: int) -> None:
        own = boto3.client("dynamodb")
        barrier.wait()
        own.put_item(TableName=table, Item={"pk": {"S": f"other-{n}"}, "sk": {"S": "1"}})
        try:
            own.transact_write_items(TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": f"meta-{n}"}, "sk": {"S": "1"}}}},
                {"Put": {"TableName": table, "Item": {"pk": {"S": "lock"}, "sk": {"S": "1"}, "by": {"N": str(n)}},
                         "ConditionExpression": "attribute_not_exists(pk)"}},
            ])
            outcomes.append("won")
        except ClientError:
            outcomes.append("lost")

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lost"] * 15 + ["won"]
    winner = _item(client, table, "lock", "1")["by"]["N"]
    metas = [n for n in range(16) if _item(client, table, f"meta-{n}", "1")]
    assert metas == [int(winner)]
    assert all(_item(client, table, f"other-{n}", "1") for n in range(16))


def test_a_query_reads_its_partition_in_key_order(table: str) -> None:
    client = boto3.client("dynamodb")
    for pk in ("p1", "p2"):
        for sk in ("c", "a", "b"):
            client.put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"S": sk}})
    out = client.query(TableName=table, KeyConditionExpression="pk = :p AND sk > :a",
                       ExpressionAttributeValues={":p": {"S": "p2"}, ":a": {"S": "a"}}, ScanIndexForward=False)
    assert [(i["pk"]["S"], i["sk"]["S"]) for i in out["Items"]] == [("p2", "c"), ("p2", "b")]
    assert client.query(TableName=table, KeyConditionExpression="pk = :p",
                        ExpressionAttributeValues={":p": {"S": "none"}})["Items"] == []
    assert len(client.scan(TableName=table)["Items"]) == 6
