"""Which harvester reads which protocol."""

from __future__ import annotations

import importlib

import httpx

from harvesters.base import Harvester, SourceSpec
from harvesters.errors import ConfigurationError
from harvesters.http import HttpPolicy

PROTOCOLS: dict[str, str] = {
    "cbd-index": "harvesters.cbd_index:CbdIndexHarvester",
    "drupal-jsonapi": "harvesters.drupal_jsonapi:DrupalJsonApiHarvester",
    "feed": "harvesters.feed:FeedHarvester",
    "hub": "federation.replication:HubHarvester",
    "odata": "harvesters.odata:ODataHarvester",
    "oai-pmh": "harvesters.oaipmh:OaiPmhHarvester",
    "scrape": "harvesters.scrapy_harvest:ScrapeHarvester",
    "sitemap": "harvesters.scrapy_harvest:SitemapHarvester",
}


def build_harvester(spec: SourceSpec, policy: HttpPolicy, client: httpx.Client | None = None) -> Harvester:
    """The harvester for the spec's protocol, built from the spec and the HTTP policy."""
    target = PROTOCOLS.get(spec.protocol)
    if target is None:
        known = ", ".join(sorted(PROTOCOLS))
        raise ConfigurationError(f"unknown protocol {spec.protocol!r} (known: {known})")
    module_name, _, class_name = target.partition(":")
    harvester_class = getattr(importlib.import_module(module_name), class_name)
    harvester: Harvester = harvester_class(spec, policy, client)
    return harvester
