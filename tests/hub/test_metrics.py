"""/metrics: Prometheus text read by prometheus_client's own parser, its figures from the replayed sources."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from hub.api import create_app
from hub.context import Hub, open_hub
from hub.pipeline import harvest_source
from hub.settings import Settings
from tests.support.oai_replay import OaiReplayServer, live_and_deleted, load_real_records

Sample = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    opened = open_hub(Settings(home=tmp_path / "gkss", http_max_retries=0, api_rate=1, api_burst=1))
    yield opened
    opened.close()


def _scrape(client: TestClient) -> Sample:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples: Sample = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _one(samples: Sample, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def test_metrics_count_runs_changes_responses_and_records_per_source(hub: Hub) -> None:
    records = load_real_records()
    live, deleted = live_and_deleted(records)
    began = time.time()
    with OaiReplayServer(records, page_size=7) as good, OaiReplayServer(records) as broken:
        hub.store.add_source("repo", "oai-pmh", good.url, {})
        hub.store.add_source("broken", "oai-pmh", broken.url, {})
        assert harvest_source(hub, "repo").status == "succeeded"
        assert harvest_source(hub, "repo", full=True).status == "succeeded"  # everything again, unchanged
        broken.fail_next(500, None, times=10)
        assert harvest_source(hub, "broken").status == "failed"
        good_requests, broken_requests = len(good.requests), len(broken.requests)
    with TestClient(create_app(hub=hub)) as client:
        samples = _scrape(client)
        again = _scrape(client)  # scrapers are not rate limited (GKSS_API_RATE is 1 here)
    assert samples == again

    assert _one(samples, "gkss_source_runs_total", source="repo", status="succeeded") == 2
    assert _one(samples, "gkss_source_runs_total", source="broken", status="failed") == 1
    changed = "gkss_source_records_changed_total"
    assert _one(samples, changed, source="repo", change="added") == len(live)
    assert _one(samples, changed, source="repo", change="unchanged") == len(live) + len(deleted)  # run 2
    assert _one(samples, changed, source="repo", change="deleted") == len(deleted)
    assert _one(samples, "gkss_source_http_responses_total", source="repo", status="200") == good_requests
    assert _one(samples, "gkss_source_http_responses_total", source="broken", status="500") == broken_requests
    assert _one(samples, "gkss_source_http_bytes_total", source="repo") > 0
    assert _one(samples, "gkss_source_records", source="repo", state="live") == len(live)
    assert _one(samples, "gkss_source_records", source="repo", state="deleted") == len(deleted)
    assert _one(samples, "gkss_source_records", source="broken", state="live") == 0
    assert _one(samples, "gkss_index_documents") == len(live)
    now = time.time()
    assert began - 1 <= _one(samples, "gkss_source_last_success_timestamp_seconds", source="repo") <= now
    assert ("gkss_source_last_success_timestamp_seconds", (("source", "broken"),)) not in samples
    failed_at = _one(samples, "gkss_source_last_run_timestamp_seconds", source="broken", status="failed")
    assert began - 1 <= failed_at <= now
    assert 0 <= _one(samples, "gkss_source_last_run_duration_seconds", source="repo") <= now - began
