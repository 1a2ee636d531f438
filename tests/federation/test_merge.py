"""Reciprocal rank fusion, dedup by canonical URL and origin identifier, summed facets."""

from __future__ import annotations

from typing import Any

from federation.merge import RRF_K, RankedList, canonical_url, fuse, sum_facets


def _result(rid: str, url: str | None, source: str = "repo", native: str | None = None) -> dict[str, Any]:
    return {"id": rid, "url": url, "provenance": {"source": source, "native_id": native or rid}}


def test_canonical_url_ignores_scheme_case_www_fragment_and_trailing_slash() -> None:
    assert canonical_url("https://WWW.Example.org/a/b/#frag") == canonical_url("http://example.org/a/b")
    assert canonical_url("https://example.org:8443/a") != canonical_url("https://example.org/a")
    assert canonical_url("https://example.org/a?x=1") != canonical_url("https://example.org/a?x=2")
    assert canonical_url(None) is None and canonical_url("not a url") is None


def test_rrf_scores_and_order_follow_the_formula() -> None:
    a = RankedList("a", [_result("1", "http://x/1"), _result("2", "http://x/2")])
    b = RankedList(
        "b", [_result("b2", "https://x/2/", native="other"), _result("3", "http://x/3")], weight=2.0
    )
    fused = fuse([a, b])
    scores = {item["id"]: item["rrf_score"] for item in fused}
    # "2" is rank 2 in a and (same URL) rank 1 in b with weight 2
    assert scores["b2"] == round(1 / (RRF_K + 2) + 2 / (RRF_K + 1), 6)
    assert scores["3"] == round(2 / (RRF_K + 2), 6)
    assert scores["1"] == round(1 / (RRF_K + 1), 6)
    assert [item["id"] for item in fused] == ["b2", "3", "1"]
    merged = fused[0]
    assert merged["hub"] == "b", "the best-ranked copy is shown"
    assert {(p["hub"], p["id"]) for p in merged["provenances"]} == {("a", "2"), ("b", "b2")}


def test_same_identifier_without_url_and_transitive_groups_merge() -> None:
    a = RankedList("a", [_result("1", None, native="n1"), _result("2", "http://y/2", native="n2")])
    b = RankedList("b", [_result("x", "http://y/2", native="n1")])  # n1's id + n2's URL: one record
    fused = fuse([a, b])
    assert len(fused) == 1
    assert len(fused[0]["provenances"]) == 3


def test_facets_are_summed_and_sorted() -> None:
    lists = [
        RankedList("a", [], facets={"type": {"document": 2, "dataset": 1}}),
        RankedList("b", [], facets={"type": {"dataset": 4}, "country": {"KE": 1}}),
    ]
    assert sum_facets(lists) == {"type": {"dataset": 5, "document": 2}, "country": {"KE": 1}}


def test_a_forwarded_merged_answer_keeps_its_origin_hubs() -> None:
    forwarded = {
        **_result("e1", "http://z/1"),
        "hub": "e",
        "provenances": [{"hub": "e", "id": "e1"}, {"hub": "b", "id": "b1"}],
    }
    fused = fuse([RankedList("a", [_result("a1", "http://z/1")]), RankedList("b", [forwarded])])
    assert len(fused) == 1
    assert sorted(p["hub"] for p in fused[0]["provenances"]) == ["a", "b", "e"]
