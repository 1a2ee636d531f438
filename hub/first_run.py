"""A first run that shows the main job: ``gkss serve --seed cbd`` enables the CBD's own sources (the CBD
index presets and the CBD feeds) and harvests them on their schedules in the serving process."""

from __future__ import annotations

import logging
import threading
from urllib.parse import urlsplit, urlunsplit

from hub.settings import Settings
from hub.store.schedules import set_schedule
from hub.store.store import Store
from registry.seed import network_sources

logger = logging.getLogger(__name__)
SEEDS: dict[str, tuple[str, ...]] = {"cbd": ("cbd-index", "cbd-feeds")}  # --seed NAME -> seed groups


def mirrored(url: str, mirror: str | None) -> str:
    """``url`` on the mirror's scheme and host (its path and query kept); the URL itself without a mirror."""
    if not mirror:
        return url
    base, parts = urlsplit(mirror), urlsplit(url)
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))


def seed_sources(store: Store, seed: str, mirror: str | None = None) -> list[str]:
    """Register (or enable) the sources of ``seed``, each on its schedule, due now; their ids.

    ``mirror`` serves every seeded URL from another host (a mirror, or a replay of the CBD on 127.0.0.1).
    """
    if seed not in SEEDS:
        raise ValueError(f"unknown seed {seed!r}; known: {', '.join(sorted(SEEDS))}")
    ids: list[str] = []
    for seeded in network_sources(SEEDS[seed]):
        config = seeded.config
        url = mirrored(config.url, mirror)
        options = {**config.options.stored(), "enabled": True}
        if store.get_source(config.id) is None:
            store.add_source(config.id, config.protocol, url, options)
        else:
            store.update_source(config.id, url=url, options={"enabled": True})
        set_schedule(store, config.id, seeded.every_seconds)
        ids.append(config.id)
    return ids


def start_scheduler(settings: Settings) -> threading.Thread:
    """Run the in-process scheduler (due sources, one by one) in a daemon thread of the serving process."""
    from hub.jobs.schedule import run_in_process

    def run() -> None:
        try:
            run_in_process(settings)
        except Exception:
            logger.exception("the in-process scheduler stopped")

    thread = threading.Thread(target=run, name="gkss-scheduler", daemon=True)
    thread.start()
    return thread
