"""Cross-source deduplication on real payloads reached through two routes (tests/support/dedup_corpus.py).

The same-document pairs come from the payloads' own identifiers (a meeting document's id is the
InforMEA entity's id; a Bioland node id is uuid5 of the notification id), never from the code.
"""

from __future__ import annotations

from collections import Counter

import pytest

from normalizers.dedup import canonical_url, find_duplicates, merge, same_document_pairs
from tests.support.dedup_corpus import build


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("http://www.cbd.int/meetings/COP-17/", "https://cbd.int/meetings/COP-17"),
        (
            "https://www.cbd.int/notifications/2024-001",
            "https://www.cbd.int/doc/notifications/2024/ntf-2024-001-bbi-en.pdf",
        ),
        (
            "https://chm.cbd.int/database/record?documentID=265609",
            "https://chm.cbd.int/database/record/265609",
        ),
        ("https://Example.org:443/a/index.html?utm_source=x&b=2&a=1#top", "http://example.org/a?a=1&b=2"),
    ],
)
def test_canonical_url_rules_make_one_key(left: str, right: str) -> None:
    assert canonical_url(left) == canonical_url(right) is not None


def test_different_documents_keep_different_keys() -> None:
    assert canonical_url("https://www.cbd.int/notifications/2024-001") != canonical_url(
        "https://www.cbd.int/notifications/2024-002"
    )
    assert canonical_url("https://example.org/a?x=1") != canonical_url("https://example.org/a?x=2")
    assert canonical_url("ftp://example.org/a") is None


def test_every_known_duplicate_is_found_and_no_near_identical_title_is_merged_wrongly() -> None:
    records, truth = build()
    assert len(truth) == 41
    assert same_document_pairs(find_duplicates(records)) == truth


def test_merged_record_keeps_every_provenance_and_what_each_source_says() -> None:
    records, _ = build()
    by_id = {r.id: r for r in records}
    clusters = find_duplicates(records)
    assert len(clusters) == 41
    for cluster in clusters:
        members = [by_id[i] for i in cluster.ids]
        merged = merge(members)
        sources = Counter(r.source for r in members)
        assert max(sources.values()) == 1  # one record per source in a cluster
        seen = {merged.provenance.source} | {p.source for p in merged.merged_provenance}
        assert seen == set(sources)  # nothing silently dropped: every source is in the record
        assert merged.provenance.protocol == "cbd-index"  # the CBD index is preferred
        for member in members:
            for lang in member.title:
                assert lang in merged.title
            assert set(member.countries) <= set(merged.countries)
            assert set(member.gbf_targets) <= set(merged.gbf_targets)
        assert merged.id == next(m.id for m in members if m.provenance.protocol == "cbd-index")
