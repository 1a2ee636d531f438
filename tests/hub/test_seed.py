"""`gkss sources seed` registers the real CBD network disabled; `gkss sources enable` turns sources on.

Expected sources are counted from the data the seed is built from (the Bioland host list, the
cbd-index presets) and from cbd-sources.md (four RSS feeds, four InforMEA entity sets, BIP).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvesters.cbd_index import PRESETS
from hub.cli import app
from hub.context import open_hub
from hub.settings import Settings
from hub.store.schedules import get_schedule, list_schedules
from tests.support.cli_home import cli_home, gkss  # noqa: F401 (cli_home: a fixture)

pytestmark = pytest.mark.usefixtures("cli_home")
ROOT = Path(__file__).resolve().parents[2]


def test_seed_registers_the_network_disabled_with_schedules_and_enable_turns_one_on() -> None:
    hosts = json.loads((ROOT / "registry" / "data" / "bioland2_national_chm_hosts.json").read_text())["hosts"]
    expected = len(PRESETS) + 4 + len(hosts) + 1 + 4
    first = json.loads(gkss("sources", "seed", "--json"))
    assert len(first["added"]) == expected and first["already_registered"] == []
    assert {f"bioland-{h.split('.')[0]}" for h in hosts} <= set(first["added"])
    assert {f"cbd-{p}" for p in PRESETS} <= set(first["added"])
    hub = open_hub(Settings())
    try:
        sources = {s.id: s for s in hub.store.list_sources()}
        assert all(s.stored_options["enabled"] is False for s in sources.values())
        schedules = {row.source_id: row for row in list_schedules(hub.store)}
        assert set(schedules) == set(sources) and not any(row.enabled for row in schedules.values())
        assert schedules["bioland-ke"].every_seconds == 7 * 86400
        assert sources["bioland-ke"].options.country == "KE"
        assert sources["informea-decisions"].protocol == "odata"
        assert sources["cbd-rss-notifications"].url == "https://www.cbd.int/rss/notifications.aspx"
    finally:
        hub.close()
    again = json.loads(gkss("sources", "seed", "--json", "--only", "bioland"))
    assert again["added"] == [] and len(again["already_registered"]) == len(hosts)
    gkss("sources", "enable", "bioland-ke")
    hub = open_hub(Settings())
    try:
        assert hub.store.get_source("bioland-ke").stored_options["enabled"] is True  # type: ignore[union-attr]
        schedule = get_schedule(hub.store, "bioland-ke")
        assert schedule is not None and schedule.enabled and schedule.every_seconds == 7 * 86400
        assert sum(1 for row in list_schedules(hub.store) if row.enabled) == 1
    finally:
        hub.close()


def test_harvest_all_skips_sources_seeded_and_not_enabled() -> None:
    gkss("sources", "seed", "--only", "informea")
    assert json.loads(gkss("harvest", "--all", "--json")) == []  # four sources, none enabled
    hub = open_hub(Settings())
    try:
        assert all(hub.store.list_runs(s.id) == [] for s in hub.store.list_sources())
    finally:
        hub.close()


def test_unknown_group_is_refused() -> None:
    result = CliRunner().invoke(app, ["sources", "seed", "--only", "mars"])
    assert result.exit_code == 2
