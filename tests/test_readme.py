"""The README and docs/ stay true: two set-up commands, every `gkss` command and option they show exists,
every setting is documented, every docs page is linked from the README and no link leaves the repository."""

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
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [ROOT / "README.md", *DOCS]
README_MAX_LINES = 250


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
    blocks = [b for page in PAGES for b in _bash_blocks(page.read_text(encoding="utf-8"))]
    for block in blocks:
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
    table = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`GKSS_{name.upper()}`" in table, f"GKSS_{name.upper()} missing from docs/settings.md"


def test_readme_is_short() -> None:
    assert len(README.splitlines()) < README_MAX_LINES


def test_every_docs_page_is_linked_from_the_readme() -> None:
    linked = set(re.findall(r"\]\((docs/[^)#]+)", README))
    assert DOCS, "docs/ has no page"
    for page in DOCS:
        assert f"docs/{page.name}" in linked, f"docs/{page.name} is not linked from the README"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_link_leaves_the_repository(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert "../shared" not in text, f"{page.name} points outside the repository"
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith("#"):
            continue
        assert not re.match(r"[a-z]+:", target), f"{page.name}: {target} leaves the repository"
        path = (page.parent / target.split("#", 1)[0]).resolve()
        assert path.is_relative_to(ROOT), f"{page.name}: {target} leaves the repository"
        assert path.exists(), f"{page.name}: {target} does not exist"
