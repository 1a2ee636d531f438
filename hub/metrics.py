"""Prometheus metrics at /metrics, read from the store at scrape time (every worker's runs count)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from sqlalchemy import func, select

from hub.context import Hub
from hub.store.clock import aware
from hub.store.models import RecordRow, RunRow

MEDIA_TYPE = "text/plain; version=0.0.4; charset=utf-8"
RUN_COUNTS = ("added", "updated", "unchanged", "deleted", "failed")

Labels = tuple[tuple[str, str], ...]
FAMILIES = (  # name, type, help; in the order collect() returns them
    ("gkss_source_runs_total", "counter", "Harvest runs of a source, by outcome."),
    ("gkss_source_records_changed_total", "counter", "Records a source's runs changed, by kind of change."),
    ("gkss_source_http_responses_total", "counter", "HTTP responses a source's runs received, by status."),
    ("gkss_source_http_bytes_total", "counter", "Bytes a source's runs received."),
    ("gkss_source_last_run_timestamp_seconds", "gauge", "When a source's latest run started."),
    ("gkss_source_last_success_timestamp_seconds", "gauge", "When a source's latest successful run started."),
    ("gkss_source_last_run_duration_seconds", "gauge", "How long a source's latest finished run took."),
    ("gkss_source_records", "gauge", "Records stored for a source: live, or deleted (tombstones)."),
    ("gkss_index_documents", "gauge", "Documents in the search index."),
)


@dataclass
class Family:
    """One metric family: its name, type, help and samples (labels -> value)."""

    name: str
    kind: str
    help: str
    samples: dict[Labels, float] = field(default_factory=dict)

    def add(self, value: float, **labels: str) -> None:
        key = tuple(labels.items())
        self.samples[key] = self.samples.get(key, 0.0) + value

    def lines(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} {self.kind}"
        for labels, value in sorted(self.samples.items()):
            inside = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
            yield f"{self.name}{{{inside}}} {_number(value)}" if inside else f"{self.name} {_number(value)}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _seconds(moment: datetime) -> float:
    return aware(moment).timestamp()


def collect(hub: Hub) -> list[Family]:
    """Every family, per source: runs by outcome, record changes, HTTP responses by status, bytes,
    the last run and the last success, stored records; and the index's document count."""
    runs, changes, responses, received, last_run, last_ok, duration, records, documents = (
        Family(name, kind, text) for name, kind, text in FAMILIES
    )

    with hub.store.session() as s:
        listed = {source.id for source in hub.store.list_sources()}
        for row in s.execute(
            select(
                RunRow.source_id,
                RunRow.status,
                func.count(),
                *(func.coalesce(func.sum(getattr(RunRow, name)), 0) for name in (*RUN_COUNTS, "bytes")),
            ).group_by(RunRow.source_id, RunRow.status)
        ):
            source, status, count, *sums = row
            runs.add(count, source=source, status=status)
            for name, value in zip(RUN_COUNTS, sums, strict=False):
                changes.add(value, source=source, change=name)
            received.add(sums[-1], source=source)
        latest: dict[str, tuple[str, datetime]] = {}
        finished: dict[str, tuple[datetime, datetime]] = {}
        timeline = select(
            RunRow.source_id, RunRow.status, RunRow.started_at, RunRow.finished_at, RunRow.statuses
        ).order_by(RunRow.started_at, RunRow.id)
        for source, status, started, ended, statuses in s.execute(timeline):  # one pass over the runs
            for code, count in (statuses or {}).items():
                responses.add(count, source=source, status=str(code))
            latest[source] = (status, started)
            if ended is not None:
                finished[source] = (started, ended)
            if status == "succeeded":
                last_ok.samples[(("source", source),)] = _seconds(started)
        for source, (status, started) in latest.items():
            last_run.add(_seconds(started), source=source, status=status)
        for source, (started, ended) in finished.items():
            duration.add(max(0.0, _seconds(ended) - _seconds(started)), source=source)
        counted: defaultdict[tuple[str, bool], int] = defaultdict(int)
        for source, deleted, count in s.execute(
            select(RecordRow.source_id, RecordRow.deleted, func.count()).group_by(
                RecordRow.source_id, RecordRow.deleted
            )
        ):
            counted[(source, bool(deleted))] += count
    for source in sorted(listed | {source for source, _ in counted}):
        for deleted, state in ((False, "live"), (True, "deleted")):
            records.add(counted.get((source, deleted), 0), source=source, state=state)
    documents.add(hub.index.count())
    return [runs, changes, responses, received, last_run, last_ok, duration, records, documents]


def metrics_text(hub: Hub) -> str:
    """The Prometheus text exposition (format 0.0.4) of ``collect``."""
    return "\n".join(line for family in collect(hub) for line in family.lines()) + "\n"


def metrics_router(current: Callable[[], Hub]) -> APIRouter:
    router = APIRouter()

    @router.get("/metrics", response_class=PlainTextResponse, responses={200: {"content": {MEDIA_TYPE: {}}}})
    def metrics() -> PlainTextResponse:
        """Prometheus metrics per source (runs, record changes, HTTP statuses, last run) and the index."""
        return PlainTextResponse(metrics_text(current()), media_type=MEDIA_TYPE)

    return router
