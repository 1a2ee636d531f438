"""`gkss sources add/update --option`: the options are checked by the protocol's model once, the error
names the option, and `sources list --json` shows them as given (the JSON object, only those set)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hub.cli import app
from tests.support.cli_home import cli_home, gkss

__all__ = ["cli_home"]


def _refused(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 2, result.output
    return " ".join(result.output.split())


def _options(source_id: str) -> object:
    listed = json.loads(gkss("sources", "list", "--json"))
    return next(s["options"] for s in listed if s["id"] == source_id)


def test_options_are_checked_named_and_shown_as_given(cli_home: Path) -> None:
    add = ("sources", "add", "bip", "--protocol", "sitemap", "--url", "https://bipindicators.net/")
    assert "option per_host" in _refused(*add, "--option", "per_host=3")
    assert "option entity_set is not understood by sitemap" in _refused(*add, "--option", "entity_set=x")
    assert "option regions" in _refused(*add, "--option", "regions=mars")
    gkss(*add, "--option", 'allow=["/indicators/"]', "--option", "delay=0.5", "--option", "country=KE")
    assert _options("bip") == {"allow": ["/indicators/"], "delay": 0.5, "country": "KE"}

    assert "option max_pages" in _refused("sources", "update", "bip", "--option", "max_pages=0")
    gkss("sources", "update", "bip", "--option", "max_pages=10", "--option", "country=")
    assert _options("bip") == {"allow": ["/indicators/"], "delay": 0.5, "max_pages": 10}
