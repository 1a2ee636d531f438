"""Reading the dates sources write (Solr and ISO 8601 text, OData's ``/Date(ms)/``) as aware UTC datetimes.

Shared by the harvesters (for datestamps) and the normalizers (for a record's dates).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

_ODATA_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def parse_odata_date(value: Any) -> datetime | None:
    """``/Date(1700000000000)/`` (optionally ``+0100``) or ISO 8601 text as an aware UTC datetime."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = _ODATA_DATE.match(text)
    if match:
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(match.group(1)))
        return moment  # the offset suffix only says where the value was local; ms are UTC
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_solr_datetime(value: Any) -> datetime | None:
    """``2025-07-23T13:02:42Z`` (or with milliseconds) as an aware datetime; None when unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
