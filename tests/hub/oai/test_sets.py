"""Set membership rules: leaves in headers, parents implied, tombstones only in source sets."""

from __future__ import annotations

from hub.oai.sets import SetFilter, is_set_spec, parse_set, record_sets, set_name, sets_of
from tests.hub.oai.support import Stored, all_sets


def test_headers_list_the_leaf_sets_of_each_stored_record(stored: list[Stored]) -> None:
    for record in stored:
        assert set(record_sets(record.source, record.resource)) == record.sets
        assert all(is_set_spec(spec) and ":" in spec for spec in record.sets)
    assert sets_of((r.source, r.resource) for r in stored) == sorted(all_sets(stored))


def test_membership_of_every_set_matches_the_stored_resources(stored: list[Stored]) -> None:
    for spec in sorted(all_sets(stored)):
        selected = parse_set(spec)
        assert selected is not None, spec
        members = [r.id for r in stored if selected.contains(r.source, r.resource)]
        assert members == [r.id for r in stored if r.in_set(spec)], spec
        assert members, f"{spec} is listed, so it holds records"
        for record in stored:
            if record.text is not None and selected.contains(record.source, record.resource):
                assert all(literal in record.text for literal in selected.json_literals()), (spec, record.id)


def test_tombstones_are_only_in_source_sets(stored: list[Stored]) -> None:
    gone = [r for r in stored if r.deleted]
    assert gone
    for record in gone:
        assert record_sets(record.source, None) == [f"source:{record.source}"]
        for spec in ("type", "country", "target", f"type:{'other'}"):
            selected = parse_set(spec)
            assert selected is not None and not selected.contains(record.source, None)
        assert SetFilter("source").contains(record.source, None)
        assert SetFilter().contains(record.source, None)


def test_set_specs_and_names() -> None:
    assert parse_set("node:x") is None and parse_set("country:KE:x") is None
    assert parse_set("country") == SetFilter("country") and parse_set("type:news") == SetFilter(
        "type", "news"
    )
    assert not is_set_spec("a b") and not is_set_spec("a::b") and is_set_spec("target:GBF-TARGET-03")
    assert set_name("country:BR") == "Country: Brazil (BR)"
    assert set_name("target:GBF-TARGET-19").startswith("GBF target: GBF-T19")
    assert set_name("source") == "Source (all)"
