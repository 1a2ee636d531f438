"""Feeds order by publication time on every backend: records published at different times of one day
(and in different zones) come newest moment first under the date sort, not by id; a record that gives
only its day counts from the start of that day (UTC); date ranges still filter by the day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from hub.search.base import SearchIndex, SearchQuery
from normalizers.resource import Resource

DAY = date(2024, 5, 1)
SOURCE = "moments-test"
# id -> (publication moment as the source gave it, or None for a day without a time of day). The ids
# run against the times, so ordering by day then id would fail.
PUBLISHED: dict[str, datetime | None] = {
    "moment-a": datetime(2024, 5, 1, 6, 0, tzinfo=UTC),
    "moment-b": datetime(2024, 5, 1, 23, 30, tzinfo=UTC),
    "moment-c": datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5))),  # 17:00 UTC
    "moment-d": None,  # the day only: 00:00 UTC
    "moment-e": datetime(2024, 5, 1, 9, 45, tzinfo=timezone(timedelta(hours=14))),  # 04-30 19:45 UTC
    "moment-f": datetime(2024, 5, 1, 8, 15, 30, tzinfo=timezone(timedelta(hours=2))),  # 06:15:30 UTC
}


def _instant(moment: datetime | None) -> datetime:
    return moment.astimezone(UTC) if moment is not None else datetime.combine(DAY, time(), UTC)


EXPECTED = sorted(PUBLISHED, key=lambda rid: _instant(PUBLISHED[rid]), reverse=True)


@pytest.fixture
def one_day(empty_index: SearchIndex, corpus: list[Resource]) -> SearchIndex:
    """The empty index holding six records of one day, published at the times above."""
    records = [
        base.model_copy(
            update={"id": rid, "source": SOURCE, "published": DAY, "published_at": moment, "modified": None}
        )
        for base, (rid, moment) in zip(corpus, PUBLISHED.items(), strict=False)
    ]
    assert len(records) == len(PUBLISHED)
    empty_index.add(records)
    empty_index.refresh()
    return empty_index


def test_the_expectation_is_not_the_id_order() -> None:
    assert EXPECTED == ["moment-b", "moment-c", "moment-f", "moment-a", "moment-d", "moment-e"]
    assert sorted(PUBLISHED) != EXPECTED


@pytest.mark.parametrize("sort", ["date", "relevance"])
def test_records_of_one_day_come_in_publication_order(one_day: SearchIndex, sort: str) -> None:
    # without text every record scores alike, so the relevance sort falls back to the same order
    page = one_day.search(SearchQuery(source=(SOURCE,), sort=sort, size=20, facets=False))
    assert [hit.id for hit in page.hits] == EXPECTED


def test_date_ranges_still_filter_by_the_published_day(one_day: SearchIndex) -> None:
    query = SearchQuery(source=(SOURCE,), sort="date", date_from=DAY.isoformat(), date_until=DAY.isoformat())
    page = one_day.search(query)
    assert sorted(hit.id for hit in page.hits) == sorted(PUBLISHED)
    after = SearchQuery(source=(SOURCE,), date_from=(DAY + timedelta(days=1)).isoformat())
    assert one_day.search(after).total == 0
