"""The cluster backends' highlights, made by the hub on a page's Resources (hub.search.cluster_highlight)."""

from __future__ import annotations

from hub.search.cluster_highlight import highlights_of, query_wanted
from normalizers.resource import Provenance, Resource


def _resource(title: dict[str, str], description: dict[str, str]) -> Resource:
    return Resource(
        id="s-1",
        source="s",
        native_id="1",
        title=title,
        description=description,
        type="document",
        provenance=Provenance(source="s", protocol="test", native_id="1", payload_hash="0", content_type="x"),
    )


def test_the_displayed_title_is_marked_first_under_the_documented_key() -> None:
    resource = _resource(
        {"fr": "Restauration des écosystèmes forestiers", "en": "Forest <b>restoration</b>", "sw": "Misitu"},
        {"en": "A plan. " * 40 + "Restoration of forest land comes late in this text."},
    )
    found = highlights_of(resource, query_wanted("restoration ecosystemes"))
    assert found == {"title": ["Forest &lt;b&gt;<em>restoration</em>&lt;/b&gt;"]}  # English is shown


def test_another_title_when_the_shown_one_holds_no_query_word() -> None:
    resource = _resource({"en": "Forest plan", "fr": "Restauration des écosystèmes"}, {})
    found = highlights_of(resource, query_wanted("ecosystemes"))
    assert found == {"title": ["Restauration des <em>écosystèmes</em>"]}


def test_the_description_fragment_only_when_no_title_matches() -> None:
    resource = _resource(
        {"en": "A plan"}, {"en": "A plan. " * 40 + "Restoration of forest land comes late in this text."}
    )
    (fragment,) = highlights_of(resource, query_wanted("restoration"))["description"]
    assert "<em>Restoration</em> of forest" in fragment and len(fragment) < 200  # a fragment, not the text


def test_a_prefix_marks_the_words_it_starts() -> None:
    resource = _resource({"sw": "Mpango wa bioanuwai"}, {})
    assert highlights_of(resource, query_wanted("bio*")) == {"title": ["Mpango wa <em>bioanuwai</em>"]}


def test_no_words_no_highlights() -> None:
    resource = _resource({"en": "Forest restoration"}, {"en": "Forest"})
    assert highlights_of(resource, query_wanted("   ")) == {}
    assert highlights_of(resource, query_wanted("wetlands")) == {}
