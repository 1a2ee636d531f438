"""The `gkss` command line: ``main.py`` builds the app; one module per command group."""

from hub.cli.main import app

__all__ = ["app"]
