"""The kinds of node in the hierarchy and which kind sits under which (no database: the command line
declares its options from it without loading the store)."""

from __future__ import annotations

KINDS = ("service", "regional", "national")
CHILD_KIND = {"service": "regional", "regional": "national"}
