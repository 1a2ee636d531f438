"""What a node of the registry holds in the store and in federation: its sources and its peers.

The registry owns the node hierarchy and federation the peers; the hub, which owns the sources and
sees both packages, answers which sources a node scope reaches and refuses to remove a node that
still holds sources or peers (federation counts the peers).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation import peers
from hub.store.models import SourceRow
from hub.store.store import Store
from registry import nodes

NO_SOURCE = " "  # a source id no source can have: a node filter that leaves no source matches nothing


def node_sources(store: Store, node_ids: Iterable[str], within: Iterable[str] = ()) -> tuple[str, ...]:
    """The ids of the sources of these nodes and the nodes below them (restricted to ``within`` when
    given); ``(NO_SOURCE,)`` when there are none. Raises NodeError for an unknown node."""
    scope = nodes.node_scope(store, node_ids)
    with store.session() as s:
        ids = set(s.scalars(select(SourceRow.id).where(SourceRow.node_id.in_(sorted(scope)))))
    wanted = set(within)
    found = sorted(ids & wanted if wanted else ids)
    return tuple(found) or (NO_SOURCE,)


def held_by(session: Session, node_id: str) -> dict[str, int]:
    """How many sources belong to the node (its peers are counted by ``federation.peers``)."""
    return {"sources": session.scalar(select(func.count()).where(SourceRow.node_id == node_id)) or 0}


def remove_node(store: Store, node_id: str) -> None:
    """Remove a node that holds nothing: no child nodes, sources or peers (its keys go with it)."""
    nodes.remove_node(store, node_id, holdings=(held_by, peers.node_holdings))
