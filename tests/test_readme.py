"""The README stays true: two set-up commands, and every `gkss` command and option it shows exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli import app
from hub.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.S | re.M)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def _bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, re.S)


def test_exactly_two_setup_commands() -> None:
    blocks = _bash_blocks(_section("Two commands"))
    commands = [line.strip() for block in blocks for line in block.splitlines() if line.strip()]
    assert commands == ["pip install . && gkss serve", "bash tests/run.sh"]
    assert (ROOT / "tests" / "run.sh").exists()
    assert "tests/run.sh" in (ROOT / ".ci" / "run").read_text()


def _gkss_lines() -> list[list[str]]:
    lines = []
    for block in _bash_blocks(README):
        for line in block.splitlines():
            line = line.split("  #", 1)[0].strip()
            if line.startswith("gkss "):
                lines.append(shlex.split(line.replace("[", "").replace("]", "")))
    return lines


@pytest.mark.parametrize("words", _gkss_lines(), ids=lambda w: " ".join(w[:3]))
def test_readme_commands_exist(words: list[str]) -> None:
    path = [w for w in words[1:3] if not w.startswith("-")]
    runner = CliRunner()
    result = runner.invoke(app, [*path, "--help"])
    if result.exit_code != 0 and len(path) == 2:
        path = path[:1]
        result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    plain = re.sub(r"\x1b\[[0-9;]*m", "", result.output)
    for option in (w.split("=")[0] for w in words if w.startswith("--")):
        assert option in plain, f"{option} not in `gkss {' '.join(path)} --help`"


def test_every_setting_is_documented() -> None:
    table = _section("Using it")
    for name in Settings.model_fields:
        assert f"`GKSS_{name.upper()}`" in table, f"GKSS_{name.upper()} missing from the README"
