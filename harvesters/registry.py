"""Which harvester reads which protocol: this package's own, plus those registered from above."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, TypeVar

from harvesters.errors import ConfigurationError

if TYPE_CHECKING:  # httpx and pydantic only when a harvester is built or its options read
    import httpx
    from pydantic import BaseModel

    from harvesters.base import Harvester, SourceSpec
    from harvesters.http import HttpPolicy

# protocol -> "module:Class" of this package (imported on first use) or a harvester class registered
# by a package above (the peer-hub protocol ``hub`` is federation's, registered by the hub).
PROTOCOLS: dict[str, Any] = {
    "cbd-index": "harvesters.cbd_index:CbdIndexHarvester",
    "drupal-jsonapi": "harvesters.drupal_jsonapi:DrupalJsonApiHarvester",
    "feed": "harvesters.feed:FeedHarvester",
    "odata": "harvesters.odata:ODataHarvester",
    "oai-pmh": "harvesters.oaipmh:OaiPmhHarvester",
    "scrape": "harvesters.scrapy_harvest:ScrapeHarvester",
    "sitemap": "harvesters.scrapy_harvest:SitemapHarvester",
}


# protocol -> the pydantic model of its own options, for protocols registered with one: a source's
# options are validated against it once, when the source is registered or updated.
OPTIONS: dict[str, type[BaseModel]] = {}
Options = TypeVar("Options", bound="BaseModel")


def register_protocol(name: str, harvester: type[Any] | str, options: type[BaseModel] | None = None) -> None:
    """Make ``name`` a protocol sources may use, read by ``harvester`` (built as
    ``harvester(spec, policy, client)``, a Harvester; or ``"module:Class"``, imported on first use)
    and, when given, its options declared by the ``options`` model (a model that forbids extra fields
    names an option it does not know); re-registering the same class is a no-op."""
    known = PROTOCOLS.get(name)
    if known is not None and known is not harvester and known != harvester:
        raise ConfigurationError(f"protocol {name!r} is already registered to {known!r}")
    PROTOCOLS[name] = harvester
    if options is not None:
        OPTIONS[name] = options


def protocol_options(spec: SourceSpec, model: type[Options]) -> Options:
    """The spec's own options as the protocol's model (the options every source may have, such as its
    country or deletion policy, left out); validated at registration, so only a changed model fails."""
    own = {key: value for key, value in spec.options.items() if key in model.model_fields}
    try:
        return model.model_validate(own)
    except ValueError as exc:
        raise ConfigurationError(f"{spec.id}: {exc}") from None


def build_harvester(spec: SourceSpec, policy: HttpPolicy, client: httpx.Client | None = None) -> Harvester:
    """The harvester for the spec's protocol, built from the spec and the HTTP policy."""
    target = PROTOCOLS.get(spec.protocol)
    if target is None:
        known = ", ".join(sorted(PROTOCOLS))
        raise ConfigurationError(f"unknown protocol {spec.protocol!r} (known: {known})")
    if isinstance(target, str):
        module_name, _, class_name = target.partition(":")
        harvester_class = getattr(importlib.import_module(module_name), class_name)
    else:
        harvester_class = target
    harvester: Harvester = harvester_class(spec, policy, client)
    return harvester
