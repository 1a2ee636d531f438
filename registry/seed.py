"""The real CBD knowledge network as sources: what `gkss sources seed` registers (disabled until enabled).

Endpoints from /work/shared/docs/cbd-sources.md: the CBD index presets on api.cbd.int (section 1.1),
the www.cbd.int RSS feeds reported by third-party harvesters (section 1.6, to verify live), the 199
Bioland 2 national sites (section 2, registry/bioland.py), BIP indicator pages crawled from its
paginated list (section 3: no API, no known sitemap), and InforMEA's OData entity sets (section 4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # GROUPS alone (the CLI's --only help) loads none of them
    from registry.sources import Source

HOUR = 3600
DAY = 24 * HOUR
WEEK = 7 * DAY
CBD_API = "https://api.cbd.int"
CBD_FEEDS = {
    "notifications": "https://www.cbd.int/rss/notifications.aspx",
    "meetings": "https://www.cbd.int/rss/meetings.aspx",
    "reports": "https://www.cbd.int/rss/reports.aspx",
    "news": "https://www.cbd.int/rss/news.xml",
}
INFORMEA = "https://odata.informea.org/informea.svc"
INFORMEA_SETS = ("Decisions", "Meetings", "CountryReports", "NationalPlans")
GROUPS = ("cbd-index", "cbd-feeds", "bioland", "bip", "informea")


@dataclass(frozen=True, slots=True)
class SeededSource:
    """A source of the network, the group it belongs to and how often it should be harvested."""

    group: str
    config: Source
    every_seconds: int


def _seeded(
    group: str, every: int, source_id: str, protocol: str, url: str, **options: object
) -> SeededSource:
    from registry.sources import registered_source

    config = registered_source(source_id, protocol, url, {**options, "enabled": False})
    return SeededSource(group, config, every)


def network_sources(groups: tuple[str, ...] = GROUPS) -> list[SeededSource]:
    """Every source of the chosen groups, each disabled (``enabled: false``) with its suggested schedule."""
    from harvesters.cbd_index import PRESETS
    from registry.bioland import bioland_sources

    out: list[SeededSource] = []
    if "cbd-index" in groups:
        for preset in sorted(PRESETS):
            out.append(_seeded("cbd-index", DAY, f"cbd-{preset}", "cbd-index", CBD_API, preset=preset))
    if "cbd-feeds" in groups:
        for name, url in CBD_FEEDS.items():
            out.append(_seeded("cbd-feeds", HOUR, f"cbd-rss-{name}", "feed", url))
    if "bioland" in groups:
        for config in bioland_sources():
            out.append(
                _seeded("bioland", WEEK, config.id, config.protocol, config.url, **config.options.stored())
            )
    if "bip" in groups:
        allow = ["/indicators/", r"/biodiversity-indicators\?page="]
        bip_url = "https://bipindicators.net/biodiversity-indicators"
        out.append(
            _seeded(
                "bip",
                WEEK,
                "bip",
                "scrape",
                bip_url,
                allow=allow,
                depth=2,
                title="Biodiversity Indicators Partnership",
            )
        )
    if "informea" in groups:
        for entity_set in INFORMEA_SETS:
            source_id = f"informea-{entity_set.lower()}"
            out.append(
                _seeded(
                    "informea", DAY, source_id, "odata", INFORMEA, entity_set=entity_set, title="InforMEA"
                )
            )
    return out
