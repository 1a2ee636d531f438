"""What a harvester yields: raw records and per-record failures."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as the source gave it, before any normalisation.

    ``payload`` holds the record's own bytes (an OAI-PMH ``<record>`` element, a feed entry as
    JSON, ...); ``content_type`` names the crosswalk that reads it. A deleted record has
    ``deleted=True`` and usually no payload.
    """

    source_id: str
    native_id: str
    content_type: str
    payload: bytes
    datestamp: datetime | None = None
    deleted: bool = False
    # The payload already parsed (an lxml element), when the harvester has it: the crosswalk then
    # reads it instead of parsing ``payload`` again. Valid only until the harvester moves on.
    element: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class RecordFailure:
    """A record the harvester could not read; recorded on the run, never fatal."""

    source_id: str
    native_id: str | None
    message: str
    severity: str = "error"


def json_payload(value: Any) -> bytes:
    """A record's JSON payload bytes: sorted keys, UTF-8 (lone surrogates from JSON escapes kept escaped)."""
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, sort_keys=True).encode("ascii")
