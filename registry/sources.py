"""Source configurations: what to harvest and how, validated before anything is stored."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from harvesters.cbd_index import PRESETS as CBD_PRESETS
from harvesters.netguard import registration_refusal as url_refusal
from harvesters.options import MAX_ENTRIES_LIMIT
from harvesters.registry import OPTIONS, PROTOCOLS
from registry.deletion_policy import DELETION_OPTIONS, check_deletion_options
from registry.network_options import NETWORK_PROTOCOL_OPTIONS, PLACE_OPTIONS, check_network_options
from registry.run_options import RUN_OPTIONS, check_run_options

SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


class SourceConfig(BaseModel):
    """A source as a node admin registers it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    protocol: str
    url: str
    options: dict[str, Any] = {}

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not SOURCE_ID.match(value):
            raise ValueError("source id must be 1-63 lower-case letters, digits, '.', '_' or '-'")
        return value

    @field_validator("protocol")
    @classmethod
    def _check_protocol(cls, value: str) -> str:
        if value not in PROTOCOLS:
            raise ValueError(f"unknown protocol {value!r}; known: {', '.join(sorted(PROTOCOLS))}")
        return value

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"source URL must be an absolute http(s) URL, got {value!r}")
        return value

    @model_validator(mode="after")
    def _check_options(self) -> SourceConfig:
        model = OPTIONS.get(self.protocol)
        if model is not None:  # a protocol registered with its options model
            common = PLACE_OPTIONS | DELETION_OPTIONS | RUN_OPTIONS
            try:
                model.model_validate({k: v for k, v in self.options.items() if k not in common})
            except ValidationError as exc:
                problems = [f"option {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
                raise ValueError(f"{self.protocol}: {'; '.join(problems)}") from None
            check_network_options(self.protocol, self.options)
            check_deletion_options(self.options)
            check_run_options(self.options)
            return self
        allowed = {
            "feed": {"title", "max_entries"},
            "oai-pmh": {"metadata_prefix", "set", "overlap_seconds", "title"},
            "cbd-index": {"preset", "query", "rows", "title"},
            "hub": {"title", "public_key", "overlap_seconds"},
            **NETWORK_PROTOCOL_OPTIONS,
        }
        unknown = (
            set(self.options)
            - allowed.get(self.protocol, set())
            - PLACE_OPTIONS
            - DELETION_OPTIONS
            - RUN_OPTIONS
        )
        if unknown:
            raise ValueError(f"options not understood by {self.protocol}: {', '.join(sorted(unknown))}")
        preset = self.options.get("preset")
        if preset is not None and preset not in CBD_PRESETS:
            raise ValueError(f"unknown cbd-index preset {preset!r}; known: {', '.join(sorted(CBD_PRESETS))}")
        if self.protocol == "cbd-index" and "preset" not in self.options and "query" not in self.options:
            raise ValueError("cbd-index needs a preset or a query option")
        check_network_options(self.protocol, self.options)
        check_deletion_options(self.options)
        check_run_options(self.options)
        entries = self.options.get("max_entries")
        bad = (
            isinstance(entries, bool) or not isinstance(entries, int) or not 1 <= entries <= MAX_ENTRIES_LIMIT
        )
        if entries is not None and bad:
            raise ValueError(f"max_entries must be an integer 1-{MAX_ENTRIES_LIMIT}, got {entries!r}")
        prefix = self.options.get("metadata_prefix")
        if prefix not in (None, "oai_dc"):
            raise ValueError(f"metadata prefix {prefix!r} has no crosswalk yet; use oai_dc")
        return self


def registration_refusal(config: SourceConfig, *, allow_private: bool) -> str | None:
    """Why the outbound guard would refuse this source's URL or its ``notify_url`` when used, or None
    (refused at registration with this reason; see ``harvesters.netguard``)."""
    urls = [("source URL", config.url)]
    if config.options.get("notify_url"):
        urls.append(("notify_url", str(config.options["notify_url"])))
    for what, url in urls:
        reason = url_refusal(url, allow_private=allow_private)
        if reason:
            return f"{what} refused: {reason}"
    return None
