"""Errors raised while harvesting a source.

    HarvestError                  anything that ends a run as failed
    +-- TransientError            the source may answer later (timeouts, refused, 429, 5xx)
    +-- ProtocolError             the source answered, but not what the protocol allows
    |   +-- MalformedResponse     ill-formed XML, not a feed, HTML where XML was expected
    |   +-- ResponseTooLarge      body or decompressed body over the size cap
    |   +-- UnsafeContent         DTDs, external entities, entity expansion
    +-- ConfigurationError        the source configuration cannot work (bad URL, unknown protocol)

Per-record problems are not exceptions: harvesters yield a RecordFailure and go on.
"""


class HarvestError(Exception):
    """A harvest run cannot go on."""


class TransientError(HarvestError):
    """The source did not answer usefully now; a later run may succeed."""


class ProtocolError(HarvestError):
    """The source answered with something its protocol does not allow."""


class MalformedResponse(ProtocolError):
    """The body could not be parsed as the protocol's format."""


class ResponseTooLarge(ProtocolError):
    """The body, or what it decompresses to, is larger than the configured cap."""


class UnsafeContent(ProtocolError):
    """The body carries constructs refused for safety (DTD, external entities)."""


class ConfigurationError(HarvestError):
    """The source configuration cannot work."""
