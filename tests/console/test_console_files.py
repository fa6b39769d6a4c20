"""The local stack's console files: index and assets from the build, the runtime config, nothing
outside the build directory, and a plain answer when the console is not built."""

from __future__ import annotations

import json
from pathlib import Path

from drs_local.console import ConsoleFiles


def _dist(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>console</title>")
    (dist / "assets" / "index-abc.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("not the console's")
    return dist


def test_serves_the_index_the_assets_and_the_config(tmp_path: Path) -> None:
    files = ConsoleFiles(_dist(tmp_path), {"apiUrl": "http://127.0.0.1:1", "clientId": "c"})
    index = files.response("/")
    assert index is not None and index.status_code == 200 and index.mimetype == "text/html"
    asset = files.response("/assets/index-abc.js")
    assert asset is not None and asset.status_code == 200 and "javascript" in asset.mimetype
    assert "immutable" in asset.headers["Cache-Control"]
    config = files.response("/console-config.json")
    assert config is not None and json.loads(config.get_data()) == {"apiUrl": "http://127.0.0.1:1", "clientId": "c"}


def test_api_paths_are_not_the_consoles_and_nothing_outside_the_build_is_served(tmp_path: Path) -> None:
    files = ConsoleFiles(_dist(tmp_path), {})
    assert files.response("/recovery-plans") is None
    assert files.response("/user/permissions") is None
    for path in ("/assets/../../secret.txt", "/assets/%2e%2e/%2e%2e/secret.txt", "/assets/missing.js"):
        answer = files.response(path)
        assert answer is not None and answer.status_code == 404, path


def test_an_unbuilt_console_answers_how_to_build_it(tmp_path: Path) -> None:
    answer = ConsoleFiles(tmp_path / "nothing", {}).response("/")
    assert answer is not None and answer.status_code == 503 and b"make console" in answer.get_data()
