"""The copy-paste snippets a node admin puts in a page: the script and element, or the iframe fallback."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

from hub.web.embed_state import EmbedState


@dataclass(frozen=True, slots=True)
class Snippets:
    script: str
    iframe: str


def snippets(hub_url: str, state: EmbedState) -> Snippets:
    """Both snippets for a hub at ``hub_url`` with the state's language, page size and fixed filters."""
    attributes: list[tuple[str, str]] = [
        ("hub", hub_url),
        ("lang", state.lang),
        ("page-size", str(state.size)),
    ]
    attributes += [(name, " ".join(values)) for name, values in state.fixed.items() if values]
    element = " ".join(f'{name}="{escape(value)}"' for name, value in attributes)
    script = (
        f'<script src="{escape(hub_url)}/embed/gkss-search.js" defer></script>\n'
        f"<gkss-search {element}></gkss-search>"
    )
    query = urlencode([(name, value) for name, value in attributes if name != "hub"])
    iframe = (
        f'<iframe src="{escape(hub_url)}/embed/frame?{escape(query)}" title="gkss-hub search" '
        f'width="100%" height="800" style="border:0" loading="lazy"></iframe>'
    )
    return Snippets(script=script, iframe=iframe)
