"""Expiry tags on a drill's recovery instances, written when they launch (see
:mod:`drs_orch.domain.drill_hygiene`). Tagging never fails the tick: an instance left untagged is
logged and counted, and the sweeper never terminates untagged instances."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from drs_orch.domain.drill_hygiene import expiry_tags
from drs_orch.services import telemetry
from drs_orch.services.engine.context import EngineDeps

log = logging.getLogger(__name__)


def tag_drill_instances(deps: EngineDeps, meta: Mapping[str, Any], scope: str,
                        details: Mapping[str, Mapping[str, Any]]) -> None:
    if deps.drill_tagger is None:
        return
    ids = sorted({str(d["ec2InstanceId"]) for d in details.values() if d.get("ec2InstanceId")})
    if not ids:
        return
    try:
        deps.drill_tagger.tag(scope, ids, expiry_tags(meta, deps.clock.now(), deps.drill_ttl_hours))
    except Exception as exc:  # noqa: BLE001 - an untagged drill instance is never swept; it is not fatal
        log.warning("drill instances %s of %s not tagged: %s", ids, meta.get("executionId"), exc)
        telemetry.count(telemetry.DRILL_TAG_FAILED)
