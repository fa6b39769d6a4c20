"""The web console's built files (``console/dist``) into the stack's console bucket, behind its
CloudFront distribution.

Hashed assets (``assets/*``) are immutable and cached for a year; ``index.html`` and the
``console-config.json`` written here (API URL, user pool, app client, Cognito endpoint, from the
stack outputs) are ``no-cache``, so a new deploy is seen at the next load. Assets of earlier
deploys are left in place: a browser still holding the old index can finish loading it.
"""

from __future__ import annotations

import json
import mimetypes
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from drs_orch.entrypoints.template_io import ROOT

CONSOLE_DIST = ROOT / "console" / "dist"
IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"


class ConsoleNotBuilt(Exception):
    pass


def console_config(outputs: Mapping[str, str], region: str) -> dict[str, str]:
    """What the console reads at start, from the stack's outputs."""
    return {
        "apiUrl": outputs.get("ApiUrl", "").rstrip("/"),
        "region": region,
        "userPoolId": outputs.get("UserPoolId", ""),
        "clientId": outputs.get("UserPoolClientId", ""),
        "cognitoEndpoint": f"https://cognito-idp.{region}.amazonaws.com/",
    }


def _content_type(path: Path) -> str:
    guessed = mimetypes.guess_type(path.name)[0]
    if path.suffix == ".js":
        return "text/javascript"
    return guessed or "application/octet-stream"


def upload_console(s3: Any, bucket: str, dist: Path, config: Mapping[str, str], say: Callable[[str], None]) -> int:
    """Uploads every file of ``dist`` and the config; returns the number of objects written."""
    if not (dist / "index.html").is_file():
        raise ConsoleNotBuilt(f"{dist / 'index.html'} is missing: build the console first (`make console`)")
    written = 0
    total = 0
    for path in sorted(p for p in dist.rglob("*") if p.is_file()):
        key = path.relative_to(dist).as_posix()
        body = path.read_bytes()
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=_content_type(path),
                      CacheControl=IMMUTABLE if key.startswith("assets/") else NO_CACHE)
        written += 1
        total += len(body)
    s3.put_object(Bucket=bucket, Key="console-config.json", Body=json.dumps(config, indent=1).encode(),
                  ContentType="application/json", CacheControl=NO_CACHE)
    written += 1
    say(f"uploaded the console ({written} files, {total / 1e6:.1f} MB) to s3://{bucket}/")
    return written


def invalidate(cloudfront: Any, distribution_id: str, say: Callable[[str], None]) -> None:
    """Drops the edge copies of what changes between deploys (the hashed assets never do)."""
    cloudfront.create_invalidation(DistributionId=distribution_id, InvalidationBatch={
        "Paths": {"Quantity": 3, "Items": ["/", "/index.html", "/console-config.json"]},
        "CallerReference": f"drs-orch-{time.time_ns()}"})
    say(f"invalidated /index.html and /console-config.json on distribution {distribution_id}")


def empty_bucket(s3: Any, bucket: str, say: Callable[[str], None]) -> None:
    """Deletes every object (and version) so that CloudFormation can delete the bucket."""
    paginator = s3.get_paginator("list_object_versions")
    count = 0
    for page in paginator.paginate(Bucket=bucket):
        doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                  for v in (page.get("Versions") or []) + (page.get("DeleteMarkers") or [])]
        for i in range(0, len(doomed), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed[i:i + 1000], "Quiet": True})
        count += len(doomed)
    say(f"emptied the console bucket {bucket} ({count} objects)")
