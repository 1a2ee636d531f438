"""Set membership rules: leaves in headers, parents implied, tombstones in the sets they were in."""

from __future__ import annotations

from hub.oai.sets import SetFilter, is_set_spec, parse_set, record_sets, set_name, sets_of
from normalizers.resource import resource_id
from tests.hub.oai.support import Stored, all_sets
from tests.support.oai_replay import load_real_records


def test_headers_list_the_leaf_sets_of_each_stored_record(stored: list[Stored]) -> None:
    for record in stored:
        assert set(record_sets(record.source, record.resource or record.last)) == record.sets
        assert all(is_set_spec(spec) and ":" in spec for spec in record.sets)
    assert sets_of((r.source, r.resource or r.last) for r in stored) == sorted(all_sets(stored))


def test_membership_of_every_set_matches_the_stored_resources(stored: list[Stored]) -> None:
    for spec in sorted(all_sets(stored)):
        selected = parse_set(spec)
        assert selected is not None, spec
        members = [r.id for r in stored if selected.contains(r.source, r.resource or r.last)]
        assert members == [r.id for r in stored if r.in_set(spec)], spec
        assert members, f"{spec} is listed, so it holds records"
        for record in stored:
            if record.text is not None and selected.contains(record.source, record.resource):
                assert all(literal in record.text for literal in selected.json_literals()), (spec, record.id)


def test_tombstones_keep_the_sets_of_the_resource_they_had(stored: list[Stored]) -> None:
    """build_corpus deletes 2 + 1 records after harvesting them live; the real payloads also hold
    records deleted at their source before the hub ever saw them."""
    never_live = {
        resource_id("repo", r.identifier) for r in load_real_records() if r.identifier and r.deleted
    }
    gone = [r for r in stored if r.deleted]
    assert {r.id for r in gone if r.last is None} == never_live
    seen_live = [r for r in gone if r.last is not None]
    assert len(seen_live) == 3
    for record in gone:
        if record.last is None:
            assert record_sets(record.source, None) == [f"source:{record.source}"]
            for spec in ("type", "country", "target", "type:other"):
                selected = parse_set(spec)
                assert selected is not None and not selected.contains(record.source, None)
            continue
        assert record.last.id == record.id
        specs = record_sets(record.source, record.last)
        assert f"type:{record.last.type}" in specs and f"source:{record.source}" in specs
        selected = parse_set(f"type:{record.last.type}")
        assert selected is not None and selected.contains(record.source, record.last)
    assert any(r.last.countries or r.last.gbf_targets for r in seen_live if r.last), "a tagged one"
    assert SetFilter("source").contains(gone[0].source, None) and SetFilter().contains(gone[0].source, None)


def test_set_specs_and_names() -> None:
    assert parse_set("node:x") is None and parse_set("country:KE:x") is None
    assert parse_set("country") == SetFilter("country") and parse_set("type:news") == SetFilter(
        "type", "news"
    )
    assert not is_set_spec("a b") and not is_set_spec("a::b") and is_set_spec("target:GBF-TARGET-03")
    assert set_name("country:BR") == "Country: Brazil (BR)"
    assert set_name("target:GBF-TARGET-19").startswith("GBF target: GBF-T19")
    assert set_name("source") == "Source (all)"
