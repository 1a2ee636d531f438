"""The native gkss crosswalk: the peer's Resource kept whole, under this hub's id for it."""

from __future__ import annotations

import json

import pytest

from federation.replication import NATIVE_CONTENT_TYPE, local_part
from harvesters.records import RawRecord
from normalizers.dispatch import normalize
from normalizers.errors import InvalidRecord
from normalizers.resource import Provenance, Resource, resource_id


def _resource(origin: str | None) -> Resource:
    provenance = Provenance(
        source="zenodo",
        protocol="oai-pmh",
        native_id="oai:zenodo.org:8435696",
        payload_hash="0" * 64,
        content_type="application/oai-pmh+xml; prefix=oai_dc",
        origin_hub=origin,
    )
    return Resource(
        id="zenodo-abc",
        source="zenodo",
        native_id="oai:zenodo.org:8435696",
        url="https://doi.org/10.5281/zenodo.8435696",
        title={"en": "Coral reef restoration and GBF Target 2"},
        languages=["en"],
        provenance=provenance,
    )


def test_native_record_keeps_origin_and_gets_the_local_id() -> None:
    raw = RawRecord(
        "from-a", "zenodo-abc", NATIVE_CONTENT_TYPE, _resource("hub-a").model_dump_json().encode()
    )
    resource = normalize(raw, "hub")
    assert resource.id == resource_id("from-a", "zenodo-abc")
    assert resource.provenance.origin_hub == "hub-a"
    assert (resource.provenance.source, resource.provenance.native_id) == ("zenodo", "oai:zenodo.org:8435696")
    assert resource.provenance.protocol == "oai-pmh"
    assert resource.title == {"en": "Coral reef restoration and GBF Target 2"}


def test_native_record_without_origin_or_not_a_resource_is_refused() -> None:
    raw = RawRecord("from-a", "x", NATIVE_CONTENT_TYPE, _resource(None).model_dump_json().encode())
    with pytest.raises(InvalidRecord, match="origin hub"):
        normalize(raw, "hub")
    with pytest.raises(InvalidRecord, match="not a gkss Resource"):
        normalize(RawRecord("from-a", "x", NATIVE_CONTENT_TYPE, b'{"id": 1}'), "hub")


def test_local_part_of_oai_identifiers() -> None:
    assert local_part("oai:gkss-hub.cbd.int:repo-0123") == "repo-0123"
    assert local_part("oai:x:a:b") == "a:b"
    assert local_part("plain") == "plain"


def test_fields_a_newer_peer_added_are_dropped_not_refused() -> None:
    published = _resource("hub-a").model_dump(mode="json")
    published["a_field_from_a_newer_hub"] = {"any": "shape"}
    published["provenance"]["signed_by"] = "hub-a-key-2031"
    raw = RawRecord("from-a", "zenodo-abc", NATIVE_CONTENT_TYPE, json.dumps(published).encode())
    resource = normalize(raw, "hub")
    assert resource.title == {"en": "Coral reef restoration and GBF Target 2"}
    assert resource.provenance.origin_hub == "hub-a"
    dumped = resource.model_dump(mode="json")
    assert "a_field_from_a_newer_hub" not in dumped and "signed_by" not in dumped["provenance"]


def test_known_fields_stay_strict_when_read_from_a_peer() -> None:
    published = _resource("hub-a").model_dump(mode="json")
    published["title"] = "not a map of languages"
    raw = RawRecord("from-a", "zenodo-abc", NATIVE_CONTENT_TYPE, json.dumps(published).encode())
    with pytest.raises(InvalidRecord, match="not a gkss Resource"):
        normalize(raw, "hub")
    for payload in (b"[1, 2]", b"not json"):
        with pytest.raises(InvalidRecord, match="not a gkss Resource"):
            normalize(RawRecord("from-a", "x", NATIVE_CONTENT_TYPE, payload), "hub")
