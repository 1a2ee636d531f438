"""Conditional GET: an ETag from the body (and Last-Modified when known); 304 when the copy is current."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request, Response


def _etag_matches(header: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag.removeprefix("W/") in tags


def _not_modified_since(header: str, last_modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    return last_modified <= since


def conditional(
    request: Request,
    body: bytes,
    media_type: str,
    last_modified: datetime | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The body, or 304 when the client's copy is current (If-None-Match wins over If-Modified-Since)."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    sent = {**(headers or {}), "ETag": etag}
    if last_modified is not None:
        sent["Last-Modified"] = format_datetime(last_modified, usegmt=True)
    if_none_match = request.headers.get("if-none-match")
    if_modified_since = request.headers.get("if-modified-since")
    if if_none_match is not None:
        fresh = _etag_matches(if_none_match, etag)
    else:
        fresh = (
            last_modified is not None
            and if_modified_since is not None
            and _not_modified_since(if_modified_since, last_modified)
        )
    if fresh:
        return Response(status_code=304, headers=sent)
    return Response(content=body, media_type=media_type, headers=sent)
