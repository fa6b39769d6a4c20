"""Deterministic identifiers.

Every identifier the emulator hands out is derived from a SHA-256 over stable inputs (account, region,
hostname, a counter), so the same fleet and the same call sequence give the same ids on every run and
docs and tests can name them. Suffixes are 17 lowercase hex characters, which satisfy the model's
``[0-9a-zA-Z]{17}`` patterns (``s-``, ``drsjob-``, ``lct-``, ``pit-``, ``snap-``).
"""

from __future__ import annotations

import hashlib
import uuid


def derive(prefix: str, *parts: object, length: int = 17) -> str:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()
    return prefix + digest[:length]


def server_id_for(account: str, region: str, hostname: str) -> str:
    """The source server id the fleet loader gives ``hostname`` in ``account``/``region``."""
    return derive("s-", "source-server", account, region, hostname.lower())


def mac_for(seed: str) -> str:
    digest = hashlib.sha256(("mac\x1f" + seed).encode("utf-8")).hexdigest()
    return "02:" + ":".join(digest[i : i + 2] for i in range(0, 10, 2))


def uuid_for(seed: str) -> str:
    return str(uuid.UUID(hashlib.sha256(("uuid\x1f" + seed).encode("utf-8")).hexdigest()[:32]))


def arn(kind: str, account: str, region: str, resource_id: str) -> str:
    return f"arn:aws:drs:{region}:{account}:{kind}/{resource_id}"


def parse_arn(value: str) -> tuple[str, str, str, str] | None:
    """``arn:aws:drs:REGION:ACCOUNT:KIND/ID`` -> (region, account, kind, id), or None."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "drs":
        return None
    kind, sep, resource_id = parts[5].partition("/")
    if not sep or not resource_id:
        return None
    return parts[3], parts[4], kind, resource_id
