"""A JSON Feed is read item by item: only the first ``limit`` items are decoded (the rest are counted
and noted), whatever the items' strings hold, wherever ``items`` sits among the document's members;
expectations are read from the real documents with json.loads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harvesters.errors import MalformedResponse
from harvesters.jsonfeed import parse_json_feed

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
REAL = ["v1_simple.json", "v1.1_microblog.json", "jsonfeed_elastic_1.1.json", "jsonfeed_spec_1.json"]
URL = "http://127.0.0.1/feed.json"
# What item strings may hold that a careless splitter would read as structure.
TRICKY = ['], {"id": "x"}, [', 'a \\" quote, a comma', "back\\\\slash\\\\", "{[(unbalanced", "é ü 漢字 🐝"]


def _ids(items: list[Any]) -> list[str | None]:
    return [str(item["id"]) if isinstance(item, dict) and "id" in item else None for item in items]


@pytest.mark.parametrize("name", REAL)
def test_every_real_item_is_read_and_a_limit_keeps_the_first(name: str) -> None:
    body = (FIXTURES / name).read_bytes()
    items = json.loads(body)["items"]
    _, entries = parse_json_feed(body, URL, limit=1000)
    assert [e.get("id") for e in entries] == _ids(items)
    notes: list[str] = []
    _, first = parse_json_feed(body, URL, limit=1, notes=notes)
    assert [e.get("id") for e in first] == _ids(items)[:1]
    assert bool(notes) == (len(items) > 1)
    if len(items) > 1:
        assert f"has {len(items)} entries" in notes[0]


def _many(count: int) -> tuple[bytes, list[dict[str, Any]]]:
    """A real document's items repeated ``count`` times with tricky titles, ``items`` first."""
    doc = json.loads((FIXTURES / "jsonfeed_spec_1.json").read_bytes())
    base = doc["items"]
    items = []
    for n in range(count):
        item = dict(base[n % len(base)], id=f"item-{n}", title=f"{TRICKY[n % len(TRICKY)]} #{n}")
        item["authors"] = [{"name": "A, [B]", "url": "https://example.org/a"}]
        items.append(item)
    ordered = {"items": items, **{k: v for k, v in doc.items() if k != "items"}}
    return json.dumps(ordered, ensure_ascii=False, indent=1).encode(), items


@pytest.mark.parametrize("limit", [0, 1, 7, 50])
def test_items_past_the_limit_are_counted_not_kept(limit: int) -> None:
    body, items = _many(50)
    notes: list[str] = []
    feed, entries = parse_json_feed(body, URL, limit=limit, notes=notes)
    assert feed["format"].startswith("json")
    assert [e["id"] for e in entries] == [i["id"] for i in items[:limit]]
    assert [e["title"] for e in entries] == [i["title"] for i in items[:limit]]
    assert [e["authors"][0]["name"] for e in entries] == ["A, [B]"] * len(entries)
    assert len(notes) == (1 if limit < len(items) else 0)
    if notes:
        assert f"has {len(items)} entries; the first {limit} were kept" in notes[0]


@pytest.mark.parametrize(
    "broken",
    [
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1"}, {"id": "2"',
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1"} {"id": "2"}]}',
        b'{"version": "https://jsonfeed.org/version/1.1", "items": []} trailing',
        b'{"version": "https://jsonfeed.org/version/1.1" "items": []}',
    ],
)
def test_invalid_json_is_a_clear_error(broken: bytes) -> None:
    with pytest.raises(MalformedResponse):
        parse_json_feed(broken, URL, limit=10)
