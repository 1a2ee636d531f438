"""The options every source may have, whatever its protocol: its place (checked against the
vocabularies), whether it is enabled, its deletion policy and what follows each of its runs.

A source's options model is its protocol's model (declared next to the harvester) joined with
``CommonOptions``; ``options_model_of`` builds that join once per protocol model.
"""

from __future__ import annotations

import functools
from typing import Literal
from urllib.parse import urlsplit

from pydantic import (
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    create_model,
    field_validator,
    model_validator,
)

from harvesters.base import SourceOptions
from harvesters.registry import options_model
from normalizers.vocabularies.countries import country_id
from normalizers.vocabularies.regions import region_id

POLICIES = ("tombstones", "absence", "never")


class CommonOptions(SourceOptions):
    """The options any source accepts besides its protocol's (and the title and place of
    ``SourceOptions``, whose country and regions are checked here against the vocabularies)."""

    enabled: StrictBool = True
    """Whether the source takes part in ``gkss harvest --all`` (seeded sources start disabled)."""
    deletion_policy: Literal["tombstones", "absence", "never"] = "tombstones"
    """Which deletions a run applies: the source's explicit deletions (``tombstones``), also what a
    complete full run no longer finds (``absence``), or none (``never``)."""
    max_delete_share: StrictFloat | StrictInt | StrictStr | None = None
    """The share (0-1) of the source's live records one run may delete before it is quarantined
    (default: the hub's ``GKSS_MAX_DELETE_SHARE``)."""
    notify_url: StrictStr | None = None
    """A webhook told about the source's runs (a JSON POST)."""
    notify_on: Literal["failure", "always"] | None = None
    """When the webhook is told: failed and quarantined runs (``failure``, the default) or every run."""
    adaptive_polling: StrictBool = True
    """Feeds only: schedule the next poll by the feed's own publishing frequency."""

    @field_validator("country", check_fields=False)
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is not None and country_id(value) is None:
            raise ValueError(f"country must be an ISO 3166-1 alpha-2 or CBD code, got {value!r}")
        return value

    @field_validator("regions", check_fields=False)
    @classmethod
    def _known_regions(cls, value: str | list[str] | None) -> str | list[str] | None:
        values = [value] if isinstance(value, str) else value or []
        if not all(region_id(v) for v in values):
            raise ValueError(f"regions must be UN M49 codes or CBD regional groups, got {value!r}")
        return value

    @field_validator("metadata_prefix", check_fields=False)
    @classmethod
    def _crosswalked_prefix(cls, value: str) -> str:
        if value != "oai_dc":
            raise ValueError(f"metadata prefix {value!r} has no crosswalk yet; use oai_dc")
        return value

    @field_validator("max_delete_share")
    @classmethod
    def _share(cls, value: float | int | str | None) -> float | int | str | None:
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if not 0.0 <= number <= 1.0:
            raise ValueError(f"max_delete_share must be a number from 0 to 1, got {value!r}")
        return value

    @field_validator("notify_url")
    @classmethod
    def _webhook(cls, value: str | None) -> str | None:
        parts = urlsplit(value or "")
        if value is not None and (parts.scheme not in ("http", "https") or not parts.netloc):
            raise ValueError(f"notify_url must be an absolute http(s) URL, got {value!r}")
        return value

    @model_validator(mode="after")
    def _notify_on_needs_a_url(self) -> CommonOptions:
        if self.notify_on is not None and self.notify_url is None:
            raise ValueError("notify_on needs a notify_url")
        return self

    def delete_share(self, default: float) -> float:
        """The share of the source's live records one run may delete (``default`` when unset)."""
        return default if self.max_delete_share is None else float(self.max_delete_share)

    def notify_target(self, status: str) -> str | None:
        """The webhook to tell about a run that ended ``status``, or None."""
        if not self.notify_url:
            return None
        when = self.notify_on or "failure"
        return self.notify_url if when == "always" or status in ("failed", "quarantined") else None


@functools.cache
def _joined(model: type[SourceOptions]) -> type[SourceOptions]:
    if issubclass(model, CommonOptions):
        return model
    joined: type[SourceOptions] = create_model(model.__name__, __base__=(model, CommonOptions))
    return joined


def options_model_of(protocol: str) -> type[SourceOptions]:
    """The options model of a source of ``protocol``: its protocol's model joined with
    ``CommonOptions`` (ConfigurationError for an unknown protocol)."""
    return _joined(options_model(protocol))


def common_options(options: SourceOptions) -> CommonOptions:
    """The common options of a source's options (its defaults if they were built without them)."""
    if isinstance(options, CommonOptions):
        return options
    return CommonOptions.model_construct()
