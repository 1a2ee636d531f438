"""Normalisers: the common Resource schema, vocabularies and one crosswalk per content type."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from normalizers.errors import InvalidRecord, SkipRecord
    from normalizers.resource import Provenance, Resource

__all__ = ["InvalidRecord", "Provenance", "Resource", "SkipRecord"]
_HOMES = {"InvalidRecord": "errors", "SkipRecord": "errors", "Provenance": "resource", "Resource": "resource"}


def __getattr__(name: str) -> Any:
    """The package's names, each imported from its module on first use: importing one light module of
    the package (the search filters, for `gkss --help`) does not build the Resource model."""
    if name not in _HOMES:
        raise AttributeError(f"module 'normalizers' has no attribute {name!r}")
    return getattr(importlib.import_module(f"normalizers.{_HOMES[name]}"), name)
