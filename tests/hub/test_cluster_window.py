"""The score-only window of an estimated page (hub.search.cluster_estimate): when its hits say which
hits the tie-broken page holds, and in which order, without asking the engine again.

Pure functions on answers built here; the expectations come from sorting the made-up hits by the
tie-broken order (score desc, publication moment desc, id asc) over the whole result list.
"""

from __future__ import annotations

from typing import Any

import pytest

from hub.search.cluster_estimate import MISSING_TIME, tied_at_edges, window_of, window_order


def hit(id: str, score: float, moment: int | None) -> dict[str, Any]:
    fields = {} if moment is None else {"fields": {"sort_time": [moment]}}
    return {"_id": id, "_score": score, **fields}


# Every match of a query, in the engine's score-only order (ties in index order, not the tie-breaker's).
MATCHES = [
    hit("a", 9.0, 20240101000000),
    hit("b", 8.0, 20200101000000),
    hit("c", 8.0, None),
    hit("d", 8.0, 20230101000000),
    hit("e", 7.0, 20220101000000),
    hit("f", 6.0, 20210101000000),
    hit("g", 6.0, 20210101000000),
    hit("h", 5.0, 20190101000000),
    hit("i", 4.0, 20180101000000),
    hit("j", 3.0, 20170101000000),
]


def tie_broken(hits: list[dict[str, Any]]) -> list[str]:
    def key(h: dict[str, Any]) -> tuple[float, int, str]:
        moment = h.get("fields", {}).get("sort_time", [MISSING_TIME])[0]
        return (-h["_score"], -moment, h["_id"])

    return [h["_id"] for h in sorted(hits, key=key)]


def test_window_order_is_the_tie_broken_order_an_undated_hit_last_among_its_score() -> None:
    assert [h["_id"] for h in window_order(MATCHES)] == tie_broken(MATCHES)
    assert [h["_id"] for h in window_order(MATCHES)][:4] == ["a", "d", "b", "c"]


@pytest.mark.parametrize(
    ("offset", "size", "margin", "cut"),
    [(0, 2, 1, True), (1, 2, 1, True), (2, 3, 2, False), (3, 2, 3, False), (5, 2, 1, False)],
)
def test_a_page_from_a_window_whose_ties_are_whole_is_the_tie_broken_page(
    offset: int, size: int, margin: int, cut: bool
) -> None:
    """``cut``: a score group at an edge of the page reaches past the window (b c d tie at 8.0)."""
    start, asked, lead = window_of(offset, size, margin)
    assert (start, lead, asked) == (offset - min(margin, offset), min(margin, offset), size + lead + margin)
    window = MATCHES[start : start + asked]
    assert tied_at_edges(window, lead, size, start, asked) == cut
    if not cut:
        page = [h["_id"] for h in window_order(window)[lead : lead + size]]
        assert page == tie_broken(MATCHES)[offset : offset + size]


def test_a_tie_reaching_past_the_window_asks_the_engine() -> None:
    # page of 2 at offset 1 (b, c by score order): the 8.0 group b c d
    assert tied_at_edges(MATCHES[0:3], lead=1, size=2, start=0, asked=3)  # ends on c: d may follow
    assert not tied_at_edges(MATCHES[0:5], lead=1, size=2, start=0, asked=5)  # e (7.0) closes the group
    # the window starts inside a group: f g tie, and a 6.0 before f would not be seen
    assert tied_at_edges(MATCHES[5:8], lead=1, size=1, start=5, asked=3)
    # the first match starts the window: nothing comes before it
    assert not tied_at_edges(MATCHES[0:3], lead=0, size=1, start=0, asked=3)
    # fewer hits than asked: the window holds the last match
    assert not tied_at_edges(MATCHES[8:10], lead=1, size=2, start=8, asked=4)


def test_margin_one_is_the_former_rule() -> None:
    """With one hit on each side (the former window), a tie between the page's edge and the hit beside it
    asks again, and nothing else does."""
    for offset in range(0, 8):
        start, asked, lead = window_of(offset, 2, 1)
        window = MATCHES[start : start + asked]
        scores = [h["_score"] for h in window]
        former = bool(lead and len(scores) > 1 and scores[0] == scores[1] and start > 0) or (
            len(scores) > lead + 2 and scores[lead + 1] == scores[lead + 2]
        )
        assert tied_at_edges(window, lead, 2, start, asked) == former, offset
