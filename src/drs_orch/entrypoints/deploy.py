"""``drs-orch deploy`` / ``destroy``: the hub stack, through a CloudFormation change set.

1. The artifact bucket exists (created if needed: versioned, encrypted, public access blocked).
2. The Lambda artifact (``drs-orch package``) is uploaded under its sha256, so an update of the code
   is a change of ``CodeKey`` and nothing else; the template (with the state machine's ASL inlined,
   exactly what CloudFormation would substitute) is uploaded beside it and used by URL.
3. A change set is created and shown. One that would replace a DynamoDB table is refused unless
   ``allow_replacement`` (tables also keep ``DeletionPolicy``/``UpdateReplacePolicy: Retain``).
   Unless ``yes``, the operator confirms.
4. The change set runs; the stack's events are printed as they come until it settles.
5. On the first deploy with an admin e-mail, the admin user is created in the user pool (Cognito
   mails the temporary password) and put in the admin group.
6. The built web console is uploaded to the stack's console bucket with its ``console-config.json``,
   the distribution's entry points are invalidated, and the console URL is printed.

Clients come from boto3 as configured (profile, region, and ``AWS_ENDPOINT_URL`` for the local
stack); nothing here knows which it is.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drs_orch.entrypoints.console_upload import (
    CONSOLE_DIST,
    ConsoleNotBuilt,
    console_config,
    empty_bucket,
    invalidate,
    upload_console,
)
from drs_orch.entrypoints.template_io import ASL, TEMPLATE, load_template, package

Say = Callable[[str], None]
Ask = Callable[[str], bool]
TERMINAL = ("_COMPLETE", "_FAILED")
ADMIN_GROUP = "DRSOrchestrationAdmin"


class DeployError(Exception):
    pass


@dataclass
class DeployRequest:
    stack_name: str
    artifact: Path
    parameters: dict[str, str] = field(default_factory=dict)
    bucket: str | None = None
    admin_email: str | None = None
    allow_replacement: bool = False
    yes: bool = False
    template: Path = TEMPLATE
    asl: Path = ASL
    poll_seconds: float = 5.0
    console_dist: Path | None = CONSOLE_DIST


def artifact_bucket_name(account_id: str, region: str) -> str:
    return f"drs-orch-artifacts-{account_id}-{region}"


def ensure_bucket(s3: Any, name: str, region: str, say: Say) -> None:
    """The artifact bucket, created once: versioned, encrypted, no public access."""
    try:
        s3.head_bucket(Bucket=name)
        return
    except Exception:  # noqa: BLE001 - 404 or 403: try to create it; a 403 then says so clearly
        pass
    kwargs: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    say(f"created artifact bucket {name} (versioned, encrypted, public access blocked)")


def _stack(cfn: Any, name: str) -> dict[str, Any] | None:
    try:
        stacks = cfn.describe_stacks(StackName=name)["Stacks"]
    except Exception as exc:  # noqa: BLE001 - "does not exist" is a ValidationError
        if "does not exist" in str(exc):
            return None
        raise
    return dict(stacks[0]) if stacks else None


def replacements(changes: list[Mapping[str, Any]]) -> list[str]:
    """Tables the change set would replace or remove (data loss)."""
    out = []
    for change in changes:
        rc = change.get("ResourceChange") or {}
        if rc.get("ResourceType") == "AWS::DynamoDB::Table" and (
                rc.get("Replacement") in ("True", "Conditional") or rc.get("Action") == "Remove"):
            out.append(str(rc.get("LogicalResourceId")))
    return out


def deploy(clients: Callable[[str], Any], request: DeployRequest, *, say: Say = print,
           ask: Ask | None = None) -> dict[str, str]:
    cfn, s3 = clients("cloudformation"), clients("s3")
    region = cfn.meta.region_name
    account = clients("sts").get_caller_identity()["Account"]
    bucket = request.bucket or artifact_bucket_name(account, region)
    ensure_bucket(s3, bucket, region, say)

    code = request.artifact.read_bytes()
    digest = hashlib.sha256(code).hexdigest()
    code_key = f"drs-orch/lambda-{digest[:16]}.zip"
    s3.put_object(Bucket=bucket, Key=code_key, Body=code)
    say(f"uploaded {request.artifact.name} ({len(code) / 1e6:.1f} MB, sha256 {digest[:16]}) to s3://{bucket}/{code_key}")
    body = json.dumps(package(load_template(request.template), request.asl.read_text()), sort_keys=True)
    template_key = f"drs-orch/template-{hashlib.sha256(body.encode()).hexdigest()[:16]}.json"
    s3.put_object(Bucket=bucket, Key=template_key, Body=body.encode())
    template_url = f"https://{bucket}.s3.{region}.amazonaws.com/{template_key}"

    if request.console_dist is not None and not (request.console_dist / "index.html").is_file():
        raise DeployError(f"the console is not built ({request.console_dist}/index.html is missing): run `make console`, "
                          "or pass --no-console")
    existing = _stack(cfn, request.stack_name)
    first = existing is None or existing.get("StackStatus") == "REVIEW_IN_PROGRESS"
    parameters = {"ArtifactBucket": bucket, "CodeKey": code_key, **request.parameters}
    change_set = f"drs-orch-{int(time.time())}"
    cfn.create_change_set(
        StackName=request.stack_name, ChangeSetName=change_set, ChangeSetType="CREATE" if first else "UPDATE",
        TemplateURL=template_url, Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(parameters.items())])
    described = _wait_change_set(cfn, request.stack_name, change_set, request.poll_seconds)
    changes = list(described.get("Changes") or [])
    if described.get("Status") == "FAILED" and not changes:
        cfn.delete_change_set(StackName=request.stack_name, ChangeSetName=change_set)
        say(f"no changes: {described.get('StatusReason')}")
        outputs = _outputs(cfn, request.stack_name)
        _publish_console(clients, request, outputs, region, say)
        return outputs
    say(f"change set {change_set} ({'create' if first else 'update'}), {len(changes)} change(s):")
    for change in changes:
        rc = change.get("ResourceChange") or {}
        say(f"  {rc.get('Action', '?'):<7} {rc.get('LogicalResourceId')} ({rc.get('ResourceType')})"
            + (f" replacement={rc['Replacement']}" if rc.get("Replacement") not in (None, "False") else ""))
    lost = replacements(changes)
    if lost and not request.allow_replacement:
        cfn.delete_change_set(StackName=request.stack_name, ChangeSetName=change_set)
        raise DeployError(f"the change set would replace or remove table(s) {', '.join(lost)} (their data would be "
                          "left behind); refused: pass --allow-replacement if that is what you want")
    if not request.yes and not (ask or _ask)(f"execute change set {change_set} on {request.stack_name}?"):
        cfn.delete_change_set(StackName=request.stack_name, ChangeSetName=change_set)
        raise DeployError("not confirmed; the change set was deleted")
    since = time.time() - 5
    cfn.execute_change_set(StackName=request.stack_name, ChangeSetName=change_set)
    status = follow_events(cfn, request.stack_name, since, say, request.poll_seconds)
    if not status.endswith("_COMPLETE") or "ROLLBACK" in status:
        raise DeployError(f"stack {request.stack_name} ended {status}")
    outputs = _outputs(cfn, request.stack_name)
    if first and request.admin_email and outputs.get("UserPoolId"):
        create_admin(clients("cognito-idp"), outputs["UserPoolId"], request.admin_email, say)
    _publish_console(clients, request, outputs, region, say)
    for key in ("ApiUrl", "ConsoleUrl", "UserPoolId", "UserPoolClientId"):
        if key in outputs:
            say(f"{key}: {outputs[key]}")
    return outputs


def _publish_console(clients: Callable[[str], Any], request: DeployRequest, outputs: Mapping[str, str],
                     region: str, say: Say) -> None:
    """The built console into the stack's console bucket; the URL to open it at."""
    if request.console_dist is None or not outputs.get("ConsoleBucketName"):
        return
    try:
        upload_console(clients("s3"), outputs["ConsoleBucketName"], request.console_dist,
                       console_config(outputs, region), say)
    except ConsoleNotBuilt as exc:
        raise DeployError(str(exc)) from exc
    if outputs.get("ConsoleDistributionId"):
        invalidate(clients("cloudfront"), outputs["ConsoleDistributionId"], say)
    say(f"console: {outputs.get('ConsoleUrl', '')}")


def _ask(question: str) -> bool:
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def _wait_change_set(cfn: Any, stack: str, name: str, poll: float) -> dict[str, Any]:
    deadline = time.monotonic() + 900
    while True:
        described = dict(cfn.describe_change_set(StackName=stack, ChangeSetName=name))
        if described.get("Status") in ("CREATE_COMPLETE", "FAILED") or time.monotonic() > deadline:
            return described
        time.sleep(poll)


def follow_events(cfn: Any, stack: str, since: float, say: Say, poll: float) -> str:
    """Print the stack's events after ``since`` until its status settles; return that status."""
    seen: set[str] = set()
    while True:
        try:
            events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
        except Exception as exc:  # noqa: BLE001 - a deleted stack, asked by name
            if "does not exist" in str(exc):
                return "DELETE_COMPLETE"
            raise
        for event in reversed(events):
            stamp = event.get("Timestamp")
            when = stamp.timestamp() if hasattr(stamp, "timestamp") else since
            if event["EventId"] in seen or when < since:
                continue
            seen.add(event["EventId"])
            say(f"  {event.get('ResourceStatus', ''):<22} {event.get('LogicalResourceId')}"
                + (f": {event['ResourceStatusReason']}" if event.get("ResourceStatusReason") else ""))
        status = str((_stack(cfn, stack) or {}).get("StackStatus", "DELETE_COMPLETE"))
        if status.endswith(TERMINAL) and not status.endswith("_IN_PROGRESS"):
            return status
        time.sleep(poll)


def _outputs(cfn: Any, stack: str) -> dict[str, str]:
    found = _stack(cfn, stack) or {}
    return {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs") or []}


def create_admin(idp: Any, pool_id: str, email: str, say: Say) -> None:
    """The first administrator: Cognito e-mails a temporary password."""
    try:
        idp.admin_create_user(UserPoolId=pool_id, Username=email, DesiredDeliveryMediums=["EMAIL"],
                              UserAttributes=[{"Name": "email", "Value": email},
                                              {"Name": "email_verified", "Value": "true"}])
    except Exception as exc:  # noqa: BLE001
        if "UsernameExistsException" not in str(exc):
            raise
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=ADMIN_GROUP)
    say(f"admin user {email} created (temporary password sent by e-mail), group {ADMIN_GROUP}")


def destroy(clients: Callable[[str], Any], stack_name: str, *, delete_data: bool = False, yes: bool = False,
            say: Say = print, ask: Ask | None = None, poll_seconds: float = 5.0) -> None:
    """Delete the stack; its tables are retained unless ``delete_data`` (then deleted after it)."""
    cfn = clients("cloudformation")
    found = _stack(cfn, stack_name)
    if found is None:
        raise DeployError(f"stack {stack_name} does not exist")
    tables = [r["PhysicalResourceId"] for r in cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
              if r["ResourceType"] == "AWS::DynamoDB::Table"]
    what = "and DELETE its tables' data" if delete_data else f"(its {len(tables)} tables are kept)"
    if not yes and not (ask or _ask)(f"delete stack {stack_name} {what}?"):
        raise DeployError("not confirmed")
    console_bucket = _outputs(cfn, stack_name).get("ConsoleBucketName")
    if console_bucket:  # CloudFormation deletes only an empty bucket
        empty_bucket(clients("s3"), console_bucket, say)
    since = time.time() - 5
    cfn.delete_stack(StackName=stack_name)
    status = follow_events(cfn, str(found.get("StackId") or stack_name), since, say, poll_seconds)
    if status != "DELETE_COMPLETE":
        raise DeployError(f"stack {stack_name} ended {status}")
    if delete_data:
        ddb = clients("dynamodb")
        for table in tables:
            ddb.delete_table(TableName=table)
            say(f"deleted table {table}")
    else:
        say(f"kept tables: {', '.join(tables)}")
