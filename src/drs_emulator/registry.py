"""Operation handlers: ``@operation("Name")`` registers ``fn(ctx, params) -> dict | None``.

Handlers run under the emulator lock after validation, the request faults and the
UninitializedAccountException check; they raise :class:`~drs_emulator.errors.DrsError` for modelled
errors and return a dict that the wire layer filters by the operation's output shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import errors
from .state import Quotas, RecoveryInstance, RegionState, SourceServer

if TYPE_CHECKING:
    from .emulator import Emulator


@dataclass
class Ctx:
    emulator: Emulator
    account: str
    region: str
    state: RegionState
    now: float

    @property
    def quotas(self) -> Quotas:
        """The quotas of this account-region (fleet-file increases over the emulator's)."""
        return self.state.quotas(self.emulator.quotas)

    def server(self, server_id: str) -> SourceServer:
        server = self.state.servers.get(server_id)
        if server is None:
            raise errors.not_found("SOURCE_SERVER", server_id, f"Source server {server_id} not found")
        return server

    def recovery_instance(self, instance_id: str) -> RecoveryInstance:
        ri = self.state.recovery_instances.get(instance_id)
        if ri is None:
            raise errors.not_found(
                "RECOVERY_INSTANCE", instance_id, f"Recovery instance {instance_id} not found"
            )
        return ri

    def ensure_not_busy(self, server_id: str) -> None:
        if server_id in self.state.busy_server_ids():
            raise self.busy("SOURCE_SERVER", server_id, f"Source server {server_id} is already part of an active job")

    def busy(self, resource_type: str, resource_id: str, message: str) -> errors.DrsError:
        """The error for a resource already in an active job (``Conventions.busy_error``)."""
        if self.emulator.conventions.busy_error == "ValidationException":
            return errors.validation(message, reason="other")
        return errors.conflict(resource_type, resource_id, message)

    def quota_exceeded(self, quota: str, resource_type: str, message: str) -> errors.DrsError:
        """ServiceQuotaExceededException for the ``Quotas`` field ``quota`` (code per Conventions)."""
        return errors.quota_exceeded(resource_type, self.emulator.conventions.quota_codes[quota], message)


Handler = Callable[[Ctx, dict[str, Any]], "dict[str, Any] | None"]
HANDLERS: dict[str, Handler] = {}
# Operations of the model answered with ValidationException reason unknownOperation on purpose, with
# the reason (``python -m drs_emulator.coverage`` reports them; today none).
REFUSED: dict[str, str] = {}


def operation(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register
