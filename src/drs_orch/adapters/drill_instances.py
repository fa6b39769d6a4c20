"""Drill recovery instances per scope (``"<accountId>#<region>"``): expiry tags written at launch,
the tagged instances EC2 lists, what DRS says about them (is it a drill recovery instance?), their
termination through DRS (TerminateRecoveryInstances: DRS cleans up after itself) and the check
with EC2 that they are gone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from drs_orch.adapters.clients import ClientFactory
from drs_orch.adapters.drs_jobs import DrsJobs, Ec2Instances, ScopeContexts
from drs_orch.adapters.drs_launch import aws_error
from drs_orch.adapters.paging import items, pages
from drs_orch.domain.drill_hygiene import DRILL, TAG_TYPE, TaggedInstance

LIVE_STATES = ["pending", "running", "stopping", "stopped"]


class AwsDrillInstances:
    def __init__(self, clients: ClientFactory, contexts: ScopeContexts, drs: DrsJobs, ec2: Ec2Instances) -> None:
        self._clients = clients
        self._contexts = contexts
        self._drs = drs
        self._ec2 = ec2

    def _client(self, service: str, scope: str) -> Any:
        return self._clients.get(service, self._contexts.get(scope))

    def tag(self, scope: str, instance_ids: list[str], tags: Mapping[str, str]) -> None:
        try:
            self._client("ec2", scope).create_tags(Resources=list(instance_ids),
                                                  Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(exc, f"EC2 CreateTags in {scope}") from exc

    def tagged_drill_instances(self, scope: str) -> list[TaggedInstance]:
        found: list[TaggedInstance] = []
        try:
            for page in pages(self._client("ec2", scope), "describe_instances", token_key="NextToken",
                              Filters=[{"Name": f"tag:{TAG_TYPE}", "Values": [DRILL]},
                                       {"Name": "instance-state-name", "Values": LIVE_STATES}]):
                for reservation in page.get("Reservations", []):
                    for instance in reservation.get("Instances", []):
                        tags = {str(t["Key"]): str(t.get("Value", "")) for t in instance.get("Tags") or []}
                        found.append(TaggedInstance(str(instance["InstanceId"]), tags,
                                                    str((instance.get("State") or {}).get("Name", ""))))
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(exc, f"EC2 DescribeInstances in {scope}") from exc
        return found

    def recovery_instances(self, scope: str) -> dict[str, dict[str, Any]]:
        """EC2 instance id -> {recoveryInstanceId, isDrill} for every recovery instance DRS knows."""
        try:
            listed = items(self._client("drs", scope), "describe_recovery_instances", "items", token_key="nextToken")
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(exc, f"DRS DescribeRecoveryInstances in {scope}") from exc
        return {str(r.get("ec2InstanceID")): {"recoveryInstanceId": str(r["recoveryInstanceID"]),
                                              "isDrill": bool(r.get("isDrill"))}
                for r in listed if r.get("ec2InstanceID")}

    def terminate(self, scope: str, recovery_instance_ids: list[str]) -> str | None:
        """Start a DRS TERMINATE job; its id (None if DRS answered without one)."""
        job = self._drs.terminate_recovery_instances(scope, recovery_instance_ids)
        return str(job["jobID"]) if job.get("jobID") else None

    def job_status(self, scope: str, job_id: str) -> str:
        job = self._drs.describe_jobs(scope, [job_id]).get(job_id) or {}
        return str(job.get("status") or "UNKNOWN")

    def ec2_states(self, scope: str, instance_ids: list[str]) -> dict[str, str]:
        found = self._ec2.instances(scope, instance_ids)
        return {i: str((found.get(i) or {}).get("State", {}).get("Name") or "gone") for i in instance_ids}
