"""The `gkss` command line: builds the app from the command groups of the `hub.cli` package."""

from __future__ import annotations

import typer

from hub.cli.federation import peers_app
from hub.cli.harvest import harvest, runs
from hub.cli.index import index_app, reindex, renormalise
from hub.cli.jobs import scheduler, worker
from hub.cli.network import dedup
from hub.cli.registry import audit_log, keys_app, nodes_app
from hub.cli.search import search
from hub.cli.serve import serve
from hub.cli.sources import sources_app
from hub.cli.websub import websub_app

app = typer.Typer(
    help="gkss-hub: harvest, normalise, index and re-publish biodiversity knowledge.", no_args_is_help=True
)
app.add_typer(sources_app, name="sources")
app.add_typer(index_app, name="index")
app.add_typer(peers_app, name="peers")
app.add_typer(websub_app, name="websub")
app.add_typer(nodes_app, name="nodes")
app.add_typer(keys_app, name="keys")
# Listed in `gkss --help` in this order.
app.command("audit")(audit_log)
app.command()(worker)
app.command()(scheduler)
app.command()(dedup)
app.command()(harvest)
app.command()(runs)
app.command()(search)
app.command()(reindex)
app.command()(renormalise)
app.command()(serve)
