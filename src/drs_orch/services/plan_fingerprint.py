"""The fingerprint of what a plan launches (issue 21), from a plan's snapshot and its groups' launch
settings: recorded with an execution when it starts, compared by the readiness evaluation with the
last COMPLETED drill's.

An execution keeps it in a record of its own (:class:`FingerprintRecord`, compressed JSON: a
4,000-server plan's fingerprint is far above what the META item may grow by), which the store keys
after every other child, so neither a tick nor the details read it; deleting the execution deletes
it."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping
from typing import Any

from drs_orch.domain.execution_records import FingerprintRecord
from drs_orch.domain.execution_snapshot import Snapshot
from drs_orch.domain.launch_rules import plan_servers
from drs_orch.domain.models import ProtectionGroup, RecoveryPlan
from drs_orch.domain.objectives import fingerprint
from drs_orch.domain.statuses import LaunchConfigState
from drs_orch.services.launch_groups import GroupView

LaunchState = tuple[dict[str, str], dict[str, str], dict[str, list[str]]]


def launch_state(group: ProtectionGroup) -> LaunchState:
    """(intended launch-settings hash per managed server, servers whose settings still have to be
    applied with the reason, servers whose last apply failed with the errors) of one group."""
    view = GroupView.of(group)
    planned = plan_servers(view.intended(), view.status)
    failed: dict[str, list[str]] = {}
    if view.status is not None:
        for server_id, entry in view.status.server_configs.items():
            if entry.status is LaunchConfigState.FAILED:
                failed[server_id] = list(entry.errors) or ["FAILED"]
    return planned.hashes, {s: r.value for s, r in planned.targets.items()}, failed


def plan_fingerprint(plan: RecoveryPlan, snapshot: Snapshot, hashes: Mapping[str, str]) -> dict[str, Any]:
    return fingerprint(plan.wave_items(),
                       {w.number: [f"{scope}#{sid}" for scope, sid in w.servers] for w in snapshot.waves}, hashes)


def snapshot_fingerprint(plan: RecoveryPlan, snapshot: Snapshot,
                         groups: Mapping[str, ProtectionGroup]) -> dict[str, Any]:
    hashes: dict[str, str] = {}
    for group_id in snapshot.group_ids:
        if group_id in groups:
            hashes.update(launch_state(groups[group_id])[0])
    return plan_fingerprint(plan, snapshot, hashes)


def pack(fp: Mapping[str, Any]) -> str:
    """A fingerprint as compressed text (a stored item stays far below DynamoDB's 400 KB)."""
    return base64.b64encode(zlib.compress(json.dumps(fp, sort_keys=True).encode(), 9)).decode()


def unpack(packed: Any) -> dict[str, Any] | None:
    if not isinstance(packed, str) or not packed:
        return None
    try:
        out = json.loads(zlib.decompress(base64.b64decode(packed)))
    except (ValueError, zlib.error):
        return None
    return out if isinstance(out, dict) else None


def fingerprint_record(execution_id: str, fp: Mapping[str, Any]) -> FingerprintRecord:
    digest = fp.get("digest")
    return FingerprintRecord(execution_id, str(digest) if digest is not None else None, pack(fp))


def unpack_fingerprint(item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return unpack(item.get("packed")) if item else None
