"""DRS calls of failover and failback (issue 14), per scope (``"<accountId>#<region>"``):
GetLaunchConfiguration (the launch-into target DRS holds), ReverseReplication, DescribeSourceServers
of the reversed servers, DescribeRecoveryInstances. Reads through the shared clients (botocore
retries) and paginators; ReverseReplication is idempotent in DRS (a second call for a reversed
instance is refused, not duplicated), so botocore's retries are safe for it."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from drs_orch.adapters.clients import ClientFactory
from drs_orch.adapters.drs_jobs import DrsJobs, ScopeContexts
from drs_orch.adapters.drs_launch import aws_error

Item = dict[str, Any]


class ReverseRefused(Exception):
    """DRS refused ReverseReplication for one recovery instance (``code``, ``message``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def clear_launch_into(drs: Any, server_id: str) -> None:
    """DRS stops launching ``server_id`` into an existing instance (an empty launchIntoInstanceProperties)."""
    try:
        drs.update_launch_configuration(sourceServerID=server_id, launchIntoInstanceProperties={})
    except (ClientError, BotoCoreError) as exc:
        raise aws_error(exc, f"DRS UpdateLaunchConfiguration of {server_id}") from exc


class DrsFailover:
    def __init__(self, clients: ClientFactory, contexts: ScopeContexts) -> None:
        self._clients = clients
        self._contexts = contexts
        self._reads = DrsJobs(clients, contexts)  # the engine's chunked, paginated DRS reads

    def _drs(self, scope: str) -> Any:
        return self._clients.get("drs", self._contexts.get(scope))

    def launch_into_target(self, scope: str, server_id: str) -> str | None:
        try:
            out = self._drs(scope).get_launch_configuration(sourceServerID=server_id)
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(exc, f"DRS GetLaunchConfiguration of {server_id} in {scope}") from exc
        target = (out.get("launchIntoInstanceProperties") or {}).get("launchIntoEC2InstanceID")
        return str(target) if target else None

    def set_launch_into(self, scope: str, server_id: str, instance_id: str) -> None:
        """Launch ``server_id`` into ``instance_id`` (copying IP and tags off, as DRS requires then)."""
        try:
            self._drs(scope).update_launch_configuration(
                sourceServerID=server_id, launchIntoInstanceProperties={"launchIntoEC2InstanceID": instance_id},
                copyPrivateIp=False, copyTags=False)
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(exc, f"DRS UpdateLaunchConfiguration of {server_id} in {scope}") from exc

    def reverse_replication(self, scope: str, recovery_instance_id: str) -> str:
        try:
            out = self._drs(scope).reverse_replication(recoveryInstanceID=recovery_instance_id)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise ReverseRefused(str(error.get("Code") or "Unknown"), str(error.get("Message") or "")) from exc
        except BotoCoreError as exc:
            raise aws_error(exc, f"DRS ReverseReplication of {recovery_instance_id} in {scope}") from exc
        return str(out.get("reversedDirectionSourceServerArn") or "")

    def source_servers(self, scope: str, server_ids: list[str]) -> dict[str, Item]:
        return self._reads.source_servers(scope, server_ids)

    def recovery_instances(self, scope: str, instance_ids: list[str]) -> dict[str, Item]:
        found = self._reads.recovery_instances(scope, instance_ids=instance_ids)
        return {str(r["recoveryInstanceID"]): r for r in found}
