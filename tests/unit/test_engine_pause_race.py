"""A resume that read the execution just before the pause task stored its token must not resume
without the token (the run would wait for it forever)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from drs_orch.domain.execution_records import ExecutionMeta
from drs_orch.services.engine.context import EngineDeps
from drs_orch.services.engine.lifecycle import resume_execution
from drs_orch.services.engine.ports import Changes
from drs_orch.services.engine.reconcile import Engine

EXEC = "exec-1"


class MetaStore:
    """The execution's META record with DynamoDB's conditional-update semantics; ``stale`` makes
    the next get_meta return an earlier snapshot, as a concurrent reader would have seen it."""

    def __init__(self, meta: dict[str, Any]) -> None:
        self.meta = meta
        self.stale: dict[str, Any] | None = None

    def get_meta(self, execution_id: str) -> ExecutionMeta:
        if self.stale is not None:
            snapshot, self.stale = self.stale, None
            return ExecutionMeta.from_attributes(snapshot)
        return ExecutionMeta.from_attributes(copy.deepcopy(self.meta))

    def update_meta(self, execution_id: str, changes: Changes, *, expect: Any = None) -> Any:
        if any(self.meta.get(k) != v for k, v in (expect or {}).items()):
            return None
        self.meta.update({k: v for k, v in changes.set.items() if isinstance(k, str)})
        for attr, n in changes.increment.items():
            self.meta[attr] = self.meta.get(attr, 0) + n
        for attr, values in changes.append.items():
            self.meta[attr] = list(self.meta.get(attr) or []) + list(values)
        for attr in changes.remove:
            self.meta.pop(attr, None)
        return ExecutionMeta.from_attributes(copy.deepcopy(self.meta))


class Sfn:
    def __init__(self) -> None:
        self.successes: list[str] = []

    def send_success(self, token: str, output: Any) -> bool:
        self.successes.append(token)
        return True


class Clock:
    def now(self) -> datetime:
        return datetime(2026, 1, 1, 12, tzinfo=UTC)


def test_resume_reading_before_the_token_was_stored_still_wakes_the_run() -> None:
    store = MetaStore({"executionId": EXEC, "status": "PAUSED", "version": 7, "pausedBeforeWaves": [3],
                       "approvedWaves": [], "statusHistory": [], "startTime": "2026-01-01T11:00:00.000Z"})
    sfn = Sfn()
    deps = EngineDeps(store=store, plans=None, drs=None, ec2=None, sfn=sfn, notifier=None,  # type: ignore[arg-type]
                      hub_account_id="123456789012", clock=Clock())
    before_token = copy.deepcopy(store.meta)
    Engine(deps).store_task_token(EXEC, "token-1")  # the pause task stores its token
    store.stale = before_token  # ...but the resume had read the execution just before
    resume_execution(deps, EXEC)
    assert store.meta["status"] == "RUNNING"
    assert sfn.successes == ["token-1"], "the waiting run was never given its task token back"
