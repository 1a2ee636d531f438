"""The common schema every source is normalised to."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from harvesters.records import RawRecord
from normalizers.vocabularies.languages import UN_LANGUAGES
from normalizers.vocabularies.resource_types import RESOURCE_TYPES


def resource_id(source_id: str, native_id: str) -> str:
    """The stable, URL-safe id of a record: its source plus a digest of the native id."""
    digest = hashlib.sha256(native_id.encode("utf-8")).hexdigest()[:20]
    return f"{source_id}-{digest}"


# What content_hash ignores: when the record was harvested.
_NOT_CONTENT: Any = {"harvested": True, "provenance": {"harvested"}}
# published_at came later: a record without one hashes as it did before the field existed
_NOT_CONTENT_NO_MOMENT: Any = {**_NOT_CONTENT, "published_at": True}


class Provenance(BaseModel):
    """Where a Resource came from and how."""

    model_config = ConfigDict(extra="forbid")

    source: str
    protocol: str
    native_id: str
    payload_hash: str
    content_type: str
    harvested: datetime | None = None
    origin_hub: str | None = None


class Resource(BaseModel):
    """One knowledge resource, whatever its source.

    ``title`` and ``description`` are keyed by language: a BCP 47 tag, the six UN languages
    (ar, en, es, fr, ru, zh) first class, ``und`` when unknown. Vocabulary fields hold
    identifiers: ``countries`` ISO 3166-1 alpha-2 upper case, ``gbf_targets`` ``GBF-TARGET-NN``,
    ``gbf_goals`` ``GBF-GOAL-X``, ``type`` one of ``RESOURCE_TYPES``. ``gbf_targets`` are the targets
    the source states (or its text names explicitly); ``gbf_targets_inferred`` maps targets inferred
    from the text (normalizers.target_model) to their score, and never repeats a stated one.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    source: str
    native_id: str
    url: str | None = None
    title: dict[str, str] = Field(default_factory=dict)
    description: dict[str, str] = Field(default_factory=dict)
    type: str = "other"
    published: date | None = None
    published_at: datetime | None = None  # the moment of publication, time of day and UTC offset as given
    modified: datetime | None = None
    harvested: datetime | None = None
    creators: list[str] = Field(default_factory=list)
    publisher: str | None = None
    subjects: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    gbf_goals: list[str] = Field(default_factory=list)
    gbf_targets: list[str] = Field(default_factory=list)
    # issue 19: targets inferred from the text (never stated), with the model's score; apart from
    # gbf_targets, which holds what the source states or names explicitly
    # Left out of the JSON when empty: records without inferred targets serialise (and hash, and reach
    # peers running an older hub) exactly as before the field. A field-level rule, not a model
    # serializer: a wrapping serializer costs a call into Python on every dump (4 µs of 15).
    gbf_targets_inferred: dict[str, float] = Field(default_factory=dict, exclude_if=lambda v: not v)
    gbf_indicators: list[str] = Field(default_factory=list)
    symbols: list[str] = Field(default_factory=list)  # CBD document symbols: COP-17, CBD/COP/DEC/15/4
    licence: str | None = None
    provenance: Provenance
    merged_provenance: list[Provenance] = Field(default_factory=list)

    def display_title(self, prefer: str = "en") -> str:
        """The title to show: the preferred language, then UN languages, then any."""
        for lang in (prefer, *UN_LANGUAGES, "und"):
            if self.title.get(lang):
                return self.title[lang]
        return next(iter(self.title.values()), self.url or self.native_id)

    def display_date(self) -> str | None:
        """The most telling date as ISO text: published, else modified."""
        if self.published:
            return self.published.isoformat()
        if self.modified:
            return self.modified.date().isoformat()
        return None

    def year(self) -> int | None:
        if self.published:
            return self.published.year
        if self.modified:
            return self.modified.year
        return None

    def content_hash(self) -> str:
        """A digest of what the record says, ignoring when it was harvested."""
        exclude = _NOT_CONTENT if self.published_at is not None else _NOT_CONTENT_NO_MOMENT
        return hashlib.sha256(self.model_dump_json(exclude=exclude).encode("utf-8")).hexdigest()


def resource_from_peer(payload: str | bytes) -> Resource:
    """A Resource as another hub published it, read tolerantly: fields this hub does not know (a newer
    peer's additions, at the top level or in its provenance) are dropped, everything known is validated
    as strictly as ever. Raises ``ValueError`` (pydantic's ``ValidationError`` included) on anything else."""
    data = json.loads(payload)
    if not isinstance(data, dict):
        raise ValueError("a gkss Resource is a JSON object")
    known = {k: v for k, v in data.items() if k in Resource.model_fields}
    provenance = known.get("provenance")
    if isinstance(provenance, dict):
        known["provenance"] = {k: v for k, v in provenance.items() if k in Provenance.model_fields}
    return Resource.model_validate(known)


def provenance_of(raw: RawRecord, protocol: str) -> Provenance:
    """The provenance every crosswalk records: source, protocol, native id, payload digest, content type."""
    return Provenance(
        source=raw.source_id,
        protocol=protocol,
        native_id=raw.native_id,
        payload_hash=hashlib.sha256(raw.payload).hexdigest(),
        content_type=raw.content_type,
    )


def check_type(value: str) -> str:
    """Return ``value`` when it is a known resource type, else ``other``."""
    return value if value in RESOURCE_TYPES else "other"
