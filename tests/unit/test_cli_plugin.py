"""The command line: the local stack's commands come from the drs_local plug-in (the drs_orch
package, and so the Lambda artifact, never imports the local stack), and shell completion works."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from drs_orch.entrypoints import cli

SRC = Path(__file__).resolve().parents[2] / "src" / "drs_orch"


def test_no_module_of_drs_orch_imports_the_local_stack_or_the_emulator() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(SRC)}: {n}" for n in names
                          if n.split(".")[0] in ("drs_local", "drs_emulator")]
    assert offenders == []


def test_the_local_commands_are_offered_through_the_plug_in(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    listed = capsys.readouterr().out
    for command in ("up", "env", "token", "users", "gen-api", "deploy", "drill"):
        assert f"    {command} " in listed or f"    {command}\n" in listed, command
    with pytest.raises(SystemExit):
        cli.main(["profile", "--help"])
    assert "local" in capsys.readouterr().out


def test_users_without_a_running_stack_says_how_to_start_one(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRS_ORCH_STATE_DIR", str(tmp_path))
    with pytest.raises(SystemExit) as stopped:
        cli.main(["users"])
    assert "drs-orch up" in str(stopped.value)


@pytest.mark.parametrize(("line", "expected"), [("drs-orch pl", {"plans"}),
                                                ("drs-orch executions sh", {"show"}),
                                                ("drs-orch drill --out", {"--output"})])
def test_shell_completion_completes_commands_and_options(line: str, expected: set[str]) -> None:
    env = {**os.environ, "COMP_LINE": line, "COMP_POINT": str(len(line)), "_ARGCOMPLETE": "1",
           "_ARGCOMPLETE_IFS": "\n"}
    command = Path(sys.executable).parent / "drs-orch"  # argcomplete answers on fd 8
    done = subprocess.run(["bash", "-c", f"'{command}' 8>&1 9>/dev/null"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert set(done.stdout.split()) == expected, done.stderr
