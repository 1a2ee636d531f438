"""The oai_dc crosswalk's fast unescaping gives exactly what html.unescape gives."""

from __future__ import annotations

import html
import itertools

from normalizers.oai_dc import _unescape

PIECES = ("&lt;", "&gt;", "&amp;", "&quot;", "&#39;", "&lt", "&#x27;", "&nbsp;", "&", "a", "<p>", " ", "é")
PIECES += ("&amp;lt;",)


def test_every_short_mix_of_entities_unescapes_as_html_unescape_does() -> None:
    for length in range(4):
        for parts in itertools.product(PIECES, repeat=length):
            text = "".join(parts)
            assert _unescape(text) == html.unescape(text), text


def test_zenodo_style_escaped_html_is_unescaped_once() -> None:
    assert _unescape("&lt;p&gt;Fish &amp;amp; chips&lt;/p&gt;") == "<p>Fish &amp; chips</p>"
