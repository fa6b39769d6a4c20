"""`drs-orch deploy` and `destroy` against the local CloudFormation (the same change-set code path
that deploys the local stack itself): create, update, refuse nothing silently, keep the tables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from own_stack import aws_env, own_stack_process

pytestmark = pytest.mark.integration


def test_deploy_update_and_destroy_keep_the_data(tmp_path: Path) -> None:
    artifact = tmp_path / "lambda.zip"
    with zipfile.ZipFile(artifact, "w") as zf:
        zf.writestr("drs_orch/__init__.py", "")
    console = tmp_path / "console"
    (console / "assets").mkdir(parents=True)
    (console / "index.html").write_text("<!doctype html><title>console</title>")
    (console / "assets" / "index-abc123.js").write_text("console.log(1)")
    with own_stack_process(tmp_path / "stack", speed=600) as state:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
        env.update(aws_env(state))

        def drs_orch(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "drs_orch.entrypoints.cli", *args], env=env, text=True,
                                  capture_output=True, timeout=300)

        started = time.monotonic()
        first = drs_orch("deploy", "--stack-name", "hub-two", "--artifact", str(artifact), "--region", "us-east-1",
                         "--console-dist", str(console), "--parameters", "Environment=two", "ProjectName=second", "--yes")
        seconds = time.monotonic() - started
        assert first.returncode == 0, first.stdout + first.stderr
        assert "(create)" in first.stdout and "CREATE_COMPLETE" in first.stdout and "ApiUrl:" in first.stdout
        print(f"first deploy on the local stack: {seconds:.1f} s")
        cfn: Any = boto3.client("cloudformation", region_name="us-east-1", endpoint_url=state["motoUrl"],
                                aws_access_key_id="t", aws_secret_access_key="t")
        stack = cfn.describe_stacks(StackName="hub-two")["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
        # the console: uploaded into the stack's private bucket, its URL printed
        assert f"console: {outputs['ConsoleUrl']}" in first.stdout and outputs["ConsoleUrl"].startswith("https://")
        s3: Any = boto3.client("s3", region_name="us-east-1", endpoint_url=state["motoUrl"],
                               aws_access_key_id="t", aws_secret_access_key="t")
        bucket = outputs["ConsoleBucketName"]
        index = s3.get_object(Bucket=bucket, Key="index.html")
        assert index["ContentType"] == "text/html" and index["CacheControl"] == "no-cache"
        asset = s3.get_object(Bucket=bucket, Key="assets/index-abc123.js")
        assert asset["ContentType"] == "text/javascript" and "immutable" in asset["CacheControl"]
        config = json.loads(s3.get_object(Bucket=bucket, Key="console-config.json")["Body"].read())
        assert config == {"apiUrl": outputs["ApiUrl"].rstrip("/"), "region": "us-east-1",
                          "userPoolId": outputs.get("UserPoolId", ""), "clientId": outputs.get("UserPoolClientId", ""),
                          "cognitoEndpoint": "https://cognito-idp.us-east-1.amazonaws.com/"}
        second = drs_orch("deploy", "--stack-name", "hub-two", "--artifact", str(artifact), "--region", "us-east-1",
                          "--console-dist", str(console), "--parameters", "Environment=two", "ProjectName=second", "LogLevel=DEBUG", "--yes")
        assert second.returncode == 0 and "(update)" in second.stdout, second.stdout + second.stderr
        tables = [r["PhysicalResourceId"] for r in
                  cfn.list_stack_resources(StackName="hub-two")["StackResourceSummaries"]
                  if r["ResourceType"] == "AWS::DynamoDB::Table"]
        gone = drs_orch("destroy", "--stack-name", "hub-two", "--region", "us-east-1", "--yes")
        assert gone.returncode == 0 and "kept tables" in gone.stdout, gone.stdout + gone.stderr
        assert "emptied the console bucket" in gone.stdout
        assert bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
        ddb = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=state["motoUrl"],
                           aws_access_key_id="t", aws_secret_access_key="t")
        assert set(tables) <= set(ddb.list_tables()["TableNames"])
