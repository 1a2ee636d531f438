"""What follows a run: the source's webhook over real HTTP on 127.0.0.1, and adaptive polling of feeds."""

from __future__ import annotations

import email.utils
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from hub.context import Hub, open_hub
from hub.pipeline import harvest_source
from hub.pipeline.adaptive_polling import WINDOW, poll_interval
from hub.pipeline.group import harvest_sources
from hub.settings import Settings
from hub.store.clock import aware
from hub.store.schedules import get_schedule, set_schedule
from registry.sources import registered_source
from tests.hub.websub.hanging import HangingServer
from tests.support.http_replay import ReplayServer

pytestmark = pytest.mark.clock  # dates, times and zones: tests/run.sh reruns these under faketime

FEED = Path(__file__).parents[1] / "fixtures" / "feeds" / "rss_1.0_spec_1.xml"
RSS = {"Content-Type": "application/rss+xml"}


def open_test_hub(home: Path, **settings: object) -> Hub:
    return open_hub(Settings(home=home, database_url=None, search_url=None, **settings))  # type: ignore[arg-type]


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    hub = open_test_hub(tmp_path / "gkss", notify_timeout=1.5, http_max_retries=0)
    yield hub
    hub.close()


def add(hub: Hub, source_id: str, url: str, **options: object) -> None:
    config = registered_source(id=source_id, protocol="feed", url=url, options=dict(options))
    hub.store.add_source(config.id, config.protocol, config.url, config.options.stored())


def wait_for_notifications() -> None:
    for thread in threading.enumerate():
        if thread.name.startswith("notify-"):
            thread.join(10)


def test_webhook_hears_failed_runs_by_default_and_every_run_when_asked(hub: Hub) -> None:
    with ReplayServer() as site:
        site.route("/broken.rss", b"", status=500)
        site.route("/good.rss", FEED.read_bytes(), headers=RSS)
        site.route("/hook", b"", status=204)
        add(hub, "broken", site.url + "/broken.rss", notify_url=site.url + "/hook")
        add(hub, "quiet", site.url + "/good.rss", notify_url=site.url + "/hook")
        add(hub, "chatty", site.url + "/good.rss", notify_url=site.url + "/hook", notify_on="always")
        runs = {source: harvest_source(hub, source) for source in ("broken", "quiet", "chatty")}
        wait_for_notifications()
        hooks = [json.loads(r.body) for r in site.request_log if r.path == "/hook"]
        headers = [r.headers for r in site.request_log if r.path == "/hook"]
    assert [(h["source"]["id"], h["event"]) for h in hooks] == [
        ("broken", "run.failed"),
        ("chatty", "run.succeeded"),
    ]
    failed = hooks[0]["run"]
    assert failed["id"] == runs["broken"].run_id and "HTTP 500" in failed["error"]
    assert hooks[1]["run"]["added"] == FEED.read_text().count("<item ")
    assert [h["x-gkss-event"] for h in headers] == ["run.failed", "run.succeeded"]
    assert headers[0]["content-type"] == "application/json"
    notes = hub.store.get_run(runs["broken"].run_id).notes  # type: ignore[union-attr]
    assert f"notification to {site.url}/hook: delivered (HTTP 204)" in notes
    assert not any("notification" in n for n in hub.store.get_run(runs["quiet"].run_id).notes)  # type: ignore[union-attr]


def test_a_dead_receiver_does_not_hold_the_harvest_up(hub: Hub) -> None:
    with ReplayServer() as site, HangingServer() as dead:
        site.route("/broken.rss", b"", status=404)
        hook = dead.url
        add(hub, "broken", site.url + "/broken.rss", notify_url=hook)
        summary = harvest_source(hub, "broken")
        pending = [t for t in threading.enumerate() if t.name == f"notify-broken-{summary.run_id}"]
        assert pending and pending[0].is_alive(), "the harvest returned while its receiver still hangs"
        pending[0].join(10)
    notes = hub.store.get_run(summary.run_id).notes  # type: ignore[union-attr]
    assert any(n.startswith(f"notification to {hook}: not delivered (ReadTimeout") for n in notes), notes


def test_a_webhook_on_a_private_address_is_refused_without_the_development_switch(tmp_path: Path) -> None:
    guarded = open_test_hub(tmp_path / "guarded", allow_private_networks=False)
    try:
        with ReplayServer() as receiver:
            receiver.route("/hook", b"", status=204)
            add(guarded, "unreachable", "http://192.0.2.1/feed.rss", notify_url=receiver.url + "/hook")
            # The source itself (TEST-NET-1, documentation-only) is refused by the same guard: no traffic.
            summary = harvest_source(guarded, "unreachable")
            wait_for_notifications()
            assert receiver.request_log == []
        notes = guarded.store.get_run(summary.run_id).notes  # type: ignore[union-attr]
        assert any("not delivered (refused:" in n for n in notes), notes
    finally:
        guarded.close()


def rss_with_items(moments: list[datetime]) -> bytes:
    items = "".join(
        f"<item><title>Entry {n}</title><link>https://example.org/{n}</link>"
        f"<pubDate>{email.utils.format_datetime(moment)}</pubDate></item>"
        for n, moment in enumerate(moments)
    )
    return f'<rss version="2.0"><channel><title>Adaptive</title>{items}</channel></rss>'.encode()


def test_poll_interval_follows_the_publishing_frequency() -> None:
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    daily = [now - timedelta(days=d) for d in range(7)]
    assert poll_interval(daily, now, 900, 86400) == int(WINDOW.total_seconds() / 7)
    assert poll_interval([now - timedelta(days=40)], now, 900, 86400) == 86400  # silent for a month
    flood = [now - timedelta(minutes=m) for m in range(2000)]
    assert poll_interval(flood, now, 900, 86400) == 900


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 3, 1, 0, 30, tzinfo=UTC),
        datetime(2026, 6, 15, 6, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
    ],
    ids=["00:30", "06:00", "23:30"],
)
def test_a_scheduled_feed_is_next_polled_by_how_often_it_publishes(hub: Hub, now: datetime) -> None:
    hub.clock = lambda: now  # the hub's clock, injected: the hour of the run must not matter
    far_east = timezone(timedelta(hours=14))  # the feed writes its times in its own zone (UTC+14)
    busy = [(now - timedelta(hours=12 * n)).astimezone(far_east) for n in range(14)]  # twice a day
    with ReplayServer() as site:
        site.route("/busy.rss", rss_with_items(busy), headers=RSS)
        site.route("/fixed.rss", rss_with_items(busy), headers=RSS)
        add(hub, "busy", site.url + "/busy.rss")
        add(hub, "fixed", site.url + "/fixed.rss", adaptive_polling=False)
        for source in ("busy", "fixed"):
            set_schedule(hub.store, source, 86400)
        planned = get_schedule(hub.store, "fixed").next_run_at  # type: ignore[union-attr]
        summary = harvest_source(hub, "busy")
        harvest_source(hub, "fixed")
    expected = WINDOW.total_seconds() / len(busy)  # 43,200 s
    next_run = get_schedule(hub.store, "busy").next_run_at  # type: ignore[union-attr]
    next_run = next_run if next_run.tzinfo else next_run.replace(tzinfo=UTC)
    assert next_run == now + timedelta(seconds=expected)
    assert f"adaptive polling: next poll in {int(expected)} s" in summary.notes
    assert get_schedule(hub.store, "fixed").next_run_at == planned  # type: ignore[union-attr]
    # the entries keep the time of day and the zone the feed wrote
    stored = hub.store.get_resource(next(iter(hub.store.live_ids("busy"))))
    assert stored is not None and stored.published_at is not None
    assert stored.published_at.utcoffset() == timedelta(hours=14)
    assert stored.published_at in busy


def test_feeds_harvested_as_a_group_are_next_polled_by_how_often_each_publishes(hub: Hub) -> None:
    """The group reads its sources' schedules once when it records its runs: each feed still gets the
    interval of its own entries, a feed without adaptive polling or without a schedule keeps its own."""
    now = datetime(2026, 6, 15, 6, tzinfo=UTC)
    hub.clock = lambda: now
    daily = [now - timedelta(days=n) for n in range(7)]  # 7 a week: every day
    hourly = [now - timedelta(hours=2 * n) for n in range(84)]  # 84 a week: every 2 hours
    with ReplayServer() as site:
        for name, items in (("daily", daily), ("hourly", hourly), ("fixed", daily), ("free", daily)):
            site.route(f"/{name}.rss", rss_with_items(items), headers=RSS)
            add(
                hub,
                name,
                f"{site.url}/{name}.rss",
                **({"adaptive_polling": False} if name == "fixed" else {}),
            )
        for name in ("daily", "hourly", "fixed"):
            set_schedule(hub.store, name, 7 * 86400)
        planned = get_schedule(hub.store, "fixed").next_run_at  # type: ignore[union-attr]
        summaries = {s.source_id: s for s in harvest_sources(hub, ["daily", "hourly", "fixed", "free"])}
    for name, items in (("daily", daily), ("hourly", hourly)):
        expected = int(WINDOW.total_seconds() / len(items))
        schedule = get_schedule(hub.store, name)
        assert schedule is not None and aware(schedule.next_run_at) == now + timedelta(seconds=expected)
        assert f"adaptive polling: next poll in {expected} s" in summaries[name].notes
    assert get_schedule(hub.store, "fixed").next_run_at == planned  # type: ignore[union-attr]
    assert get_schedule(hub.store, "free") is None
    assert not any("adaptive polling" in note for name in ("fixed", "free") for note in summaries[name].notes)
