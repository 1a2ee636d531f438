"""A hub opened for the store alone (``lazy_index``: `gkss sources list`, `nodes list`, `keys list`)
opens the search index only when something needs it: crash recovery of a dead run still levels it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from hub.context import open_hub
from hub.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _settings(home: Path) -> Settings:
    return Settings(home=home, search_url="", allow_private_networks=True)


def test_a_store_only_hub_leaves_the_index_closed(tmp_path: Path) -> None:
    hub = open_hub(_settings(tmp_path), lazy_index=True)
    try:
        hub.store.add_source("feed-a", "feed", "http://127.0.0.1:9/feed.xml", {})
        assert [s.id for s in hub.store.list_sources()] == ["feed-a"]
        assert hub.index_opened is None, "listing the store must not open the search index"
        assert hub.index.count() == 0  # and it opens when asked for
        assert hub.index_opened is not None
    finally:
        hub.close()


def test_a_dead_run_still_opens_the_index_and_ends_failed(tmp_path: Path) -> None:
    """A process that started a run and died: the next store-only opening ends it, index levelled."""
    dying = textwrap.dedent(
        f"""
        import os
        from hub.context import open_hub
        from hub.settings import Settings
        hub = open_hub(Settings(home={str(tmp_path)!r}, search_url="", allow_private_networks=True))
        hub.store.add_source("feed-a", "feed", "http://127.0.0.1:9/feed.xml", {{}})
        print(hub.store.start_run("feed-a", True, None).id, flush=True)
        os._exit(0)  # dies with its run still running
        """
    )
    command = [sys.executable, "-c", dying]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    run_id = int(done.stdout.split()[-1])

    hub = open_hub(_settings(tmp_path), lazy_index=True)
    try:
        [run] = hub.store.list_runs("feed-a")
        assert (run.id, run.status) == (run_id, "failed")
        assert (run.error or "").startswith("process lost"), run.error
        assert hub.index_opened is not None, "levelling the dead run's records needs the index"
    finally:
        hub.close()
