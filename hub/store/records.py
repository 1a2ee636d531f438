"""Reads of the live records: the newest Resources of a source, which ids are live, the Resources of
given ids, and (id, Resource JSON) of every live record in batches (to compare the index with)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import select

from hub.store.models import RecordRow
from hub.store.store import Store
from normalizers.resource import Resource


def newest_resources(store: Store, source_id: str, limit: int) -> list[str]:
    """The Resource JSON of the source's ``limit`` most recently changed live records, newest first."""
    query = (
        select(RecordRow.resource)
        .where(RecordRow.source_id == source_id, RecordRow.deleted.is_(False))
        .order_by(RecordRow.changed_at.desc())
        .limit(limit)
    )
    with store.session() as s:
        return [text for text in s.scalars(query) if text]


def live_texts(store: Store, batch: int) -> Iterator[list[tuple[str, str]]]:
    """(id, Resource JSON) of every live record in id order, in batches of ``batch``."""
    with store.session() as s:
        query = (
            select(RecordRow.id, RecordRow.resource)
            .where(RecordRow.deleted.is_(False))
            .order_by(RecordRow.id)
            .execution_options(yield_per=batch)
        )
        chunk: list[tuple[str, str]] = []
        for rid, text in s.execute(query):
            if text is None:
                continue
            chunk.append((rid, text))
            if len(chunk) >= batch:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def live_among(store: Store, ids: Sequence[str]) -> set[str]:
    """Those of ``ids`` that are live records."""
    with store.session() as s:
        query = select(RecordRow.id).where(RecordRow.id.in_(list(ids)), RecordRow.deleted.is_(False))
        return set(s.scalars(query))


def live_resources(store: Store, ids: Sequence[str]) -> list[Resource]:
    """The Resources of those of ``ids`` that are live records."""
    with store.session() as s:
        query = select(RecordRow.resource).where(RecordRow.id.in_(list(ids)), RecordRow.deleted.is_(False))
        return [Resource.model_validate_json(text) for text in s.scalars(query) if text is not None]
