"""The production manifests stay true: every GKSS_* they set is a real setting, every command exists."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from hub.cli import app
from hub.settings import Settings

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
MANIFESTS = [DEPLOY / "compose.yaml", *sorted((DEPLOY / "kubernetes").glob("*.yaml"))]


def _documents() -> list[Any]:
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


def _walk(node: Any) -> list[Any]:
    found = [node]
    if isinstance(node, dict):
        for value in node.values():
            found.extend(_walk(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_walk(value))
    return found


def test_every_gkss_variable_is_a_setting() -> None:
    names = set()
    for path in MANIFESTS:
        names.update(re.findall(r"\b(GKSS_[A-Z_]+)\s*:", path.read_text()))
    assert names, "the manifests configure the hub through GKSS_* variables"
    known = {f"GKSS_{field.upper()}" for field in Settings.model_fields}
    assert names - {"GKSS_DB_PASSWORD"} <= known


def _commands() -> list[list[str]]:
    commands = []
    for node in _walk(_documents()):
        if (
            isinstance(node, dict)
            and isinstance(node.get("command"), list)
            and node["command"][:1] == ["gkss"]
        ):
            commands.append(node["command"])
    return commands


@pytest.mark.parametrize("command", _commands(), ids=lambda c: " ".join(c[:2]))
def test_manifest_commands_exist(command: list[str]) -> None:
    result = CliRunner().invoke(app, [command[1], "--help"])
    assert result.exit_code == 0, result.output
    plain = re.sub(r"\x1b\[[0-9;]*m", "", result.output)
    for option in (w for w in command if w.startswith("--")):
        assert option in plain
