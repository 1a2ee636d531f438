"""Adding a protocol is one harvester, one options model and one registration line: a protocol defined
here, in the test suite, is registered, refuses options it does not know, and harvests end to end
(real HTTP on 127.0.0.1 -> crosswalk -> store -> index -> search)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import Field

from harvesters.base import HarvestItem, HarvestState, SourceOptions, SourceSpec
from harvesters.http import HttpPolicy, fetch, make_client, raise_for_status
from harvesters.records import RawRecord, json_payload
from harvesters.registry import PROTOCOLS, register_protocol
from hub.context import Hub, open_hub
from hub.pipeline import harvest_source
from hub.search.base import SearchQuery
from hub.settings import Settings
from registry.sources import InvalidSource, Source, registered_source
from tests.support.http_replay import ReplayServer

CORPUS = Path(__file__).parents[1] / "fixtures" / "contract" / "corpus.json"


class LinesOptions(SourceOptions):
    """The options of the ``test-lines`` protocol."""

    max_lines: int = Field(default=100, ge=1, le=1000)
    language: str = "en"


class LinesHarvester:
    """A text file, one record a line: ``title<TAB>url``; each becomes a feed entry for its crosswalk."""

    def __init__(
        self, spec: SourceSpec[LinesOptions], policy: HttpPolicy, client: httpx.Client | None = None
    ) -> None:
        self.spec = spec
        self.policy = policy
        self.client = client
        self.options = spec.options  # typed: validated once, when the source was registered

    def harvest(self, state: HarvestState) -> Iterator[HarvestItem]:
        with self.client or make_client(self.policy) as client:
            response = fetch(client, self.policy, self.spec.url, on_response=state.count_response)
        raise_for_status(response)
        lines = [line for line in response.content.decode("utf-8").splitlines() if line.strip()]
        for number, line in enumerate(lines[: self.options.max_lines], start=1):
            title, _, url = line.partition("\t")
            entry = {"title": title, "link": url, "language": self.options.language}
            yield RawRecord(
                self.spec.id, f"line-{number}", "application/x-feed-entry+json", json_payload(entry)
            )


@pytest.fixture
def lines_protocol() -> Iterator[None]:
    register_protocol("test-lines", LinesHarvester, LinesOptions)  # the one registration line
    try:
        yield
    finally:
        PROTOCOLS.pop("test-lines", None)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    hub = open_hub(Settings(home=tmp_path, database_url=None, search_url=None, allow_private_networks=True))
    yield hub
    hub.close()


def _lines() -> list[str]:
    """Titles and URLs of real records (the contract corpus), one a line."""
    resources = json.loads(CORPUS.read_text())["resources"]
    return [f"{r['title']['en']}\t{r['url']}" for r in resources if r.get("url") and r["title"].get("en")]


def _config(**options: object) -> Source:
    return registered_source("lines", "test-lines", "https://example.org/l.txt", options)


def test_options_are_checked_once_at_registration_and_named_in_the_error(lines_protocol: None) -> None:
    config = _config(max_lines=5)
    assert isinstance(config.options, LinesOptions)
    assert (config.options.max_lines, config.options.language) == (5, "en")
    assert config.options.stored() == {"max_lines": 5}
    with pytest.raises(InvalidSource, match="option max_lines"):
        _config(max_lines=0)
    with pytest.raises(InvalidSource, match="option colour"):
        _config(colour="red")
    # what every source may carry (its place, its deletion policy) is not the protocol's to refuse
    assert _config(country="KE", deletion_policy="never").options.stored() == {
        "country": "KE",
        "deletion_policy": "never",
    }
    with pytest.raises(InvalidSource, match="option country"):
        _config(country="ZZ")


def test_a_protocol_defined_in_the_tests_harvests_end_to_end(lines_protocol: None, hub: Hub) -> None:
    lines = _lines()
    assert len(lines) > 5
    with ReplayServer() as site:
        site.route("/lines.txt", "\n".join(lines), headers={"Content-Type": "text/plain; charset=utf-8"})
        config = registered_source("lines", "test-lines", site.url + "/lines.txt", {"max_lines": 5})
        hub.store.add_source(config.id, config.protocol, config.url, config.options.stored())
        summary = harvest_source(hub, "lines")
    assert summary.status == "succeeded", summary.error
    assert summary.added == 5
    first_title = lines[0].split("\t")[0]
    found = hub.index.search(SearchQuery(source=("lines",), size=10))
    assert found.total == 5
    assert first_title in {hit.resource.display_title() for hit in found.hits}
