"""Crosswalk of the native gkss format (a Resource replicated from a peer hub): lossless, provenance kept;
fields a newer peer added that this hub does not know are dropped, not refused."""

from __future__ import annotations

from pydantic import ValidationError

from harvesters.records import RawRecord
from normalizers.errors import InvalidRecord
from normalizers.resource import Resource, resource_from_peer, resource_id


def normalize_gkss(raw: RawRecord, protocol: str) -> Resource:
    """The peer's Resource under this hub's id for it; origin hub, origin source, original native id,
    protocol, payload hash and content type stay as the origin recorded them."""
    try:
        resource = resource_from_peer(raw.payload)
    except ValidationError as exc:
        raise InvalidRecord(f"not a gkss Resource: {exc.errors()[0]['msg']}") from None
    except ValueError as exc:
        raise InvalidRecord(f"not a gkss Resource: {exc}") from None
    if not resource.provenance.origin_hub:
        raise InvalidRecord("a replicated Resource must name its origin hub")
    return resource.model_copy(update={"id": resource_id(raw.source_id, raw.native_id)})
