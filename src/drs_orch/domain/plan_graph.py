"""Recovery-plan waves and their dependency graph.

A plan is a set of waves; each wave recovers the servers of one or more protection groups and may
depend on other waves (``dependsOnWaves``, by wave number). A wave starts when every wave it depends
on has completed.

Ambiguous input never changes the order of a recovery: an absent, null or empty ``dependsOnWaves``
means "after the previous wave" (by wave number; the first wave depends on nothing), so a plan
without dependencies runs its waves one after the other. A wave that must not wait for any other
wave says so explicitly with ``"independent": true`` (and then names no dependencies).

Plans stored before ``independent`` existed gave that meaning to an explicit empty list; they are
migrated on read by :func:`migrate_stored_waves` so that they keep it.

Edges are written in run order in messages: ``1 -> 2`` means wave 2 depends on wave 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.field_errors import error_details
from drs_orch.domain.input_rules import (
    MAX_GROUPS_PER_WAVE,
    MAX_IDS_PER_REQUEST,
    MAX_OBJECTIVE_MINUTES,
    MAX_WAVES_PER_PLAN,
    GroupId,
    MultilineText,
    PlainText,
    max_items,
)


class OnServerFailure(StrEnum):
    """What a wave with failed servers means for the waves after it: STOP skips every wave that
    depends on it; CONTINUE lets them run (the wave then counts as completed for dependencies)."""

    STOP = "STOP"
    CONTINUE = "CONTINUE"


@dataclass(frozen=True)
class Problem:
    """One finding about a plan. ``wave`` names the wave it is about, when there is one."""

    code: str
    message: str
    wave: int | None = None

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.wave is not None:
            body["wave"] = self.wave
        return body


class GroupRef(Protocol):
    """What the plan checks need to know about a protection group."""

    @property
    def region(self) -> str: ...

    @property
    def account_id(self) -> str | None: ...


def _clean_ids(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        stripped = value.strip()
        if not stripped:
            raise ValueError("protection group ids must not be empty")
        seen.setdefault(stripped, None)
    return list(seen)


class WaveInput(BaseModel):
    """A wave as a client sends it. Accepts the legacy single ``protectionGroupId`` and ``name``."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", str_strip_whitespace=True
    )

    wave_number: int = Field(ge=0)
    wave_name: Annotated[str, PlainText] = Field(min_length=1, max_length=64)
    wave_description: Annotated[str | None, MultilineText] = Field(default=None, max_length=1000)
    protection_group_ids: Annotated[list[GroupId], max_items(MAX_GROUPS_PER_WAVE)] = Field(default_factory=list)
    depends_on_waves: Annotated[list[int] | None, max_items(MAX_WAVES_PER_PLAN)] = None
    independent: bool = False
    pause_before_wave: bool = False
    on_server_failure: OnServerFailure = OnServerFailure.STOP
    rto_minutes: int | None = Field(default=None, ge=1, le=MAX_OBJECTIVE_MINUTES)  # overrides the plan's
    rpo_minutes: int | None = Field(default=None, ge=1, le=MAX_OBJECTIVE_MINUTES)
    # time limits (domain/time_limits.py); None: the plan's, else derived from launch times
    job_timeout_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)
    wave_timeout_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)
    # input only: the servers the client expects the wave to launch (the earlier console sends the
    # groups' servers here); checked against the groups, never stored or used to pick servers
    server_ids: Annotated[list[str] | None, max_items(MAX_IDS_PER_REQUEST)] = None

    @model_validator(mode="after")
    def _independent_names_no_dependencies(self) -> WaveInput:
        if self.independent and self.depends_on_waves:
            raise ValueError(
                "an independent wave waits for no other wave: give independent: true or dependsOnWaves, not both"
            )
        return self

    @model_validator(mode="before")
    @classmethod
    def _accept_legacy_fields(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        fields = dict(data)
        legacy = fields.pop("protectionGroupId", fields.pop("protection_group_id", None))
        if legacy is not None:
            current = fields.get("protectionGroupIds", fields.pop("protection_group_ids", None)) or []
            fields["protectionGroupIds"] = [legacy, *current] if isinstance(current, list) else current
        if "name" in fields and "waveName" not in fields and "wave_name" not in fields:
            fields["waveName"] = fields.pop("name")
        return fields

    @field_validator("protection_group_ids")
    @classmethod
    def _dedupe_groups(cls, value: list[str]) -> list[str]:
        return _clean_ids(value)

    @field_validator("depends_on_waves")
    @classmethod
    def _sort_dependencies(cls, value: list[int] | None) -> list[int] | None:
        return None if value is None else sorted(set(value))


class Wave(BaseModel):
    """A normalized wave: group ids de-duplicated, dependencies explicit and sorted."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    wave_number: int
    wave_name: str
    wave_description: str | None = None
    protection_group_ids: list[str]
    depends_on_waves: list[int]
    independent: bool = False
    pause_before_wave: bool = False
    on_server_failure: OnServerFailure = OnServerFailure.STOP
    rto_minutes: int | None = None
    rpo_minutes: int | None = None
    job_timeout_minutes: int | None = None
    wave_timeout_minutes: int | None = None


WAVE_ORDER_SCHEMA = 2
"""``schemaVersion`` of plans whose waves follow the rule above; older plans are migrated on read."""


def migrate_stored_waves(waves: Sequence[Mapping[str, Any]], schema_version: int | None) -> list[dict[str, Any]]:
    """The waves of a stored plan in today's explicit form.

    Before :data:`WAVE_ORDER_SCHEMA`, a stored wave with ``dependsOnWaves: []`` that was not the
    first wave started with the first wave; it is now written ``independent: true`` so that the
    plan keeps the order it was saved with. Waves of current plans are returned unchanged."""
    out = [dict(w) for w in waves]
    if (schema_version or 1) >= WAVE_ORDER_SCHEMA or not out:
        return out
    numbers = [int(w["waveNumber"]) for w in out if isinstance(w.get("waveNumber"), int)]
    first = min(numbers) if numbers else None
    for wave in out:
        deps = wave.get("dependsOnWaves")
        if isinstance(deps, list) and not deps and wave.get("waveNumber") != first:
            wave["independent"] = True
    return out


def normalize_waves(raw: Sequence[Mapping[str, Any] | WaveInput | Wave]) -> list[Wave]:
    """Parse waves, fill in default dependencies and sort them by wave number.

    Malformed waves raise :class:`ValidationFailed` listing every field problem
    (``waves[<index>].<field>``). Graph problems are left to :func:`validate_plan_graph`.
    """
    parsed: list[WaveInput] = []
    details: list[dict[str, str]] = []
    for index, item in enumerate(raw):
        try:
            if isinstance(item, WaveInput):
                parsed.append(item)
            elif isinstance(item, Wave):
                parsed.append(WaveInput.model_validate(item.model_dump()))
            else:
                parsed.append(WaveInput.model_validate(item))
        except ValidationError as exc:
            details.extend(error_details(exc, prefix=f"waves[{index}]"))
    if details:
        raise ValidationFailed("invalid waves", details=details)

    numbers = sorted({wave.wave_number for wave in parsed})
    previous = {number: (numbers[i - 1] if i else None) for i, number in enumerate(numbers)}
    waves: list[Wave] = []
    for wave in sorted(parsed, key=lambda w: w.wave_number):
        if wave.independent:
            depends = []
        elif wave.depends_on_waves:
            depends = list(wave.depends_on_waves)
        else:  # absent, null or empty: after the previous wave
            before = previous[wave.wave_number]
            depends = [] if before is None else [before]
        waves.append(
            Wave(
                wave_number=wave.wave_number,
                wave_name=wave.wave_name,
                wave_description=wave.wave_description,
                protection_group_ids=list(wave.protection_group_ids),
                depends_on_waves=depends,
                independent=wave.independent,
                pause_before_wave=wave.pause_before_wave,
                on_server_failure=wave.on_server_failure,
                rto_minutes=wave.rto_minutes,
                rpo_minutes=wave.rpo_minutes,
                job_timeout_minutes=wave.job_timeout_minutes,
                wave_timeout_minutes=wave.wave_timeout_minutes,
            )
        )
    return waves


def _edges(waves: Iterable[Wave]) -> dict[int, set[int]]:
    """wave number -> the known wave numbers it depends on (self-loops dropped)."""
    deps: dict[int, set[int]] = {}
    for wave in waves:
        deps.setdefault(wave.wave_number, set())
    for wave in waves:
        known = {d for d in wave.depends_on_waves if d in deps and d != wave.wave_number}
        deps[wave.wave_number] |= known
    return deps


def _strongly_connected(deps: Mapping[int, set[int]]) -> list[list[int]]:
    """Tarjan's algorithm, iterative; components in discovery order, members sorted."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    stack: list[int] = []
    on_stack: set[int] = set()
    components: list[list[int]] = []
    counter = 0
    for root in sorted(deps):
        if root in index:
            continue
        work: list[tuple[int, Iterable[int]]] = [(root, iter(sorted(deps[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(deps[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[int] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def _cycle_path(deps: Mapping[int, set[int]], component: Sequence[int]) -> list[int]:
    """A cycle through the smallest member of a strongly connected component, in run order."""
    members = set(component)
    start = component[0]
    # Walk dependencies (reverse run order) breadth-first back to start, then reverse the path.
    parents: dict[int, int] = {}
    frontier = [start]
    while frontier:
        following: list[int] = []
        for node in frontier:
            for dep in sorted(deps[node] & members):
                if dep == start:
                    path = [start]
                    walk = node
                    while walk != start:
                        path.append(walk)
                        walk = parents[walk]
                    path.append(start)
                    return path
                if dep not in parents:
                    parents[dep] = node
                    following.append(dep)
        frontier = following
    raise AssertionError("component has no cycle")


def _cycles(waves: Sequence[Wave]) -> list[tuple[list[int], list[int]]]:
    deps = _edges(waves)
    return [(_cycle_path(deps, c), c) for c in _strongly_connected(deps) if len(c) > 1]


def find_cycles(waves: Sequence[Wave]) -> list[list[int]]:
    """One dependency cycle (of two or more waves) per group of waves caught in cycles, as a
    closed path in run order starting at the group's smallest wave number."""
    return [path for path, _ in _cycles(waves)]


def _format_servers(servers: Sequence[str]) -> str:
    shown = ", ".join(servers[:10])
    return shown if len(servers) <= 10 else f"{shown} and {len(servers) - 10} more"


def graph_problems(waves: Sequence[Wave]) -> list[Problem]:
    """Problems of the dependency graph alone: duplicate wave numbers, self-dependencies,
    dependencies on missing waves and cycles."""
    problems: list[Problem] = []
    numbers: dict[int, int] = {}
    for wave in waves:
        numbers[wave.wave_number] = numbers.get(wave.wave_number, 0) + 1
    for number, count in sorted(numbers.items()):
        if count > 1:
            problems.append(
                Problem("DUPLICATE_WAVE_NUMBER", f"wave number {number} is used {count} times", number)
            )
    for wave in waves:
        n = wave.wave_number
        for dep in wave.depends_on_waves:
            if dep == n:
                problems.append(Problem("SELF_DEPENDENCY", f"wave {n} depends on itself", n))
            elif dep not in numbers:
                problems.append(
                    Problem("MISSING_DEPENDENCY", f"wave {n} depends on wave {dep}, which does not exist", n)
                )
    for cycle, members in _cycles(waves):
        path = " -> ".join(str(number) for number in cycle)
        message = f"waves depend on each other in a cycle: {path}"
        if len(members) > len(cycle) - 1:
            message += f" (waves {', '.join(map(str, members))} are all caught in cycles)"
        problems.append(Problem("DEPENDENCY_CYCLE", message, cycle[0]))
    return problems


def validate_plan_graph(
    waves: Sequence[Wave],
    groups_by_id: Mapping[str, GroupRef],
    servers_by_group: Mapping[str, Sequence[str]],
    *,
    default_account_id: str | None = None,
) -> list[Problem]:
    """Every problem of a plan at once (empty list when the plan is valid).

    ``groups_by_id`` holds the protection groups that exist; ``servers_by_group`` their resolved
    source server ids. A group without ``account_id`` counts as ``default_account_id``.
    """
    if not waves:
        return [Problem("NO_WAVES", "a recovery plan needs at least one wave")]
    problems = graph_problems(waves)
    server_waves: dict[str, set[int]] = {}
    accounts: dict[str, set[str]] = {}
    regions: dict[str, set[str]] = {}
    for wave in waves:
        n = wave.wave_number
        if not wave.protection_group_ids:
            problems.append(Problem("EMPTY_WAVE", f"wave {n} has no protection groups", n))
        unknown = [g for g in wave.protection_group_ids if g not in groups_by_id]
        for group_id in unknown:
            problems.append(Problem("UNKNOWN_GROUP", f"wave {n} uses unknown protection group {group_id}", n))
        wave_servers: set[str] = set()
        for group_id in wave.protection_group_ids:
            group = groups_by_id.get(group_id)
            if group is None:
                continue
            accounts.setdefault(group.account_id or default_account_id or "(default)", set()).add(group_id)
            regions.setdefault(group.region, set()).add(group_id)
            wave_servers.update(servers_by_group.get(group_id, ()))
        if wave.protection_group_ids and not unknown and not wave_servers:
            problems.append(Problem("EMPTY_WAVE", f"wave {n} has no servers", n))
        for server in wave_servers:
            server_waves.setdefault(server, set()).add(n)

    shared: dict[tuple[int, ...], list[str]] = {}
    for server, in_waves in server_waves.items():
        if len(in_waves) > 1:
            shared.setdefault(tuple(sorted(in_waves)), []).append(server)
    for wave_numbers, servers in sorted(shared.items()):
        listed = ", ".join(str(w) for w in wave_numbers)
        problems.append(
            Problem(
                "SERVER_IN_MULTIPLE_WAVES",
                f"servers {_format_servers(sorted(servers))} are in more than one wave ({listed})",
                wave_numbers[0],
            )
        )
    if len(accounts) > 1:
        described = "; ".join(f"{a}: {', '.join(sorted(g))}" for a, g in sorted(accounts.items()))
        problems.append(Problem("MIXED_ACCOUNTS", f"protection groups of different accounts ({described})"))
    if len(regions) > 1:
        described = "; ".join(f"{r}: {', '.join(sorted(g))}" for r, g in sorted(regions.items()))
        problems.append(Problem("MIXED_REGIONS", f"protection groups of different regions ({described})"))
    return problems


def topological_levels(waves: Sequence[Wave]) -> list[list[int]]:
    """Waves grouped by level: level 0 depends on nothing, level k on waves of levels < k only,
    at least one of them at level k-1. Raises :class:`ValidationFailed` for duplicate wave
    numbers, self-dependencies, missing dependencies or cycles."""
    problems = graph_problems(waves)
    if problems:
        raise ValidationFailed(
            "the wave dependencies do not form a valid order",
            code="INVALID_PLAN_GRAPH",
            details=[p.to_dict() for p in problems],
        )
    deps = _edges(waves)
    level: dict[int, int] = {}
    remaining = set(deps)
    current = 0
    while remaining:
        ready = sorted(n for n in remaining if all(d in level for d in deps[n]))
        for number in ready:
            level[number] = current
        remaining.difference_update(ready)
        current += 1
    levels: list[list[int]] = [[] for _ in range(current)]
    for number, lvl in sorted(level.items()):
        levels[lvl].append(number)
    return levels


def effective_order(waves: Sequence[Wave]) -> list[dict[str, Any]]:
    """The order a plan runs in, for people: steps of waves that may run at the same time.

    Step ``n`` holds the waves whose dependencies all lie in earlier steps; a wave starts as soon as
    its own dependencies completed. Each step names, per wave, what it waits for. An invalid graph
    gives an empty list (its problems are reported by :func:`graph_problems`)."""
    if not waves or graph_problems(waves):
        return []
    by_number = {w.wave_number: w for w in waves}
    steps: list[dict[str, Any]] = []
    for index, level in enumerate(topological_levels(waves), start=1):
        steps.append({
            "step": index,
            "waves": list(level),
            "runTogether": len(level) > 1,
            "waitsFor": {str(n): sorted(by_number[n].depends_on_waves) for n in level},
        })
    return steps


def ready_waves(waves: Sequence[Wave], completed: set[int], started: set[int]) -> list[int]:
    """Wave numbers not yet started whose dependencies are all in ``completed``.

    The caller decides what counts as completed (e.g. a PARTIAL wave with onServerFailure
    CONTINUE). A dependency on a wave that is not in the plan is never satisfied.
    """
    return sorted(
        wave.wave_number
        for wave in waves
        if wave.wave_number not in started
        and wave.wave_number not in completed
        and all(dep in completed for dep in wave.depends_on_waves)
    )
