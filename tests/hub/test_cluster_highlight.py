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


def test_words_are_marked_per_language_under_the_mappings_sub_field() -> None:
    resource = _resource(
        {"en": "Forest <b>restoration</b>", "fr": "Restauration des écosystèmes forestiers", "sw": "Misitu"},
        {"en": "A plan. " * 40 + "Restoration of forest land comes late in this text.", "fr": "Rien"},
    )
    found = highlights_of(resource, query_wanted("restoration ecosystemes"))
    assert found["title.en"] == ["Forest &lt;b&gt;<em>restoration</em>&lt;/b&gt;"]
    assert found["title.fr"] == ["Restauration des <em>écosystèmes</em> forestiers"]
    assert "title.other" not in found  # "Misitu" (sw) holds no query word
    assert "description.fr" not in found
    (fragment,) = found["description.en"]
    assert "<em>Restoration</em> of forest" in fragment and len(fragment) < 200  # a fragment, not the text


def test_a_prefix_marks_the_words_it_starts_and_other_languages_go_to_other() -> None:
    resource = _resource({"sw": "Mpango wa bioanuwai", "und": "Biodiversity plan"}, {})
    found = highlights_of(resource, query_wanted("bio*"))
    assert found == {"title.other": ["Mpango wa <em>bioanuwai</em>", "<em>Biodiversity</em> plan"]}


def test_no_words_no_highlights() -> None:
    resource = _resource({"en": "Forest restoration"}, {"en": "Forest"})
    assert highlights_of(resource, query_wanted("   ")) == {}
    assert highlights_of(resource, query_wanted("wetlands")) == {}
