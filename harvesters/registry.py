"""Which harvester reads which protocol, and which options model declares its options: this package's
own protocols, plus those registered from above (the peer-hub protocol ``hub`` is federation's)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harvesters.errors import ConfigurationError

if TYPE_CHECKING:  # httpx and pydantic only when a harvester is built or its options read
    import httpx
    from pydantic import ValidationError

    from harvesters.base import Harvester, SourceOptions, SourceSpec
    from harvesters.http import HttpPolicy


@dataclass(frozen=True, slots=True)
class Protocol:
    """A protocol's harvester (built as ``harvester(spec, policy, client)``, a Harvester) and options
    model, each a class or the ``"module:Class"`` of one in this package (imported on first use)."""

    harvester: type[Any] | str
    options: type[SourceOptions] | str


def _load(target: type[Any] | str) -> Any:
    if not isinstance(target, str):
        return target
    module_name, _, name = target.partition(":")
    return getattr(importlib.import_module(module_name), name)


PROTOCOLS: dict[str, Protocol] = {
    "cbd-index": Protocol("harvesters.cbd_index:CbdIndexHarvester", "harvesters.cbd_index:CbdIndexOptions"),
    "drupal-jsonapi": Protocol(
        "harvesters.drupal_jsonapi:DrupalJsonApiHarvester", "harvesters.drupal_jsonapi:DrupalJsonApiOptions"
    ),
    "feed": Protocol("harvesters.feed:FeedHarvester", "harvesters.feed:FeedOptions"),
    "odata": Protocol("harvesters.odata:ODataHarvester", "harvesters.odata:ODataOptions"),
    "oai-pmh": Protocol("harvesters.oaipmh:OaiPmhHarvester", "harvesters.oaipmh:OaiPmhOptions"),
    "scrape": Protocol("harvesters.scrapy_harvest:ScrapeHarvester", "harvesters.crawl_options:CrawlOptions"),
    "sitemap": Protocol(
        "harvesters.scrapy_harvest:SitemapHarvester", "harvesters.crawl_options:CrawlOptions"
    ),
}


def register_protocol(name: str, harvester: type[Any] | str, options: type[SourceOptions] | str) -> None:
    """Make ``name`` a protocol sources may use, read by ``harvester`` (built as
    ``harvester(spec, policy, client)``, a Harvester) with its options declared by ``options`` (a
    SourceOptions model); either may be a ``"module:Class"`` imported on first use. Re-registering the
    same classes is a no-op."""
    known = PROTOCOLS.get(name)
    protocol = Protocol(harvester, options)
    if known is not None and known != protocol:
        raise ConfigurationError(f"protocol {name!r} is already registered to {known.harvester!r}")
    PROTOCOLS[name] = protocol


def protocol_names() -> list[str]:
    """The protocols sources may use, sorted."""
    return sorted(PROTOCOLS)


def options_model(protocol: str) -> type[SourceOptions]:
    """The options model of ``protocol``; ConfigurationError naming the known ones if there is none."""
    known = PROTOCOLS.get(protocol)
    if known is None:
        raise ConfigurationError(f"unknown protocol {protocol!r} (known: {', '.join(protocol_names())})")
    model: type[SourceOptions] = _load(known.options)
    return model


def option_problems(exc: ValidationError) -> str:
    """A validation error as ``option NAME: message``, one per problem (each names its option)."""
    problems = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]) or "options"
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"option {name}: {message}" if name != "options" else message)
    return "; ".join(problems)


def typed_source(
    id: str, protocol: str, url: str, options: Mapping[str, Any] | None = None
) -> SourceSpec[SourceOptions]:
    """A source whose options are read by its protocol's model; ConfigurationError naming the option
    that is unknown or invalid."""
    from pydantic import ValidationError

    from harvesters.base import SourceSpec

    model = options_model(protocol)
    try:
        typed = model.model_validate(dict(options or {}))
    except ValidationError as exc:
        raise ConfigurationError(f"{id}: {protocol}: {option_problems(exc)}") from None
    return SourceSpec(id, protocol, url, typed)


def build_harvester(
    spec: SourceSpec[SourceOptions], policy: HttpPolicy, client: httpx.Client | None = None
) -> Harvester:
    """The harvester for the spec's protocol, built from the spec (its options read by the protocol's
    model if they are not already) and the HTTP policy."""
    model = options_model(spec.protocol)
    if not isinstance(spec.options, model):
        spec = typed_source(spec.id, spec.protocol, spec.url, spec.options.stored())
    harvester: Harvester = _load(PROTOCOLS[spec.protocol].harvester)(spec, policy, client)
    return harvester
