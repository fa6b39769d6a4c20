"""Hypothesis properties of the lifecycle and the quotas, driven through the emulator's full request
pipeline in-process (the same code path the HTTP server runs, without sockets, to keep examples fast)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from emu_support import HUB, START, call
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drs_emulator import Emulator, EmulatorClock, Quotas

REGION = "us-east-2"
JOB_RANK = {"PENDING": 0, "STARTED": 1, "COMPLETED": 2}
LAUNCH_RANK = {"PENDING": 0, "IN_PROGRESS": 1, "LAUNCHED": 2, "FAILED": 2, "TERMINATED": 2}
# a server's lifeCycle.lastLaunch.status may still move from LAUNCHED to TERMINATED
SERVER_RANK = {"PENDING": 0, "IN_PROGRESS": 1, "LAUNCHED": 2, "FAILED": 2, "TERMINATED": 3}
TERMINAL = {"LAUNCHED", "FAILED", "TERMINATED"}
STATES = ["CONTINUOUS", "CONTINUOUS", "BACKLOG", "STALLED", "DISCONNECTED", "INITIAL_SYNC", "STOPPED"]
PROPERTY_SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def _fleet(servers: list[dict[str, Any]]) -> dict[str, Any]:
    return {"accounts": [{"accountId": HUB, "regions": [{"region": REGION, "servers": servers}]}]}


server_specs = st.lists(
    st.fixed_dictionaries(
        {
            "replicationState": st.sampled_from(STATES),
            "launch": st.fixed_dictionaries(
                {
                    "durationSeconds": st.integers(30, 900),
                    "outcome": st.sampled_from(["LAUNCHED", "LAUNCHED", "LAUNCHED", "FAILED"]),
                }
            ),
        }
    ),
    min_size=1,
    max_size=6,
)
actions = st.lists(
    st.one_of(
        st.tuples(
            st.just("start"), st.lists(st.integers(0, 5), min_size=1, max_size=4, unique=True), st.booleans()
        ),
        st.tuples(st.just("advance"), st.integers(0, 700)),
        st.tuples(st.just("terminate"), st.integers(0, 5)),
        st.tuples(st.just("state"), st.integers(0, 5), st.sampled_from(STATES)),
    ),
    min_size=1,
    max_size=12,
)


def _ids(emu: Emulator) -> list[str]:
    return [s["sourceServerID"] for s in emu.servers(HUB, REGION)]


def _observe(emu: Emulator, seen: dict[str, Any]) -> None:
    status, _, body = call(emu, "DescribeJobs", region=REGION)
    assert status == 200
    active_servers: list[str] = []
    for job in body["items"]:
        previous = seen.get(job["jobID"])
        assert previous is None or JOB_RANK[job["status"]] >= JOB_RANK[previous["status"]], (previous, job)
        parts = {p["sourceServerID"]: p["launchStatus"] for p in job["participatingServers"]}
        if previous is not None:
            for server_id, before in previous["parts"].items():
                after = parts[server_id]
                assert LAUNCH_RANK[after] >= LAUNCH_RANK[before], (job["jobID"], server_id, before, after)
                if before in TERMINAL:
                    assert after == before
        if job["status"] == "COMPLETED":
            assert set(parts.values()) <= TERMINAL, job
            assert job["endDateTime"] >= job["creationDateTime"]
        else:
            active_servers.extend(parts)
        seen[job["jobID"]] = {"status": job["status"], "parts": parts}
    assert len(active_servers) == len(set(active_servers)), "a server is in two active jobs"
    _, _, servers = call(emu, "DescribeSourceServers", region=REGION)
    for server in servers["items"]:
        last = server.get("lifeCycle", {}).get("lastLaunch")
        if not last:
            continue
        key = "server:" + server["sourceServerID"]
        before = seen.get(key)
        current = (last["initiated"]["jobID"], last["status"])
        if before is not None and before[0] == current[0]:
            assert SERVER_RANK[current[1]] >= SERVER_RANK[before[1]], (
                server["sourceServerID"],
                before,
                current,
            )
        seen[key] = current


@PROPERTY_SETTINGS
@given(specs=server_specs, steps=actions)
def test_lifecycle_never_goes_backwards(aws: None, specs: list[dict[str, Any]], steps: list[tuple]) -> None:
    emu = Emulator(clock=EmulatorClock(speed=0, start=START))
    emu.seed(_fleet([{**spec, "hostname": f"h{i}.prop.example.internal"} for i, spec in enumerate(specs)]))
    try:
        ids = _ids(emu)
        seen: dict[str, Any] = {}
        for step in steps:
            if step[0] == "start":
                chosen = [ids[i % len(ids)] for i in step[1]]
                chosen = list(dict.fromkeys(chosen))
                status, _, _ = call(
                    emu,
                    "StartRecovery",
                    {"sourceServers": [{"sourceServerID": s} for s in chosen], "isDrill": step[2]},
                    region=REGION,
                )
                assert status in (202, 409)
            elif step[0] == "advance":
                emu.advance(step[1])
            elif step[0] == "terminate":
                target = ids[step[1] % len(ids)]
                _, _, body = call(
                    emu,
                    "DescribeRecoveryInstances",
                    {"filters": {"sourceServerIDs": [target]}},
                    region=REGION,
                )
                if body["items"]:
                    status, _, _ = call(
                        emu,
                        "TerminateRecoveryInstances",
                        {"recoveryInstanceIDs": [body["items"][0]["recoveryInstanceID"]]},
                        region=REGION,
                    )
                    assert status in (200, 409)
            else:
                emu.update_server(ids[step[1] % len(ids)], replication_state=step[2])
            _observe(emu, seen)
        emu.advance(10_000)
        _observe(emu, seen)
        assert all(job["status"] == "COMPLETED" for key, job in seen.items() if not key.startswith("server:"))
        _, _, servers = call(emu, "DescribeSourceServers", region=REGION)
        for server in servers["items"]:
            last = server.get("lifeCycle", {}).get("lastLaunch")
            if last:
                assert last["status"] in TERMINAL
                assert server["lastLaunchResult"] in ("SUCCEEDED", "FAILED")
    finally:
        emu.reset(terminate_instances=True)


QUOTAS = Quotas(max_servers_per_job=3, max_active_jobs=3, max_servers_in_active_jobs=6)


@PROPERTY_SETTINGS
@given(
    requests=st.lists(
        st.lists(st.integers(0, 11), min_size=1, max_size=4, unique=True), min_size=4, max_size=14
    ),
    advances=st.lists(st.integers(0, 400), min_size=0, max_size=5),
)
def test_quotas_hold_under_concurrent_starts(
    aws: None, requests: list[list[int]], advances: list[int]
) -> None:
    emu = Emulator(clock=EmulatorClock(speed=0, start=START), quotas=Quotas(**QUOTAS.to_dict()))
    emu.seed(
        _fleet(
            [
                {"hostname": f"q{i}.prop.example.internal", "launch": {"durationSeconds": 120}}
                for i in range(12)
            ]
        )
    )
    ids = _ids(emu)
    peaks = {"jobs": 0, "servers": 0}
    stop = threading.Event()

    def monitor() -> None:
        while not stop.is_set():
            with emu.lock:
                state = emu.store.get(HUB, REGION)
                active = state.active_jobs()
                peaks["jobs"] = max(peaks["jobs"], len(active))
                peaks["servers"] = max(peaks["servers"], sum(len(j.participants) for j in active))
                busy = [p.server_id for j in active for p in j.participants]
                assert len(busy) == len(set(busy))

    def start(indices: list[int]) -> tuple[int, int, str | None]:
        status, headers, _ = call(
            emu,
            "StartRecovery",
            {"sourceServers": [{"sourceServerID": ids[i]} for i in indices]},
            region=REGION,
        )
        return len(indices), status, headers.get("x-amzn-ErrorType")

    watcher = threading.Thread(target=monitor, daemon=True)
    watcher.start()
    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            futures = [pool.submit(start, r) for r in requests]
            for seconds in advances:
                emu.advance(seconds)
            outcomes = [f.result() for f in futures]
    finally:
        stop.set()
        watcher.join(timeout=5)
    try:
        assert peaks["jobs"] <= QUOTAS.max_active_jobs
        assert peaks["servers"] <= QUOTAS.max_servers_in_active_jobs
        for size, status, error in outcomes:
            assert status in (202, 402, 409), (status, error)
            if size > QUOTAS.max_servers_per_job:
                assert error == "ServiceQuotaExceededException"
        if any(size <= QUOTAS.max_servers_per_job for size, _, _ in outcomes):
            assert any(status == 202 for _, status, _ in outcomes)
        emu.advance(10_000)
        _, _, jobs = call(emu, "DescribeJobs", region=REGION)
        assert all(j["status"] == "COMPLETED" for j in jobs["items"])
    finally:
        emu.reset(terminate_instances=True)


@settings(max_examples=25, deadline=None)
@given(page_size=st.integers(1, 9))
def test_pagination_returns_every_item_once(aws: None, page_size: int) -> None:
    emu = Emulator(clock=EmulatorClock(speed=0, start=START))
    emu.seed(_fleet([{"hostname": f"p{i}.prop.example.internal"} for i in range(7)]))
    try:
        collected: list[str] = []
        token = None
        pages = 0
        while True:
            params: dict[str, Any] = {"maxResults": page_size}
            if token:
                params["nextToken"] = token
            status, _, body = call(emu, "DescribeSourceServers", params, region=REGION)
            assert status == 200 and len(body["items"]) <= page_size
            collected += [s["sourceServerID"] for s in body["items"]]
            pages += 1
            token = body.get("nextToken")
            if not token:
                break
        assert collected == _ids(emu)
        assert pages == -(-7 // page_size)
    finally:
        emu.reset()


def test_concurrent_boto3_clients_against_the_threaded_server(emu: Emulator, make_drs: Any) -> None:
    emu.quotas.max_active_jobs = 2
    clients = [make_drs() for _ in range(4)]
    servers = [
        s["sourceServerID"] for s in emu.servers(HUB, "us-east-1") if s["replicationState"] == "CONTINUOUS"
    ]

    def attempt(i: int) -> str:
        drs = clients[i % len(clients)]
        try:
            drs.start_recovery(sourceServers=[{"sourceServerID": servers[i % len(servers)]}], isDrill=True)
            return "started"
        except drs.exceptions.ServiceQuotaExceededException:
            return "quota"
        except drs.exceptions.ConflictException:
            return "conflict"

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(attempt, range(8)))
    assert results.count("started") == 2
    assert set(results) <= {"started", "quota", "conflict"}
    assert len(emu.jobs()) == 2
