"""Normalisers: the common Resource schema, vocabularies and one crosswalk per content type."""

from normalizers.errors import InvalidRecord, SkipRecord
from normalizers.resource import Provenance, Resource

__all__ = ["InvalidRecord", "Provenance", "Resource", "SkipRecord"]
