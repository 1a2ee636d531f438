"""The hub service: settings, store, search, pipeline, API and CLI (the top layer: it wires the rest)."""

import hub.protocols  # noqa: F401  (registers the peer-hub protocol before any source is read)
