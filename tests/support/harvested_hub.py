"""A hub that has harvested the real test records: the OAI-PMH fixtures (source ``repo``) and every feed
fixture, replayed on 127.0.0.1, into a fresh database of a given kind (the re-normalising tests' store)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hub.context import Hub, open_hub
from hub.pipeline import harvest_source
from hub.settings import Settings
from tests.support.databases import fresh_database
from tests.support.http_replay import ReplayServer
from tests.support.oai_replay import OaiReplayServer, live_and_deleted, load_real_records

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
FEED_FILES = sorted(p for p in FEEDS.iterdir() if p.suffix in {".xml", ".json"} and p.name != "invalid.json")


@contextmanager
def harvested_hub(kind: str, tmp_path: Path) -> Iterator[Hub]:
    """An embedded hub on a fresh ``kind`` database (``sqlite``, ``postgresql``) with every live real
    OAI-PMH record harvested as source ``repo`` and each feed fixture as a source of its own."""
    with fresh_database(kind, tmp_path) as url, ReplayServer() as feeds:
        opened = open_hub(
            Settings(home=tmp_path / "gkss", database_url=url, search_url=None, allow_private_networks=True)
        )
        try:
            records = load_real_records()
            with OaiReplayServer(records, page_size=50) as server:
                opened.store.add_source("repo", "oai-pmh", server.url, {})
                assert harvest_source(opened, "repo", full=True).status == "succeeded"
            assert opened.store.count_records("repo") == len(live_and_deleted(records)[0])
            for path in FEED_FILES:
                feeds.route(f"/{path.name}", path.read_bytes())
                opened.store.add_source(path.stem.replace(".", "-"), "feed", f"{feeds.url}/{path.name}", {})
                harvest_source(opened, path.stem.replace(".", "-"))
            yield opened
        finally:
            opened.close()


def record_sources(hub: Hub) -> list[str]:
    """The hub's sources that hold records."""
    return [s.id for s in hub.store.list_sources() if hub.store.count_records(s.id)]
