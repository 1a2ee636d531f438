"""`gkss serve`: the HTTP API under uvicorn (FastAPI imported only when serving)."""

from __future__ import annotations

from typing import Annotated

import typer

from hub.cli.common import cli_settings, console, fail, open_cli_hub


def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (GKSS_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (GKSS_PORT)")] = None,
    seed: Annotated[
        str | None,
        typer.Option(help="Start with these sources enabled and harvested on their schedules here: cbd"),
    ] = None,
    seed_mirror: Annotated[
        str | None, typer.Option(help="With --seed: fetch the seeded sources from this host instead")
    ] = None,
) -> None:
    """Serve the HTTP API and OpenAPI docs (embedded default: SQLite under GKSS_HOME).

    With --seed cbd, the CBD's own sources (index presets and feeds) are enabled and harvested on their
    schedules by the serving process (see docs/portal.md)."""
    import uvicorn

    from hub.api import create_app

    settings = cli_settings()
    bind_host = host or settings.host
    bind_port = port or settings.port
    if seed:
        from hub.first_run import seed_sources, start_scheduler

        hub = open_cli_hub()
        try:
            seeded = seed_sources(hub.store, seed, seed_mirror)
        except ValueError as exc:
            raise fail(str(exc), 2) from None
        finally:
            hub.close()
        console.print(f"seeded {len(seeded)} sources ({seed}); harvesting them on their schedules here")
        if not settings.broker_url:
            start_scheduler(settings)
    console.print(
        f"gkss-hub serving on http://{bind_host}:{bind_port}/ (docs at /docs, data in {settings.home})"
    )
    uvicorn.run(
        create_app(settings, serving=True),
        host=bind_host,
        port=bind_port,
        log_level="info",
        access_log=settings.access_log,
    )
