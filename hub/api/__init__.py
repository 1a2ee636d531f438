"""The HTTP API (FastAPI): the app (``app.py``) and one router module per resource; OpenAPI at /docs."""

from hub.api.app import create_app

__all__ = ["create_app"]
