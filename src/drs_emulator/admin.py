"""Rehearsal control over HTTP, on non-AWS paths under ``/_emulator`` (no SigV4 needed).

=======  ==================================  ===================================================
method   path                                body / query -> answer
=======  ==================================  ===================================================
GET      /_emulator/health                   -> {"ok": true}
GET      /_emulator/state                    -> clock, quotas, timings, per account-region counts
POST     /_emulator/seed                     fleet document, or {"path": file}, or {"default": true}
POST     /_emulator/reset                    optional {"fleet": {...}} or {"default": true} to reseed,
                                             "terminateInstances": true to terminate recovery instances
GET      /_emulator/clock                    -> {"now", "epochSeconds", "speed"}
POST     /_emulator/clock                    {"speed"?, "advanceSeconds"?} -> clock
POST     /_emulator/tick                     apply due transitions -> clock
GET      /_emulator/faults                   -> {"faults": [...]}
POST     /_emulator/faults                   {"kind", "operation"?, "serverId"?, "account"?, "region"?,
                                             "probability"?, "count"?, "reason"?, "seconds"?,
                                             "retryAfter"?} -> the fault (with "id")
DELETE   /_emulator/faults[/{id}]            remove all faults, or one
GET      /_emulator/calls                    ?operation=&account=&region= -> {"count", "calls"}
DELETE   /_emulator/calls                    clear the call log
GET      /_emulator/latency                  -> {"seconds", "perOperation"}
POST     /_emulator/latency                  {"seconds", "operation"?}
DELETE   /_emulator/latency                  no latency
GET      /_emulator/servers                  ?account=&region=&tag=Key=Value -> {"servers": [...]}
POST     /_emulator/servers/{id}             {"replicationState"?, "lagSeconds"?, "replicationError"?,
                                             "tags"?, "removeTagKeys"?, "launch"?, "privateIp"?}
GET      /_emulator/jobs                     ?account=&region= -> {"jobs": [...]}
POST     /_emulator/jobs/{id}/cancel         {"reason"?} -> the job (JOB_CANCEL in its log)
POST     /_emulator/recovery-instances/{id}  {"connectFailbackClient": true} or {"failbackState": S}
POST     /_emulator/initialize               {"account", "region", "initialized"?: true}
=======  ==================================  ===================================================

Errors are JSON ``{"error": "BadRequest"|"NotFound", "message": ...}`` with 400 / 404.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from .fleet import FleetError
from .wire import WireResponse

if TYPE_CHECKING:
    from .emulator import Emulator

PREFIX = "/_emulator"
FAULT_OPTIONS = {
    "operation": "operation",
    "serverId": "server_id",
    "account": "account",
    "region": "region",
    "probability": "probability",
    "count": "count",
    "reason": "reason",
    "seconds": "seconds",
    "retryAfter": "retry_after",
}


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _json(status: int, payload: Any) -> WireResponse:
    return WireResponse(
        status, [("Content-Type", "application/json")], json.dumps(payload, default=str).encode()
    )


def _body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AdminError(400, f"body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise AdminError(400, "body must be a JSON object")
    return data


def _one(query: dict[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    return values[-1] if values else None


def _seed(emulator: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    if body.get("default"):
        return emulator.load_default_fleet()
    if "path" in body:
        return emulator.load_fleet(str(body["path"]))
    return emulator.seed(body.get("fleet", body))


def handle_admin(emulator: Emulator, method: str, path: str, query_string: str, raw: bytes) -> WireResponse:
    try:
        return _dispatch(emulator, method.upper(), path[len(PREFIX) :].rstrip("/") or "/", query_string, raw)
    except AdminError as exc:
        return _json(
            exc.status, {"error": "NotFound" if exc.status == 404 else "BadRequest", "message": str(exc)}
        )
    except KeyError as exc:
        return _json(404, {"error": "NotFound", "message": str(exc.args[0] if exc.args else exc)})
    except (FleetError, ValueError, TypeError, OSError) as exc:
        return _json(400, {"error": "BadRequest", "message": str(exc)})


def _dispatch(emulator: Emulator, method: str, path: str, query_string: str, raw: bytes) -> WireResponse:
    query = parse_qs(query_string, keep_blank_values=True)
    body = _body(raw) if method in ("POST", "PUT") else {}
    if path == "/health" and method == "GET":
        return _json(200, {"ok": True})
    if path == "/state" and method == "GET":
        return _json(200, emulator.summary())
    if path == "/seed" and method == "POST":
        return _json(200, {"seeded": _seed(emulator, body)})
    if path == "/reset" and method == "POST":
        emulator.reset(terminate_instances=bool(body.pop("terminateInstances", False)))
        seeded = _seed(emulator, body) if body else {}
        return _json(200, {"reset": True, "seeded": seeded})
    if path == "/clock":
        if method == "POST":
            if "speed" in body:
                emulator.set_speed(float(body["speed"]))
            if "advanceSeconds" in body:
                emulator.advance(float(body["advanceSeconds"]))
            return _json(200, emulator.clock.state())
        if method == "GET":
            return _json(200, emulator.clock.state())
    if path == "/tick" and method == "POST":
        emulator.tick()
        return _json(200, emulator.clock.state())
    if path == "/faults":
        if method == "GET":
            return _json(200, {"faults": emulator.list_faults()})
        if method == "POST":
            if "kind" not in body:
                raise AdminError(400, "kind is required")
            options = {FAULT_OPTIONS[k]: v for k, v in body.items() if k in FAULT_OPTIONS}
            return _json(200, emulator.add_fault(str(body["kind"]), **options))
        if method == "DELETE":
            emulator.clear_faults()
            return _json(200, {"faults": []})
    if path.startswith("/faults/") and method == "DELETE":
        fault_id = path[len("/faults/") :]
        if not emulator.remove_fault(fault_id):
            raise AdminError(404, f"fault {fault_id} not found")
        return _json(200, {"removed": fault_id})
    if path == "/calls":
        if method == "GET":
            calls = emulator.calls(_one(query, "operation"), _one(query, "account"), _one(query, "region"))
            return _json(200, {"count": len(calls), "calls": calls})
        if method == "DELETE":
            emulator.clear_calls()
            return _json(200, {"count": 0, "calls": []})
    if path == "/latency":
        if method == "GET":
            return _json(200, emulator.latency.to_dict())
        if method == "POST":
            emulator.set_latency(float(body.get("seconds", 0)), body.get("operation"))
            return _json(200, emulator.latency.to_dict())
        if method == "DELETE":
            emulator.latency.clear()
            return _json(200, emulator.latency.to_dict())
    if path == "/servers" and method == "GET":
        tags = dict(t.split("=", 1) for t in query.get("tag", []) if "=" in t)
        servers = emulator.servers(_one(query, "account"), _one(query, "region"), tags or None)
        return _json(200, {"servers": servers})
    if path.startswith("/servers/") and method == "POST":
        server_id = path[len("/servers/") :]
        view = emulator.update_server(
            server_id,
            replication_state=body.get("replicationState"),
            lag_seconds=body.get("lagSeconds"),
            replication_error=body.get("replicationError"),
            tags=body.get("tags"),
            remove_tag_keys=body.get("removeTagKeys"),
            launch=body.get("launch"),
            private_ip=body.get("privateIp"),
        )
        return _json(200, view)
    if path == "/jobs" and method == "GET":
        return _json(200, {"jobs": emulator.jobs(_one(query, "account"), _one(query, "region"))})
    if path.startswith("/jobs/") and path.endswith("/cancel") and method == "POST":
        job_id = path[len("/jobs/") : -len("/cancel")]
        try:
            return _json(200, emulator.cancel_job(job_id, body.get("reason")))
        except KeyError:
            raise AdminError(404, f"job {job_id} not found") from None
    if path.startswith("/recovery-instances/") and method == "POST":
        instance_id = path[len("/recovery-instances/") :]
        if body.get("connectFailbackClient"):
            return _json(200, emulator.connect_failback_client(instance_id))
        if "failbackState" in body:
            return _json(200, emulator.set_failback_state(instance_id, str(body["failbackState"])))
        raise AdminError(400, "expected connectFailbackClient or failbackState")
    if path == "/initialize" and method == "POST":
        if "account" not in body or "region" not in body:
            raise AdminError(400, "account and region are required")
        emulator.set_initialized(
            str(body["account"]), str(body["region"]), bool(body.get("initialized", True))
        )
        return _json(200, {"account": body["account"], "region": body["region"]})
    raise AdminError(404, f"no admin route {method} {PREFIX}{path}")
