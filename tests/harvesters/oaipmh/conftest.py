"""The fixtures of the oaipmh harvester tests (defined in support.py)."""

from tests.harvesters.oaipmh.support import expected, server  # noqa: F401
