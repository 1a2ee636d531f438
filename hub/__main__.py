"""`python -m hub` runs the `gkss` command line."""

from hub.cli import app

app(prog_name="gkss")
