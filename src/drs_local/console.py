"""The web console's built files (console/dist) served at `/` of the local API origin, with the
`console-config.json` the console reads at start (API URL, Cognito pool, app client, endpoint)."""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Response

from drs_local.template import ROOT

DIST = ROOT / "console" / "dist"


@dataclass
class ConsoleFiles:
    dist: Path
    config: dict[str, Any]

    @property
    def built(self) -> bool:
        return (self.dist / "index.html").is_file()

    def response(self, path: str) -> Response | None:
        """The file for a GET of `path`, or None when `path` is not the console's."""
        if path == "/console-config.json":
            return Response(json.dumps(self.config), 200, content_type="application/json",
                            headers={"Cache-Control": "no-store"})
        if path in ("/", "/index.html"):
            name = "index.html"
        elif path.startswith("/assets/"):
            name = path.lstrip("/")
        else:
            return None
        if not self.built:
            return Response("the console is not built: run `make console` (npm run build in console/)", 503,
                            content_type="text/plain")
        file = (self.dist / name).resolve()
        if not file.is_relative_to(self.dist.resolve()) or not file.is_file():
            return Response("not found", 404, content_type="text/plain")
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        cache = "no-cache" if name == "index.html" else "public, max-age=31536000, immutable"
        return Response(file.read_bytes(), 200, content_type=kind, headers={"Cache-Control": cache})
