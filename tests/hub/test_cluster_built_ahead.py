"""ClusterIndex.add builds the next chunk's documents while the previous chunk is sent (built_ahead)."""

from __future__ import annotations

import pytest

from hub.search.cluster import built_ahead
from hub.search.cluster_mapping import index_action
from normalizers.resource import Provenance, Resource


def _resource(n: int) -> Resource:
    return Resource(
        id=f"s-{n}",
        source="s",
        native_id=str(n),
        title={"en": f"Record {n}"},
        type="document",
        provenance=Provenance(
            source="s", protocol="test", native_id=str(n), payload_hash="0", content_type="x"
        ),
    )


def test_every_action_comes_once_in_the_order_of_the_resources() -> None:
    resources = [_resource(n) for n in range(23)]
    actions = list(built_ahead(resources, 5))
    assert actions == [index_action(r) for r in resources]


def test_a_document_that_cannot_be_built_stops_the_batch_with_its_error() -> None:
    resources: list[Resource] = [_resource(n) for n in range(12)]
    resources[8] = "not a resource"  # type: ignore[call-overload]
    actions = built_ahead(resources, 5)
    assert [a["_id"] for a in (next(actions) for _ in range(5))] == [f"s-{n}" for n in range(5)]
    with pytest.raises(AttributeError):
        list(actions)
