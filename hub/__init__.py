"""The hub service: settings, store, search backends, pipeline, API and CLI."""
