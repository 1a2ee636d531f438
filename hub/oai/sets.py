"""Hierarchical OAI sets: source:<id>, type:<type>, country:<CC>, target:GBF-TARGET-NN and their parents."""

# A tombstone (a deleted record) stays in the sets of the Resource it had when it was deleted (the
# store keeps it as ``last_resource``), so a harvester of a type, country or target set learns of the
# deletion. A record deleted before the hub ever saw it live is only in its source sets.

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from normalizers.vocabularies.gbf import gbf_targets

KINDS: dict[str, str] = {
    "source": "Source",
    "type": "Resource type",
    "country": "Country",
    "target": "GBF target",
}
SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(?::[A-Za-z0-9\-_.!~*'()]+)*")
_PART = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")


class Classified(Protocol):
    """What decides a record's sets (a Resource, or its SetFields)."""

    @property
    def type(self) -> str: ...

    @property
    def countries(self) -> list[str]: ...

    @property
    def gbf_targets(self) -> list[str]: ...

    @property
    def source(self) -> str: ...

    @property
    def id(self) -> str: ...


class SetFields(BaseModel):
    """The few fields of a stored Resource the provider needs besides its JSON: read from that JSON
    without building the rest of the Resource (a quarter of the cost)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    source: str
    type: str = "other"
    countries: list[str] = Field(default_factory=list)
    gbf_targets: list[str] = Field(default_factory=list)


@lru_cache(maxsize=4096)
def is_set_spec(text: str) -> bool:
    """True when ``text`` has the setSpec syntax of OAI-PMH (colon-separated parts)."""
    return SET_SPEC.fullmatch(text) is not None


@dataclass(frozen=True, slots=True)
class SetFilter:
    """Which records a ``set`` argument selects; ``kind`` None is the unfiltered list.

    ``kind`` set and ``value`` None is a parent set (``type`` holds every record with a Resource or a
    last one, ``country`` and ``target`` those with at least one country or target, ``source`` every
    record).
    """

    kind: str | None = None
    value: str | None = None

    @property
    def source(self) -> str | None:
        return self.value if self.kind == "source" else None

    @property
    def exact_in_sql(self) -> bool:
        """True when SQL alone selects the members (no check of the Resource JSON is needed)."""
        return self.kind in (None, "source", "type") and not (self.kind == "type" and self.value)

    def json_literals(self) -> list[str]:
        """Text every member's Resource JSON contains (a JSON string literal: ``"KE"``).

        Compact or spaced, a JSON document that holds this value holds the quoted literal, so the
        filter never drops a member; Python then decides membership exactly.
        """
        return [f'"{self.value}"'] if self.reads_resource and self.value else []

    @property
    def reads_resource(self) -> bool:
        """Whether membership depends on more than the source (``contains`` then needs the fields)."""
        return self.kind not in (None, "source")

    def contains(self, source_id: str, resource: Classified | None) -> bool:
        if self.kind is None:
            return True
        if self.kind == "source":
            return self.value is None or source_id == self.value
        if resource is None:
            return False
        values = _values(self.kind, resource)
        return bool(values) if self.value is None else self.value in values


def parse_set(spec: str) -> SetFilter | None:
    """The filter of a setSpec; None when the hub has no such set (the list is then empty)."""
    kind, colon, value = spec.partition(":")
    if kind not in KINDS:
        return None
    if not colon:
        return SetFilter(kind)
    if ":" in value:
        return None
    return SetFilter(kind, value)


def _values(kind: str, resource: Classified) -> list[str]:
    if kind == "type":
        return [resource.type]
    if kind == "country":
        return resource.countries
    if kind == "target":
        return resource.gbf_targets
    return [resource.source]


def record_sets(source_id: str, resource: Classified | None) -> list[str]:
    """The setSpecs of a record's header: the leaves only (membership of a parent is implied)."""
    specs = [f"source:{source_id}"]
    if resource is not None:
        specs.append(f"type:{resource.type}")
        specs += [f"country:{code}" for code in resource.countries]
        specs += [f"target:{target}" for target in resource.gbf_targets]
    return [spec for spec in dict.fromkeys(specs) if is_set_spec(spec)]


def sets_of(records: Iterable[tuple[str, Classified | None]]) -> list[str]:
    """Every setSpec that holds at least one of ``records``, parents included, sorted."""
    found: set[str] = set()
    for source_id, resource in records:
        for spec in record_sets(source_id, resource):
            found.add(spec)
            found.add(spec.partition(":")[0])
    return sorted(found)


@cache
def _target_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for term in gbf_targets():
        title = term.short_title.get("en") or term.title.get("en")
        names[term.identifier] = title or term.identifier
    return names


@cache
def _country_name(code: str) -> str:
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    return str(getattr(country, "name", code)) if country is not None else code


def set_name(spec: str) -> str:
    """A human-readable name of a set."""
    kind, _, value = spec.partition(":")
    label = KINDS.get(kind, kind)
    if not value:
        return f"{label} (all)"
    if kind == "country":
        return f"{label}: {_country_name(value)} ({value})"
    if kind == "target":
        return f"{label}: {_target_names().get(value, value)}"
    return f"{label}: {value}"
