"""Messages print as written on the command line: square brackets in an error (a pattern, an IPv6
URL, a user's text) are never read as Rich markup, in the shared error path and in every command."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hub.cli.common import error, fail

ROOT = Path(__file__).resolve().parents[2]
CLI_MODULES = sorted([*ROOT.glob("hub/cli/*.py")], key=str)


def test_the_error_helper_prints_brackets_intact(capsys: pytest.CaptureFixture[str]) -> None:
    error("must match [a-z][a-z0-9._-]{0,99} at [bold]here[/bold] and http://[::1]:8000/")
    exit_ = fail("[red]not red[/red] [/]")
    assert exit_.exit_code == 1
    printed = capsys.readouterr().err
    assert "error: must match [a-z][a-z0-9._-]{0,99} at [bold]here[/bold] and http://[::1]:8000/" in printed
    assert "error: [red]not red[/red] [/]" in printed


def test_gkss_nodes_add_prints_the_id_pattern_in_full(tmp_path: Path) -> None:
    env = {**os.environ, "GKSS_HOME": str(tmp_path), "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "hub", "nodes", "add", "A", "--kind", "regional", "--name", "Centre"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "error: node id 'A' must match [a-z0-9][a-z0-9._-]{0,99}" in result.stderr


@pytest.mark.parametrize("path", CLI_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_command_writes_markup(path: Path) -> None:
    """Markup is off in the consoles; a markup tag left in a message would print as such."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for tag in ("[bold]", "[/bold]", "[red]", "[/red]", "[green]", "[dim]", "[/]"):
                assert tag not in node.value, f"{path.name}:{node.lineno} writes markup {tag}"
