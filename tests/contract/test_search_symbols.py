"""CBD document symbols on every backend: a record whose symbol is COP-17 is found by COP-17, cop17 and
COP 17 (and the like for SBSTTA, MOP, decisions), as people type them; symbols from the real CBD index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.search.base import SearchIndex
from normalizers.resource import Resource
from tests.contract.reference import ALL, run

MEETINGS = Path(__file__).resolve().parents[1] / "fixtures" / "cbd" / "index_raw_docs_schema_meeting.json"
DECISION = "CBD/COP/DEC/15/4"  # the Kunming-Montreal GBF decision, as the CBD writes its symbol
# What a visitor types -> the symbol it means (spellings from the CBD site's own usage).
SPELLINGS = {
    "COP-17": "COP-17",
    "cop17": "COP-17",
    "COP 17": "COP-17",
    "Cop-17": "COP-17",
    "SBSTTA-28": "SBSTTA-28",
    "sbstta28": "SBSTTA-28",
    "SBSTTA 28": "SBSTTA-28",
    "NP-MOP-06": "NP-MOP-06",
    "MOP6": "NP-MOP-06",
    "SBI-07": "SBI-07",
    "SBI 7": "SBI-07",
    "CBD/COP/DEC/15/4": DECISION,
    "decision 15/4": DECISION,
    "COP 15/4": DECISION,
}


def real_symbols() -> list[str]:
    docs = json.loads(MEETINGS.read_text("utf-8"))
    found = [d["symbol_s"] for d in docs if isinstance(d.get("symbol_s"), str)]
    wanted = {s for s in SPELLINGS.values() if s != DECISION}
    assert wanted <= set(found), "the symbols come from the harvested CBD meetings"
    return sorted(wanted)


@pytest.fixture
def with_symbols(empty_index: SearchIndex, corpus: list[Resource]) -> dict[str, str]:
    """The empty index holding one record per symbol (a corpus record carrying it); symbol -> record id."""
    symbols = [*real_symbols(), DECISION]
    records = [
        base.model_copy(update={"id": f"symbol-{n}", "symbols": [symbol]})
        for n, (base, symbol) in enumerate(zip(corpus, symbols, strict=False))
    ]
    empty_index.add(records)
    empty_index.refresh()
    return {symbol: record.id for symbol, record in zip(symbols, records, strict=True)}


@pytest.mark.parametrize("typed", sorted(SPELLINGS))
def test_symbols_are_found_by_their_common_spellings(
    empty_index: SearchIndex, with_symbols: dict[str, str], typed: str
) -> None:
    page = run(empty_index, text=typed, size=ALL, facets=False)
    ids = [hit.id for hit in page.hits]
    assert ids and ids[0] == with_symbols[SPELLINGS[typed]], (typed, ids)
