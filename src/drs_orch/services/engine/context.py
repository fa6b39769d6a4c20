"""What every engine use case needs: the ports, the hub account and the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from drs_orch.domain.models import to_iso
from drs_orch.services.clock import Clock
from drs_orch.services.engine.observe import AlertPublisher, InstanceTagger
from drs_orch.services.engine.ports import (
    DrsGateway,
    Ec2Gateway,
    ExecutionStore,
    Notifier,
    Pairing,
    PlanReader,
    StateMachine,
    WavePreparer,
)


@dataclass
class EngineDeps:
    store: ExecutionStore
    plans: PlanReader
    drs: DrsGateway
    ec2: Ec2Gateway
    sfn: StateMachine
    notifier: Notifier
    hub_account_id: str
    clock: Clock
    preparer: WavePreparer | None = None
    alerts: AlertPublisher | None = None
    drill_tagger: InstanceTagger | None = None
    drill_ttl_hours: int = 24
    pairing: Pairing | None = None

    def now(self) -> str:
        return to_iso(self.clock.now())

    def seconds_since(self, iso: str | None) -> float | None:
        if not iso:
            return None
        then = datetime.fromisoformat(iso.replace("Z", "+00:00"))
        return (self.clock.now() - then).total_seconds()
