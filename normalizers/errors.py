"""Errors a crosswalk raises for one record.

NormalizeError
+-- SkipRecord       the record is fine but not for the hub (e.g. no title and no link)
+-- InvalidRecord    the record cannot be read; recorded on the run with its message
"""


class NormalizeError(Exception):
    """One record could not become a Resource."""


class SkipRecord(NormalizeError):
    """The record is deliberately left out."""


class InvalidRecord(NormalizeError):
    """The record is unreadable or lacks what the schema requires."""
