"""Removing a node across the owners of its holdings: the registry counts its child nodes, the store
its sources, federation its peers, all in the removal's one transaction (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from federation.peers import add_peer, list_peers, remove_peer
from hub.store import Store
from hub.store.nodes import NO_SOURCE, node_sources, remove_node
from registry.keys import create_key, list_keys
from registry.nodes import NodeError, add_node, get_node
from registry.rights import NODE_ADMIN
from tests.support.databases import database_kinds, fresh_database


@pytest.mark.parametrize("kind", database_kinds())
def test_a_node_is_removed_only_once_it_holds_no_node_source_or_peer(kind: str, tmp_path: Path) -> None:
    with fresh_database(kind, tmp_path) as url:
        store = Store(url)
        try:
            store.create_all()
            add_node(store, "cbd", "CBD", "service")
            add_node(store, "africa", "Africa", "regional", "cbd")
            add_node(store, "ke", "Kenya", "national", "africa")
            store.add_source("ke-chm", "feed", "http://127.0.0.1:9/feed", {}, node_id="ke")
            store.add_source("ke-oai", "oai-pmh", "http://127.0.0.1:9/oai", {}, node_id="ke")
            add_peer(store, "ke-hub", "http://127.0.0.1:9/hub", node_id="ke")
            create_key(store, "ke", NODE_ADMIN, created_by="test")

            assert node_sources(store, ["africa"]) == ("ke-chm", "ke-oai")
            assert node_sources(store, ["africa"], within=["ke-oai", "elsewhere"]) == ("ke-oai",)
            with pytest.raises(NodeError, match=r"node 'africa' still holds 1 child nodes$"):
                remove_node(store, "africa")
            with pytest.raises(NodeError, match=r"node 'ke' still holds 2 sources, 1 peers$"):
                remove_node(store, "ke")
            store.remove_source("ke-chm")
            store.remove_source("ke-oai")
            with pytest.raises(NodeError, match=r"node 'ke' still holds 1 peers$"):
                remove_node(store, "ke")
            assert remove_peer(store, "ke-hub")

            remove_node(store, "ke")
            assert get_node(store, "ke") is None
            assert list_keys(store) == [], "its keys go with it"
            assert list_peers(store) == []
            assert node_sources(store, ["africa"]) == (NO_SOURCE,)
            with pytest.raises(NodeError, match="no node 'ke'"):
                remove_node(store, "ke")
        finally:
            store.close()
