"""The embedded Tantivy index across processes and versions: one writer at a time, readers that see each
commit (a writer process beside ``gkss serve``), and an index rebuilt from the store when missing or
built by another schema version."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from hub.context import open_hub
from hub.search.base import SearchQuery
from hub.search.factory import EMBEDDED_DIRECTORY
from hub.search.tantivy_files import VERSION
from hub.search.tantivy_index import TantivyIndex
from hub.settings import Settings
from normalizers.resource import Resource
from tests.contract.conftest import load_corpus
from tests.hub.test_cluster_ops import fill_store
from tests.support.hubs import HubProcess

ROOT = Path(__file__).resolve().parents[2]

# A writer process: adds the corpus records [start, stop) to the index one at a time (a commit each).
WRITER = textwrap.dedent(
    """
    import sys
    from hub.search.tantivy_index import TantivyIndex
    from tests.contract.conftest import load_corpus

    directory, start, stop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    index = TantivyIndex(directory)
    for resource in load_corpus()[start:stop]:
        index.add([resource])
    index.close()
    """
)


@pytest.fixture(scope="module")
def corpus() -> list[Resource]:
    return load_corpus()


def writer(directory: Path, start: int, stop: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(directory), str(start), str(stop)], cwd=ROOT)


def test_writers_in_two_processes_take_turns_and_a_server_sees_their_commits(
    tmp_path: Path, corpus: list[Resource]
) -> None:
    with HubProcess(tmp_path / "home", "embedded") as hub:
        hub.serve()
        assert httpx.get(hub.url + "/api/search").json()["total"] == 0
        directory = tmp_path / "home" / EMBEDDED_DIRECTORY
        first, second = writer(directory, 0, 30), writer(directory, 30, 60)
        assert first.wait(timeout=120) == 0
        assert second.wait(timeout=120) == 0
        served = httpx.get(hub.url + "/api/search", params={"size": 100}).json()
        assert served["total"] == 60
        assert sorted(r["id"] for r in served["results"]) == sorted(r.id for r in corpus[:60])
        assert httpx.get(hub.url + "/healthz").json()["indexed"] == 60
        # A later commit of a third process is seen by the running server's next search.
        assert writer(directory, 60, 61).wait(timeout=120) == 0
        word = next(w for w in corpus[60].display_title().split() if len(w) > 3)
        found = httpx.get(hub.url + "/api/search", params={"q": word, "size": 100}).json()
        assert corpus[60].id in [r["id"] for r in found["results"]]
        assert httpx.get(hub.url + "/api/search").json()["total"] == 61


def test_a_missing_index_is_rebuilt_from_the_store(tmp_path: Path, corpus: list[Resource]) -> None:
    settings = Settings(home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'store.sqlite'}")
    fill_store(tmp_path / "store.sqlite", corpus[:25]).close()
    hub = open_hub(settings)
    try:
        assert hub.index.count() == 25
        assert hub.index.search(SearchQuery()).total == 25
    finally:
        hub.close()


def test_an_index_of_another_version_is_rebuilt(tmp_path: Path, corpus: list[Resource]) -> None:
    settings = Settings(home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'store.sqlite'}")
    store = fill_store(tmp_path / "store.sqlite", corpus[:10])
    store.close()
    directory = settings.home / EMBEDDED_DIRECTORY
    old = TantivyIndex(directory)
    old.add(corpus[40:45])  # what the store no longer holds: must be gone after the rebuild
    old.close()
    (directory / VERSION).write_text(json.dumps({"schema": -1}), encoding="utf-8")
    hub = open_hub(settings)
    try:
        assert sorted(hub.index.ids()) == sorted(r.id for r in corpus[:10])
    finally:
        hub.close()
    kept = open_hub(settings)  # the version now matches: opened as it is, nothing rebuilt
    try:
        assert not kept.index.needs_rebuild
        assert kept.index.count() == 10
    finally:
        kept.close()


def test_a_commit_is_searchable_at_once_and_its_merges_hold_the_writer_lock_until_close(
    tmp_path: Path, corpus: list[Resource]
) -> None:
    import fcntl

    from hub.search.tantivy_files import LOCK

    index = TantivyIndex(tmp_path / "index")
    for resource in corpus[:12]:  # twelve commits: enough segments for Tantivy to merge some
        index.add([resource])
        assert index.get(resource.id) == resource  # searchable when add returns
    index.close()  # waits for the last commit's merges, then lets other processes write
    with open(tmp_path / "index" / LOCK, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if still held
    other = TantivyIndex(tmp_path / "index")  # as another process would open it
    assert sorted(other.ids()) == sorted(r.id for r in corpus[:12])
    assert other.add([corpus[12]]) == 1
    assert other.count() == 13
    other.close()
