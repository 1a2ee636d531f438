"""docs/administration.md lists every protocol's options as the options models declare them."""

from __future__ import annotations

import re
from pathlib import Path

from harvesters.registry import options_model, protocol_names
from hub.option_docs import options_markdown
from registry.source_options import CommonOptions

PAGE = Path(__file__).parents[2] / "docs" / "administration.md"
BLOCK = re.compile(r"<!-- source options: [^>]*-->\n(.*?)\n<!-- /source options -->", re.S)


def _documented() -> str:
    found = BLOCK.search(PAGE.read_text(encoding="utf-8"))
    assert found, "docs/administration.md has no generated source options block"
    return found.group(1)


def test_the_page_carries_the_tables_the_models_make() -> None:
    assert _documented() == options_markdown(), "run: python -m hub.option_docs"


def test_every_option_of_every_protocol_is_on_the_page() -> None:
    documented = _documented()
    names = set(re.findall(r"^\| `([a-z_]+)` \|", documented, re.M))
    for protocol in protocol_names():
        assert f"`{protocol}`" in documented
        assert set(options_model(protocol).model_fields) <= names, protocol
    assert set(CommonOptions.model_fields) <= names
    # every option says what it is
    assert not re.search(r"^\| `[a-z_]+` \|[^\n]*\|\s*\|$", documented, re.M)
