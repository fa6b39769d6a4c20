"""GET /health: are the tables, the state machine and DRS there?"""

from __future__ import annotations

from typing import Any, Protocol


class HealthProbe(Protocol):
    def table_status(self, name: str) -> str: ...
    def state_machine_status(self, arn: str) -> str: ...
    def drs_reachable(self) -> tuple[bool, str]: ...


def check_health(probe: HealthProbe, tables: dict[str, str], state_machine_arn: str) -> dict[str, Any]:
    table_report = {key: {"name": name, "status": probe.table_status(name)} for key, name in tables.items()}
    sm_status = probe.state_machine_status(state_machine_arn)
    drs_ok, drs_detail = probe.drs_reachable()
    healthy = (
        all(t["status"] == "ACTIVE" for t in table_report.values()) and sm_status == "ACTIVE" and drs_ok
    )
    return {
        "status": "HEALTHY" if healthy else "UNHEALTHY",
        "tables": table_report,
        "stateMachine": {"arn": state_machine_arn, "status": sm_status},
        "drs": {"reachable": drs_ok, "detail": drs_detail},
    }
