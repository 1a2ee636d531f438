"""Sources as a node admin registers them: checked once, when registered or updated, into the one shape
a source has from registration to run (``SourceSpec``, its options typed by its protocol's model)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from harvesters.base import SourceOptions, SourceSpec
from harvesters.netguard import registration_refusal as url_refusal
from harvesters.registry import PROTOCOLS, protocol_names
from registry.source_options import common_options, options_model_of

SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")

Source = SourceSpec[SourceOptions]


class InvalidSource(ValueError):
    """A source that cannot be registered: the message names the field or option at fault."""


def _problems(protocol: str, exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            problems.append(f"option {name} is not understood by {protocol}")
        elif name:
            problems.append(f"option {name}: {message}")
        else:
            problems.append(message)
    return f"{protocol}: {'; '.join(problems)}"


def registered_source(id: str, protocol: str, url: str, options: Mapping[str, Any] | None = None) -> Source:
    """The source an admin registers (or updates to): id, protocol, URL and options checked, the options
    read by the protocol's model joined with the options every source may have; InvalidSource naming
    what is wrong otherwise."""
    if not SOURCE_ID.match(id):
        raise InvalidSource("source id must be 1-63 lower-case letters, digits, '.', '_' or '-'")
    if protocol not in PROTOCOLS:
        raise InvalidSource(f"unknown protocol {protocol!r}; known: {', '.join(protocol_names())}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidSource(f"source URL must be an absolute http(s) URL, got {url!r}")
    try:
        typed = options_model_of(protocol).model_validate(dict(options or {}))
    except ValidationError as exc:
        raise InvalidSource(_problems(protocol, exc)) from None
    return SourceSpec(id, protocol, url, typed)


@dataclass(frozen=True, slots=True)
class StoredSource:
    """A registered source as the hub keeps it, what the store hands out: the source (its options typed),
    its node, the state carried between its runs, its options as stored (what the API and CLI show), the
    stored options it ignores (an older hub's option this one no longer knows: kept as stored, never
    dropped) and, when a stored option's value no longer passes its model, the problem (the run fails
    with it, the source is kept as it is, and that option reads as its default)."""

    source: Source
    ignored: list[str] = field(default_factory=list)
    problem: str | None = None
    node_id: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    stored_options: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.source.id

    @property
    def protocol(self) -> str:
        return self.source.protocol

    @property
    def url(self) -> str:
        return self.source.url

    @property
    def options(self) -> SourceOptions:
        """The source's typed options (with ``common_options``: those every source may have)."""
        return self.source.options


def stored_source(
    id: str,
    protocol: str,
    url: str,
    options: Mapping[str, Any],
    *,
    node_id: str | None = None,
    state: Mapping[str, Any] | None = None,
) -> StoredSource:
    """A stored source read back (see StoredSource): never an exception for its options."""

    def kept(options_read: SourceOptions, ignored: list[str], problem: str | None = None) -> StoredSource:
        source = SourceSpec(id, protocol, url, options_read)
        return StoredSource(source, ignored, problem, node_id, dict(state or {}), dict(options))

    try:
        model = options_model_of(protocol)
    except ValueError as exc:  # a protocol this hub does not know (any more): the run fails with it
        return kept(SourceOptions(), [], str(exc))
    known = {key: value for key, value in options.items() if key in model.model_fields}
    ignored = sorted(set(options) - set(known))
    try:
        return kept(model.model_validate(known), ignored)
    except ValidationError as exc:
        problem = _problems(protocol, exc)
        refused = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
    try:  # the options that still pass keep their values (an ``enabled: false`` stays off)
        return kept(
            model.model_validate({k: v for k, v in known.items() if k not in refused}), ignored, problem
        )
    except ValidationError:
        return kept(model.model_construct(), ignored, problem)


def source_enabled(source: StoredSource) -> bool:
    """A stored source takes part in ``gkss harvest --all`` unless it says ``enabled: false``."""
    return common_options(source.options).enabled


def registration_refusal(source: Source, *, allow_private: bool) -> str | None:
    """Why the outbound guard would refuse this source's URL or its ``notify_url`` when used, or None
    (refused at registration with this reason; see ``harvesters.netguard``)."""
    urls = [("source URL", source.url)]
    notify_url = common_options(source.options).notify_url
    if notify_url:
        urls.append(("notify_url", notify_url))
    for what, url in urls:
        reason = url_refusal(url, allow_private=allow_private)
        if reason:
            return f"{what} refused: {reason}"
    return None
