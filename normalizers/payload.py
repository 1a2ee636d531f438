"""Reading a raw record's JSON payload the way every JSON crosswalk does."""

from __future__ import annotations

import json
from typing import Any

from harvesters.records import RawRecord
from normalizers.errors import InvalidRecord, SkipRecord


def json_object(raw: RawRecord) -> dict[str, Any]:
    """The payload as a JSON object; SkipRecord for a deletion, InvalidRecord when it is no JSON object."""
    if raw.deleted:
        raise SkipRecord(f"{raw.native_id}: deleted record")
    try:
        value = json.loads(raw.payload)
    except (ValueError, RecursionError) as exc:
        raise InvalidRecord(f"{raw.native_id}: payload is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise InvalidRecord(f"{raw.native_id}: payload is not a JSON object")
    return value
