"""Prometheus metrics at /metrics, read from the store at scrape time (every worker's runs count)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from hub.context import Hub
from hub.store import stats
from hub.store.clock import aware

MEDIA_TYPE = "text/plain; version=0.0.4; charset=utf-8"

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

    listed = {source.id for source in hub.store.list_sources()}
    for total in stats.run_totals(hub.store):
        runs.add(total.runs, source=total.source_id, status=total.status)
        for name, value in total.changes.items():
            changes.add(value, source=total.source_id, change=name)
        received.add(total.bytes, source=total.source_id)
    latest: dict[str, tuple[str, datetime]] = {}
    finished: dict[str, tuple[datetime, datetime]] = {}
    for source, status, started, ended, statuses in stats.run_timeline(hub.store):  # one pass over the runs
        for code, count in statuses.items():
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
    counted = stats.record_counts(hub.store)
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
